"""Valid data in which every patient is in one level of a key subgroup (issue 11).

Validation passes, so `results` (text and JSON), `export` and every chapter must work, with the
comparison shown as not estimable and why, in every section, table and figure. The data folders
are made at run time from the bundled cohort (tests/broken_data.py), never committed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from broken_data import every_patient_benefited_from_tdm1, every_patient_primary_resistant
from matplotlib.figure import Figure

from analysis.__main__ import main
from analysis.book.execute import INLINE, execute_section
from analysis.book.section_files import find_section
from analysis.config import BUNDLED_DATA
from analysis.report.context import ReportContext
from analysis.report.report_table import ReportTable
from analysis.report.sections import all_artifacts
from analysis.report.sections import subgroups as section
from analysis.stats.subgroup_analysis import analyse


@pytest.fixture(scope="module")
def one_level_dir(tmp_path_factory) -> Path:
    """Every patient benefited from T-DM1 and every patient had primary trastuzumab resistance."""
    folder = tmp_path_factory.mktemp("one-level") / "data"
    shutil.copytree(BUNDLED_DATA, folder)
    every_patient_benefited_from_tdm1(folder)
    every_patient_primary_resistant(folder)
    return folder


@pytest.fixture(scope="module")
def one_level_ctx(one_level_dir) -> ReportContext:
    return ReportContext.open(one_level_dir)


def test_the_data_are_valid_and_degenerate(one_level_ctx):
    assert set(one_level_ctx.data["tdm1_benefit"]) == {"yes"}
    assert set(one_level_ctx.data["trastuzumab_resistance"]) == {"primary"}


def test_results_text_and_json_say_not_estimable(one_level_dir, capsys):
    assert main(["results", str(one_level_dir)]) == 0
    assert "median PFS" in capsys.readouterr().out
    assert main(["results", str(one_level_dir), "--json"]) == 0
    subgroups = json.loads(capsys.readouterr().out)["subgroups"]
    for key, empty in (("tdm1_benefit", "no"), ("trastuzumab_resistance", "acquired")):
        entry = subgroups[key]
        assert entry["estimable"] is False and entry["hr"] is None and entry["logrank_p"] is None
        assert f"no patient in level '{empty}'" in entry["reason"]
        assert entry["n"][empty] == 0 and entry["median"][empty] is None


def test_every_table_and_figure_builds_and_names_the_problem(one_level_ctx):
    texts = []
    for item in all_artifacts():
        built = item.build(one_level_ctx)
        assert isinstance(built, Figure if item.kind == "figure" else ReportTable), item.label
        if isinstance(built, ReportTable):
            texts.append(" ".join(built.notes) + built.to_frame().to_string())
        else:
            texts.append(" ".join(t.get_text() for t in built.findobj(lambda a: hasattr(a, "get_text"))))
    by_label = dict(zip([a.label for a in all_artifacts()], texts))
    assert "in one level (T-DM1 benefit)" in by_label["fig-pfs-tdm1"]
    assert "log-rank test is not estimable" in by_label["fig-pfs-resistance"]
    assert "Not estimable" in by_label["tbl-cox"] and "nothing to compare" in by_label["tbl-cox"]
    assert "difference not estimable" in by_label["tbl-rmst"]
    assert "Not estimable" in by_label["tbl-rmst"]


def test_facts_quote_not_estimable_with_the_reason(one_level_ctx):
    facts = section.facts(one_level_ctx)
    assert facts.tdm1_logrank.startswith("test not estimable: all 66 patients")
    assert facts.tdm1_hr == "not estimable (all 66 patients with a recorded value are in one level, T-DM1 benefit)"
    assert facts.resistance_hr_adjusted.startswith("not estimable (")
    assert facts.tdm1_rmst.startswith("not estimable (every patient with a recorded value is in one level")
    assert all(str(v) for v in vars(facts).values())  # no empty inline text


def test_one_factor_degenerate_the_other_not(dataset):
    """Only T-DM1 benefit in one level: the model keeps trastuzumab resistance and the covariates."""
    results = analyse(dataset.assign(tdm1_benefit="yes"))
    assert "tdm1_benefit" not in results.multivariable.terms
    assert {"trastuzumab_resistance", "visceral_metastasis", "brain_metastasis"} <= set(results.multivariable.terms)
    difference = results.rmst_difference.set_index("variable")
    assert (~difference.loc["tdm1_benefit", "estimable"].astype(bool)).all()
    assert difference.loc["trastuzumab_resistance", "estimable"].all()
    assert results.ph is not None and results.ph["estimable"].all()


def test_export_writes_every_file(one_level_ctx, tmp_path):
    """The supplement export (what `make supplement` runs), on the same context so the Cox fits are
    reused: with every patient in one level the forest plot and the tables still export."""
    from analysis.book.supplement import export_supplement

    out = tmp_path / "supplement"
    result = export_supplement(one_level_ctx, out)
    names = {p.relative_to(out).as_posix() for p in result.files}
    assert {"main/Table 1.docx", "main/Table 3.xlsx", "main/Figure 2.tif", "main/Figure 2.pdf",
            "manifest.csv"} <= names
    figures = [a for a in all_artifacts() if a.kind == "figure"]
    assert len([n for n in names if n.startswith("source-data/")]) == len(figures)


def test_subgroups_chapter_executes_and_says_why(one_level_dir, monkeypatch):
    monkeypatch.setenv("TKI_DATA_DIR", str(one_level_dir))
    notebook = execute_section(find_section("subgroups"))
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not INLINE.search(markdown)
    assert "log-rank test not estimable: all 66 patients with a recorded value are in one level" in markdown
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert isinstance(notebook, nbformat.NotebookNode)
