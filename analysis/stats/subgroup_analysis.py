"""Subgroup statistics for PFS and response (exploratory): no plotting, no formatting.

* ``FACTORS``: every baseline factor with its reference level, in table order; the two key
  factors (``KEY_FACTORS``: prior T-DM1 benefit, trastuzumab resistance) first. It is the
  dictionary tests/reference/make_reference.R fits, so the Cox results can be checked against R.
* ``pfs_by_level`` / ``pfs_by_subgroup``: per level n, events and the Kaplan–Meier median with
  its Brookmeyer–Crowley interval (log transform, R's default), and the log-rank test of the factor
  (R's survdiff).
* ``univariable_table``, ``multivariable_model`` (the pre-specified model of
  analysis.study.model_design), ``screened_model`` (sensitivity analysis: covariates screened on
  univariable p), ``multivariable_factor_tests``, ``proportional_hazards_table``: the Cox models
  of analysis.stats.cox (Efron ties, as R's coxph) with the project's factors, a likelihood-ratio
  test per factor of a multivariable model, and the proportional-hazards test (R's cox.zph, KM
  transform).
* ``rmst``: restricted mean survival time at 12 and 24 months, overall and by key factor, with the
  difference between levels (analysis.stats.rmst).
* ``response_by_subgroup``: ORR and CBR per level of a two-level split of each factor, with
  Fisher's exact test on the 2×2 table.

Everything is vectorised over patients (group counts, not loops over rows), so it runs at
N = 100,000.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.study.model_design import (
    KEY_FACTORS,
    PRESPECIFIED_COVARIATES,
    SELECTION_THRESHOLD,
)

from . import cox
from .cox import level_labels, level_order
from .rmst import RMST_HORIZONS, rmst_table
from .survival import chi_square_p, logrank_test, median_brookmeyer_crowley

#: Baseline factor -> reference level, in table order (key factors first). The same dictionary as
#: tests/reference/make_reference.R, so the Cox fixtures written by R check these very models.
FACTORS: dict[str, str] = {
    "tdm1_benefit": "no",
    "trastuzumab_resistance": "primary",
    "age_group": "<50",
    "hormone_receptor": "negative",
    "ecog": "0",
    "visceral_metastasis": "no",
    "brain_metastasis": "no",
    "prior_lines_group": "≤2",
    "prior_pertuzumab": "no",
    "prior_lapatinib": "no",
    "tki_agent": "pyrotinib",
    "tki_partner": "capecitabine",
}

#: The pre-specified multivariable model: the key factors, then the declared clinical covariates.
PRESPECIFIED_FACTORS: tuple[str, ...] = KEY_FACTORS + PRESPECIFIED_COVARIATES

SUMMARY_COLUMNS = ["variable", "level", "reference", "n", "events", "median", "lower", "upper",
                   "logrank_chisq", "logrank_df", "logrank_p", "missing"]
RESPONSE_COLUMNS = ["variable", "level", "members", "n", "orr_n", "orr_pct", "cbr_n", "cbr_pct",
                    "orr_p", "cbr_p", "missing"]

FISHER_METHOD = ("Fisher's exact test, two-sided, on the 2×2 table of subgroup by response "
                 "(scipy.stats.fisher_exact; the same p as R's fisher.test)")


# ---------------------------------------------------------------------------------------------
# PFS by level: counts, medians, log-rank


def pfs_by_level(data: pd.DataFrame, variable: str, reference: str | None = None,
                 duration: str = "pfs_months", event: str = "pfs_event",
                 conf_level: float = 0.95) -> pd.DataFrame:
    """One row per level of ``variable``: n, events, KM median with Brookmeyer–Crowley interval.

    Medians and limits are NaN where not reached (R's quantile.survfit, ``conf.type = "log"``).
    ``logrank_*`` (the same on every row) is the log-rank test across the levels (R's survdiff);
    ``missing`` counts patients without a recorded value, left out of every row and of the test.
    """
    labels = level_labels(data[variable])
    time = data[duration].to_numpy(float)
    status = data[event].to_numpy(float)
    levels = level_order(data[variable], reference)
    test = logrank_test(time, status, labels) if len(levels) > 1 else None
    rows = []
    for level in levels:
        mask = (labels == level).to_numpy()
        median = median_brookmeyer_crowley(time[mask], status[mask], conf_level, "log")
        rows.append({
            "variable": variable, "level": level, "reference": level == reference,
            "n": int(mask.sum()), "events": int(status[mask].sum()),
            "median": median.estimate, "lower": median.lower, "upper": median.upper,
            "logrank_chisq": test.chisq if test else np.nan,
            "logrank_df": test.df if test else 0,
            "logrank_p": test.p if test else np.nan,
            "missing": int(labels.isna().sum()),
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def pfs_by_subgroup(data: pd.DataFrame, factors: Mapping[str, str] = FACTORS,
                    duration: str = "pfs_months", event: str = "pfs_event",
                    conf_level: float = 0.95) -> pd.DataFrame:
    """``pfs_by_level`` for every factor, stacked in the order of ``factors``."""
    frames = [pfs_by_level(data, v, r, duration, event, conf_level) for v, r in factors.items()]
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Cox models


def univariable_table(data: pd.DataFrame, factors: Mapping[str, str] = FACTORS,
                      duration: str = "pfs_months", event: str = "pfs_event") -> pd.DataFrame:
    """One Cox model per factor (analysis.stats.cox.univariable_cox): HR, Wald CI and p per level,
    ``p_overall`` = likelihood-ratio test of the factor, ``n_analysed``/``excluded`` per model."""
    return cox.univariable_cox(data, dict(factors), duration, event)


def multivariable_model(data: pd.DataFrame, factors: Mapping[str, str] = FACTORS,
                        model: Sequence[str] = PRESPECIFIED_FACTORS,
                        duration: str = "pfs_months", event: str = "pfs_event") -> cox.CoxResult:
    """The primary multivariable model: exactly the pre-specified factors ``model`` (reference
    levels from ``factors``), no selection (analysis.stats.cox.prespecified_cox); ``.events_per_variable``
    is events per estimated parameter, with a warning in ``.warnings`` below 10."""
    chosen = {v: factors[v] for v in model if v in factors and v in data.columns}
    return cox.prespecified_cox(data, chosen, duration, event)


def screened_model(data: pd.DataFrame, factors: Mapping[str, str] = FACTORS,
                   key: Sequence[str] = KEY_FACTORS, threshold: float = SELECTION_THRESHOLD,
                   duration: str = "pfs_months", event: str = "pfs_event",
                   univariable: pd.DataFrame | None = None) -> cox.CoxResult:
    """Sensitivity analysis only: the key factors plus every other factor with univariable
    likelihood-ratio p < threshold (analysis.stats.cox.screened_cox; ``.selected``, ``.selection``).
    Pass the `univariable_table` of the same data to reuse its fits."""
    key_part = {v: r for v, r in factors.items() if v in key}
    candidates = {v: r for v, r in factors.items() if v not in key}
    return cox.screened_cox(data, key_part, candidates, threshold, duration, event,
                            univariable=univariable)


def multivariable_factor_tests(data: pd.DataFrame, result: cox.CoxResult) -> pd.DataFrame:
    """Likelihood-ratio test of each factor of a fitted model: the model against the same model
    without that factor, fitted to the same patients (R: ``drop1(fit, test = "Chisq")``).

    Columns variable, chisq, df, p. With a single factor this is the model's own LR test. One
    refit per factor (analysis.stats.cox.cox_model on the model's complete cases).
    """
    columns = ["variable", "chisq", "df", "p"]
    if result.fit is None or not result.terms:
        return pd.DataFrame([], columns=columns)
    factors = {v: r for v, r in result.factors.items() if v in result.terms}
    analysed = data.loc[result.design.index]
    full = result.fit.log_likelihood_
    rows = []
    for variable in factors:
        if len(factors) == 1:
            chisq = result.lr_chisq
        else:
            reduced = cox.cox_model(analysed, {v: r for v, r in factors.items() if v != variable},
                                    result.duration, result.event)
            chisq = (np.nan if reduced.fit is None
                     else max(2.0 * (full - reduced.fit.log_likelihood_), 0.0))
        df = len(result.terms[variable])
        rows.append({"variable": variable, "chisq": chisq, "df": df,
                     "p": chi_square_p(chisq, df) if np.isfinite(chisq) else np.nan})
    return pd.DataFrame(rows, columns=columns)


def not_estimable_levels(table: pd.DataFrame) -> pd.DataFrame:
    """Non-reference rows of a Cox table whose hazard ratio is NaN (no events, or separation)."""
    rows = table[~table["reference"].astype(bool) & table["hr"].isna()]
    return rows.reset_index(drop=True)


def proportional_hazards_table(result: cox.CoxResult) -> pd.DataFrame:
    """analysis.stats.cox.proportional_hazards_test (R's cox.zph, KM transform) of a fitted model, with
    ``estimable`` False for a factor that has a level without a finite hazard ratio (the test is
    not meaningful there)."""
    zph = cox.proportional_hazards_test(result)
    bad = set(not_estimable_levels(result.table)["variable"]) & set(result.terms)
    zph["estimable"] = ~zph["variable"].isin(bad)
    if bad:
        zph.loc[zph["variable"] == "GLOBAL", "estimable"] = False
    return zph


# ---------------------------------------------------------------------------------------------
# Response by subgroup


@dataclass(frozen=True)
class Split:
    """A two-level split of a factor: ``level`` against ``other``.

    ``pooled``: every other recorded value is pooled into ``other`` (e.g. ECOG 1 and ≥2 as "≥1");
    otherwise the factor must have exactly these two values.
    """

    variable: str
    level: str
    other: str
    pooled: bool = False


#: Two-level splits for ORR and CBR, so that each test is the exact 2×2 Fisher test. The first
#: level is the factor's reference level (FACTORS), the order of every table and figure.
RESPONSE_SPLITS: tuple[Split, ...] = (
    Split("tdm1_benefit", "no", "yes"),
    Split("trastuzumab_resistance", "primary", "acquired"),
    Split("age_group", "<50", "≥50"),
    Split("hormone_receptor", "negative", "positive"),
    Split("ecog", "0", "≥1", pooled=True),
    Split("visceral_metastasis", "no", "yes"),
    Split("brain_metastasis", "no", "yes"),
    Split("prior_lines_group", "≤2", "≥3"),
    Split("prior_pertuzumab", "no", "yes"),
    Split("prior_lapatinib", "no", "yes"),
    Split("tki_agent", "pyrotinib", "other", pooled=True),
    Split("tki_partner", "capecitabine", "other", pooled=True),
)


def split_labels(data: pd.DataFrame, split: Split) -> pd.Series:
    """The split's level (``split.level`` or ``split.other``) per patient; missing stays missing."""
    labels = level_labels(data[split.variable])
    recorded = labels.notna()
    if not split.pooled:
        unexpected = sorted(set(labels[recorded]) - {split.level, split.other})
        if unexpected:
            raise ValueError(f"{split.variable}: values {unexpected} are neither {split.level!r} "
                             f"nor {split.other!r}; declare the split as pooled")
    out = pd.Series(np.where(labels == split.level, split.level, split.other), index=data.index,
                    dtype=object)
    return out.where(recorded, None)


def fisher_2x2(responders: Sequence[int], totals: Sequence[int]) -> float:
    """Two-sided Fisher exact p of responders/non-responders in two groups (NaN if a group is empty).

    SciPy's ``fisher_exact`` on the 2×2 table, the same p as R's ``fisher.test``. Deliberately not
    an r×c test, whose p is a Monte Carlo estimate.
    """
    (a, b), (n_a, n_b) = responders, totals
    if n_a == 0 or n_b == 0:
        return np.nan
    table = [[int(a), int(n_a - a)], [int(b), int(n_b - b)]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


def response_by_subgroup(data: pd.DataFrame, splits: Sequence[Split] = RESPONSE_SPLITS,
                         orr: str = "objective_response", cbr: str = "clinical_benefit") -> pd.DataFrame:
    """ORR and CBR per level of each two-level split, with Fisher's exact p (per split, both rows).

    Denominator: patients with the factor recorded in that level (NE counts as non-response, as
    in the overall rates); ``members`` lists the original values of a pooled level ("1;≥2");
    ``missing`` counts patients without a recorded value (left out of that comparison).
    """
    rows = []
    flags = data[[orr, cbr]].astype(float)
    for split in splits:
        labels = split_labels(data, split)
        levels = [split.level, split.other]
        counts = flags.groupby(labels, dropna=True).agg(["sum", "count"]).reindex(levels, fill_value=0)
        n = counts[(orr, "count")].to_numpy(int)
        orr_n = counts[(orr, "sum")].to_numpy(int)
        cbr_n = counts[(cbr, "sum")].to_numpy(int)
        orr_p, cbr_p = fisher_2x2(orr_n, n), fisher_2x2(cbr_n, n)
        originals = level_labels(data[split.variable])
        for i, level in enumerate(levels):
            members = sorted(set(originals[labels == level].dropna()))
            with np.errstate(invalid="ignore", divide="ignore"):
                rows.append({
                    "variable": split.variable, "level": level, "members": ";".join(members),
                    "n": int(n[i]), "orr_n": int(orr_n[i]),
                    "orr_pct": 100 * orr_n[i] / n[i] if n[i] else np.nan,
                    "cbr_n": int(cbr_n[i]), "cbr_pct": 100 * cbr_n[i] / n[i] if n[i] else np.nan,
                    "orr_p": orr_p, "cbr_p": cbr_p, "missing": int(labels.isna().sum()),
                })
    frame = pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
    frame.attrs["method"] = FISHER_METHOD
    return frame


# ---------------------------------------------------------------------------------------------
# Everything the section needs, computed once


@dataclass
class SubgroupResults:
    """All subgroup statistics of one dataset (the Cox fits are the expensive part at large N).

    ``multivariable`` is the pre-specified model; ``screened`` the sensitivity model with
    covariates screened on univariable p; ``rmst``/``rmst_difference`` the restricted means at
    12 and 24 months overall and by key factor, and the differences between levels.
    """

    pfs: pd.DataFrame
    univariable: pd.DataFrame
    multivariable: cox.CoxResult
    factor_tests: pd.DataFrame
    ph: pd.DataFrame | None
    response: pd.DataFrame
    screened: cox.CoxResult
    screened_tests: pd.DataFrame
    rmst: pd.DataFrame
    rmst_difference: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def analyse(data: pd.DataFrame, factors: Mapping[str, str] = FACTORS,
            key: Sequence[str] = KEY_FACTORS, threshold: float = SELECTION_THRESHOLD,
            splits: Sequence[Split] = RESPONSE_SPLITS,
            taus: Sequence[float] = RMST_HORIZONS) -> SubgroupResults:
    """Every subgroup statistic of the section, for one analysis dataset."""
    present = {v: r for v, r in factors.items() if v in data.columns}
    univariable = univariable_table(data, present)
    multivariable = multivariable_model(data, present)
    screened = screened_model(data, present, key, threshold, univariable=univariable)
    notes: list[str] = []
    try:
        ph = proportional_hazards_table(multivariable)
    except ValueError as error:
        ph, notes = None, [f"proportional-hazards test not computed: {error}"]
    rmst, rmst_difference = rmst_table(data, {v: r for v, r in present.items() if v in key}, taus)
    return SubgroupResults(
        pfs=pfs_by_subgroup(data, present),
        univariable=univariable,
        multivariable=multivariable,
        factor_tests=multivariable_factor_tests(data, multivariable),
        ph=ph,
        response=response_by_subgroup(data, [s for s in splits if s.variable in data.columns]),
        screened=screened,
        screened_tests=multivariable_factor_tests(data, screened),
        rmst=rmst,
        rmst_difference=rmst_difference,
        notes=notes,
    )
