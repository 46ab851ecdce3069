"""Restricted mean survival time (RMST): the area under the Kaplan–Meier curve up to a horizon.

The proportional-hazards-free summary of a survival comparison (Royston & Parmar 2013): the
mean PFS over the first ``tau`` months, and the difference between two groups with its 95% CI.
Estimate and standard error are R survival's ``print(survfit(...), rmean = tau)`` (its
``survmean``): the estimate is lifelines' ``restricted_mean_survival_time`` of the Kaplan–Meier
fit (the curve extended flat to ``tau`` when follow-up ends earlier); the standard error is ours,
the Greenwood-type sum over event times of (area after t)² · d / (n (n − d)), because lifelines'
``return_variance`` gives the variance of min(T, tau) among patients, not of the estimate.
tests/test_rmst.py checks both against R fixtures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines.utils import restricted_mean_survival_time
from numpy.typing import ArrayLike

from .cox import level_labels, level_order
from .survival import kaplan_meier, normal_two_sided_p, survival_data, z_value

#: The horizons (months) of the report's RMST: one and two years.
RMST_HORIZONS: tuple[float, ...] = (12.0, 24.0)

RMST_METHOD = ("restricted mean survival time: area under the Kaplan–Meier curve from 0 to the "
               "horizon, standard error as R survival's print(survfit, rmean = tau); difference "
               "between levels with a normal 95% CI from the two independent standard errors")

BY_LEVEL_COLUMNS = ["variable", "level", "reference", "tau", "n", "events", "rmst", "se",
                    "lower", "upper"]
DIFFERENCE_COLUMNS = ["variable", "level", "reference_level", "tau", "difference", "se", "lower",
                      "upper", "p", "estimable", "reason"]


@dataclass(frozen=True)
class RestrictedMean:
    """RMST up to ``tau`` with its standard error and a symmetric interval (months)."""

    tau: float
    estimate: float
    se: float
    lower: float
    upper: float
    n: int
    events: int


def restricted_mean(time: ArrayLike, event: ArrayLike, tau: float,
                    conf_level: float = 0.95) -> RestrictedMean:
    """RMST of one group up to ``tau`` (R: ``summary(survfit(...), rmean = tau)$table``)."""
    if not tau > 0:
        raise ValueError("the RMST horizon tau must be positive")
    t, e = survival_data(time, event)
    if t.size == 0:
        raise ValueError("no patients: RMST is not defined")
    fit = kaplan_meier(t, e)
    km = fit.table
    keep = km["time"].to_numpy() <= tau
    times = np.append(km["time"].to_numpy()[keep], tau)
    survival = km["survival"].to_numpy()[keep]
    n_risk = km["n_risk"].to_numpy(float)[keep]
    n_event = km["n_event"].to_numpy(float)[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_term = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
    # Rectangles between consecutive times, at the survival just before each one.
    heights = np.concatenate(([1.0], survival))
    rectangles = np.diff(np.concatenate(([0.0], times))) * heights
    area_after = np.cumsum(rectangles[::-1])[::-1][1:]  # area after each observed time, to tau
    estimate = float(restricted_mean_survival_time(fit.fitter, t=float(tau)))
    se = float(np.sqrt(np.sum(area_after ** 2 * hazard_term)))
    z = z_value(conf_level)
    return RestrictedMean(tau=float(tau), estimate=estimate, se=se, lower=estimate - z * se,
                          upper=estimate + z * se, n=int(t.size), events=int(e.sum()))


def rmst_difference(a: RestrictedMean, b: RestrictedMean,
                    conf_level: float = 0.95) -> tuple[float, float, float, float, float]:
    """a − b with its standard error, interval and two-sided z-test p (independent groups)."""
    difference = a.estimate - b.estimate
    se = float(np.hypot(a.se, b.se))
    z = z_value(conf_level)
    p = normal_two_sided_p(difference / se) if se > 0 else np.nan
    return difference, se, difference - z * se, difference + z * se, p


def rmst_by_level(data: pd.DataFrame, variable: str | None, reference: str | None = None,
                  taus: Sequence[float] = RMST_HORIZONS, duration: str = "pfs_months",
                  event: str = "pfs_event") -> tuple[pd.DataFrame, pd.DataFrame]:
    """RMST per level of ``variable`` (or of all patients when None) at each horizon, and the
    difference of every other level from the reference (the first level).

    A factor with a single recorded level gets difference rows marked not estimable, with the
    reason, instead of an error: the comparison needs patients in two levels.
    """
    if variable is None:
        labels = pd.Series(["all"] * len(data), index=data.index, dtype=object)
        levels = ["all"]
    else:
        labels = level_labels(data[variable])
        levels = level_order(data[variable], reference)
    time = data[duration].to_numpy(float)
    status = data[event].to_numpy(float)
    rows, differences = [], []
    for tau in taus:
        means = {}
        for level in levels:
            mask = (labels == level).to_numpy()
            means[level] = restricted_mean(time[mask], status[mask], tau)
            m = means[level]
            rows.append({"variable": variable or "overall", "level": level,
                         "reference": level == levels[0], "tau": float(tau), "n": m.n,
                         "events": m.events, "rmst": m.estimate, "se": m.se, "lower": m.lower,
                         "upper": m.upper})
        if variable is None:
            continue
        base = levels[0] if levels else reference
        if len(levels) < 2:
            present = levels[0] if levels else "none"
            differences.append({
                "variable": variable, "level": None, "reference_level": base, "tau": float(tau),
                "difference": np.nan, "se": np.nan, "lower": np.nan, "upper": np.nan, "p": np.nan,
                "estimable": False,
                "reason": f"every patient with a recorded value is in one level ({present!r})"})
            continue
        for level in levels[1:]:
            d, se, lower, upper, p = rmst_difference(means[level], means[base])
            differences.append({"variable": variable, "level": level, "reference_level": base,
                                "tau": float(tau), "difference": d, "se": se, "lower": lower,
                                "upper": upper, "p": p, "estimable": True, "reason": ""})
    return (pd.DataFrame(rows, columns=BY_LEVEL_COLUMNS),
            pd.DataFrame(differences, columns=DIFFERENCE_COLUMNS))


def rmst_table(data: pd.DataFrame, factors: Mapping[str, str],
               taus: Sequence[float] = RMST_HORIZONS, duration: str = "pfs_months",
               event: str = "pfs_event") -> tuple[pd.DataFrame, pd.DataFrame]:
    """RMST overall and by each factor {column: reference level}, stacked; and the differences."""
    overall, _ = rmst_by_level(data, None, None, taus, duration, event)
    parts, differences = [overall], []
    for variable, reference in factors.items():
        by_level, difference = rmst_by_level(data, variable, reference, taus, duration, event)
        parts.append(by_level)
        differences.append(difference)
    by_level = pd.concat(parts, ignore_index=True)
    difference = (pd.concat(differences, ignore_index=True) if differences
                  else pd.DataFrame([], columns=DIFFERENCE_COLUMNS))
    by_level.attrs["method"] = difference.attrs["method"] = RMST_METHOD
    return by_level, difference
