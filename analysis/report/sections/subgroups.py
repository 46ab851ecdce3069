"""Section 3, subgroups (exploratory): PFS by prior T-DM1 benefit and trastuzumab resistance,
restricted mean PFS, the pre-specified Cox model with a proportional-hazards check and the screened
model as sensitivity analysis, a forest plot, and response by subgroup."""

from __future__ import annotations

import weakref
from types import SimpleNamespace

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.stats.rmst import RMST_HORIZONS
from analysis.stats.subgroup_analysis import (
    SubgroupResults,
    analyse,
    not_estimable_levels,
)
from analysis.study.model_design import KEY_FACTORS

from .. import figures, style, subgroup_tables
from ..artifacts import artifact
from ..context import Phrase, ReportContext
from ..report_table import ReportTable
from ..source_data import kaplan_meier_steps, masked_counts, source_data
from ..tables import fmt_ci, fmt_months, fmt_number, fmt_p, fmt_p_phrase, plural

# One analysis per context: the Cox fits take minutes at N = 100,000, and several artifacts and
# the narrative share them. Keyed by id(ctx); the weak reference proves the entry is still that
# context (and the same data object), so a reused id can never return stale results.
_RESULTS: dict[int, tuple[weakref.ref, int, SubgroupResults]] = {}


def results(ctx: ReportContext) -> SubgroupResults:
    """Every subgroup statistic of this context's data (analysis.stats.subgroup_analysis.analyse), computed once."""
    cached = _RESULTS.get(id(ctx))
    if cached is not None and cached[0]() is ctx and cached[1] == id(ctx.data):
        return cached[2]
    computed = analyse(ctx.data)
    _RESULTS[id(ctx)] = (weakref.ref(ctx, lambda _, key=id(ctx): _RESULTS.pop(key, None)),
                         id(ctx.data), computed)
    return computed


def _km(ctx: ReportContext, variable: str) -> Figure:
    return figures.km_figure(ctx.data["pfs_months"], ctx.data["pfs_event"], groups=ctx.data[variable])


def _km_data(ctx: ReportContext, variable: str) -> pd.DataFrame:
    return kaplan_meier_steps(ctx.data["pfs_months"], ctx.data["pfs_event"], ctx.data[variable],
                              small_cell_threshold=ctx.small_cell_threshold)


_KM_PARTS = ("Kaplan–Meier estimates with 95% pointwise confidence bands (log transform), "
             "censoring ticks, medians, the log-rank p and the numbers at risk per group at each "
             "tick of the time axis. " + figures.KM_TAIL_RULE + " Exploratory.")


@artifact("fig-pfs-tdm1", "Progression-free survival by prior T-DM1 benefit: " + _KM_PARTS,
          alt=figures.km_alt_text("prior T-DM1 benefit (no benefit, benefit)"))
def pfs_by_tdm1_benefit(ctx: ReportContext) -> Figure:
    return _km(ctx, "tdm1_benefit")


@source_data("fig-pfs-tdm1")
def pfs_by_tdm1_benefit_data(ctx: ReportContext) -> pd.DataFrame:
    return _km_data(ctx, "tdm1_benefit")


@artifact("fig-pfs-resistance", "Progression-free survival by type of trastuzumab resistance "
          "(primary or acquired): " + _KM_PARTS,
          alt=figures.km_alt_text("type of trastuzumab resistance (primary, acquired)"))
def pfs_by_resistance(ctx: ReportContext) -> Figure:
    return _km(ctx, "trastuzumab_resistance")


@source_data("fig-pfs-resistance")
def pfs_by_resistance_data(ctx: ReportContext) -> pd.DataFrame:
    return _km_data(ctx, "trastuzumab_resistance")


@artifact("tbl-subgroup-medians", "Median progression-free survival by subgroup (Brookmeyer–Crowley "
          "95% intervals) with log-rank tests. Exploratory.")
def subgroup_medians(ctx: ReportContext) -> ReportTable:
    return subgroup_tables.subgroup_median_table(results(ctx).pfs, small_cell_threshold=ctx.small_cell_threshold)


@artifact("tbl-rmst", "Restricted mean progression-free survival up to each horizon, overall "
          "and by prior T-DM1 benefit and trastuzumab resistance, with the difference between "
          "levels (95% CI). Exploratory.")
def rmst(ctx: ReportContext) -> ReportTable:
    r = results(ctx)
    return subgroup_tables.rmst_report_table(r.rmst, r.rmst_difference, ctx.small_cell_threshold)


@artifact("tbl-cox", "Cox proportional-hazards models of progression-free survival: univariable "
          "models for each baseline factor beside the pre-specified multivariable model, with "
          "likelihood-ratio tests. Exploratory.")
def cox_models(ctx: ReportContext) -> ReportTable:
    r = results(ctx)
    return subgroup_tables.cox_table(r.univariable, r.multivariable, r.factor_tests,
                                     small_cell_threshold=ctx.small_cell_threshold)


