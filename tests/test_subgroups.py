"""Subgroups section: statistics against direct computation and R, display tables, artifacts, notebook.

R fixtures (tests/reference/make_reference.R) are read as tests/test_cox.py reads them. The section
runs on the bundled synthetic cohort (ReportContext.open()); the R fixtures were fitted to the same
derived data (checked first, so a stale fixture fails with a clear message). Tolerance against R:
1e-4 relative on hazard ratios, limits, p-values, medians and test statistics (observed ~1e-9).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats
from tests_paths import FIXTURES, read_fixture

from analysis.book.execute import INLINE, execute_section
from analysis.book.section_files import find_section
from analysis.report import subgroup_tables
from analysis.report.context import ReportContext
from analysis.report.report_table import ReportTable
from analysis.report.sections import all_artifacts
from analysis.report.sections import subgroups as section
from analysis.report.tables import fmt_count, fmt_p
from analysis.stats import subgroup_analysis as subgroups
from analysis.stats.cox import cox_model
from analysis.stats.survival import logrank_test, median_brookmeyer_crowley

RTOL = 1e-4
HAS_R_FIXTURES = (FIXTURES / "synthetic_cox_models.csv").exists()
needs_r = pytest.mark.skipif(not HAS_R_FIXTURES,
                             reason="synthetic R fixtures absent: see tests/reference/README.md")


@pytest.fixture(scope="module")
def ctx() -> ReportContext:
    return ReportContext.open()


@pytest.fixture(scope="module")
def results(ctx):
    return section.results(ctx)


@pytest.fixture(scope="module")
def r_spec() -> pd.DataFrame:
    return read_fixture("synthetic_cox_factors")


@pytest.fixture(scope="module")
def r_coefficients() -> pd.DataFrame:
    return read_fixture("synthetic_cox_coefficients", text_columns=["level"])


@pytest.fixture(scope="module")
def r_models() -> pd.DataFrame:
    return read_fixture("synthetic_cox_models").set_index("model")


def small_context(ctx: ReportContext, data: pd.DataFrame) -> ReportContext:
    """A context over constructed data (same study metadata), for edge cases."""
    return ReportContext(study=ctx.study, data=data.reset_index(drop=True))


# ---------------------------------------------------------------------------------------------
# The factor dictionary is R's


@needs_r
def test_factor_dictionary_is_the_one_r_fits(r_spec):
    """R fits the models the package declares: factors, references and roles from the one
    declaration (analysis.study.model_design), exported by tests/reference/export_model_spec.py."""
    from analysis.study import model_design

    assert subgroups.FACTORS == dict(zip(r_spec["variable"], r_spec["reference"].astype(str)))
    assert list(model_design.KEY_FACTORS) == r_spec.loc[r_spec["role"] == "key", "variable"].tolist()
    assert (list(model_design.PRESPECIFIED_COVARIATES)
            == r_spec.loc[r_spec["role"] == "prespecified", "variable"].tolist())
    assert subgroups.PRESPECIFIED_FACTORS == model_design.KEY_FACTORS + model_design.PRESPECIFIED_COVARIATES
    assert model_design.SELECTION_THRESHOLD == 0.10


@needs_r
def test_model_spec_file_is_the_declaration():
    """The specification R read is the one export_model_spec.py writes now (not stale)."""
    import importlib.util

    from tests_paths import REFERENCE_DIR
    spec = importlib.util.spec_from_file_location("export_model_spec", REFERENCE_DIR / "export_model_spec.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = pd.read_csv(REFERENCE_DIR / "synthetic_model_spec.csv", dtype=str, keep_default_na=False)
    assert committed.equals(module.model_spec().astype(str)), "re-run make references"


@needs_r
def test_section_data_are_the_data_r_analysed(ctx):
    r_data = read_fixture("synthetic_analysis_data", text_columns=list(subgroups.FACTORS))
    assert len(r_data) == ctx.n, "fixtures are stale: re-run tests/reference/make_reference.R"
    np.testing.assert_allclose(ctx.data["pfs_months"].to_numpy(float), r_data["months"], rtol=1e-12)
    np.testing.assert_array_equal(ctx.data["pfs_event"].to_numpy(float), r_data["event"])
    for variable in subgroups.FACTORS:
        ours = ctx.data[variable].astype(object).where(ctx.data[variable].notna(), None)
        theirs = r_data[variable].astype(object).where(r_data[variable].notna(), None)
        assert ours.tolist() == theirs.tolist(), variable


# ---------------------------------------------------------------------------------------------
# PFS by level: direct computation and R


def test_pfs_by_level_counts_medians_and_logrank_direct(ctx):
    data = ctx.data
    for variable, reference in subgroups.FACTORS.items():
        table = subgroups.pfs_by_level(data, variable, reference)
        values = data[variable].astype(object)
        recorded = sorted(set(values.dropna()))
        assert table["level"].iloc[0] == reference and sorted(table["level"]) == recorded
        for row in table.itertuples():
            mask = (values == row.level).to_numpy(dtype=bool)
            assert row.n == mask.sum()
            assert row.events == data.loc[mask, "pfs_event"].sum()
            direct = median_brookmeyer_crowley(data.loc[mask, "pfs_months"], data.loc[mask, "pfs_event"])
            expected = [np.nan if v is None else v for v in (direct.estimate, direct.lower, direct.upper)]
            np.testing.assert_array_equal([row.median, row.lower, row.upper], expected)
        assert table["missing"].iloc[0] == values.isna().sum()
        assert table["n"].sum() + table["missing"].iloc[0] == len(data)
        direct_test = logrank_test(data["pfs_months"], data["pfs_event"], values)
        assert table["logrank_p"].iloc[0] == pytest.approx(direct_test.p, rel=1e-12)


@needs_r
def test_key_factor_medians_and_logrank_match_r(results):
    medians = read_fixture("synthetic_median_by_group", text_columns=["group"])
    logrank = read_fixture("synthetic_logrank").set_index("grouping")
    pfs = results.pfs.set_index(["variable", "level"])
    for r in medians.itertuples():
        ours = pfs.loc[(r.grouping, r.group)]
        assert ours["n"] == r.n
        for column in ("estimate", "lower", "upper"):
            expected = getattr(r, column)
            got = ours["median" if column == "estimate" else column]
            if np.isnan(expected):
                assert np.isnan(got)
            else:
                assert got == pytest.approx(expected, rel=RTOL)
    for variable in subgroups.KEY_FACTORS:
        ours = results.pfs[results.pfs["variable"] == variable].iloc[0]
        assert ours["logrank_chisq"] == pytest.approx(logrank.loc[variable, "chisq"], rel=RTOL)
        assert ours["logrank_p"] == pytest.approx(logrank.loc[variable, "p"], rel=RTOL)


# ---------------------------------------------------------------------------------------------
# Cox models: the section's tables against R's coxph / cox.zph


def compare_with_r(got: pd.DataFrame, r_rows: pd.DataFrame, label: str) -> None:
    merged = r_rows.merge(got, on=["variable", "level"], suffixes=("_r", ""), validate="one_to_one")
    assert len(merged) == len(r_rows) == len(got), f"{label}: levels differ from R"
    np.testing.assert_array_equal(merged["reference"].astype(bool), merged["reference_r"].astype(bool))
    np.testing.assert_array_equal(merged["n"], merged["n_r"], err_msg=f"{label}: n")
    np.testing.assert_array_equal(merged["events"], merged["events_r"], err_msg=f"{label}: events")
    for column in ("hr", "lower", "upper", "p"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_r"], rtol=RTOL, equal_nan=True,
                                   err_msg=f"{label}: {column}")


@needs_r
def test_section_univariable_table_matches_coxph(results, r_coefficients, r_models):
    table = results.univariable
    assert list(pd.unique(table["variable"])) == list(subgroups.FACTORS)
    for variable in subgroups.FACTORS:
        label = f"univariable:{variable}"
        got = table[table["variable"] == variable]
        compare_with_r(got, r_coefficients[r_coefficients["model"] == label], label)
        assert got["p_overall"].iloc[0] == pytest.approx(r_models.loc[label, "lr_p"], rel=RTOL)
        assert got["n_analysed"].iloc[0] == r_models.loc[label, "n"]


@needs_r
def test_section_multivariable_model_matches_coxph(results, r_coefficients, r_models):
    model = results.multivariable
    r_model = r_models.loc["multivariable"]
    assert model.selected == r_model["selected"].split(";")
    assert (model.n, model.events) == (r_model["n"], r_model["events"])
    compare_with_r(model.table, r_coefficients[r_coefficients["model"] == "multivariable"], "multivariable")
    assert model.lr_p == pytest.approx(r_model["lr_p"], rel=RTOL)
    assert model.events_per_variable == pytest.approx(r_model["events"] / r_model["n_parameters"])


@needs_r
def test_section_screened_model_matches_coxph(results, r_coefficients, r_models):
    """The sensitivity model (covariates screened on univariable LR p) is R's 'screened' model."""
    model = results.screened
    r_model = r_models.loc["screened"]
    assert model.selected == r_model["selected"].split(";")
    assert (model.n, model.events) == (r_model["n"], r_model["events"])
    compare_with_r(model.table, r_coefficients[r_coefficients["model"] == "screened"], "screened")
    assert model.lr_p == pytest.approx(r_model["lr_p"], rel=RTOL)


