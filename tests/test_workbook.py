"""The Excel path: the data-entry template, and the workbook read in place of a data folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from broken_data import WORKBOOK_CASES, BrokenCase, fill_workbook, problems_naming
from openpyxl import load_workbook

from analysis.__main__ import EXIT_DATA_PROBLEM, main
from analysis.config import BUNDLED_DATA
from analysis.study import schema
from analysis.study.reading import DataValidationError
from analysis.study.validation import load_study


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("template") / "template.xlsx"
    assert main(["template", "--out", str(out)]) == 0
    return out


@pytest.fixture
def workbook(template: Path, tmp_path: Path) -> Path:
    """The template filled with the bundled cohort's rows."""
    return fill_workbook(template, BUNDLED_DATA, tmp_path / "extract.xlsx")


def test_template_is_made_from_the_data_dictionary(template: Path):
    book = load_workbook(template)
    assert book.sheetnames[:4] == ["dataset", "patients", "adverse_events", "screening_log"]
    assert {"rules", "codes"} <= set(book.sheetnames)
    for table in schema.TABLES:
        sheet = book[Path(table.file).stem]
        header = [cell.value for cell in sheet[1]]
        assert header == table.column_names
        for cell, column in zip(sheet[1], table.columns):
            assert column.meaning in cell.comment.text and column.rule_text() in cell.comment.text
        ranges = {str(rng).split(":")[0].rstrip("0123456789"): rule
                  for rule in sheet.data_validations.dataValidation for rng in rule.sqref.ranges}
        for index, column in enumerate(table.columns):
            letter = sheet.cell(1, index + 1).column_letter
            rule = ranges[letter]
            expected = {"category": "list", "flag": "list", "integer": "whole", "date": "date",
                        "id": "textLength"}[column.kind]
            assert rule.type == expected, column.name
            if column.kind == "date":
                assert sheet.column_dimensions[letter].number_format == "yyyy-mm-dd"
    codes = book["codes"]
    listed = {codes.cell(1, c).value: [codes.cell(r, c).value for r in range(2, codes.max_row + 1)
                                       if codes.cell(r, c).value is not None]
              for c in range(1, codes.max_column + 1)}
    assert listed["ae_term"] == list(schema.CTCAE_TERMS) and listed["flag"] == ["0", "1"]
    fields = [book["dataset"].cell(r, 1).value for r in range(2, 5)]
    assert fields == list(schema.METADATA_FIELDS)
    rules_text = " ".join(str(c.value) for row in book["rules"].iter_rows() for c in row if c.value)
    assert "Death before any tumour assessment" in rules_text


def test_filled_workbook_gives_the_same_results_as_the_folder(workbook: Path, capsys, monkeypatch):
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    assert main(["validate", str(workbook)]) == 0
    assert "valid:" in capsys.readouterr().out
    assert main(["results", str(BUNDLED_DATA), "--json"]) == 0
    from_folder = json.loads(capsys.readouterr().out)
    monkeypatch.setenv("TKI_DATA_DIR", str(workbook))
    assert main(["results", "--json"]) == 0
    from_workbook = json.loads(capsys.readouterr().out)
    assert from_workbook["data"]["dir"] == str(workbook)
    from_folder.pop("data"), from_workbook.pop("data")
    assert from_workbook == from_folder
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before, "the workbook is only read"


def test_workbook_tables_equal_the_folder_tables(workbook: Path, study):
    from_book = load_study(workbook)
    for name in ("patients", "adverse_events", "screening"):
        left, right = getattr(from_book, name), getattr(study, name)
        assert left.equals(right), name
    assert from_book.metadata == study.metadata


@pytest.mark.parametrize("case", WORKBOOK_CASES, ids=[c.name for c in WORKBOOK_CASES])
def test_broken_workbook_is_refused_naming_sheet_row_and_column(case: BrokenCase, workbook: Path, capsys):
    case.make(workbook)
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    assert main(["validate", str(workbook)]) == EXIT_DATA_PROBLEM
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before
    with pytest.raises(DataValidationError) as raised:
        load_study(workbook)
    matching = problems_naming(case, raised.value.problems)
    assert matching, f"no problem names {case}; got:\n{raised.value}"
    shown = str(matching[0])
    assert shown in err
    if case.line is not None:
        assert f"row {case.line}" in shown and case.file in shown


def test_template_never_overwrites_a_workbook(workbook: Path, capsys):
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    assert main(["template", "--out", str(workbook)]) == EXIT_DATA_PROBLEM
    assert "already exists" in capsys.readouterr().err
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before