@artifact("tbl-ph", "Proportional-hazards check of the pre-specified multivariable Cox model: "
          "tests of the scaled Schoenfeld residuals per factor and globally.")
def proportional_hazards(ctx: ReportContext) -> ReportTable:
    r = results(ctx)
    return subgroup_tables.ph_table(r.ph, r.multivariable)


@artifact("tbl-cox-sensitivity", "Sensitivity analysis: the pre-specified multivariable Cox model "
          "beside a model whose covariates were screened on their univariable p-value.")
def cox_sensitivity(ctx: ReportContext) -> ReportTable:
    r = results(ctx)
    return subgroup_tables.sensitivity_table(r.multivariable, r.factor_tests, r.screened,
                                             r.screened_tests)


@artifact("fig-forest", "Hazard ratios of progression or death across baseline subgroups "
          "(univariable Cox models, Efron ties) with 95% Wald confidence intervals on a log scale, "
          "squares sized by events, and the likelihood-ratio p of each factor. Exploratory; "
          "p-values unadjusted.",
          alt=("Forest plot. One row per level of each baseline factor with the number of patients "
               "and events, the hazard ratio of progression or death against the reference level "
               "as a square with its 95% confidence interval on a logarithmic axis, a vertical line "
               "at a hazard ratio of 1, and the likelihood-ratio p-value of each factor; values "
               "are listed in the Cox model table."))
def forest(ctx: ReportContext) -> Figure:
    return figures.forest_figure(results(ctx).univariable)


@source_data("fig-forest")
def forest_data(ctx: ReportContext) -> pd.DataFrame:
    frame = results(ctx).univariable
    columns = figures.FOREST_COLUMNS + [c for c in ("p_overall",) if c in frame.columns]
    return masked_counts(frame[columns].reset_index(drop=True), ["n", "events"], ctx.small_cell_threshold)


@artifact("tbl-response-subgroups", "Objective response rate and clinical benefit rate by "
          "subgroup, with Fisher's exact tests. Exploratory.")
def response_subgroups(ctx: ReportContext) -> ReportTable:
    return subgroup_tables.response_subgroup_table(results(ctx).response, ctx.small_cell_threshold)


# ---------------------------------------------------------------------------------------------
# Narrative

#: How the narrative names each level of the key factors.
LEVEL_WORDS = {
    "tdm1_benefit": {"yes": "with prior T-DM1 benefit", "no": "without"},
    "trastuzumab_resistance": {"acquired": "with acquired trastuzumab resistance",
                               "primary": "with primary resistance"},
}
#: The level compared with the reference in the narrative (the paper's direction).
COMPARED_LEVEL = {"tdm1_benefit": "yes", "trastuzumab_resistance": "acquired"}


def _median_phrase(median: float, lower: float, upper: float) -> str:
    """'15.2 months (95% CI 8.4 to not reached)': limits not reached (NaN) in words, not "NR"."""
    if pd.isna(median):
        return "not reached"
    if pd.isna(lower) or pd.isna(upper):
        interval = f"{'not reached' if pd.isna(lower) else fmt_months(lower)} to not reached"
    else:
        interval = fmt_ci(lower, upper)
    return f"{fmt_months(median)} months (95% CI {interval})"


def _hr_phrase(row, lr_p: float, reason: str) -> str:
    """'0.33 (95% CI 0.18–0.60; likelihood-ratio p < 0.001)', or 'not estimable (why)'."""
    if row is None or not np.isfinite(row.hr):
        return f"not estimable ({reason})"
    return (f"{fmt_number(row.hr, 2)} (95% CI {fmt_ci(row.lower, row.upper, 2)}; "
            f"{fmt_p_phrase(lr_p, 'likelihood-ratio p')})")


def _one_level_reason(summary: pd.DataFrame, variable: str) -> str:
    """Why a key comparison is not estimable, in words."""
    if len(summary) < 2:
        level = summary.index[0] if len(summary) else "none"
        return (f"all {plural(int(summary['n'].sum()), 'patient')} with a recorded value are in one "
                f"level, {subgroup_tables.lower_first(style.level_label(variable, level))}")
    return "no events in a level, or no finite estimate"


def _rmst_phrase(r: SubgroupResults, variable: str, compared: str) -> str:
    """'1.2 months (95% CI −0.3 to 2.7) at 12 months and ... at 24 months', or why not estimable."""
    diff = r.rmst_difference[r.rmst_difference["variable"] == variable]
    rows = diff[diff["level"] == compared]
    if rows.empty:
        reason = diff["reason"].iloc[0] if len(diff) else "no comparison"
        return f"not estimable ({reason})"
    parts = [f"{fmt_number(d.difference, 1)} months (95% CI {fmt_ci(d.lower, d.upper)}) at "
             f"{fmt_number(d.tau, 0)} months" for d in rows.sort_values("tau").itertuples()]
    return " and ".join(parts)


