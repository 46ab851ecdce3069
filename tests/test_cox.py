"""analysis.stats.cox against R's coxph (Efron) and cox.zph (transform = "km").

Fixtures come from tests/reference/make_reference.R. Tolerances: hazard ratios, limits and
p-values 1e-6 relative (lifelines' CoxPHFitter iterated with analysis.stats.cox.FIT_OPTIONS,
far tighter than its defaults; R with eps = 1e-11); model likelihood-ratio statistics, concordance and cox.zph
statistics 1e-6 relative; counts exact. Levels that R can only report as a diverging coefficient
(no events in the level or in the reference) must come back as NaN with a warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests_paths import FIXTURES, read_fixture

from analysis.stats.cox import (
    TABLE_COLUMNS,
    CoxResult,
    cox_model,
    prespecified_cox,
    proportional_hazards_test,
    screened_cox,
    univariable_cox,
)

RTOL = 1e-6

SYNTHETIC_SKIP = pytest.mark.skipif(
    not (FIXTURES / "synthetic_cox_models.csv").exists(),
    reason="tests/reference/fixtures/synthetic_* absent: run `python -m analysis derive data/synthetic "
    "--out tests/reference/synthetic_derived.csv` then `Rscript tests/reference/make_reference.R`",
)
COHORTS = ["gbsg2", pytest.param("synthetic", marks=SYNTHETIC_SKIP)]


class Cohort:
    """Analysis data and R results for one data set."""

    def __init__(self, name: str) -> None:
        spec = read_fixture(f"{name}_cox_factors")
        self.factors = dict(zip(spec["variable"], spec["reference"].astype(str)))
        key_names = set(spec.loc[spec["role"] == "key", "variable"])
        prespecified = set(spec.loc[spec["role"] == "prespecified", "variable"])
        self.key = {v: r for v, r in self.factors.items() if v in key_names}
        self.prespecified = {v: r for v, r in self.factors.items() if v in prespecified}
        self.candidates = {v: r for v, r in self.factors.items() if v not in self.key}
        self.data = read_fixture(f"{name}_analysis_data", text_columns=list(self.factors))
        self.coefficients = read_fixture(f"{name}_cox_coefficients", text_columns=["level"])
        self.models = read_fixture(f"{name}_cox_models").set_index("model")
        self.zph = read_fixture(f"{name}_cox_zph")

    def r_table(self, model: str) -> pd.DataFrame:
        return self.coefficients[self.coefficients["model"] == model]


@pytest.fixture(scope="module", params=COHORTS)
def cohort(request) -> Cohort:
    return Cohort(request.param)


def not_estimable_in_r(r_rows: pd.DataFrame) -> pd.Series:
    """Levels whose R coefficient is a diverging artefact: no events there or in the reference."""
    reference_events = r_rows[r_rows["reference"]].set_index("variable")["events"]
    no_reference_events = r_rows["variable"].map(reference_events) == 0
    return ~r_rows["reference"] & ((r_rows["events"] == 0) | no_reference_events)


def compare_levels(got: pd.DataFrame, r_rows: pd.DataFrame, label: str) -> None:
    r_rows = r_rows.assign(diverging=not_estimable_in_r(r_rows))
    merged = r_rows.merge(got, on=["variable", "level"], suffixes=("_r", ""), validate="one_to_one")
    assert len(merged) == len(r_rows) == len(got), f"{label}: levels differ from R"
    np.testing.assert_array_equal(merged["reference"], merged["reference_r"])
    np.testing.assert_array_equal(merged["n"], merged["n_r"], err_msg=f"{label}: n")
    np.testing.assert_array_equal(merged["events"], merged["events_r"], err_msg=f"{label}: events")
    diverging = merged["diverging"]
    estimable = merged[~diverging]
    for column in ["hr", "lower", "upper", "p"]:
        np.testing.assert_allclose(
            estimable[column], estimable[f"{column}_r"], rtol=RTOL, atol=1e-12, equal_nan=True,
            err_msg=f"{label}: {column}",
        )
    assert merged.loc[diverging, ["hr", "lower", "upper", "p"]].isna().all().all()


def counts(result: CoxResult) -> tuple[int, int, int]:
    return result.n, result.events, result.excluded


# ---------------------------------------------------------------------------------------------
# Against R


def test_univariable_models_match_coxph(cohort: Cohort) -> None:
    table = univariable_cox(cohort.data, cohort.factors, duration="months", event="event")
    assert list(table.columns[: len(TABLE_COLUMNS)]) == TABLE_COLUMNS
    for variable in cohort.factors:
        label = f"univariable:{variable}"
        got = table[table["variable"] == variable]
        compare_levels(got[TABLE_COLUMNS], cohort.r_table(label), label)
        r_model = cohort.models.loc[label]
        assert got["p_overall"].nunique() == 1
        np.testing.assert_allclose(got["p_overall"].iloc[0], r_model["lr_p"], rtol=RTOL)
        assert got["n_analysed"].iloc[0] == r_model["n"] and got["excluded"].iloc[0] == r_model["excluded"]
    assert "likelihood-ratio" in table.attrs["p_overall_method"]


def test_model_level_statistics_match_coxph(cohort: Cohort) -> None:
    for variable, reference in cohort.factors.items():
        result = cox_model(cohort.data, {variable: reference}, duration="months", event="event")
        r_model = cohort.models.loc[f"univariable:{variable}"]
        assert counts(result) == (r_model["n"], r_model["events"], r_model["excluded"])
        assert result.lr_df == r_model["lr_df"]
        np.testing.assert_allclose(result.lr_chisq, r_model["lr_chisq"], rtol=RTOL)
        np.testing.assert_allclose(result.concordance, r_model["concordance"], rtol=RTOL)


def test_prespecified_model_matches_coxph(cohort: Cohort) -> None:
    """The primary model: exactly the key factors and the declared covariates, no selection."""
    r_model = cohort.models.loc["multivariable"]
    result = prespecified_cox(cohort.data, {**cohort.key, **cohort.prespecified},
                              duration="months", event="event")
    assert isinstance(result, CoxResult)
    assert result.selected == r_model["selected"].split(";") == [*cohort.key, *cohort.prespecified]
    assert counts(result) == (r_model["n"], r_model["events"], r_model["excluded"])
    compare_levels(result.table, cohort.r_table("multivariable"), "multivariable")
    np.testing.assert_allclose(result.lr_chisq, r_model["lr_chisq"], rtol=RTOL)
    np.testing.assert_allclose(result.concordance, r_model["concordance"], rtol=RTOL)
    assert result.events_per_variable == pytest.approx(r_model["events"] / r_model["n_parameters"])
    assert any("events per parameter" in w for w in result.warnings) == (result.events_per_variable < 10)
    assert result.selection is None


def test_screened_model_matches_coxph(cohort: Cohort) -> None:
    """The sensitivity model: key factors plus candidates with univariable LR p < threshold."""
    r_model = cohort.models.loc["screened"]
    result = screened_cox(
        cohort.data, cohort.key, cohort.candidates, threshold=r_model["threshold"],
        duration="months", event="event",
    )
    assert isinstance(result, CoxResult)
    assert result.selected == r_model["selected"].split(";")
    assert counts(result) == (r_model["n"], r_model["events"], r_model["excluded"])
    compare_levels(result.table, cohort.r_table("screened"), "screened")
    np.testing.assert_allclose(result.lr_chisq, r_model["lr_chisq"], rtol=RTOL)
    np.testing.assert_allclose(result.concordance, r_model["concordance"], rtol=RTOL)
    assert result.events_per_variable == pytest.approx(r_model["events"] / r_model["n_parameters"])
    assert any("events per parameter" in w for w in result.warnings) == (result.events_per_variable < 10)
    assert set(result.selection["variable"]) == set(cohort.candidates)


def _zph_models(cohort: Cohort):
    for model in ("multivariable", "screened"):
        selected = cohort.models.loc[model, "selected"].split(";")
        yield model, {v: cohort.factors[v] for v in selected}
    for variable, reference in cohort.factors.items():
        yield f"univariable:{variable}", {variable: reference}


def test_proportional_hazards_matches_cox_zph(cohort: Cohort) -> None:
    compared = 0
    for label, factors in _zph_models(cohort):
        if not_estimable_in_r(cohort.r_table(label)).any():
            continue  # R's diverging coefficient makes its zph value an artefact of where it stopped
        result = cox_model(cohort.data, factors, duration="months", event="event")
        got = proportional_hazards_test(result)
        expected = cohort.zph[cohort.zph["model"] == label]
        assert got["variable"].tolist() == expected["variable"].tolist(), label
        np.testing.assert_array_equal(got["df"], expected["df"])
        np.testing.assert_allclose(got["chisq"], expected["chisq"], rtol=RTOL, err_msg=label)
        np.testing.assert_allclose(got["p"], expected["p"], rtol=RTOL, atol=1e-12, err_msg=label)
        assert got["method"].str.contains("cox.zph").all()
        compared += 1
    assert compared >= 2


def test_rows_with_missing_values_are_excluded_and_reported() -> None:
    cohort = Cohort("gbsg2")  # tsize_group is missing for every 25th patient, by design
    result = cox_model(cohort.data, {"tsize_group": "<=20"}, duration="months", event="event")
    assert result.excluded == 27 == cohort.models.loc["univariable:tsize_group", "excluded"]
    assert result.n == len(cohort.data) - 27
    assert any("27 patients excluded" in w and "tsize_group: 27" in w for w in result.warnings)


# ---------------------------------------------------------------------------------------------
# Behaviour on small, awkward data (no R counterpart needed)


def small_cohort(seed: int = 1, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "pfs_months": rng.exponential(10, n).round(1) + 0.1,
            "pfs_event": rng.integers(0, 2, n),
            "tki_agent": rng.choice(["pyrotinib", "lapatinib", "neratinib"], n, p=[0.7, 0.2, 0.1]),
            "ecog": rng.choice(["0", "1"], n),
        }
    )
    data.loc[data["tki_agent"] == "neratinib", "pfs_event"] = 0  # a level without events
    return data


def test_level_without_events_is_reported_not_infinite() -> None:
    data = small_cohort()
    for result in [
        cox_model(data, {"tki_agent": "pyrotinib", "ecog": "0"}),
        cox_model(data, {"tki_agent": "pyrotinib"}),  # singular information: refit path
    ]:
        row = result.table.set_index(["variable", "level"]).loc[("tki_agent", "neratinib")]
        assert row["events"] == 0 and np.isnan(row[["hr", "lower", "upper", "p"]].astype(float)).all()
        assert any("neratinib" in w and "not estimable" in w for w in result.warnings)
        lapatinib = result.table.set_index(["variable", "level"]).loc[("tki_agent", "lapatinib")]
        assert np.isfinite(lapatinib["hr"]) and 0.1 < lapatinib["hr"] < 10
        assert np.isfinite(result.lr_p)


def test_reference_rows_and_level_order() -> None:
    data = small_cohort()
    data["ecog"] = pd.Categorical(data["ecog"], categories=["1", "0"])
    table = cox_model(data, {"ecog": "0", "tki_agent": "pyrotinib"}).table
    assert table["level"].tolist() == ["0", "1", "pyrotinib", "lapatinib", "neratinib"]
    reference = table[table["reference"]]
    assert (reference["hr"] == 1.0).all() and reference[["lower", "upper", "p"]].isna().all().all()
    assert table.groupby("variable")["n"].sum().eq(len(data)).all()


def test_bad_reference_and_single_level_factor() -> None:
    data = small_cohort()
    with pytest.raises(ValueError, match="reference level"):
        cox_model(data, {"ecog": "2"})
    data["centre"] = "Nanjing"
    result = cox_model(data, {"centre": "Nanjing", "ecog": "0"})
    assert any("centre: every analysed patient is in one level" in w for w in result.warnings)
    centre = result.table[result.table["variable"] == "centre"]
    assert len(centre) == 1 and not centre["reference"].any() and centre["hr"].isna().all()
    assert "centre" not in result.terms and "ecog" in result.terms
    # Every patient in the level that is not the reference (every patient benefited): no error,
    # the factor is left out and said to be not estimable.
    data["centre"] = "Hangzhou"
    result = cox_model(data, {"centre": "Nanjing", "ecog": "0"})
    assert any("'Hangzhou'" in w and "not estimable" in w for w in result.warnings)
    assert result.table.loc[result.table["variable"] == "centre", "hr"].isna().all()


def test_low_events_per_variable_warns() -> None:
    data = small_cohort().iloc[:25]
    result = screened_cox(data, {"ecog": "0"}, {"tki_agent": "pyrotinib"}, threshold=1.0)
    assert result.selected == ["ecog", "tki_agent"]
    assert result.events_per_variable == pytest.approx(result.events / 3)
    assert any("events per parameter" in w for w in result.warnings)


def test_level_without_events_gives_the_limit_of_the_fit() -> None:
    """With a level's coefficient at minus infinity its patients leave every risk set: the other
    estimates and the likelihood equal the model fitted without those patients."""
    data = small_cohort()
    with_level = cox_model(data, {"tki_agent": "pyrotinib", "ecog": "0"})
    without = cox_model(data[data["tki_agent"] != "neratinib"], {"tki_agent": "pyrotinib", "ecog": "0"})
    rows = ["lapatinib", "1"]
    got = with_level.table.set_index("level").loc[rows, ["hr", "lower", "upper", "p"]]
    expected = without.table.set_index("level").loc[rows, ["hr", "lower", "upper", "p"]]
    np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float), rtol=1e-9)
    assert with_level.fit.log_likelihood_ == pytest.approx(without.fit.log_likelihood_, rel=1e-12)
    assert with_level.lr_chisq > 0 and with_level.lr_df == 3  # as R: the diverging column counts
