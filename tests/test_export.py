"""The journal supplement (`make supplement`, analysis.book.supplement): the manuscript's tables and
figures numbered as supplement.yml says, editable Word tables, 300 dpi TIFF and vector PDF figures,
figure source data, the manifest, errors in supplement.yml, small cells and byte stability."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from analysis.__main__ import main
from analysis.book.supplement import APPENDIX_FILES, TIFF_DPI, export_supplement
from analysis.book.supplement_plan import PLAN_FILE, PlanError, read_plan
from analysis.config import BUNDLED_DATA
from analysis.report.context import ReportContext
from analysis.report.report_table import read_saved
from analysis.report.sections import all_artifacts

DEFAULT_MAIN = ["tbl-baseline", "fig-pfs", "tbl-response", "fig-forest", "tbl-ae"]


@pytest.fixture(scope="module")
def two_exports(tmp_path_factory):
    """Two exports of the bundled data, without Quarto (the appendix is tested below with it)."""
    ctx = ReportContext.open(BUNDLED_DATA)
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    return (export_supplement(ctx, first), first), (export_supplement(ctx, second), second)


def _manifest(folder: Path) -> list[dict[str, str]]:
    with open(folder / "manifest.csv", encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as document:
        return document.read("word/document.xml").decode("utf-8")


# ----------------------------------------------------------------------------- the plan
def test_the_committed_plan_puts_the_papers_five_items_in_the_manuscript():
    planned = read_plan(all_artifacts())
    main_items = [(p.number, p.label) for p in planned if p.place == "main"]
    assert main_items == [("Table 1", "tbl-baseline"), ("Figure 1", "fig-pfs"), ("Table 2", "tbl-response"),
                          ("Figure 2", "fig-forest"), ("Table 3", "tbl-ae")]
    appendix = [p for p in planned if p.place == "appendix"]
    labels = [a.label for a in all_artifacts() if a.label not in DEFAULT_MAIN]
    assert [p.label for p in appendix] == labels  # report order
    tables = [p.number for p in appendix if p.kind == "table"]
    assert tables == [f"Table S{i}" for i in range(1, len(tables) + 1)]
    assert [p.number for p in appendix if p.kind == "figure"][0] == "Figure S1"


def test_numbers_follow_the_order_of_the_plan(tmp_path):
    plan = tmp_path / "supplement.yml"
    plan.write_text("main:\n  - fig-forest\n  - tbl-cox\n  - fig-pfs\nappendix:\n  - fig-ae\n  - tbl-ph\n")
    planned = {p.label: p.number for p in read_plan(all_artifacts(), plan)}
    assert planned["fig-forest"] == "Figure 1" and planned["tbl-cox"] == "Table 1" and planned["fig-pfs"] == "Figure 2"
    assert planned["fig-ae"] == "Figure S1" and planned["tbl-ph"] == "Table S1"  # listed first
    assert planned["tbl-baseline"] == "Table S2" and planned["fig-flow"] == "Figure S2"  # then report order


@pytest.mark.parametrize("text, message", [
    ("main:\n  - tbl-baseline\n  - fig-nowhere\n", "line 3: label 'fig-nowhere': no table or figure"),
    ("main:\n  - tbl-baseline\n  - fig-pfs\n  - tbl-baseline\n", "line 4: label 'tbl-baseline': listed again (first on line 2)"),
    ("main:\n  - fig-pfs\nappendix:\n  - fig-pfs\n", "line 4: label 'fig-pfs': listed again (first on line 2)"),
    ("main:\n  - tbl-baseline\n - fig-pfs\n", "line 3: not valid YAML"),
    ("main: [tbl-baseline\n", "not valid YAML"),
    ("manuscript:\n  - tbl-baseline\n", "line 1: unknown key 'manuscript'"),
    ("main: tbl-baseline\n", "line 1: 'main' must be a list of labels"),
])
def test_a_bad_plan_names_the_file_the_line_and_the_label(tmp_path, text, message):
    plan = tmp_path / "supplement.yml"
    plan.write_text(text)
    with pytest.raises(PlanError) as error:
        read_plan(all_artifacts(), plan)
    assert str(error.value).startswith(str(plan)) and message in str(error.value)


def test_the_command_refuses_a_bad_plan_with_exit_2_and_writes_nothing(tmp_path, capsys):
    plan = tmp_path / "supplement.yml"
    plan.write_text("main:\n  - tbl-baseline\n  - tbl-nowhere\n")
    out = tmp_path / "supplement"
    assert main(["export", str(BUNDLED_DATA), "--out", str(out), "--plan", str(plan), "--no-appendix"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{plan}, line 3: label 'tbl-nowhere'" in err[0]
    assert not out.exists()


# ----------------------------------------------------------------------------- the files
def test_the_manuscript_files_are_numbered_and_listed_in_the_manifest(two_exports):
    (result, folder), _ = two_exports
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    expected_main = ["main/Figure 1.pdf", "main/Figure 1.tif", "main/Figure 2.pdf", "main/Figure 2.tif",
                     "main/Table 1.docx", "main/Table 1.xlsx", "main/Table 2.docx", "main/Table 2.xlsx",
                     "main/Table 3.docx", "main/Table 3.xlsx"]
    figures = [p for p in read_plan(all_artifacts()) if p.kind == "figure"]
    expected_source = sorted(f"source-data/{p.number}.csv" for p in figures)
    assert names == sorted(expected_main + expected_source + ["manifest.csv"])
    assert sorted(p.relative_to(folder).as_posix() for p in result.files) == names
    rows = _manifest(folder)
    assert sorted(r["file"] for r in rows) == sorted(expected_main + expected_source)
    ctx = ReportContext.open(BUNDLED_DATA)
    by_file = {r["file"]: r for r in rows}
    assert by_file["main/Figure 2.tif"]["label"] == "fig-forest"
    assert by_file["main/Figure 2.tif"]["caption"] == str(ctx.caption("fig-forest"))
    assert by_file["source-data/Figure S1.csv"]["label"] == "fig-flow"
    assert "not written" in result.appendix_note and "Quarto" in result.appendix_note


def test_figures_are_300_dpi_lzw_tiff_and_vector_pdf(two_exports):
    (_, folder), _ = two_exports
    with Image.open(folder / "main" / "Figure 1.tif") as image:
        assert round(image.info["dpi"][0]) >= 300 and TIFF_DPI >= 300
        assert image.info["compression"] == "tiff_lzw"
        assert image.size[0] >= 5 * 300  # about the report width at 300 dpi
    assert (folder / "main" / "Figure 1.pdf").read_bytes().startswith(b"%PDF")


def test_tables_are_editable_word_tables_with_caption_and_notes(two_exports):
    import docx

    (_, folder), _ = two_exports
    document = docx.Document(str(folder / "main" / "Table 1.docx"))
    caption = document.paragraphs[0].text
    assert caption.startswith("Table 1. Baseline characteristics")
    table, = document.tables
    expected = read_saved(folder / "main" / "Table 1.xlsx")
    assert [c.text for c in table.rows[0].cells] == list(expected.columns)
    assert [c.text.strip() for c in table.columns[0].cells[1:]][:3] == ["Age, years", "<50", "≥50"]
    assert table.rows[0]._tr.trPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None
    notes = [p.text for p in document.paragraphs[1:]]
    assert ReportContext.open(BUNDLED_DATA).data_note in notes  # synthetic data say so in the file


def test_the_source_data_are_what_the_figures_draw(two_exports):
    (_, folder), _ = two_exports
    pfs = pd.read_csv(folder / "source-data" / "Figure 1.csv")
    assert list(pfs.columns[:3]) == ["group", "months", "at_risk"]
    assert pfs["survival_pct"].is_monotonic_decreasing and pfs["at_risk"].iloc[0] == 66
    forest = pd.read_csv(folder / "source-data" / "Figure 2.csv")
    assert {"variable", "level", "hr", "lower", "upper"} <= set(forest.columns)
    swimmer = pd.read_csv(folder / "source-data" / "Figure S2.csv")  # the swimmer plot
    assert "sequence" in swimmer and not any("id" in c for c in swimmer.columns)


def test_two_exports_are_byte_identical(two_exports):
    (_, first), (_, second) = two_exports
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files and [f for f in files if (first / f).read_bytes() != (second / f).read_bytes()] == []


def test_an_export_replaces_its_own_earlier_files_only(tmp_path):
    ctx = ReportContext.open(BUNDLED_DATA)
    (tmp_path / "main").mkdir()
    (tmp_path / "main" / "Table 9.docx").write_text("stale")
    (tmp_path / "tbl-baseline.csv").write_text("the layout before the journal supplement")
    (tmp_path / "notes-of-the-team.txt").write_text("keep")
    export_supplement(ctx, tmp_path)
    assert not (tmp_path / "main" / "Table 9.docx").exists() and not (tmp_path / "tbl-baseline.csv").exists()
    assert (tmp_path / "notes-of-the-team.txt").read_text() == "keep"


def test_small_cells_are_suppressed_in_every_file(tmp_path):
    ctx = ReportContext.open(BUNDLED_DATA, small_cell_threshold=5)
    export_supplement(ctx, tmp_path)
    baseline = read_saved(tmp_path / "main" / "Table 1.xlsx").iloc[:, -1]
    assert baseline.str.startswith("<5").any()
    counts = pd.to_numeric(baseline.str.extract(r"^(\d+) \(\d+\.\d\)$")[0], errors="coerce").dropna()
    assert not counts.between(1, 4).any()
    assert "&lt;5" in _docx_text(tmp_path / "main" / "Table 1.docx")
    for path in (tmp_path / "source-data").glob("*.csv"):
        frame = pd.read_csv(path, dtype=str)
        for column in [c for c in ("n", "at_risk", "events", "censored", "any_grade", "grade_1", "grade_3")
                       if c in frame]:
            numbers = pd.to_numeric(frame[column], errors="coerce").dropna()
            assert not numbers.between(1, 4).any(), (path.name, column)
            assert frame[column].isin(["<5"]).any() or numbers.min() == 0 or numbers.min() >= 5


def test_on_real_data_no_file_says_synthetic(data_copy, tmp_path):
    meta = data_copy / "dataset.yml"
    meta.write_text(meta.read_text().replace("synthetic: true", "synthetic: false"))
    ctx = ReportContext.open(data_copy)
    export_supplement(ctx, tmp_path / "out")
    texts = [_docx_text(p) for p in (tmp_path / "out" / "main").glob("*.docx")]
    texts += [(tmp_path / "out" / "manifest.csv").read_text(encoding="utf-8")]
    assert texts and not any("Synthetic" in text or "synthetic" in text for text in texts)


def _pdftotext_or_skip() -> None:
    """poppler's pdftotext reads the word boxes; `make test` installs it where it can (CI must have it)."""
    import os
    import shutil

    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (Debian poppler-utils) is missing on CI; `make test` installs it")
        pytest.skip("pdftotext (Debian poppler-utils) not installed")


