"""The synthetic cohort: deterministic, valid, and reproducing every published figure."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest

from analysis.config import BUNDLED_DATA
from analysis.stats.key_results import key_results
from analysis.study.derive import analysis_dataset
from analysis.study.schema import TABLES
from analysis.study.validation import load_study
from analysis.synthetic.generator import (
    ASSUMPTIONS,
    DEFAULT_SEED,
    PUBLISHED,
    simulate_cohort,
    write_cohort,
)

FILES = [t.file for t in TABLES] + ["dataset.yml", "ASSUMPTIONS.md"]


@pytest.fixture(scope="module")
def results(study):
    return key_results(study)


def test_committed_cohort_is_the_generator_default_output(tmp_path: Path):
    write_cohort(tmp_path, seed=DEFAULT_SEED, n=66)
    for name in FILES:
        assert filecmp.cmp(tmp_path / name, BUNDLED_DATA / name, shallow=False), name


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path):
    write_cohort(tmp_path / "a", seed=7, n=80)
    write_cohort(tmp_path / "b", seed=7, n=80)
    write_cohort(tmp_path / "c", seed=8, n=80)
    for name in FILES[:3]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "patients.csv").read_bytes() != (tmp_path / "c" / "patients.csv").read_bytes()
    assert len(load_study(tmp_path / "c").patients) == 80


def test_published_counts_are_reproduced_exactly(results):
    assert results["n_patients"] == 66
    assert results["response"]["orr"]["n"] == PUBLISHED.responders
    assert results["response"]["cbr"]["n"] == PUBLISHED.clinical_benefit
    assert f"{results['response']['orr']['pct']:.1f}" == "18.2"
    assert f"{results['response']['cbr']['pct']:.1f}" == "66.7"
    top = results["adverse_events"][:3]
    assert [(e["term"], e["any_grade"]) for e in top] == [
        ("Diarrhea", PUBLISHED.diarrhoea),
        ("Palmar-plantar erythrodysesthesia syndrome", PUBLISHED.hand_foot),
        ("White blood cell decreased", PUBLISHED.leucopenia)]
    assert results["adverse_events"][3]["any_grade"] < PUBLISHED.leucopenia


def test_published_median_and_symmetric_interval_after_rounding(results):
    pfs = results["pfs"]
    assert f"{pfs['median']:.1f}" == f"{PUBLISHED.median_pfs:.1f}"
    assert [f"{x:.1f}" for x in pfs["ci_symmetric"]] == [f"{PUBLISHED.ci_low:.1f}", f"{PUBLISHED.ci_high:.1f}"]
    # the interval is symmetric around the median, as SPSS prints it
    lo, hi = pfs["ci_symmetric"]
    assert pfs["median"] - lo == pytest.approx(hi - pfs["median"])


def test_published_subgroup_directions_with_logrank_below_005(results):
    for name, better in (("tdm1_benefit", "yes"), ("trastuzumab_resistance", "acquired")):
        sub = results["subgroups"][name]
        assert sub["level"] == better
        assert sub["hr"] < 1 and sub["ci"][1] < 1
        assert sub["logrank_p"] < 0.05
        assert sub["median"][better] > sub["median"][sub["reference"]]


def test_suggested_assumptions_hold_in_the_bundled_cohort(dataset):
    assert 45 <= dataset["age_years"].median() <= 55
    assert dataset["age_years"].between(28, 75).all()
    assert (dataset["tdm1_benefit"] == "yes").sum() == round(0.55 * 66)
    assert (dataset["trastuzumab_resistance"] == "acquired").sum() == round(0.70 * 66)
    assert dataset["prior_lines"].median() == 2
    assert (dataset["tki_agent"] == "pyrotinib").mean() > 0.8
    assert len(ASSUMPTIONS) >= 15


def test_assumptions_file_lists_every_assumption():
    text = (BUNDLED_DATA / "ASSUMPTIONS.md").read_text(encoding="utf-8")
    assert "synthetic" in text
    for quantity, value, source in ASSUMPTIONS:
        assert quantity in text and source in text


def test_large_cohort_is_valid_with_the_same_distributions(tmp_path: Path, dataset):
    n = 100_000
    write_cohort(tmp_path, seed=DEFAULT_SEED, n=n)
    big = analysis_dataset(load_study(tmp_path).patients)
    assert len(big) == n
    for column in ("objective_response", "clinical_benefit"):
        assert big[column].mean() == pytest.approx(dataset[column].mean(), abs=0.001)
    for column, level in (("tdm1_benefit", "yes"), ("trastuzumab_resistance", "acquired"),
                          ("hormone_receptor", "positive"), ("brain_metastasis", "yes")):
        assert (big[column] == level).mean() == pytest.approx((dataset[column] == level).mean(), abs=0.01)
    assert np.median(big["pfs_months"][big["pfs_event"] == 1]) == pytest.approx(
        np.median(dataset["pfs_months"][dataset["pfs_event"] == 1]), rel=0.25)


def test_generator_refuses_a_too_small_cohort():
    with pytest.raises(ValueError, match="at least 20"):
        simulate_cohort(n=10)
