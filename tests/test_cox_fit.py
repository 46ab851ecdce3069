"""analysis.stats.cox_fit: Efron's partial likelihood and its Newton–Raphson maximum.

R's coxph is the reference (tests/test_cox.py compares every model of the report with R's
fixtures); here the fit is checked against the definition (a plain loop over event times),
against lifelines' CoxPHFitter as a second implementation, and on awkward data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stats.cox_fit import _RiskSets, fit_cox


def efron_log_likelihood_by_definition(time, event, x, beta) -> float:
    """Efron's log partial likelihood, one event time at a time, straight from the formula."""
    eta = x @ beta
    total = 0.0
    for t in np.unique(time[event == 1]):
        dead = (time == t) & (event == 1)
        at_risk = time >= t
        d = dead.sum()
        total += eta[dead].sum()
        for k in range(d):
            total -= np.log(np.exp(eta[at_risk]).sum() - k / d * np.exp(eta[dead]).sum())
    return total


def tied_cohort(seed: int, n: int, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binary and continuous covariates, whole-month times with many ties, ~60% events."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.integers(0, 2, n) if j % 2 == 0 else rng.normal(size=n) for j in range(p)])
    time = np.ceil(rng.exponential(12 * np.exp(-x @ np.linspace(-0.4, 0.6, p))))
    event = (rng.random(n) < 0.6).astype(float)
    return time, event, x.astype(float)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_likelihood_score_and_information_follow_the_definition(seed: int) -> None:
    time, event, x = tied_cohort(seed, n=40, p=3)
    beta = np.random.default_rng(seed).normal(scale=0.5, size=3)
    risk_sets = _RiskSets(time, event, x)
    centred = x - x.mean(axis=0)  # the likelihood is unchanged by centring the covariates
    log_likelihood, score, information = risk_sets.evaluate(beta)
    assert log_likelihood == pytest.approx(efron_log_likelihood_by_definition(time, event, x, beta), rel=1e-12)
    assert log_likelihood == pytest.approx(efron_log_likelihood_by_definition(time, event, centred, beta), rel=1e-12)
    h = 1e-5
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        up, down = risk_sets.evaluate(beta + e), risk_sets.evaluate(beta - e)
        np.testing.assert_allclose(score[j], (up[0] - down[0]) / (2 * h), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(information[:, j], -(up[1] - down[1]) / (2 * h), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("seed", "n", "p"), [(11, 66, 2), (12, 400, 4), (13, 5000, 3)])
def test_agrees_with_lifelines(seed: int, n: int, p: int) -> None:
    from lifelines import CoxPHFitter

    time, event, x = tied_cohort(seed, n, p)
    fit = fit_cox(time, event, x)
    frame = pd.DataFrame(x, columns=[f"x{j}" for j in range(p)]).assign(time=time, event=event)
    reference = CoxPHFitter().fit(frame, "time", "event",
                                  fit_options={"precision": 1e-18, "r_precision": 0.0, "max_steps": 200})
    assert fit.converged
    np.testing.assert_allclose(fit.coefficients, reference.params_.to_numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.standard_errors, reference.standard_errors_.to_numpy(), rtol=1e-9)
    assert fit.log_likelihood == pytest.approx(reference.log_likelihood_, rel=1e-12)
    assert fit.likelihood_ratio_chisq == pytest.approx(
        reference.log_likelihood_ratio_test().test_statistic, rel=1e-9)


def test_row_order_does_not_matter() -> None:
    time, event, x = tied_cohort(5, n=300, p=3)
    order = np.random.default_rng(0).permutation(300)
    a, b = fit_cox(time, event, x), fit_cox(time[order], event[order], x[order])
    np.testing.assert_allclose(a.coefficients, b.coefficients, rtol=1e-12)
    np.testing.assert_allclose(a.standard_errors, b.standard_errors, rtol=1e-12)


def test_no_effect_and_no_events() -> None:
    time = np.arange(1.0, 21.0)
    x = np.tile([0.0, 1.0], 10)[:, None]
    censored = fit_cox(time, np.zeros(20), x)  # no event: the likelihood is flat at zero
    assert censored.log_likelihood == 0.0 and censored.likelihood_ratio_chisq == 0.0
    assert np.isnan(censored.standard_errors).all()


def test_monotone_likelihood_stops_with_a_large_coefficient() -> None:
    """A level without events: the estimate runs off to -infinity; the fit stops, finite LR."""
    time, event, x = tied_cohort(7, n=200, p=2)
    x[:, 0] = np.where(event == 1, 0.0, x[:, 0])  # everyone with x0 = 1 is censored
    fit = fit_cox(time, event, x)
    assert fit.coefficients[0] < -10
    assert np.isfinite(fit.log_likelihood) and np.isfinite(fit.likelihood_ratio_chisq)
    assert fit.iterations < 200


@pytest.mark.parametrize(
    ("time", "event", "x"),
    [
        ([1.0, 2.0], [1, 0], np.ones((3, 1))),  # rows differ
        ([1.0, np.nan], [1, 0], np.ones((2, 1))),  # missing time
        ([1.0, 2.0], [1, 2], np.ones((2, 1))),  # event not 0/1
        ([1.0, 2.0], [1, 0], np.ones((2, 0))),  # no covariate
    ],
)
def test_bad_input_is_refused(time, event, x) -> None:
    with pytest.raises(ValueError, match="fit_cox needs"):
        fit_cox(np.array(time), np.array(event, dtype=float), x)