def test_no_word_of_an_exported_figure_overlaps_another_or_is_cut(two_exports):
    """The data note was drawn over the risk table, the swimmer's note and the AE axis label."""
    from analysis.book.render_audit import figure_pdf_problems

    _pdftotext_or_skip()
    (_, folder), _ = two_exports
    pdfs = sorted((folder / "main").glob("Figure *.pdf"))
    assert len(pdfs) == 2
    assert {p.name: figure_pdf_problems(p) for p in pdfs} == {p.name: [] for p in pdfs}


def test_every_figure_of_the_report_exports_without_overlaps(tmp_path):
    """All figures as manuscript figures (a plan with every figure in `main`)."""
    from analysis.book.render_audit import figure_pdf_problems

    _pdftotext_or_skip()
    plan = tmp_path / "supplement.yml"
    labels = [a.label for a in all_artifacts() if a.kind == "figure"]
    plan.write_text("main:\n" + "".join(f"  - {label}\n" for label in labels))
    export_supplement(ReportContext.open(BUNDLED_DATA), tmp_path / "out", plan=plan)
    pdfs = sorted((tmp_path / "out" / "main").glob("Figure *.pdf"))
    assert len(pdfs) == len(labels)
    assert {p.name: figure_pdf_problems(p) for p in pdfs} == {p.name: [] for p in pdfs}


