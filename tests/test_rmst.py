"""analysis.stats.rmst against R survival's restricted mean (print(survfit, rmean = tau)).

Fixtures from tests/reference/make_reference.R: edge cases (ties, all censored, time-0 events,
horizons at an event time and past the last time), GBSG2 by hormone therapy and grade, and the
synthetic cohort by the key factors at the report's horizons. Tolerance 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests_paths import FIXTURES, read_fixture

from analysis.stats.rmst import RMST_HORIZONS, restricted_mean, rmst_by_level, rmst_table
from analysis.stats.subgroup_analysis import FACTORS
from analysis.study.model_design import KEY_FACTORS

RTOL = 1e-6
EDGE = sorted(p.name.removeprefix("edge_").removesuffix("_rmst.csv")
              for p in FIXTURES.glob("edge_*_rmst.csv"))


def test_edge_fixtures_exist():
    assert len(EDGE) >= 8, "edge RMST fixtures missing: run make references"


@pytest.mark.parametrize("name", EDGE)
def test_edge_cases_match_r(name):
    data = read_fixture("edge_data")
    part = data[data["dataset"] == name]
    expected = read_fixture(f"edge_{name}_rmst")
    for r in expected.itertuples():
        got = restricted_mean(part["months"], part["event"], r.tau)
        assert got.estimate == pytest.approx(r.rmean, rel=RTOL, abs=1e-12), (name, r.tau)
        assert got.se == pytest.approx(r.se, rel=RTOL, abs=1e-12), (name, r.tau)
        assert (got.n, got.events) == (r.n, r.events)


def _compare(data: pd.DataFrame, name: str, factors: dict[str, str], duration: str, event: str):
    expected = read_fixture(f"{name}_rmst", text_columns=["group"])
    differences = read_fixture(f"{name}_rmst_difference", text_columns=["group", "reference"])
    taus = sorted(expected["tau"].unique())
    by_level, diff = rmst_table(data, factors, taus, duration, event)
    by_level = by_level.assign(grouping=by_level["variable"],
                               group=by_level["level"].where(by_level["variable"] != "overall", "all"))
    merged = expected.merge(by_level, on=["grouping", "group", "tau"], suffixes=("_r", ""),
                            validate="one_to_one")
    assert len(merged) == len(expected) == len(by_level)
    np.testing.assert_allclose(merged["rmst"], merged["rmean"], rtol=RTOL)
    np.testing.assert_allclose(merged["se"], merged["se_r"], rtol=RTOL)
    np.testing.assert_array_equal(merged["n"], merged["n_r"])
    np.testing.assert_array_equal(merged["events"], merged["events_r"])
    merged_diff = differences.merge(diff.rename(columns={"variable": "grouping", "level": "group"}),
                                    on=["grouping", "group", "tau"], suffixes=("_r", ""))
    assert len(merged_diff) == len(differences) == len(diff)
    assert (merged_diff["reference"] == merged_diff["reference_level"]).all()
    for column in ("difference", "se", "lower", "upper", "p"):
        np.testing.assert_allclose(merged_diff[column], merged_diff[f"{column}_r"], rtol=RTOL,
                                   err_msg=column)
    assert merged_diff["estimable"].all()


def test_gbsg2_by_group_and_differences_match_r():
    data = read_fixture("gbsg2_analysis_data", text_columns=["horTh", "tgrade"])
    _compare(data, "gbsg2", {"horTh": "no", "tgrade": "I"}, "months", "event")


@pytest.mark.skipif(not (FIXTURES / "synthetic_rmst.csv").exists(), reason="run make references")
def test_synthetic_cohort_at_the_report_horizons_matches_r(dataset):
    expected = read_fixture("synthetic_rmst", text_columns=["group"])
    assert sorted(expected["tau"].unique()) == list(RMST_HORIZONS)
    _compare(dataset, "synthetic", {v: FACTORS[v] for v in KEY_FACTORS}, "pfs_months", "pfs_event")


def test_by_hand_two_patients():
    """Events at 1 and 3 months, horizon 4: area 1·1 + 2·0.5 + 1·0 = 2.0; SE by the R formula:
    area after t=1 (1.0) squared × 1/(2·1) = 0.5, the last term has n − d = 0 (weight 0)."""
    got = restricted_mean([1, 3], [1, 1], 4)
    assert got.estimate == pytest.approx(2.0)
    assert got.se == pytest.approx(np.sqrt(0.5))


def test_one_level_factor_gives_a_not_estimable_difference(dataset):
    data = dataset.assign(tdm1_benefit="yes")
    by_level, diff = rmst_by_level(data, "tdm1_benefit", "no")
    assert by_level["level"].unique().tolist() == ["yes"]
    assert (~diff["estimable"]).all() and diff["difference"].isna().all()
    assert "one level ('yes')" in diff["reason"].iloc[0]
    with pytest.raises(ValueError, match="positive"):
        restricted_mean([1, 2], [1, 0], 0)