@needs_r
def test_section_ph_table_matches_cox_zph(results):
    zph = read_fixture("synthetic_cox_zph")
    expected = zph[zph["model"] == "multivariable"]
    got = results.ph
    assert got["variable"].tolist() == expected["variable"].tolist()
    np.testing.assert_array_equal(got["df"], expected["df"])
    np.testing.assert_allclose(got["chisq"], expected["chisq"], rtol=RTOL)
    np.testing.assert_allclose(got["p"], expected["p"], rtol=RTOL)
    assert got["estimable"].all()


@needs_r
def test_displayed_cox_table_shows_the_r_numbers(ctx, r_coefficients, r_models):
    """Each displayed HR (95% CI) and p is R's value, rounded as the table rounds."""
    frame = section.cox_models(ctx).to_frame()
    by_label = {}
    for model, prefix in (("univariable", "Univariable"), ("multivariable", "Multivariable")):
        for variable in subgroups.FACTORS:
            name = f"univariable:{variable}" if model == "univariable" else "multivariable"
            rows = r_coefficients[(r_coefficients["model"] == name)
                                  & (r_coefficients["variable"] == variable)]
            if rows.empty:
                continue
            header = frame.index[frame["Characteristic"] == subgroup_tables.factor_label(variable)][0]
            block = frame.loc[header + 1: header + len(rows)].set_index("Characteristic")
            assert block.index[0] == subgroup_tables.level_label(variable, subgroups.FACTORS[variable])
            for r in rows.itertuples():
                shown = block.loc[subgroup_tables.level_label(variable, r.level)]
                hr_text = ("Reference" if r.reference else subgroup_tables.fmt_hr(r.hr, r.lower, r.upper))
                assert shown[f"{prefix} HR (95% CI)"] == hr_text
                assert shown[f"{prefix} LR p"] == ""  # one test per column: no Wald p on level rows
                assert shown[f"{prefix} N"] == str(r.n) and shown[f"{prefix} events"] == str(r.events)
            if model == "univariable":
                assert frame.loc[header, "Univariable LR p"] == fmt_p(r_models.loc[name, "lr_p"])
            by_label[(model, variable)] = True
    selected = r_models.loc["multivariable", "selected"].split(";")
    assert len([k for k in by_label if k[0] == "multivariable"]) == len(selected)