def test_the_figure_audit_finds_a_note_drawn_over_a_label(tmp_path):
    from matplotlib.figure import Figure

    from analysis.book.render_audit import figure_pdf_problems

    _pdftotext_or_skip()
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.set_xlabel("Months since first TKI dose")
    fig.savefig(tmp_path / "ok.pdf", bbox_inches="tight")
    fig.text(0.3, 0.02, "Synthetic data: not patient data.")  # where the x label is
    fig.text(0.9, 0.5, "cut off at the right edge of the page")
    fig.savefig(tmp_path / "bad.pdf", bbox_inches=fig.bbox_inches)  # the page, not the tight box
    assert figure_pdf_problems(tmp_path / "ok.pdf") == []
    problems = figure_pdf_problems(tmp_path / "bad.pdf")
    assert any("overlapping word pair" in p for p in problems)
    assert any("cut by the page edge" in p for p in problems)


def test_the_plan_file_is_the_committed_one():
    assert PLAN_FILE.name == "supplement.yml" and PLAN_FILE.exists()
    assert APPENDIX_FILES == ("Supplementary Appendix.pdf", "Supplementary Appendix.docx")


def test_without_quarto_the_command_writes_the_rest_and_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("analysis.book.quarto.find_quarto", lambda *args, **kwargs: None)
    out = tmp_path / "supplement"
    assert main(["export", str(BUNDLED_DATA), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [captured.err.strip()]
    assert captured.err.startswith("supplement: Supplementary Appendix not written") and "Quarto" in captured.err
    assert (out / "main" / "Table 1.docx").exists() and (out / "manifest.csv").exists()
    assert not any((out / name).exists() for name in APPENDIX_FILES)


def test_list_prints_each_number_and_label_and_writes_nothing(tmp_path, capsys):
    assert main(["export", "--list", "--out", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["Table", "1", "tbl-baseline"]
    assert len(lines) == len(all_artifacts()) and not (tmp_path / "out").exists()
