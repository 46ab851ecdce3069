"""Section 3, subgroups (exploratory): PFS by prior T-DM1 benefit and trastuzumab resistance,
Cox models with a proportional-hazards check, a forest plot, and response by subgroup."""

from __future__ import annotations

import weakref
from types import SimpleNamespace

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.stats.subgroup_analysis import (
    KEY_FACTORS,
    SubgroupResults,
    analyse,
    not_estimable_levels,
)

from .. import figures, subgroup_tables
from ..artifacts import artifact
from ..context import Phrase, ReportContext
from ..report_table import ReportTable
from ..tables import fmt_ci, fmt_months, fmt_number, fmt_p, fmt_p_phrase

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


@artifact("fig-pfs-tdm1", "Progression-free survival by prior T-DM1 benefit: Kaplan–Meier estimates "
          "with 95% pointwise confidence bands (log transform), censoring ticks, medians, the "
          "log-rank p and the numbers at risk per group at each tick of the time axis. Exploratory.")
def pfs_by_tdm1_benefit(ctx: ReportContext) -> Figure:
    return _km(ctx, "tdm1_benefit")


@artifact("fig-pfs-resistance", "Progression-free survival by type of trastuzumab resistance "
          "(acquired or primary): Kaplan–Meier estimates with 95% pointwise confidence bands (log "
          "transform), censoring ticks, medians, the log-rank p and the numbers at risk per "
          "group at each tick of the time axis. Exploratory.")
def pfs_by_resistance(ctx: ReportContext) -> Figure:
    return _km(ctx, "trastuzumab_resistance")


@artifact("tbl-subgroup-medians", "Median progression-free survival by subgroup (Brookmeyer–Crowley "
          "95% intervals) with log-rank tests. Exploratory.")
def subgroup_medians(ctx: ReportContext) -> ReportTable:
    return subgroup_tables.subgroup_median_table(results(ctx).pfs, small_cell_threshold=ctx.small_cell_threshold)


@artifact("tbl-cox", "Cox proportional-hazards models of progression-free survival: univariable "
          "models for each baseline factor beside the multivariable model. Exploratory.")
def cox_models(ctx: ReportContext) -> ReportTable:
    r = results(ctx)
    return subgroup_tables.cox_table(r.univariable, r.multivariable, r.factor_tests,
                                     small_cell_threshold=ctx.small_cell_threshold)


@artifact("tbl-ph", "Proportional-hazards check of the multivariable Cox model: tests of the scaled "
          "Schoenfeld residuals per factor and globally.")
def proportional_hazards(ctx: ReportContext) -> ReportTable:
    r = results(ctx)
    return subgroup_tables.ph_table(r.ph, r.multivariable)


@artifact("fig-forest", "Hazard ratios of progression or death across baseline subgroups "
          "(univariable Cox models, Efron ties) with 95% Wald confidence intervals on a log scale; "
          "squares sized by events. Exploratory; p-values unadjusted.")
def forest(ctx: ReportContext) -> Figure:
    return figures.forest_figure(results(ctx).univariable)


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


def _hr_phrase(row) -> str:
    if row is None or not np.isfinite(row.hr):
        return "not estimable"
    return (f"{fmt_number(row.hr, 2)} (95% CI {fmt_ci(row.lower, row.upper, 2)}; "
            f"{fmt_p_phrase(row.p)})")


def _key_facts(r: SubgroupResults, variable: str) -> dict[str, Phrase]:
    summary = r.pfs[r.pfs["variable"] == variable].set_index("level")
    words = LEVEL_WORDS[variable]
    medians = " and ".join(
        f"{_median_phrase(s['median'], s['lower'], s['upper'])} {words.get(level, level)}"
        for level, s in summary.loc[[lv for lv in words if lv in summary.index]].iterrows())
    compared = COMPARED_LEVEL[variable]

    def row(table):
        match = table[(table["variable"] == variable) & (table["level"] == compared)]
        return None if match.empty else match.iloc[0]

    return {
        "medians": Phrase(medians),
        "logrank": Phrase(fmt_p_phrase(summary["logrank_p"].iloc[0])),
        "hr": Phrase(_hr_phrase(row(r.univariable))),
        "hr_adjusted": Phrase(_hr_phrase(row(r.multivariable.table))),
    }


def facts(ctx: ReportContext) -> SimpleNamespace:
    """The subgroup numbers the narrative quotes, as formatted phrases."""
    r = results(ctx)
    tdm1 = _key_facts(r, "tdm1_benefit")
    resistance = _key_facts(r, "trastuzumab_resistance")
    model = r.multivariable
    added = [v for v in model.selected or [] if v not in KEY_FACTORS]
    added_text = (", ".join(subgroup_tables.lower_first(subgroup_tables.factor_label(v)) for v in added)
                  if added else "no other factor")
    epv = model.events_per_variable
    n_parameters = sum(len(c) for c in model.terms.values())
    epv_text = "no estimable parameter" if epv is None else (
        f"{fmt_number(epv, 1)} events per estimated parameter ({model.events:,} events, "
        f"{n_parameters} parameters)")
    epv_warning = (" No events-per-parameter check applies." if epv is None else
                   " This is at least 10 events per parameter, the usual minimum for stable "
                   "adjusted estimates." if epv >= 10 else
                   " This is below 10 events per parameter, so the adjusted estimates may be unstable "
                   "and exaggerated.")
    if r.ph is None:
        ph_text = "could not be computed"
    else:
        global_row = r.ph[r.ph["variable"] == "GLOBAL"].iloc[0]
        ph_text = (f"gave a global {fmt_p_phrase(global_row.p)}" if global_row.estimable
                   else "is not meaningful (a level without a finite hazard ratio)")
        smallest = r.ph[r.ph["variable"] != "GLOBAL"].sort_values("p").iloc[0]
        ph_text += (f"; the smallest per-factor p was {fmt_p(smallest.p)} "
                    f"({subgroup_tables.lower_first(subgroup_tables.factor_label(smallest.variable))})")
    missing = [row for table in (r.univariable, model.table)
               for row in not_estimable_levels(table).itertuples()]
    seen = dict.fromkeys((row.variable, row.level) for row in missing)
    named = [f"{subgroup_tables.lower_first(subgroup_tables.factor_label(v))} "
             f"{subgroup_tables.level_label(v, lv)}" for v, lv in seen]
    not_estimable = ("every hazard ratio was estimable" if not seen else
                     "the hazard ratio was not estimable for " + "; ".join(named)
                     + " (no events, or no finite estimate)")
    return SimpleNamespace(
        n=Phrase(f"{ctx.n:,}"),
        tdm1_medians=tdm1["medians"], tdm1_logrank=tdm1["logrank"], tdm1_hr=tdm1["hr"],
        tdm1_hr_adjusted=tdm1["hr_adjusted"],
        resistance_medians=resistance["medians"], resistance_logrank=resistance["logrank"],
        resistance_hr=resistance["hr"], resistance_hr_adjusted=resistance["hr_adjusted"],
        selected=Phrase(added_text),
        n_model=Phrase(f"{model.n:,}"),
        epv=Phrase(epv_text), epv_warning=Phrase(epv_warning),
        ph=Phrase(ph_text),
        not_estimable=Phrase(not_estimable),
    )
