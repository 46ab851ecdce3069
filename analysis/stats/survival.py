"""Kaplan–Meier curves, median survival with its intervals, landmark rates, follow-up, log-rank.

R's survival package (3.x) is the reference: every function here reproduces the corresponding
R output (``survfit``, ``quantile.survfit``, ``summary.survfit``, ``survdiff``) to 1e-6 or better.
lifelines computes the Kaplan–Meier estimate with its event table and the log-rank test; this
module keeps only what lifelines lacks (R's log band, the Brookmeyer–Crowley median interval and
midpoint rule, the SPSS interval, numbers at risk at ticks), each docstring saying so;
tests/test_survival.py checks this against fixtures written by tests/reference/make_reference.R.
Inputs are ``time`` (months, float >= 0) and ``event`` (1 = progression or death, 0 = censored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import group_survival_table_from_events
from numpy.typing import ArrayLike
from scipy import special

CONF_TYPES = ("log", "log-log", "plain")

# R's quantile.survfit treats survival values within sqrt(machine epsilon) of the target as equal.
R_TOLERANCE = float(np.sqrt(np.finfo(float).eps))

KM_COLUMNS = ["time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"]
AT_TIMES_COLUMNS = ["time", "estimate", "lower", "upper", "n_risk", "std_err"]


# ---------------------------------------------------------------------------------------------
# Input checks and shared formulas


def survival_data(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return (time, event) as float arrays; raise on missing, negative or non-0/1 values.

    Missing values raise instead of being dropped, so that no patient leaves an analysis silently.
    """
    t = np.asarray(time, dtype=float).ravel()
    e = np.asarray(event, dtype=float).ravel()
    if t.shape != e.shape:
        raise ValueError(f"time ({t.size}) and event ({e.size}) differ in length")
    if t.size == 0:
        raise ValueError("no observations")
    if np.isnan(t).any() or np.isnan(e).any():
        raise ValueError("time or event has missing values; exclude those patients explicitly")
    if (t < 0).any():
        raise ValueError("time must be >= 0")
    if not np.isin(e, (0.0, 1.0)).all():
        raise ValueError("event must be 0 (censored) or 1 (event)")
    return t, e


def z_value(conf_level: float) -> float:
    """Two-sided standard-normal quantile for a confidence level (1.959964 for 0.95)."""
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must be between 0 and 1")
    return float(special.ndtri(1 - (1 - conf_level) / 2))


def chi_square_p(chisq: float, df: int) -> float:
    """Upper tail of the chi-square distribution (R's pchisq(chisq, df, lower.tail = FALSE))."""
    return float(special.chdtrc(df, chisq))


def normal_two_sided_p(z: float) -> float:
    """Two-sided standard-normal p-value of a Wald statistic z."""
    return float(2 * special.ndtr(-abs(z)))


