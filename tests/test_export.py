"""The supplement export: every labelled table and figure, named by label, byte-identical twice."""

from __future__ import annotations

import pytest
from PIL import Image

from analysis.book.supplement import FIGURE_FORMATS, PNG_DPI, export_supplement
from analysis.config import BUNDLED_DATA
from analysis.report.context import ReportContext
from analysis.report.report_table import read_saved
from analysis.report.sections import all_artifacts


@pytest.fixture(scope="module")
def two_exports(tmp_path_factory):
    ctx = ReportContext.open(BUNDLED_DATA)
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    export_supplement(ctx, first)
    export_supplement(ctx, second)
    return first, second


def test_every_artifact_is_exported_under_its_label(two_exports):
    folder, _ = two_exports
    names = {p.name for p in folder.iterdir()}
    for item in all_artifacts():
        suffixes = FIGURE_FORMATS if item.kind == "figure" else ("csv", "xlsx")
        assert {f"{item.label}.{s}" for s in suffixes} <= names, item.label
    captions = (folder / "captions.md").read_text(encoding="utf-8")
    assert all(f"`{item.label}`" in captions for item in all_artifacts())


def test_export_is_byte_identical_when_run_twice(two_exports):
    first, second = two_exports
    differing = [p.name for p in sorted(first.iterdir())
                 if p.read_bytes() != (second / p.name).read_bytes()]
    assert differing == []


def test_png_figures_are_300_dpi_and_tables_read_back(two_exports):
    folder, _ = two_exports
    with Image.open(folder / "fig-pfs.png") as image:
        assert round(image.info["dpi"][0]) == PNG_DPI
    csv, xlsx = read_saved(folder / "tbl-baseline.csv"), read_saved(folder / "tbl-baseline.xlsx")
    assert csv.equals(xlsx)


def test_exported_files_say_the_data_are_synthetic(two_exports):
    folder, _ = two_exports
    note = ReportContext.open(BUNDLED_DATA).data_note
    assert note in (folder / "fig-pfs.svg").read_text(encoding="utf-8")
    import openpyxl

    notes = openpyxl.load_workbook(folder / "tbl-ae.xlsx")["notes"]
    assert any(note == row[0].value for row in notes.iter_rows())


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
    folder, _ = two_exports
    pdfs = sorted(folder.glob("fig-*.pdf"))
    assert len(pdfs) == sum(item.kind == "figure" for item in all_artifacts())
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
