"""Fitting a Cox proportional-hazards model: Efron's partial likelihood, Newton–Raphson.

The estimator of R's ``coxph(..., ties = "efron")`` (Therneau & Grambsch 2000, ch. 3): the
coefficients maximise Efron's approximation to the partial likelihood; standard errors come
from the inverse of the observed information at the maximum. Newton–Raphson starts at zero,
halves a step that lowers the log-likelihood (as R's ``coxfit6`` does) and stops when a step
changes no coefficient by more than ``STEP_TOLERANCE``, so the estimates sit at the maximum to
rounding level (R's fixtures, computed with ``eps = 1e-11``, agree to ~1e-9; tests/test_cox.py).

Every sum over a risk set is a reverse cumulative sum over the patients sorted by time, so one
iteration costs O(n·p²) whatever the number of tied times. This replaces lifelines'
``CoxPHFitter`` for speed (its import alone, with ``scipy.stats``, took longer than R's whole
analysis of 66 patients); tests/test_cox.py checks the fit against both R and lifelines.

For tied event times t with d events (set D) and risk set R, Efron's log-likelihood term is

    sum_{i in D} x_i'b  -  sum_{k=0}^{d-1} log( S0(R) - (k/d) S0(D) ),   S0(A) = sum_{i in A} exp(x_i'b)

with score and information from the first and second derivatives of the same sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A fit stops when no coefficient moves by more than this in a Newton step ...
STEP_TOLERANCE = 1e-10
#: ... or when a step raised the log-likelihood by less than this, relative: near the maximum
#: Newton's error is about the square of that step, and under monotone likelihood (a level
#: without events) the likelihood flattens while a coefficient runs off to infinity.
GAIN_TOLERANCE = 1e-13
#: Log-likelihoods closer than this, relative, are equal to rounding.
ROUNDING = 1e-13
MAX_STEPS = 200
MAX_HALVINGS = 30


@dataclass(frozen=True)
class CoxFit:
    """Estimates of one Efron Cox fit; arrays in the order of the design's columns.

    ``standard_errors`` are NaN where the information matrix is singular (a coefficient that
    runs off to infinity under monotone likelihood). ``converged`` is False when the steps
    had not settled after MAX_STEPS iterations or the information could not be inverted.
    """

    coefficients: np.ndarray
    standard_errors: np.ndarray
    log_likelihood: float
    null_log_likelihood: float
    iterations: int
    converged: bool

    @property
    def likelihood_ratio_chisq(self) -> float:
        """2 × (log-likelihood at the estimates − at b = 0): the model's likelihood-ratio statistic."""
        return max(2.0 * (self.log_likelihood - self.null_log_likelihood), 0.0)


