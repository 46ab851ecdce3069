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
from analysis.stats.subgroup_analysis import (
    KEY_FACTORS,
    SELECTION_THRESHOLD,
    not_estimable_levels,
)

from . import style
from .report_table import ReportTable
from .tables import (
    fmt_ci,
    fmt_count,
    fmt_estimate_ci,
    fmt_n_pct,
    fmt_number,
    fmt_p,
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
    """'Prior T-DM1 benefit' -> 'prior T-DM1 benefit' for running text; acronyms ('TKI', 'ECOG') kept."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


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
    parts = []
    for r in rows.itertuples():
        name = f"{factor_label(r.variable)} = {level_label(r.variable, r.level)}"
        if r.events == 0:
            reason = "no events in the level"
        elif reference_events.get(r.variable, 1) == 0:
            reason = "no events in the reference level"
        else:
            reason = "the likelihood has no finite maximum (separation)"
        parts.append(f"{name} ({reason})")
    return (f"{NOT_ESTIMABLE} ({where}): " + "; ".join(parts) + ". No hazard ratio, interval or "
            "Wald p is reported for such a level: the Cox estimate diverges to 0 or infinity.")


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
                     "Events": "", median_column: "", "Log-rank p": fmt_p(levels["logrank_p"].iloc[0])})
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
        notes.append(f"{factor_label(variable)}: {fmt_count(k, small_cell_threshold)} patient(s) with "
                     "no recorded value left out of that factor.")
    notes += suppression_note(small_cell_threshold)
    ordered = frame.sort_values("section", key=lambda s: s != KEY_GROUP, kind="stable")
    order = ordered.index.to_numpy()
    return ReportTable(ordered, notes=notes, indent=[indent[i] for i in order], groups="section")


# ============================================================================ Cox models
def cox_table(univariable: pd.DataFrame, multivariable: CoxResult,
              factor_tests: pd.DataFrame | None = None,
              small_cell_threshold: int | None = None,
              threshold: float = SELECTION_THRESHOLD,
              labels: Mapping[str, str] | None = None) -> ReportTable:
    """Univariable beside multivariable Cox models of PFS, gtsummary style.

    ``univariable``: analysis.stats.subgroup_analysis.univariable_table (with ``p_overall``); ``multivariable``:
    analysis.stats.subgroup_analysis.multivariable_model; ``factor_tests``: its likelihood-ratio test per factor
    (analysis.stats.subgroup_analysis.multivariable_factor_tests). A factor row gives the likelihood-ratio p of
    the factor; each level row N, events, HR (95% CI) and the Wald p; reference rows read
    "Reference" and "—"; factors not in the multivariable model have empty multivariable cells.
    """
    labels = dict(labels or {})
    multi = multivariable.table.set_index(["variable", "level"])
    multi_p = ({} if factor_tests is None else
               dict(zip(factor_tests["variable"], factor_tests["p"])))
    u = ["Univariable N", "Univariable events", "Univariable HR (95% CI)", "Univariable p"]
    m = ["Multivariable N", "Multivariable events", "Multivariable HR (95% CI)", "Multivariable p"]
    rows, indent = [], []

    def count(k: int) -> str:
        return fmt_count(k, small_cell_threshold)

    def level_cells(r) -> list[str]:
        if r.reference:
            return [count(r.n), count(r.events), REFERENCE, DASH]
        if not np.isfinite(r.hr):
            return [count(r.n), count(r.events), NOT_ESTIMABLE, DASH]
        return [count(r.n), count(r.events), fmt_hr(r.hr, r.lower, r.upper), fmt_p(r.p)]

    for variable, levels in univariable.groupby("variable", sort=False):
        in_model = variable in multivariable.terms
        header = {"Characteristic": labels.get(variable, factor_label(variable)),
                  **dict.fromkeys(u + m, "")}
        header[u[3]] = fmt_p(levels["p_overall"].iloc[0])
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

    key = [v for v in multivariable.selected or [] if v in KEY_FACTORS]
    added = [v for v in multivariable.selected or [] if v not in KEY_FACTORS]
    key_text = " and ".join(lower_first(factor_label(v)) for v in key) or "none"
    added_text = ", ".join(lower_first(factor_label(v)) for v in added) or "none"
    epv = multivariable.events_per_variable
    n_parameters = sum(len(c) for c in multivariable.terms.values())
    notes = [
        "HR = hazard ratio of progression or death from Cox proportional-hazards models (Efron "
        "method for tied event times, as R's coxph); 95% CI = Wald interval, exp(β ± 1.96·SE). "
        "Reference = the reference level of the factor (HR 1).",
        "p on a factor row: likelihood-ratio test of the factor as a whole (all its levels "
        "jointly), in the univariable columns against the null model (R: anova(coxph)), in the "
        "multivariable columns against the model without that factor on the same patients "
        "(R: drop1(fit, test = \"Chisq\")). p on a level row: Wald test of that level against "
        "the reference.",
        f"Multivariable model: the key factors ({key_text}) plus every other factor with a "
        f"univariable likelihood-ratio p < {fmt_number(threshold, 2)} (added: {added_text}); "
        "empty multivariable cells = factor not selected. "
        f"N = {count(multivariable.n)} patients with every factor of the model recorded, "
        f"{count(multivariable.events)} events.",
    ]
    if epv is not None:
        notes.append(f"Events per parameter (EPV) of the multivariable model: {fmt_number(epv, 1)} "
                     f"({count(multivariable.events)} events, {n_parameters} parameters).")
        if epv < EPV_MINIMUM:
            notes.append(EPV_WARNING)
    excluded = univariable.groupby("variable", sort=False)["excluded"].first()
    for variable, k in excluded[excluded > 0].items():
        notes.append(f"{factor_label(variable)}: {count(k)} patient(s) with no recorded value, left "
                     "out of the models that include it.")
    for where, table in (("univariable", univariable), ("multivariable", multivariable.table)):
        note = _not_estimable_note(not_estimable_levels(table), table, where)
        if note:
            notes.append(note)
    notes.append(EXPLORATORY_NOTE)
    notes += suppression_note(small_cell_threshold)
    align = {c: "right" for c in u + m}
    return ReportTable(pd.DataFrame(rows), notes=notes, indent=indent, align=align,
                       spanners={"Univariable": u, "Multivariable": m})


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
                     "ORR p": fmt_p(first.orr_p), "CBR, n (%)": "", "CBR p": fmt_p(first.cbr_p)})
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
        notes.append(f"{factor_label(variable)}: {fmt_count(k, small_cell_threshold)} patient(s) with "
                     "no recorded value left out of that comparison.")
    notes += suppression_note(small_cell_threshold)
    return ReportTable(pd.DataFrame(rows), notes=notes, indent=indent)
