"""Display tables of the subgroup section: tidy results of analysis.stats.subgroup_analysis in, `ReportTable`s out.

Same conventions as analysis/report/tables.py (its `fmt_*` helpers, gtsummary layouts): factor label
rows with their levels indented under them; hazard ratios to two decimals with an en-dash
interval; p-values as "<0.001" or three decimals. Builders that show patient counts take
`small_cell_threshold` (counts 1 to t−1 shown as "<t", no percentage), primary suppression only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace

import numpy as np
import pandas as pd

from analysis.stats.cox import EPV_MINIMUM, CoxResult
from analysis.stats.rmst import RMST_HORIZONS
from analysis.study.model_design import (
    KEY_FACTORS,
    SELECTION_THRESHOLD,
)
from analysis.stats.subgroup_analysis import not_estimable_levels

from . import style
from .report_table import ReportTable
from .tables import (
    fmt_ci,
    fmt_count,
    fmt_estimate_ci,
    fmt_n_pct,
    fmt_number,
    fmt_p,
    fmt_patients,
    suppression_note,
)

REFERENCE = "Reference"
NOT_ESTIMABLE = "Not estimable"
DASH = "—"
KEY_GROUP = "Subgroups reported by the paper"
OTHER_GROUP = "Other baseline factors"

EXPLORATORY_NOTE = ("Exploratory analysis, not powered for subgroup comparisons; p-values are not "
                    "adjusted for multiplicity.")
EPV_WARNING = (f"Warning: fewer than {EPV_MINIMUM:.0f} events per parameter, so the multivariable "
               "hazard ratios may be unstable and biased away from 1 (Peduzzi et al. 1995); read them "
               "as descriptive.")

#: Display names of the pooled levels of the response splits.
POOLED_LABELS = {("ecog", "≥1"): "≥1", ("tki_agent", "other"): "Other TKI",
                 ("tki_partner", "other"): "Other partner"}
#: Names of the original levels listed after a pooled level, e.g. "Other partner (TKI alone, ...)".
MEMBER_LABELS = {("tki_partner", "none"): "TKI alone"}


def factor_label(variable: str) -> str:
    """Readable factor name (style.FACTOR_LABELS), e.g. 'ECOG performance status'."""
    return style.factor_label(variable)


def lower_first(text: str) -> str:
    """'Prior T-DM1 benefit' -> 'prior T-DM1 benefit' for running text (style.lower_first)."""
    return style.lower_first(text)


def level_label(variable: str, level: str) -> str:
    """Readable level name under its factor row: 'Yes', 'Other chemotherapy', '≥2'."""
    named = style.LEVEL_LABELS.get(variable, {})
    if str(level) in named:
        return named[str(level)]
    text = str(level).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def fmt_hr(hr: float, lower: float, upper: float) -> str:
    """Hazard ratio with its interval to two decimals: '0.33 (0.18–0.60)'."""
    return f"{fmt_number(hr, 2, 'NA')} ({fmt_ci(lower, upper, 2, 'NA')})"


def _not_estimable_note(rows: pd.DataFrame, table: pd.DataFrame, where: str) -> str | None:
    """One sentence naming each level reported as not estimable, with the reason."""
    if rows.empty:
        return None
    reference_events = table[table["reference"].astype(bool)].set_index("variable")["events"]
    levels_per_factor = table.groupby("variable")["level"].count()
    parts = []
    for r in rows.itertuples():
        name = f"{factor_label(r.variable)} = {level_label(r.variable, r.level)}"
        if levels_per_factor.get(r.variable, 2) < 2:
            reason = "every patient is in this level, so there is nothing to compare"
        elif r.events == 0:
            reason = "no events in the level"
        elif reference_events.get(r.variable, 1) == 0:
            reason = "no events in the reference level"
        else:
            reason = "the likelihood has no finite maximum (separation)"
        parts.append(f"{name} ({reason})")
    return (f"{NOT_ESTIMABLE} ({where}): " + "; ".join(parts) + ". No hazard ratio or interval is "
            "reported for such a level: there is no comparison, or the Cox estimate diverges to 0 "
            "or infinity.")


# ============================================================================ PFS medians
def subgroup_median_table(summary: pd.DataFrame, key_factors: Sequence[str] = KEY_FACTORS,
                          small_cell_threshold: int | None = None,
                          conf_level: float = 0.95) -> ReportTable:
    """Median PFS by subgroup: per level n, events and median (95% CI); log-rank p per factor.

    Input: analysis.stats.subgroup_analysis.pfs_by_subgroup. The key factors come first under their own group
    heading, then the other baseline factors.
    """
    ci = f"{conf_level:.0%} CI"
    median_column = f"Median PFS, months ({ci})"
    rows, indent = [], []
    for variable, levels in summary.groupby("variable", sort=False):
        group = KEY_GROUP if variable in key_factors else OTHER_GROUP
        rows.append({"section": group, "Characteristic": factor_label(variable), "n": "",
                     "Events": "", median_column: "",
                     "Log-rank p": NOT_ESTIMABLE if len(levels) < 2 else fmt_p(levels["logrank_p"].iloc[0])})
        indent.append(0)
        for r in levels.itertuples():
            rows.append({"section": group, "Characteristic": level_label(variable, r.level),
                         "n": fmt_count(r.n, small_cell_threshold),
                         "Events": fmt_count(r.events, small_cell_threshold),
                         median_column: fmt_estimate_ci(r.median, r.lower, r.upper), "Log-rank p": ""})
            indent.append(1)
    frame = pd.DataFrame(rows)
    notes = [f"Kaplan–Meier median PFS with the Brookmeyer–Crowley {ci} (log transform, R "
             "survival's default); NR = not reached. Log-rank p: test of equal PFS across the "
             "levels of the factor (R's survdiff).", EXPLORATORY_NOTE]
    missing = summary.groupby("variable", sort=False)["missing"].first()
    for variable, k in missing[missing > 0].items():
        notes.append(f"{factor_label(variable)}: {fmt_patients(k, small_cell_threshold)} with "
                     "no recorded value left out of that factor.")
    single = summary.groupby("variable", sort=False)["level"].agg(list)
    for variable, levels in single[single.map(len) == 1].items():
        notes.append(f"{factor_label(variable)}: every patient with a recorded value is in one level "
                     f"({level_label(variable, levels[0])}), so there is nothing to compare and the "
                     "log-rank test is not estimable.")
    notes += suppression_note(small_cell_threshold)
    ordered = frame.sort_values("section", key=lambda s: s != KEY_GROUP, kind="stable")
    order = ordered.index.to_numpy()
    return ReportTable(ordered, notes=notes, indent=[indent[i] for i in order], groups="section")


# ============================================================================ Cox models
#: The test behind every p of the Cox tables and the forest plot, named in their headers.
COX_TEST = "LR p"
COX_TEST_NOTE = ("LR p = likelihood-ratio test of the factor as a whole (all its levels jointly): in "
                 "the univariable columns against the null model (R: anova(coxph)), in the "
                 "multivariable columns against the same model without that factor, on the same "
                 "patients (R: drop1(fit, test = \"Chisq\")). It is the only test in these columns; "
                 "the hazard ratios carry Wald intervals, and no per-level Wald p is shown.")


def cox_columns(model: str) -> list[str]:
    """The four columns of one model in the Cox table: 'Univariable N', ..., 'Univariable LR p'."""
    return [f"{model} N", f"{model} events", f"{model} HR (95% CI)", f"{model} {COX_TEST}"]


def _model_factors_text(model: CoxResult) -> tuple[str, str]:
    """The key factors and the other factors of a model, in words for a note."""
    key = [v for v in model.selected or [] if v in KEY_FACTORS]
    added = [v for v in model.selected or [] if v not in KEY_FACTORS]
    key_text = " and ".join(lower_first(factor_label(v)) for v in key) or "none"
    added_text = ", ".join(lower_first(factor_label(v)) for v in added) or "none"
    return key_text, added_text


def cox_table(univariable: pd.DataFrame, multivariable: CoxResult,
              factor_tests: pd.DataFrame | None = None,
              small_cell_threshold: int | None = None,
              labels: Mapping[str, str] | None = None) -> ReportTable:
    """Univariable beside the pre-specified multivariable Cox model of PFS, gtsummary style.

    ``univariable``: analysis.stats.subgroup_analysis.univariable_table (with ``p_overall``);
    ``multivariable``: analysis.stats.subgroup_analysis.multivariable_model (pre-specified);
    ``factor_tests``: its likelihood-ratio test per factor (multivariable_factor_tests). One test
    per column: the "LR p" columns hold the likelihood-ratio test of each factor, on its factor
    row; level rows give N, events and HR (95% Wald CI); reference rows read "Reference".
    Factors not in the multivariable model have empty multivariable cells.
    """
    labels = dict(labels or {})
    multi = multivariable.table.set_index(["variable", "level"])
    multi_p = ({} if factor_tests is None else
               dict(zip(factor_tests["variable"], factor_tests["p"])))
    u, m = cox_columns("Univariable"), cox_columns("Multivariable")
    rows, indent = [], []

    def count(k: int) -> str:
        return fmt_count(k, small_cell_threshold)

    def level_cells(r) -> list[str]:
        if r.reference:
            return [count(r.n), count(r.events), REFERENCE, ""]
        if not np.isfinite(r.hr):
            return [count(r.n), count(r.events), NOT_ESTIMABLE, ""]
        return [count(r.n), count(r.events), fmt_hr(r.hr, r.lower, r.upper), ""]

    for variable, levels in univariable.groupby("variable", sort=False):
        in_model = variable in multivariable.terms
        header = {"Characteristic": labels.get(variable, factor_label(variable)),
                  **dict.fromkeys(u + m, "")}
        single = len(levels) < 2
        header[u[3]] = DASH if single else fmt_p(levels["p_overall"].iloc[0])
        if in_model:
            header[m[3]] = fmt_p(multi_p.get(variable, np.nan)) if multi_p else ""
        rows.append(header)
        indent.append(0)
        for r in levels.itertuples():
            row = {"Characteristic": level_label(variable, r.level), **dict(zip(u, level_cells(r)))}
            if in_model and (variable, r.level) in multi.index:
                row.update(zip(m, level_cells(SimpleNamespace(**multi.loc[(variable, r.level)]))))
            else:
                row.update(dict.fromkeys(m, ""))
            rows.append(row)
            indent.append(1)

    key_text, added_text = _model_factors_text(multivariable)
    epv = multivariable.events_per_variable
    n_parameters = sum(len(c) for c in multivariable.terms.values())
    notes = [
        "HR = hazard ratio of progression or death from Cox proportional-hazards models (Efron "
        "method for tied event times, as R's coxph); 95% CI = Wald interval, exp(β ± 1.96·SE). "
        "Reference = the reference level of the factor (HR 1).",
        COX_TEST_NOTE,
        f"Multivariable model (pre-specified, analysis/study/model_design.py): the key factors "
        f"({key_text}) and the clinical covariates declared before any outcome was examined "
        f"({added_text}); no selection on p-values. Empty multivariable cells = factor not in "
        f"the model. N = {count(multivariable.n)} patients with every factor of the model "
        f"recorded, {count(multivariable.events)} events.",
    ]
    if epv is not None:
        notes.append(f"Events per parameter (EPV) of the multivariable model: {fmt_number(epv, 1)} "
                     f"({count(multivariable.events)} events, {n_parameters} parameters).")
        if epv < EPV_MINIMUM:
            notes.append(EPV_WARNING)
    excluded = univariable.groupby("variable", sort=False)["excluded"].first()
    for variable, k in excluded[excluded > 0].items():
        notes.append(f"{factor_label(variable)}: {fmt_patients(k, small_cell_threshold)} with no "
                     "recorded value, left out of the models that include it.")
    for where, table in (("univariable", univariable), ("multivariable", multivariable.table)):
        note = _not_estimable_note(not_estimable_levels(table), table, where)
        if note:
            notes.append(note)
    notes.append(EXPLORATORY_NOTE)
    notes += suppression_note(small_cell_threshold)
    align = {c: "right" for c in u + m}
    return ReportTable(pd.DataFrame(rows), notes=notes, indent=indent, align=align,
                       spanners={"Univariable": u, "Multivariable": m})


def sensitivity_table(prespecified: CoxResult, prespecified_tests: pd.DataFrame,
                      screened: CoxResult, screened_tests: pd.DataFrame,
                      threshold: float = SELECTION_THRESHOLD) -> ReportTable:
    """Sensitivity analysis: the pre-specified model beside the model whose covariates were
    screened on univariable p; HR (95% CI) per level and the likelihood-ratio p per factor."""
    models = (("Pre-specified", prespecified, prespecified_tests), ("Screened", screened, screened_tests))
    columns = [c for name, _, _ in models for c in (f"{name} HR (95% CI)", f"{name} {COX_TEST}")]
    variables = list(dict.fromkeys([*prespecified.terms, *screened.terms]))
    rows, indent = [], []
    for variable in variables:
        header = {"Characteristic": factor_label(variable), **dict.fromkeys(columns, "")}
        for name, model, tests in models:
            p = dict(zip(tests["variable"], tests["p"]))
            if variable in model.terms:
                header[f"{name} {COX_TEST}"] = fmt_p(p.get(variable, np.nan))
        rows.append(header)
        indent.append(0)
        levels = pd.unique(pd.concat([m.table.loc[m.table["variable"] == variable, "level"]
                                      for _, m, _ in models]))
        for level in levels:
            row = {"Characteristic": level_label(variable, level), **dict.fromkeys(columns, "")}
            for name, model, _ in models:
                match = model.table[(model.table["variable"] == variable) & (model.table["level"] == level)]
                if variable not in model.terms or match.empty:
                    continue
                r = match.iloc[0]
                row[f"{name} HR (95% CI)"] = (REFERENCE if r["reference"] else NOT_ESTIMABLE
                                              if not np.isfinite(r["hr"]) else
                                              fmt_hr(r["hr"], r["lower"], r["upper"]))
            rows.append(row)
            indent.append(1)
    _, pre_added = _model_factors_text(prespecified)
    _, screened_added = _model_factors_text(screened)
    notes = [
        f"Pre-specified = the primary multivariable model (key factors and {pre_added}). Screened = "
        f"the key factors and every other factor with a univariable likelihood-ratio p < "
        f"{fmt_number(threshold, 2)} (here: {screened_added}); shown only as a sensitivity "
        "analysis, because choosing covariates by their univariable p biases hazard ratios away "
        "from 1 and makes intervals too narrow.",
        f"Pre-specified: N = {prespecified.n:,}, {prespecified.events:,} events; screened: N = "
        f"{screened.n:,}, {screened.events:,} events. Empty cells = factor not in that model.",
        COX_TEST_NOTE.replace("in the univariable columns against the null model (R: anova(coxph)), "
                              "in the multivariable columns", "in each model"),
        EXPLORATORY_NOTE,
    ]
    return ReportTable(pd.DataFrame(rows, columns=["Characteristic", *columns]), notes=notes,
                       indent=indent, align=dict.fromkeys(columns, "right"),
                       spanners={name: [c for c in columns if c.startswith(name + " ")] for name, _, _ in models})


# ============================================================================ RMST
def rmst_columns(taus=RMST_HORIZONS) -> list[str]:
    """'RMST to 12 months (95% CI)', ... one column per horizon."""
    return [f"RMST to {fmt_number(t, 0)} months (95% CI)" for t in taus]


def rmst_report_table(by_level: pd.DataFrame, differences: pd.DataFrame,
                      small_cell_threshold: int | None = None) -> ReportTable:
    """Restricted mean PFS at each horizon, overall and per level of the key factors, with the
    difference of each level from the reference (95% CI) under its levels.

    Input: analysis.stats.subgroup_analysis.SubgroupResults ``rmst`` and ``rmst_difference``.
    """
    taus = sorted(by_level["tau"].unique())
    columns = rmst_columns(taus)
    rows, indent = [], []

    def cells(frame: pd.DataFrame) -> dict[str, str]:
        return {c: fmt_estimate_ci(r.rmst, r.lower, r.upper)
                for c, r in zip(columns, frame.sort_values("tau").itertuples())}

    first = by_level[by_level["tau"] == taus[0]]
    for variable in pd.unique(by_level["variable"]):
        part = by_level[by_level["variable"] == variable]
        if variable == "overall":
            row = part.iloc[0]
            rows.append({"Characteristic": "All patients", "n": fmt_count(row.n, small_cell_threshold),
                         **cells(part)})
            indent.append(0)
            continue
        rows.append({"Characteristic": factor_label(variable), "n": "", **dict.fromkeys(columns, "")})
        indent.append(0)
        for level in first.loc[first["variable"] == variable, "level"]:
            level_rows = part[part["level"] == level]
            rows.append({"Characteristic": level_label(variable, level),
                         "n": fmt_count(level_rows.iloc[0].n, small_cell_threshold), **cells(level_rows)})
            indent.append(1)
        diff = differences[differences["variable"] == variable]
        for level in pd.unique(diff["level"]):
            d = diff[diff["level"].isna()] if level is None else diff[diff["level"] == level]
            reference = d.iloc[0]["reference_level"]
            if level is None:
                label = "Difference between levels"
                values = dict.fromkeys(columns, NOT_ESTIMABLE)
            else:
                label = (f"Difference, {lower_first(level_label(variable, level))} − "
                         f"{lower_first(level_label(variable, reference))}")
                values = {c: fmt_estimate_ci(r.difference, r.lower, r.upper)
                          for c, r in zip(columns, d.sort_values("tau").itertuples())}
            rows.append({"Characteristic": label, "n": "", **values})
            indent.append(1)
    horizons = " or ".join(fmt_number(t, 0) for t in taus)
    notes = ["RMST = restricted mean survival time: the mean progression-free time over the first "
             f"{horizons} months, the area under the Kaplan–Meier curve up to that horizon, in months "
             "(R survival: print(survfit, rmean = τ)); it needs no proportional-hazards assumption. "
             "95% CI = estimate ± 1.96 SE. Difference = level minus reference level, SE = √(SE₁² + SE₂²).",
             EXPLORATORY_NOTE]
    missing = differences[~differences["estimable"].astype(bool)]
    for r in missing.drop_duplicates("variable").itertuples():
        notes.insert(1, f"{factor_label(r.variable)}: difference not estimable, because {r.reason}.")
    notes += suppression_note(small_cell_threshold)
    frame = pd.DataFrame(rows, columns=["Characteristic", "n", *columns])
    return ReportTable(frame, notes=notes, indent=indent, align=dict.fromkeys(["n", *columns], "right"))


# ============================================================================ PH test
def ph_table(zph: pd.DataFrame | None, result: CoxResult) -> ReportTable:
    """Proportional-hazards test of the multivariable model: per factor and global.

    Input: analysis.stats.subgroup_analysis.proportional_hazards_table (R's cox.zph, KM transform).
    """
    notes = ["Score test of the scaled Schoenfeld residuals against the Kaplan–Meier time transform "
             "(Grambsch–Therneau), one row per factor (all its terms jointly) and a global test; the "
             "same statistic as R survival's cox.zph(fit, transform = \"km\") (version 3.0 and "
             "later). A small p suggests that the factor's hazard ratio changes over follow-up.",
             "Model: the multivariable Cox model of the hazard-ratio table "
             f"(N = {result.n:,}, {result.events:,} events).", EXPLORATORY_NOTE]
    columns = ["Factor", "χ²", "df", "p"]
    if zph is None:
        frame = pd.DataFrame([["Not computed (no fitted model)", "", "", ""]], columns=columns)
        return ReportTable(frame, notes=notes)
    rows = []
    for r in zph.itertuples():
        label = "Global" if r.variable == "GLOBAL" else factor_label(r.variable)
        estimable = getattr(r, "estimable", True)
        rows.append([label, fmt_number(r.chisq, 2, "NA") if estimable else DASH, str(int(r.df)),
                     fmt_p(r.p) if estimable else NOT_ESTIMABLE])
    if "estimable" in zph and not zph["estimable"].all():
        notes.insert(1, "Not estimable: the factor has a level without a finite hazard ratio, so the "
                        "test is not meaningful for it (nor globally).")
    return ReportTable(pd.DataFrame(rows, columns=columns), notes=notes)


# ============================================================================ response
def _fisher_p(p: float) -> str:
    """Fisher's p, or 'Not estimable' when a level of the split has no patient."""
    return NOT_ESTIMABLE if pd.isna(p) else fmt_p(p)


def response_subgroup_table(frame: pd.DataFrame, small_cell_threshold: int | None = None) -> ReportTable:
    """ORR and CBR by two-level subgroup, n (%) per level, Fisher's exact p per factor.

    Input: analysis.stats.subgroup_analysis.response_by_subgroup.
    """
    rows, indent = [], []

    def rate(k: int, n: int) -> str:
        return fmt_n_pct(k, n, small_cell_threshold=small_cell_threshold) if n else DASH

    for variable, levels in frame.groupby("variable", sort=False):
        first = levels.iloc[0]
        rows.append({"Characteristic": factor_label(variable), "n": "", "ORR, n (%)": "",
                     "ORR p": _fisher_p(first.orr_p), "CBR, n (%)": "", "CBR p": _fisher_p(first.cbr_p)})
        indent.append(0)
        for r in levels.itertuples():
            label = POOLED_LABELS.get((variable, r.level))
            if label is None:
                label = level_label(variable, r.level)
            members = [m for m in str(r.members).split(";") if m]
            if len(members) > 1 or (members and members[0] != r.level):
                names = [MEMBER_LABELS.get((variable, m)) or lower_first(level_label(variable, m))
                         for m in members]
                label += " (" + ", ".join(names) + ")"
            rows.append({"Characteristic": label, "n": fmt_count(r.n, small_cell_threshold),
                         "ORR, n (%)": rate(r.orr_n, r.n), "ORR p": "",
                         "CBR, n (%)": rate(r.cbr_n, r.n), "CBR p": ""})
            indent.append(1)
    notes = ["n (%) of the patients in each subgroup; not evaluable counts as non-response. ORR = "
             "CR + PR; CBR = CR + PR + SD lasting at least 24 weeks (RECIST 1.1).",
             "p: Fisher's exact test, two-sided, on the 2×2 table of subgroup by response "
             "(scipy.stats.fisher_exact, the same p as R's fisher.test). Factors with more than two "
             "levels are split in two (ECOG 0 vs ≥1, pyrotinib vs other TKI, capecitabine vs other "
             "partner) so that every test is this exact 2×2 test; SciPy's r×c Fisher test is a Monte "
             "Carlo / permutation approximation, not deterministic. — = no patient in the subgroup.",
             EXPLORATORY_NOTE]
    missing = frame.groupby("variable", sort=False)["missing"].first()
    for variable, k in missing[missing > 0].items():
        notes.append(f"{factor_label(variable)}: {fmt_patients(k, small_cell_threshold)} with "
                     "no recorded value left out of that comparison.")
    empty = frame[frame["n"] == 0]
    for variable, levels in empty.groupby("variable", sort=False)["level"]:
        names = ", ".join(level_label(variable, lv) for lv in levels)
        notes.append(f"{factor_label(variable)}: no patient in {names}, so there is nothing to "
                     "compare and Fisher's test is not estimable.")
    notes += suppression_note(small_cell_threshold)
    return ReportTable(pd.DataFrame(rows), notes=notes, indent=indent)