def pointwise_band(
    survival: np.ndarray, se_log: np.ndarray, conf_level: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence limits of S(t) from the Greenwood SE of log S(t), as R's survfit_confint.

    Ours because lifelines' KaplanMeierFitter offers only the log-log band (its issue 424), not
    R's default "log" nor "plain".

    log: S·exp(±z·se); log-log: S^exp(±z·se/log S); plain: S ± z·se·S, clipped to [0, 1].
    Limits are NaN where R gives NA (S = 0 for log and plain; S = 0 or 1 for log-log).
    """
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, not {conf_type!r}")
    z = z_value(conf_level)
    s = np.asarray(survival, dtype=float)
    se = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half_width = se * s * z
            lower = np.maximum(s - half_width, 0.0)
            upper = np.minimum(s + half_width, 1.0)
        elif conf_type == "log":
            log_s = np.log(np.where(s == 0, np.nan, s))
            lower = np.exp(log_s - z * se)
            upper = np.minimum(np.exp(log_s + z * se), 1.0)
        else:  # log-log
            s_ok = np.where((s == 0) | (s == 1), np.nan, s)
            shift = z * se / np.log(s_ok)
            log_minus_log = np.log(-np.log(s_ok))
            lower = np.exp(-np.exp(log_minus_log - shift))
            upper = np.exp(-np.exp(log_minus_log + shift))
    return lower, upper


# ---------------------------------------------------------------------------------------------
# Kaplan–Meier


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier curve: one row per distinct observed time, as R's ``survfit`` object.

    ``std_err`` is the Greenwood standard error of S(t) on the survival scale (R's
    ``summary(fit)$std.err``); ``lower``/``upper`` are pointwise limits with ``conf_type``;
    ``fitter`` is lifelines' fitted KaplanMeierFitter behind the table.
    """

    table: pd.DataFrame
    conf_level: float
    conf_type: str
    n: int
    events: int
    fitter: KaplanMeierFitter | None = field(default=None, repr=False, compare=False)

    def survival_at(self, times: ArrayLike) -> pd.DataFrame:
        """S(t) at given times, as R's ``summary(fit, times=..., extend=TRUE)``.

        The estimate is the right-continuous step value at t (an event at t counts); n_risk is the
        number still under observation at t (observed time >= t). Rows keep the order of ``times``.
        """
        t = np.atleast_1d(np.asarray(times, dtype=float))
        if np.isnan(t).any() or (t < 0).any():
            raise ValueError("times must be non-missing and >= 0")
        tab = self.table
        observed = tab["time"].to_numpy()
        row = np.searchsorted(observed, t, side="right") - 1  # last observed time <= t
        before_first = row < 0
        safe_row = np.maximum(row, 0)

        def at_rows(column: str, value_before_first: float) -> np.ndarray:
            return np.where(before_first, value_before_first, tab[column].to_numpy()[safe_row])

        next_row = np.searchsorted(observed, t, side="left")  # first observed time >= t
        n_risk_padded = np.append(tab["n_risk"].to_numpy(), 0)
        return pd.DataFrame(
            {
                "time": t,
                "estimate": at_rows("survival", 1.0),
                "lower": at_rows("lower", 1.0),
                "upper": at_rows("upper", 1.0),
                "n_risk": n_risk_padded[next_row].astype(int),
                "std_err": at_rows("std_err", 0.0),
            },
            columns=AT_TIMES_COLUMNS,
        )

    def step_frame(self) -> pd.DataFrame:
        """time/survival/lower/upper with a first row at time 0 (S = 1), for a step plot (steps-post)."""
        start = pd.DataFrame({"time": [0.0], "survival": [1.0], "lower": [1.0], "upper": [1.0]})
        steps = self.table[["time", "survival", "lower", "upper"]]
        return pd.concat([start, steps], ignore_index=True)

    def censor_times(self) -> pd.DataFrame:
        """Times and S(t) of censored observations (with their count), for censor marks on a plot."""
        censored = self.table[self.table["n_censor"] > 0]
        return censored[["time", "survival", "n_censor"]].reset_index(drop=True)


def kaplan_meier(
    time: ArrayLike, event: ArrayLike, conf_level: float = 0.95, conf_type: str = "log"
) -> KaplanMeier:
    """Kaplan–Meier estimate with Greenwood variance and a pointwise band, equal to R's ``survfit``.

    The estimate and its event table (numbers at risk, events, censored) are lifelines'
    ``KaplanMeierFitter``. The band is ours: lifelines offers only log-log limits, while R's
    default is "log"; conf_type is "log" (R default), "log-log" (SAS default) or "plain", from
    the Greenwood variance of the same event table.
    """
    t, e = survival_data(time, event)
    fitter = KaplanMeierFitter().fit(t, e)
    events = fitter.event_table
    events = events[events["removed"] > 0]  # lifelines adds a row at time 0 without patients
    n_risk = events["at_risk"].to_numpy(float)
    n_event = events["observed"].to_numpy(float)
    survival = fitter.survival_function_.iloc[:, 0].reindex(events.index).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood on the log scale; infinite once everyone left has had the event (as R).
        se_log = np.sqrt(np.cumsum(n_event / (n_risk * (n_risk - n_event))))
        std_err = np.where(survival == 0, np.nan, se_log * survival)
    lower, upper = pointwise_band(survival, se_log, conf_level, conf_type)
    table = pd.DataFrame(
        {
            "time": events.index.to_numpy(float),
            "n_risk": n_risk.astype(int),
            "n_event": n_event.astype(int),
            "n_censor": events["censored"].to_numpy().astype(int),
            "survival": survival,
            "std_err": std_err,
            "lower": lower,
            "upper": upper,
        },
        columns=KM_COLUMNS,
    )
    return KaplanMeier(table, conf_level, conf_type, n=int(t.size), events=int(e.sum()),
                       fitter=fitter)


# ---------------------------------------------------------------------------------------------
# Median survival


@dataclass(frozen=True)
class MedianSurvival:
    """A median time with its interval; None where the curve (or a limit) does not reach 0.5."""

    estimate: float | None
    lower: float | None
    upper: float | None
    method: str
    se: float | None = None


def _none_if_nan(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def r_quantile_time(x: np.ndarray, curve: np.ndarray, p: float = 0.5, tol: float = R_TOLERANCE) -> float:
    """Time at which a survival curve (or a band limit) first falls to 1 − p, as R's ``findq``.

    Mirrors survival:::findq used by quantile.survfit: with y = 1 − curve prefixed by 0 at time 0,
    drop repeated y values (keeping the first) and missing ones, then take the knot of the smallest
    y >= p − tol (``indx1``) and of the smallest y >= p + tol (``indx2``); the answer is the midpoint
    of their times, so a curve sitting exactly at 1 − p over an interval gives the interval's
    midpoint. If the last distinct value equals p, the midpoint with the last observed time is used.
    NaN when the curve never reaches 1 − p. Ours because lifelines' median_survival_time_ has no
    midpoint rule (it takes the first time S <= 0.5).
    """
    xs_all = np.concatenate(([0.0], np.asarray(x, dtype=float)))
    y_all = np.concatenate(([0.0], 1.0 - np.asarray(curve, dtype=float)))
    if np.all(np.isnan(y_all)) or np.nanmax(y_all) < p:
        return np.nan
    if p == 0:
        return float(xs_all[0])
    last_time = xs_all[-1]
    first_occurrence = ~pd.Series(y_all).duplicated().to_numpy()
    xs, ys = xs_all[first_occurrence], y_all[first_occurrence]
    last_is_missing = np.isnan(ys[-1])
    finite = ~np.isnan(ys)
    xs, ys = xs[finite], ys[finite]

    def knot_of_smallest_at_least(values: np.ndarray) -> int | None:
        candidates = np.flatnonzero(values >= p)
        return None if candidates.size == 0 else int(candidates[np.argmin(values[candidates])])

    index1 = knot_of_smallest_at_least(ys + tol)
    index2 = knot_of_smallest_at_least(ys - tol)
    quantile = np.nan
    if index1 is not None and index2 is not None:
        quantile = (xs[index1] + xs[index2]) / 2
    if not last_is_missing and abs(p - ys[-1]) < tol and index1 is not None:
        quantile = (xs[index1] + last_time) / 2
    return float(quantile)


def median_brookmeyer_crowley(
    time: ArrayLike, event: ArrayLike, conf_level: float = 0.95, conf_type: str = "log"
) -> MedianSurvival:
    """Kaplan–Meier median with the Brookmeyer–Crowley interval, equal to R's ``quantile(fit, 0.5)``.

    Median: first time S(t) <= 0.5 (midpoint where S sits exactly at 0.5 over an interval). Interval
    (Brookmeyer & Crowley 1982): the times at which the pointwise band of ``conf_type`` crosses 0.5.
    R's ``print(fit)`` uses a slightly different rule in two edge cases (curve ending exactly at
    0.5; a non-monotone upper limit); this function follows ``quantile.survfit``. Ours because
    lifelines' median_survival_times(confidence_interval_) crosses its log-log band, not R's log.
    """
    km = kaplan_meier(time, event, conf_level, conf_type)
    tab = km.table
    x = tab["time"].to_numpy()
    return MedianSurvival(
        estimate=_none_if_nan(r_quantile_time(x, tab["survival"].to_numpy())),
        lower=_none_if_nan(r_quantile_time(x, tab["lower"].to_numpy())),
        upper=_none_if_nan(r_quantile_time(x, tab["upper"].to_numpy())),
        method=f"Kaplan–Meier median; Brookmeyer–Crowley {conf_level:.0%} interval, "
        f"{conf_type} transform",
    )


SPSS_MEDIAN_RULE = (
    "Kaplan–Meier median (first time S <= 0.5) ± z·SE, SE = Greenwood SE of S(median) / f, "
    "f = (S(u) − S(l)) / (l − u), u = last event time with S >= 0.55, l = first event time with "
    "S <= 0.45 (SPSS-style symmetric interval)"
)


def median_symmetric_spss(time: ArrayLike, event: ArrayLike, conf_level: float = 0.95) -> MedianSurvival:
    """Kaplan–Meier median with the symmetric SE-based interval that SPSS prints (median ± z·SE).

    SE(median) = SE[S(m)] / f̂, where SE[S(m)] is the Greenwood standard error of S at the median m
    and f̂ = (S(û) − S(l̂)) / (l̂ − û) is a crude density, û = the largest event time with S >= 0.55
    and l̂ = the smallest event time with S <= 0.45 (Klein & Moeschberger, Survival Analysis, 2nd
    ed., §4.5, Practical Note 3; Collett, Modelling Survival Data in Medical Research, §2.4;
    Marques de Sá, Applied Statistics Using SPSS, STATISTICA, MATLAB and R, eq. 9.17; Barker,
    Am Stat 2009;63(1)). The exact û/l̂ choice inside SPSS is not documented by IBM: this is
    the rule stated in those references. Thresholds are compared with R's tolerance (1.5e-8);
    the interval is not truncated at 0, as SPSS prints it. If û or l̂ does not exist the interval
    is None and ``method`` says why; if the median is not reached everything is None. Ours:
    lifelines has no symmetric median interval.
    """
    km = kaplan_meier(time, event, conf_level, "log")
    events_rows = km.table[km.table["n_event"] > 0]
    s = events_rows["survival"].to_numpy()
    t = events_rows["time"].to_numpy()
    reached = np.flatnonzero(s <= 0.5 + R_TOLERANCE)
    if reached.size == 0:
        return MedianSurvival(None, None, None, method=SPSS_MEDIAN_RULE + "; median not reached")
    median = float(t[reached[0]])
    se_survival = float(events_rows["std_err"].to_numpy()[reached[0]])
    above = np.flatnonzero(s >= 0.55 - R_TOLERANCE)
    below = np.flatnonzero(s <= 0.45 + R_TOLERANCE)
    if above.size == 0 or below.size == 0:
        missing = "no event time with S >= 0.55" if above.size == 0 else "no event time with S <= 0.45"
        return MedianSurvival(median, None, None, f"{SPSS_MEDIAN_RULE}; interval not computed: {missing}")
    u, l = above[-1], below[0]
    density = (s[u] - s[l]) / (t[l] - t[u])
    se = se_survival / density
    half_width = z_value(conf_level) * se
    if not np.isfinite(half_width):
        return MedianSurvival(median, None, None, f"{SPSS_MEDIAN_RULE}; interval not computed: SE not finite")
    return MedianSurvival(median, median - half_width, median + half_width, SPSS_MEDIAN_RULE, se=float(se))


# ---------------------------------------------------------------------------------------------
# Landmarks, follow-up and risk tables


def landmark_survival(
    time: ArrayLike, event: ArrayLike, at: Sequence[float] = (6, 12, 18, 24), conf_level: float = 0.95
) -> pd.DataFrame:
    """Kaplan–Meier S(t) at landmark times with log-transform limits (R default) and the number at risk."""
    return kaplan_meier(time, event, conf_level, "log").survival_at(at)


def median_followup(time: ArrayLike, event: ArrayLike, conf_level: float = 0.95) -> MedianSurvival:
    """Median follow-up by reverse Kaplan–Meier (Schemper & Smith 1996): censoring is the 'event'.

    Equal to R's ``quantile(survfit(Surv(time, 1 - event) ~ 1), 0.5)``, Brookmeyer–Crowley log interval.
    """
    t, e = survival_data(time, event)
    result = median_brookmeyer_crowley(t, 1.0 - e, conf_level, "log")
    return MedianSurvival(
        result.estimate,
        result.lower,
        result.upper,
        method=f"reverse Kaplan–Meier median follow-up (Schemper & Smith 1996); Brookmeyer–Crowley "
        f"{conf_level:.0%} interval, log transform",
    )


def numbers_at_risk(time: ArrayLike, ticks: ArrayLike) -> np.ndarray:
    """Patients still at risk at each tick (observed time >= tick), R's risk-set definition.

    Ours because lifelines' add_at_risk_counts counts patients followed beyond the tick, which
    differs from R when an event or censoring falls exactly on a tick.
    """
    t = np.sort(np.asarray(time, dtype=float).ravel())
    if np.isnan(t).any():
        raise ValueError("time has missing values")
    return t.size - np.searchsorted(t, np.asarray(ticks, dtype=float), side="left")


# ---------------------------------------------------------------------------------------------
# Log-rank test


@dataclass(frozen=True)
class LogRank:
    """Log-rank test across groups, as R's ``survdiff`` (observed/expected events keyed by group)."""

    chisq: float
    df: int
    p: float
    observed: dict
    expected: dict
    excluded: int = 0


def logrank_test(time: ArrayLike, event: ArrayLike, group: ArrayLike) -> LogRank:
    """Log-rank (Mantel–Haenszel) test for any number of groups, equal to R's ``survdiff(... ~ group)``.

    The statistic is lifelines' ``multivariate_logrank_test`` (for two groups the same as its
    ``logrank_test``). Groups whose patients all leave before the first event contribute no
    information; R drops them from the degrees of freedom, lifelines does not, so they are left
    out of lifelines' test here. lifelines' result carries no observed/expected events per
    group, which survdiff prints: they come from lifelines' ``group_survival_table_from_events``.
    Patients with a missing group are excluded and counted in ``excluded`` (R's na.omit).
    """
    t, e = survival_data(time, event)
    groups = pd.Series(np.asarray(group, dtype=object).ravel())
    if groups.size != t.size:
        raise ValueError("group and time differ in length")
    present = groups.notna().to_numpy()
    t, e, groups = t[present], e[present], groups[present].reset_index(drop=True)
    codes, labels = pd.factorize(groups, sort=True)  # np.unique's sorted labels, by hashing
    observed, expected = _observed_and_expected(t, e, codes, labels.size)

    informative = expected > 0
    df = int(informative.sum()) - 1
    chisq, p = 0.0, np.nan
    if df >= 1:
        keep = informative[codes]
        result = multivariate_logrank_test(t[keep], codes[keep], e[keep])
        chisq, p = float(result.test_statistic), float(result.p_value)
    return LogRank(
        chisq=chisq,
        df=df,
        p=p,
        observed={label: float(o) for label, o in zip(labels, observed)},
        expected={label: float(x) for label, x in zip(labels, expected)},
        excluded=int((~present).sum()),
    )


def _observed_and_expected(
    t: np.ndarray, e: np.ndarray, codes: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected events per group (survdiff's O and E), from lifelines' group tables."""
    _, removed, deaths, _ = group_survival_table_from_events(codes, t, e)
    removed = removed.reindex(columns=[f"removed:{g}" for g in range(n_groups)], fill_value=0)
    deaths = deaths.reindex(columns=[f"observed:{g}" for g in range(n_groups)], fill_value=0)
    removed_before = removed.cumsum().shift(1, fill_value=0).to_numpy(float)
    at_risk = removed.sum().to_numpy(float) - removed_before  # times x groups
    d = deaths.to_numpy(float).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(d > 0, d / at_risk.sum(axis=1), 0.0)
    return deaths.to_numpy(float).sum(axis=0), share @ at_risk
