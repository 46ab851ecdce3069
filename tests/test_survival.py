"""analysis.stats.survival against R's survival package (fixtures from tests/reference/make_reference.R).

Tolerance: 1e-6 absolute on every survival probability, standard error, limit and time, and
exact agreement on counts and on where R reports NA. The SPSS-style median interval has no R
counterpart; it is checked against arithmetic written out in the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stats.survival import (
    CONF_TYPES,
    KM_COLUMNS,
    KaplanMeier,
    LogRank,
    MedianSurvival,
    kaplan_meier,
    landmark_survival,
    logrank_test,
    median_brookmeyer_crowley,
    median_followup,
    median_symmetric_spss,
    numbers_at_risk,
)

TOL = 1e-6
Z95 = 1.959963984540054
from tests_paths import FIXTURES, read_fixture

SYNTHETIC_MISSING = not (FIXTURES / "synthetic_analysis_data.csv").exists()
SYNTHETIC_SKIP = pytest.mark.skipif(
    SYNTHETIC_MISSING,
    reason="tests/reference/fixtures/synthetic_* absent: run `python -m analysis derive data/synthetic "
    "--out tests/reference/synthetic_derived.csv` then `Rscript tests/reference/make_reference.R`",
)


def _edge_names() -> list[str]:
    return sorted(read_fixture("edge_data")["dataset"].unique())


def load_dataset(name: str) -> tuple[pd.Series, pd.Series]:
    """(months, event) of an edge case, gbsg2 or the synthetic cohort, exactly as R analysed them."""
    if name in ("gbsg2", "synthetic"):
        data = read_fixture(f"{name}_analysis_data")
    else:
        edge = read_fixture("edge_data")
        data = edge[edge["dataset"] == name]
    return data["months"], data["event"]


def prefix(name: str) -> str:
    return name if name in ("gbsg2", "synthetic") else f"edge_{name}"


DATASETS = [*_edge_names(), "gbsg2", pytest.param("synthetic", marks=SYNTHETIC_SKIP)]
COHORTS = ["gbsg2", pytest.param("synthetic", marks=SYNTHETIC_SKIP)]


def assert_same(actual, expected, tol: float = TOL, what: str = "") -> None:
    """Equal within tol, with NaN (R's NA) in exactly the same places."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e), err_msg=f"{what}: NA pattern differs from R")
    np.testing.assert_allclose(a, e, rtol=0, atol=tol, equal_nan=True, err_msg=what)


def as_float(value: float | None) -> float:
    return np.nan if value is None else value


# ---------------------------------------------------------------------------------------------
# Kaplan–Meier table, medians, landmarks, follow-up: all data sets


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("dataset", DATASETS)
def test_km_table_matches_survfit(dataset: str, conf_type: str) -> None:
    months, event = load_dataset(dataset)
    km = kaplan_meier(months, event, conf_type=conf_type)
    expected = read_fixture(f"{prefix(dataset)}_km_{conf_type}")
    assert list(km.table.columns) == KM_COLUMNS
    assert len(km.table) == len(expected)
    for column in KM_COLUMNS:
        assert_same(km.table[column], expected[column], what=f"{dataset} {conf_type} {column}")
    assert km.n == len(months) and km.events == int(event.sum())


@pytest.mark.parametrize("dataset", DATASETS)
def test_median_matches_quantile_survfit(dataset: str) -> None:
    months, event = load_dataset(dataset)
    for row in read_fixture(f"{prefix(dataset)}_median").itertuples():
        median = median_brookmeyer_crowley(months, event, row.conf_level, row.conf_type)
        got = [as_float(median.estimate), as_float(median.lower), as_float(median.upper)]
        label = f"{dataset} {row.conf_type} {row.conf_level}"
        assert_same(got, [row.estimate, row.lower, row.upper], what=label)
        assert "Brookmeyer" in median.method and row.conf_type in median.method


def test_print_survfit_rule_differs_only_where_curve_ends_at_half() -> None:
    """print(fit) (survmean) and quantile(fit) disagree only when S ends exactly at 0.5.

    There quantile.survfit takes the midpoint between the time S reached 0.5 and the last follow-up
    time (3 = (2 + 4) / 2) while print.survfit shows the first time (2). We follow quantile.survfit.
    """
    for dataset in [*_edge_names(), "gbsg2"]:
        medians = read_fixture(f"{prefix(dataset)}_median")
        same = np.isclose(medians["estimate"], medians["print_estimate"], equal_nan=True)
        if dataset == "ends_at_half":
            assert not same.any()
            assert (medians["estimate"] == 3).all() and (medians["print_estimate"] == 2).all()
        else:
            assert same.all(), dataset


@pytest.mark.parametrize("dataset", DATASETS)
def test_landmarks_match_summary_survfit(dataset: str) -> None:
    months, event = load_dataset(dataset)
    expected = read_fixture(f"{prefix(dataset)}_landmarks")
    got = landmark_survival(months, event, at=expected["time"])
    for column in ["time", "estimate", "lower", "upper", "std_err"]:
        assert_same(got[column], expected[column], what=f"{dataset} {column}")
    np.testing.assert_array_equal(got["n_risk"], expected["n_risk"])
    np.testing.assert_array_equal(numbers_at_risk(months, expected["time"]), expected["n_risk"])


@pytest.mark.parametrize("dataset", DATASETS)
def test_median_followup_matches_reverse_km(dataset: str) -> None:
    months, event = load_dataset(dataset)
    expected = read_fixture(f"{prefix(dataset)}_followup").iloc[0]
    got = median_followup(months, event)
    assert_same(
        [as_float(got.estimate), as_float(got.lower), as_float(got.upper)],
        [expected["estimate"], expected["lower"], expected["upper"]],
    )
    assert "reverse Kaplan–Meier" in got.method


# ---------------------------------------------------------------------------------------------
# Subgroups: medians per group and log-rank


@pytest.mark.parametrize("dataset", COHORTS)
def test_median_by_group_matches_r(dataset: str) -> None:
    data = read_fixture(f"{dataset}_analysis_data")
    for row in read_fixture(f"{dataset}_median_by_group").itertuples():
        subset = data[data[row.grouping].astype(str) == str(row.group)]
        assert len(subset) == row.n
        median = median_brookmeyer_crowley(subset["months"], subset["event"])
        assert_same(
            [as_float(median.estimate), as_float(median.lower), as_float(median.upper)],
            [row.estimate, row.lower, row.upper],
            what=f"{row.grouping}={row.group}",
        )


@pytest.mark.parametrize("dataset", COHORTS)
def test_logrank_matches_survdiff(dataset: str) -> None:
    data = read_fixture(f"{dataset}_analysis_data")
    groups = read_fixture(f"{dataset}_logrank_groups")
    for row in read_fixture(f"{dataset}_logrank").itertuples():
        result = logrank_test(data["months"], data["event"], data[row.grouping])
        assert isinstance(result, LogRank)
        assert result.df == row.df and result.excluded == row.excluded
        assert_same([result.chisq, result.p], [row.chisq, row.p], tol=1e-9, what=row.grouping)
        expected = groups[groups["grouping"] == row.grouping]
        for g in expected.itertuples():
            assert result.observed[str(g.group)] == g.observed
            assert abs(result.expected[str(g.group)] - g.expected) < 1e-9


def test_logrank_single_group_has_no_test() -> None:
    result = logrank_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    assert result.chisq == 0 and result.df == 0 and np.isnan(result.p)


# ---------------------------------------------------------------------------------------------
# SPSS-style symmetric median interval (no R counterpart: hand arithmetic)


def test_spss_interval_without_censoring() -> None:
    """Ten patients, events at months 1..10, none censored: S(t) = 1 − t/10.

    median m = 5 (S = 0.5, the first time S <= 0.5)
    Greenwood: S(5)^2 · Σ d/(n(n−d)) = 0.25 · (1/90 + 1/72 + 1/56 + 1/42 + 1/30) = 0.25 · 0.1
      → SE[S(5)] = 0.5 · sqrt(0.1) = 0.158113883 (= sqrt(S(1−S)/n) without censoring)
    û = 4 (last event time with S >= 0.55: S = 0.6), l̂ = 6 (first with S <= 0.45: S = 0.4)
    f̂ = (0.6 − 0.4) / (6 − 4) = 0.1 → SE(m) = 1.58113883
    95% CI = 5 ± 1.959964 · 1.58113883 = 5 ± 3.098975 = (1.901025, 8.098975)
    """
    result = median_symmetric_spss(np.arange(1, 11), np.ones(10))
    se = 0.5 * np.sqrt(1 / 90 + 1 / 72 + 1 / 56 + 1 / 42 + 1 / 30) / ((0.6 - 0.4) / (6 - 4))
    assert se == pytest.approx(1.58113883, abs=1e-8)
    assert result.estimate == 5
    assert result.se == pytest.approx(se, abs=1e-12)
    assert result.lower == pytest.approx(5 - Z95 * se, abs=1e-12)
    assert result.upper == pytest.approx(5 + Z95 * se, abs=1e-12)
    assert (result.lower, result.upper) == pytest.approx((1.901025, 8.098975), abs=1e-6)
    assert "0.55" in result.method and "0.45" in result.method
    # R's rule differs here: S sits at exactly 0.5 on [5, 6), so quantile.survfit gives 5.5.
    assert median_brookmeyer_crowley(np.arange(1, 11), np.ones(10)).estimate == 5.5


def test_spss_interval_with_censoring() -> None:
    """Events at 1, 2, 4, 5, 7, 8, 9, 10; censored at 3 and 6 (n = 10).

    S: 1→9/10, 2→8/10, 4→(8/10)(6/7)=24/35=0.6857, 5→(24/35)(5/6)=4/7=0.5714,
       7→(4/7)(3/4)=3/7=0.4286, 8→2/7, 9→1/7, 10→0
    median m = 7 (first S <= 0.5)
    Greenwood sum to 7: 1/(10·9) + 1/(9·8) + 1/(7·6) + 1/(6·5) + 1/(4·3) = 0.16547619
      → SE[S(7)] = (3/7) · sqrt(0.16547619) = 0.17433767
    û = 5 (S = 4/7 >= 0.55), l̂ = 7 (S = 3/7 <= 0.45); f̂ = (4/7 − 3/7) / (7 − 5) = 1/14
    SE(m) = 14 · 0.17433767 = 2.4407274; 95% CI = 7 ± 4.7837 = (2.2163, 11.7837)
    """
    time = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    event = [1, 1, 0, 1, 1, 0, 1, 1, 1, 1]
    result = median_symmetric_spss(time, event)
    greenwood = 1 / 90 + 1 / 72 + 1 / 42 + 1 / 30 + 1 / 12
    se = (3 / 7) * np.sqrt(greenwood) / ((4 / 7 - 3 / 7) / (7 - 5))
    assert result.estimate == 7
    assert result.se == pytest.approx(se, rel=1e-12)
    assert (result.lower, result.upper) == pytest.approx((7 - Z95 * se, 7 + Z95 * se), rel=1e-12)
    assert (result.lower, result.upper) == pytest.approx((2.21627, 11.78373), abs=1e-5)


def test_spss_interval_edge_cases() -> None:
    # No event time with S >= 0.55: two patients, S drops 1 → 0.5 → 0.
    no_upper = median_symmetric_spss([1, 2], [1, 1])
    assert no_upper.estimate == 1 and no_upper.lower is None and no_upper.upper is None
    assert "S >= 0.55" in no_upper.method
    # No event time with S <= 0.45: S = 0.75, 0.5, then only censoring.
    no_lower = median_symmetric_spss([1, 2, 3, 4], [1, 1, 0, 0])
    assert no_lower.estimate == 2 and no_lower.lower is None and "S <= 0.45" in no_lower.method
    # Median not reached.
    not_reached = median_symmetric_spss([1, 2, 3, 4], [1, 0, 0, 0])
    assert not_reached == MedianSurvival(None, None, None, not_reached.method)
    assert "not reached" in not_reached.method


def test_spss_interval_narrows_at_lower_confidence_level() -> None:
    wide = median_symmetric_spss(np.arange(1, 11), np.ones(10), conf_level=0.95)
    narrow = median_symmetric_spss(np.arange(1, 11), np.ones(10), conf_level=0.80)
    assert narrow.lower > wide.lower and narrow.upper < wide.upper and narrow.se == wide.se


# ---------------------------------------------------------------------------------------------
# Plot helpers, risk table and input checks


def test_step_frame_and_censor_marks() -> None:
    km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 0, 1])
    steps = km.step_frame()
    assert isinstance(km, KaplanMeier)
    assert steps.iloc[0].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert len(steps) == len(km.table) + 1
    marks = km.censor_times()
    assert marks["time"].tolist() == [2.0, 3.0]
    assert marks["survival"].tolist() == pytest.approx([0.6, 0.6])
    assert marks["n_censor"].tolist() == [1, 1]


def test_numbers_at_risk_counts_ties_at_tick() -> None:
    """R's risk set: a patient whose event or censoring falls exactly on a tick is still at risk."""
    time = [0, 3, 3, 6, 6, 6, 9, 12]
    assert numbers_at_risk(time, [0, 3, 6, 9, 12, 15]).tolist() == [8, 7, 5, 2, 1, 0]


def test_survival_at_is_right_continuous() -> None:
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    at = km.survival_at([0.5, 1, 1.5, 4, 10])
    assert at["estimate"].tolist() == pytest.approx([1.0, 0.75, 0.75, 0.0, 0.0])
    assert at["n_risk"].tolist() == [4, 4, 3, 1, 0]


@pytest.mark.parametrize(
    "time, event",
    [([1, np.nan], [1, 0]), ([1, 2], [1, np.nan]), ([-1, 2], [1, 0]), ([1, 2], [1, 2]), ([1], [1, 0])],
)
def test_invalid_input_raises(time, event) -> None:
    with pytest.raises(ValueError):
        kaplan_meier(time, event)


def test_unknown_conf_type_raises() -> None:
    with pytest.raises(ValueError, match="conf_type"):
        kaplan_meier([1, 2], [1, 0], conf_type="logit")
