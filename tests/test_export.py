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