def _key_facts(r: SubgroupResults, variable: str) -> dict[str, Phrase]:
    summary = r.pfs[r.pfs["variable"] == variable].set_index("level")
    words = LEVEL_WORDS[variable]
    medians = " and ".join(
        f"{_median_phrase(s['median'], s['lower'], s['upper'])} {words.get(level, level)}"
        for level, s in summary.loc[[lv for lv in words if lv in summary.index]].iterrows())
    compared = COMPARED_LEVEL[variable]
    reason = _one_level_reason(summary, variable)

    def row(table):
        match = table[(table["variable"] == variable) & (table["level"] == compared)]
        return None if match.empty else match.iloc[0]

    univariable_p = r.univariable.loc[r.univariable["variable"] == variable, "p_overall"]
    adjusted_p = dict(zip(r.factor_tests["variable"], r.factor_tests["p"])).get(variable, np.nan)
    logrank_p = summary["logrank_p"].iloc[0] if len(summary) else np.nan
    return {
        "medians": Phrase(medians),
        "logrank": Phrase(fmt_p_phrase(logrank_p) if np.isfinite(logrank_p)
                          else f"test not estimable: {reason}"),
        "hr": Phrase(_hr_phrase(row(r.univariable),
                                univariable_p.iloc[0] if len(univariable_p) else np.nan, reason)),
        "hr_adjusted": Phrase(_hr_phrase(row(r.multivariable.table), adjusted_p, reason)),
        "rmst": Phrase(_rmst_phrase(r, variable, compared)),
    }


def _names(variables) -> str:
    """'visceral metastasis', 'visceral metastasis and brain metastasis', 'a, b and c'."""
    names = [subgroup_tables.lower_first(subgroup_tables.factor_label(v)) for v in variables]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def facts(ctx: ReportContext) -> SimpleNamespace:
    """The subgroup numbers the narrative quotes, as formatted phrases."""
    r = results(ctx)
    tdm1 = _key_facts(r, "tdm1_benefit")
    resistance = _key_facts(r, "trastuzumab_resistance")
    model = r.multivariable
    covariates = [v for v in model.selected or [] if v not in KEY_FACTORS]
    screened_added = [v for v in r.screened.selected or [] if v not in KEY_FACTORS]
    epv = model.events_per_variable
    n_parameters = sum(len(c) for c in model.terms.values())
    epv_text = "no estimable parameter" if epv is None else (
        f"{fmt_number(epv, 1)} events per estimated parameter ({model.events:,} events, "
        f"{n_parameters} parameters)")
    epv_warning = ("below 10 events per parameter, so the adjusted estimates may be unstable and "
                   "exaggerated" if epv is not None and epv < 10 else
                   "within the conventional minimum of 10 events per parameter")
    if r.ph is None:
        ph_text = "could not be computed"
    else:
        global_row = r.ph[r.ph["variable"] == "GLOBAL"].iloc[0]
        ph_text = (f"gave a global {fmt_p_phrase(global_row.p)}" if global_row.estimable
                   else "is not meaningful (a level without a finite hazard ratio)")
        factors = r.ph[r.ph["variable"] != "GLOBAL"].sort_values("p")
        if len(factors):
            smallest = factors.iloc[0]
            ph_text += (f"; the smallest per-factor p was {fmt_p(smallest.p)} "
                        f"({subgroup_tables.lower_first(subgroup_tables.factor_label(smallest.variable))})")
    missing = [row for table in (r.univariable, model.table)
               for row in not_estimable_levels(table).itertuples()]
    seen = dict.fromkeys((row.variable, row.level) for row in missing)
    named = [f"{subgroup_tables.lower_first(subgroup_tables.factor_label(v))} "
             f"{subgroup_tables.level_label(v, lv)}" for v, lv in seen]
    not_estimable = ("every hazard ratio was estimable" if not seen else
                     "the hazard ratio was not estimable for " + "; ".join(named)
                     + " (one level only, no events, or no finite estimate)")
    horizons = " and ".join(fmt_number(t, 0) for t in RMST_HORIZONS)
    return SimpleNamespace(
        n=Phrase(f"{ctx.n:,}"),
        tdm1_medians=tdm1["medians"], tdm1_logrank=tdm1["logrank"], tdm1_hr=tdm1["hr"],
        tdm1_hr_adjusted=tdm1["hr_adjusted"], tdm1_rmst=tdm1["rmst"],
        resistance_medians=resistance["medians"], resistance_logrank=resistance["logrank"],
        resistance_hr=resistance["hr"], resistance_hr_adjusted=resistance["hr_adjusted"],
        resistance_rmst=resistance["rmst"],
        rmst_horizons=Phrase(horizons),
        covariates=Phrase(_names(covariates) if covariates else "no other factor"),
        selected=Phrase(_names(screened_added) if screened_added else "no other factor"),
        n_model=Phrase(f"{model.n:,}"),
        epv=Phrase(epv_text), epv_warning=Phrase(epv_warning),
        ph=Phrase(ph_text),
        not_estimable=Phrase(not_estimable),
    )