class _RiskSets:
    """The data sorted by time and grouped by distinct time: what every evaluation needs.

    Sums over a risk set {time >= t} are reverse cumulative sums over the distinct times
    (after summing within each time), so the work per evaluation is one pass over the
    patients plus one over the distinct times.
    """

    def __init__(self, time: np.ndarray, event: np.ndarray, x: np.ndarray) -> None:
        order = np.argsort(time, kind="stable")
        self.time, self.event = time[order], event[order].astype(bool)
        self.x = x[order] - x.mean(axis=0)  # centred, as R does: same likelihood, better conditioned
        self.dead_x_sum = self.x[self.event].sum(axis=0)
        distinct_times, self.time_start = np.unique(self.time, return_index=True)
        event_times, self.event_start = np.unique(self.time[self.event], return_index=True)
        # the distinct time (row of the grouped sums) of each event time
        self.event_time_row = np.searchsorted(distinct_times, event_times)
        tied = np.diff(np.append(self.event_start, self.event.sum()))
        # one Efron step per event: fraction k/d, k = 0..d-1, of the tied events' risk removed
        self.step_time = np.repeat(np.arange(event_times.size), tied)
        first_step = np.repeat(np.cumsum(tied) - tied, tied)
        self.fraction = (np.arange(self.step_time.size) - first_step) / tied[self.step_time]
        self.n_times = event_times.size

    def _sums(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sums of ``values`` over the risk set and over the tied events, at each event time."""
        by_time = np.add.reduceat(values, self.time_start, axis=0)
        at_risk = np.cumsum(by_time[::-1], axis=0)[::-1][self.event_time_row]
        events = np.add.reduceat(values[self.event], self.event_start, axis=0)
        return at_risk, events

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Efron log partial likelihood at ``beta``, its score and its information matrix."""
        eta = self.x @ beta
        shift = eta.max()
        risk = np.exp(eta - shift)  # scaled by exp(-shift) for range; added back in the log
        f = self.fraction
        s0, d0 = self._sums(risk)
        denominator = s0[self.step_time] - f * d0[self.step_time]
        log_likelihood = float(eta[self.event].sum() - np.log(denominator).sum()
                               - shift * denominator.size)
        rx = risk[:, None] * self.x
        s1, d1 = self._sums(rx)
        mean_x = (s1[self.step_time] - f[:, None] * d1[self.step_time]) / denominator[:, None]
        score = self.dead_x_sum - mean_x.sum(axis=0)
        s2, d2 = self._sums(rx[:, :, None] * self.x[:, None, :])
        # sum over steps of (S2 - f D2) / denominator, without one p x p matrix per step
        weights = 1.0 / denominator
        per_time = np.bincount(self.step_time, weights=weights, minlength=self.n_times)
        f_per_time = np.bincount(self.step_time, weights=f * weights, minlength=self.n_times)
        information = (np.tensordot(per_time, s2, axes=1) - np.tensordot(f_per_time, d2, axes=1)
                       - mean_x.T @ mean_x)
        return log_likelihood, score, information


def fit_cox(time: np.ndarray, event: np.ndarray, x: np.ndarray) -> CoxFit:
    """Efron Cox fit of ``time``/``event`` (0/1) on the numeric design ``x`` (n × p, p ≥ 1)."""
    time, event, x = (np.asarray(a, dtype=float) for a in (time, event, x))
    if x.ndim != 2 or x.shape[1] == 0 or x.shape[0] != time.size or event.size != time.size:
        raise ValueError("fit_cox needs time and event of length n and a design of n rows and at least one column")
    if not np.all(np.isfinite(time)) or not np.all(np.isfinite(x)) or not np.isin(event, (0.0, 1.0)).all():
        raise ValueError("fit_cox needs finite times and covariates and events coded 0/1")
    risk_sets = _RiskSets(time, event, x)
    beta = np.zeros(x.shape[1])
    log_likelihood, score, information = risk_sets.evaluate(beta)
    null_log_likelihood = log_likelihood
    converged, steps = False, 0
    while steps < MAX_STEPS:
        steps += 1
        try:
            step = np.linalg.solve(information, score)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        new = risk_sets.evaluate(beta + step)
        # A step that lowers the log-likelihood beyond rounding is halved (R's coxfit6); at the
        # maximum the values differ only in the last bits, and Newton's step is still the best.
        rounding = ROUNDING * abs(log_likelihood)
        halvings = 0
        while not new[0] >= log_likelihood - rounding and halvings < MAX_HALVINGS:
            step, halvings = step / 2.0, halvings + 1
            new = risk_sets.evaluate(beta + step)
        if not new[0] >= log_likelihood - rounding:
            break
        gain = new[0] - log_likelihood
        beta = beta + step
        log_likelihood, score, information = new
        if (np.max(np.abs(step)) <= STEP_TOLERANCE
                or gain <= GAIN_TOLERANCE * max(1.0, abs(log_likelihood))):
            converged = True
            break
    return CoxFit(coefficients=beta, standard_errors=_standard_errors(information),
                  log_likelihood=log_likelihood, null_log_likelihood=null_log_likelihood,
                  iterations=steps, converged=converged)


def _standard_errors(information: np.ndarray) -> np.ndarray:
    """Square roots of the diagonal of the inverse information; NaN where it cannot be inverted."""
    try:
        variances = np.diag(np.linalg.inv(information))
    except np.linalg.LinAlgError:
        return np.full(information.shape[0], np.nan)
    with np.errstate(invalid="ignore"):
        return np.where(variances > 0, np.sqrt(np.abs(variances)), np.nan)