def test_multivariable_factor_tests_match_r_drop1(ctx):
    """Likelihood-ratio test per factor = R's drop1(fit, test = "Chisq"). Values printed by R 4 /
    survival 3 for coxph(Surv(months, event) ~ tdm1_benefit + tki_partner, ties = "efron") on
    tests/reference/fixtures/synthetic_analysis_data.csv (references "no", "capecitabine"):
    LRT 17.431868730 (1 df) and 9.170175581 (3 df), p 2.9779e-05 and 0.027112."""
    model = cox_model(ctx.data, {"tdm1_benefit": "no", "tki_partner": "capecitabine"})
    tests = subgroups.multivariable_factor_tests(ctx.data, model).set_index("variable")
    assert tests.loc["tdm1_benefit", "chisq"] == pytest.approx(17.431868730, rel=1e-7)
    assert tests.loc["tki_partner", "chisq"] == pytest.approx(9.170175581, rel=1e-7)
    assert tests["df"].tolist() == [1, 3]
    assert tests.loc["tdm1_benefit", "p"] == pytest.approx(2.9779e-05, rel=1e-4)
    assert tests.loc["tki_partner", "p"] == pytest.approx(0.027112, rel=1e-4)
    single = cox_model(ctx.data, {"tdm1_benefit": "no"})
    only = subgroups.multivariable_factor_tests(ctx.data, single)
    assert only["p"].iloc[0] == pytest.approx(single.lr_p, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Response by subgroup


def test_response_counts_and_fisher_p_direct(ctx):
    data = ctx.data
    frame = subgroups.response_by_subgroup(data)
    assert list(pd.unique(frame["variable"])) == [s.variable for s in subgroups.RESPONSE_SPLITS]
    for split in subgroups.RESPONSE_SPLITS:
        values = data[split.variable].astype(object)
        recorded = values.notna().to_numpy(dtype=bool)
        first = (values == split.level).to_numpy(dtype=bool) & recorded
        second = ~first & recorded
        rows = frame[frame["variable"] == split.variable].set_index("level")
        assert rows.index.tolist() == [split.level, split.other]
        for flag, prefix in (("objective_response", "orr"), ("clinical_benefit", "cbr")):
            k = data[flag].to_numpy()
            a, b = int(k[first].sum()), int(k[second].sum())
            n_a, n_b = int(first.sum()), int(second.sum())
            assert rows.loc[split.level, ["n", f"{prefix}_n"]].tolist() == [n_a, a]
            assert rows.loc[split.other, ["n", f"{prefix}_n"]].tolist() == [n_b, b]
            assert rows.loc[split.level, f"{prefix}_pct"] == pytest.approx(100 * a / n_a)
            expected = stats.fisher_exact([[a, n_a - a], [b, n_b - b]], alternative="two-sided").pvalue
            assert rows[f"{prefix}_p"].tolist() == pytest.approx([expected, expected], rel=1e-12)
        assert rows["missing"].iloc[0] == (~recorded).sum()


def test_fisher_p_is_r_fisher_test():
    """R: fisher.test(matrix(c(3, 10, 2, 51), 2))$p.value = 0.0484831029185868;
    fisher.test(matrix(c(30, 14, 6, 16), 2))$p.value = 0.00340792008217635."""
    assert subgroups.fisher_2x2([3, 2], [13, 53]) == pytest.approx(0.0484831029185868, rel=1e-10)
    assert subgroups.fisher_2x2([30, 6], [44, 22]) == pytest.approx(0.00340792008217635, rel=1e-10)
    assert np.isnan(subgroups.fisher_2x2([3, 0], [10, 0]))


def test_fisher_p_equals_scipy_on_many_tables():
    """fisher_2x2 builds the table from responders and group sizes as SciPy's fisher_exact reads it:
    small, lopsided, tied (symmetric margins) and large tables."""
    rng = np.random.default_rng(2026)
    tables = [(0, 0, 5, 7), (5, 7, 5, 7), (4, 4, 8, 8), (1, 9, 10, 10), (0, 12, 12, 12),
              (30, 6, 44, 22), (12_000, 11_800, 50_000, 50_000)]
    for _ in range(200):
        n_a, n_b = rng.integers(1, 80, 2)
        tables.append((int(rng.integers(0, n_a + 1)), int(rng.integers(0, n_b + 1)), int(n_a), int(n_b)))
    for a, b, n_a, n_b in tables:
        expected = stats.fisher_exact([[a, n_a - a], [b, n_b - b]], alternative="two-sided").pvalue
        assert subgroups.fisher_2x2([a, b], [n_a, n_b]) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_pooled_splits_and_unexpected_values(ctx):
    frame = subgroups.response_by_subgroup(ctx.data).set_index(["variable", "level"])
    assert frame.loc[("ecog", "≥1"), "members"] == "1;≥2"
    assert frame.loc[("tki_agent", "other"), "members"] == "lapatinib;neratinib"
    data = ctx.data.copy()
    data["hormone_receptor"] = data["hormone_receptor"].astype(object)
    data.loc[0, "hormone_receptor"] = "unknown"
    with pytest.raises(ValueError, match="neither"):
        subgroups.response_by_subgroup(data, [subgroups.Split("hormone_receptor", "positive", "negative")])


# ---------------------------------------------------------------------------------------------
# Display tables: EPV warning, not estimable, small cells


def test_epv_warning_when_fewer_than_ten_events_per_parameter(ctx):
    small = ctx.data.iloc[:16]
    small_ctx = small_context(ctx, small)
    model = section.results(small_ctx).multivariable
    assert model.events_per_variable < 10
    notes = section.cox_models(small_ctx).notes
    assert subgroup_tables.EPV_WARNING in notes
    assert any(n.startswith("Events per parameter (EPV)") for n in notes)
    assert "below 10" in section.facts(small_ctx).epv_warning
    assert subgroup_tables.EPV_WARNING not in section.cox_models(ctx).notes
    # Never empty text (an empty inline expression is left as source by Quarto): says it is fine.
    assert section.facts(ctx).epv_warning.startswith("within the conventional minimum")


def test_level_without_events_reads_not_estimable(ctx):
    data = ctx.data.copy()
    data.loc[data["tki_agent"] == "neratinib", "pfs_event"] = 0
    constructed = small_context(ctx, data)
    table = section.cox_models(constructed)
    frame = table.to_frame()
    tki = frame.index[frame["Characteristic"] == "TKI"][0]
    neratinib = frame.loc[tki + 1: tki + 3].set_index("Characteristic").loc["Neratinib"]
    assert neratinib["Univariable HR (95% CI)"] == "Not estimable"
    assert neratinib["Univariable events"] == "0"
    assert any("Not estimable (univariable)" in n and "Neratinib" in n and "no events" in n
               for n in table.notes)
    assert "not estimable for TKI Neratinib" in section.facts(constructed).not_estimable
    assert isinstance(section.forest(constructed), Figure)


def test_not_estimable_factor_in_the_ph_table():
    rng = np.random.default_rng(3)
    n = 80
    data = pd.DataFrame({"pfs_months": rng.exponential(10, n) + 0.1, "pfs_event": rng.integers(0, 2, n),
                         "tdm1_benefit": rng.choice(["yes", "no"], n),
                         "tki_agent": rng.choice(["pyrotinib", "lapatinib", "neratinib"], n, p=[.6, .3, .1])})
    data.loc[data["tki_agent"] == "neratinib", "pfs_event"] = 0
    model = cox_model(data, {"tdm1_benefit": "no", "tki_agent": "pyrotinib"})
    zph = subgroups.proportional_hazards_table(model)
    assert zph.set_index("variable")["estimable"].to_dict() == {"tdm1_benefit": True, "tki_agent": False,
                                                                "GLOBAL": False}
    frame = subgroup_tables.ph_table(zph, model).to_frame().set_index("Factor")
    assert frame.loc["TKI", "p"] == "Not estimable" and frame.loc["Global", "p"] == "Not estimable"


COUNT_COLUMNS = {"tbl-subgroup-medians": ["n", "Events"],
                 "tbl-cox": ["Univariable N", "Univariable events", "Multivariable N",
                             "Multivariable events"],
                 "tbl-response-subgroups": ["n", "ORR, n (%)", "CBR, n (%)"]}


@pytest.mark.parametrize("label", sorted(COUNT_COLUMNS))
def test_small_cell_threshold_suppresses_counts(ctx, label):
    public = dataclasses.replace(ctx, small_cell_threshold=5)  # as TKI_SMALL_CELL_THRESHOLD=5 sets it
    frame = section_artifacts()[label].build(public).to_frame()
    cells = pd.concat([frame[c] for c in COUNT_COLUMNS[label]])
    cells = cells[cells != ""]
    assert cells.str.startswith("<5").any()
    counts = pd.to_numeric(cells.str.extract(r"^(\d+)")[0], errors="coerce").dropna()
    assert not counts.between(1, 4).any()
    assert fmt_count(3, 5) == "<5"


def test_response_table_layout(ctx):
    table = section.response_subgroups(ctx)
    frame = table.to_frame()
    assert frame.columns.tolist() == ["Characteristic", "n", "ORR, n (%)", "ORR p", "CBR, n (%)", "CBR p"]
    assert "Other TKI (lapatinib, neratinib)" in frame["Characteristic"].tolist()
    assert any("fisher_exact" in n and "Monte Carlo" in n for n in table.notes)
    header = frame.set_index("Characteristic").loc["Prior T-DM1 benefit"]
    p = section.results(ctx).response.query("variable == 'tdm1_benefit'")["cbr_p"].iloc[0]
    assert header["CBR p"] == fmt_p(p)


def test_cox_table_notes_name_the_methods(ctx):
    table = section.cox_models(ctx)
    notes = " ".join(table.notes)
    for phrase in ("Efron", "Wald interval", "likelihood-ratio test", "pre-specified", "Events per parameter",
                   "not adjusted for multiplicity", "no per-level Wald p"):
        assert phrase in notes, phrase
    # One named test per column; the prefix pattern "Univariable <statistic>" is kept.
    p_columns = [c for c in table.to_frame().columns if c.endswith(" p")]
    assert p_columns == ["Univariable LR p", "Multivariable LR p"]
    sensitivity = " ".join(section.cox_sensitivity(ctx).notes)
    assert "p < 0.10" in sensitivity and "sensitivity analysis" in sensitivity
    ph_notes = " ".join(section.proportional_hazards(ctx).notes)
    assert "scaled Schoenfeld residuals" in ph_notes and "Kaplan–Meier time transform" in ph_notes
    assert "cox.zph" in ph_notes


# ---------------------------------------------------------------------------------------------
# Artifacts, narrative, notebook


def section_artifacts():
    return {a.label: a for a in all_artifacts() if a.section == "subgroups"}


def test_every_artifact_returns_a_table_or_figure(ctx):
    artifacts = section_artifacts()
    assert set(artifacts) == {"fig-pfs-tdm1", "fig-pfs-resistance", "tbl-subgroup-medians", "tbl-rmst",
                              "tbl-cox", "tbl-ph", "tbl-cox-sensitivity", "fig-forest",
                              "tbl-response-subgroups"}
    for label, item in artifacts.items():
        built = item.build(ctx)
        assert isinstance(built, Figure if item.kind == "figure" else ReportTable), label
        fixed = ("95%", "every 3 months", "T-DM1")  # wording, not results
        assert not re.search(r"\d", re.sub("|".join(map(re.escape, fixed)), "", item.caption)), label


def test_results_are_computed_once_per_context(ctx):
    assert section.results(ctx) is section.results(ctx)
    other = ReportContext(study=ctx.study, data=ctx.data)
    assert section.results(other) is not section.results(ctx)


def test_facts_phrases(ctx, results):
    facts = section.facts(ctx)
    for variable, phrase in (("tdm1_benefit", facts.tdm1_logrank),
                             ("trastuzumab_resistance", facts.resistance_logrank)):
        p = fmt_p(results.pfs.loc[results.pfs["variable"] == variable, "logrank_p"].iloc[0])
        assert phrase == ("p < 0.001" if p == "<0.001" else f"p = {p}")
    assert "with prior T-DM1 benefit" in facts.tdm1_medians and "NR" not in facts.tdm1_medians
    assert facts.tdm1_hr.startswith("0.33 (95% CI 0.18–0.60")
    assert facts.selected == "visceral metastasis"  # the screened sensitivity model
    assert facts.covariates == "visceral metastasis and brain metastasis"  # the pre-specified model
    assert facts.epv.startswith("12.0 events per estimated parameter (48 events, 4 parameters)")
    assert facts.tdm1_hr.endswith("likelihood-ratio p < 0.001)")
    assert facts.tdm1_rmst.startswith("3.0 months (95% CI 0.9–5.0) at 12 months and 7.5 months")
    assert facts.ph.startswith("gave a global p = ")
    assert facts.not_estimable == "every hazard ratio was estimable"


def test_notebook_executes_headless_with_inline_values():
    notebook = execute_section(find_section("subgroups"))
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not INLINE.search(markdown)
    assert "# Subgroups {#sec-subgroups}" in markdown
    assert "exploratory" in markdown and "not adjusted for multiplicity" in markdown
    for label in section_artifacts():
        assert f"::: {{#{label}}}" in markdown


def test_narrative_types_no_numbers():
    """Numbers reach the prose only through inline expressions (no typed %, months or patients)."""
    import jupytext

    notebook = jupytext.read(find_section("subgroups").script)
    prose = "\n".join(INLINE.sub("", c.source) for c in notebook.cells if c.cell_type == "markdown")
    prose = prose.replace("95% CI", "")
    assert not re.search(r"\d+(\.\d+)?\s*(%|months?|patients?)", prose)


# ---------------------------------------------------------------------------------------------
# Scale: the counting parts at N = 100,000 (the Cox fits are tested in test_cox)


def test_counts_and_tests_scale_to_100k(ctx):
    big = ctx.data.sample(100_000, replace=True, random_state=7).reset_index(drop=True)
    pfs = subgroups.pfs_by_subgroup(big)
    response = subgroups.response_by_subgroup(big)
    for frame in (pfs, response):
        by_factor = frame.groupby("variable")
        assert by_factor["n"].sum().add(by_factor["missing"].first()).eq(100_000).all()
    assert response["orr_p"].between(0, 1).all()
    table = subgroup_tables.response_subgroup_table(response)
    assert isinstance(table, ReportTable)


# ---------------------------------------------------------------------------------------------
# One level order everywhere: the reference level first


def test_reference_level_comes_first_in_every_table_and_figure(ctx):
    def first_level(table: ReportTable, factor_row: str) -> str:
        frame = table.to_frame()
        header = frame.index[frame["Characteristic"] == factor_row][0]
        return frame.loc[header + 1, "Characteristic"]

    tables = {"medians": section.subgroup_medians(ctx), "cox": section.cox_models(ctx),
              "response": section.response_subgroups(ctx)}
    for variable, reference in subgroups.FACTORS.items():
        expected = subgroup_tables.level_label(variable, reference)
        for name, table in tables.items():
            assert first_level(table, subgroup_tables.factor_label(variable)) == expected, (name, variable)
    rmst = section.rmst(ctx)
    for variable in subgroups.KEY_FACTORS:
        reference = subgroups.FACTORS[variable]
        assert first_level(rmst, subgroup_tables.factor_label(variable)) == \
            subgroup_tables.level_label(variable, reference)
        from analysis.report import style
        assert next(iter(style.SUBGROUP_LEVELS[variable])) == reference  # KM curves and risk table
    for split in subgroups.RESPONSE_SPLITS:
        assert split.level == subgroups.FACTORS[split.variable], split.variable


def test_notes_use_proper_plurals(ctx):
    data = ctx.data.copy()
    complete = [v for v in ("age_group", "hormone_receptor", "prior_pertuzumab") if data[v].notna().all()]
    assert len(complete) >= 2
    data.loc[data.index[:1], complete[0]] = None
    data.loc[data.index[:2], complete[1]] = None
    small_ctx = small_context(ctx, data)
    notes = " ".join(section.cox_models(small_ctx).notes + section.subgroup_medians(small_ctx).notes
                     + section.response_subgroups(small_ctx).notes)
    assert "(s)" not in notes
    assert f"{subgroup_tables.factor_label(complete[0])}: 1 patient with no recorded value" in notes
    assert f"{subgroup_tables.factor_label(complete[1])}: 2 patients with no recorded value" in notes
