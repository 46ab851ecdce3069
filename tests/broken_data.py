"""A corpus of broken data folders, each made by a small function from the bundled data.

Every case names what a data manager must be told: the file, the line (when the problem
is in a row), the column and a fragment of the rule. Nothing here is committed as data:
the folders are built fresh in a temporary directory for each test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

PATIENTS, EVENTS, SCREENING, META = "patients.csv", "adverse_events.csv", "screening_log.csv", "dataset.yml"


def _read(folder: Path, file: str) -> pd.DataFrame:
    return pd.read_csv(folder / file, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, folder: Path, file: str) -> None:
    frame.to_csv(folder / file, index=False, lineterminator="\n")


def _set(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell (row = 0-based data row, i.e. file line row + 2)."""
    frame = _read(folder, file)
    frame.loc[row, column] = value
    _write(frame, folder, file)


@dataclass(frozen=True)
class BrokenCase:
    """One way input can be wrong, and what the error must name."""

    name: str
    make: Callable[[Path], None]
    file: str
    rule: str                 # fragment of the rule text
    column: str | None = None
    line: int | None = None   # file line (header = 1)


def problems_naming(case: BrokenCase, problems: list) -> list:
    """The problems that name the case's file (or sheet), rule, column and line (or row)."""
    return [p for p in problems
            if p.file == case.file and case.rule in p.rule
            and (case.column is None or p.column == case.column)
            and (case.line is None or p.line == case.line)]


def _missing_file(d): (d / PATIENTS).unlink()
def _empty_file(d): (d / PATIENTS).write_text("")
def _header_only(d): (d / PATIENTS).write_text((d / PATIENTS).read_text().splitlines()[0] + "\n")


def _not_utf8(d):
    text = (d / PATIENTS).read_text(encoding="utf-8").replace("hangzhou_zjch", "hangzhou_zjch_é", 1)
    (d / PATIENTS).write_bytes(text.encode("latin-1"))


def _semicolons(d):
    _read(d, PATIENTS).to_csv(d / PATIENTS, index=False, sep=";")


def _ragged_row(d):
    lines = (d / PATIENTS).read_text().splitlines()
    lines[4] += ",extra"
    (d / PATIENTS).write_text("\n".join(lines) + "\n")


def _missing_column(d): _write(_read(d, PATIENTS).drop(columns="tki_start_date"), d, PATIENTS)


def _duplicate_patient(d):
    frame = _read(d, PATIENTS)
    _write(pd.concat([frame, frame.iloc[[3]]], ignore_index=True), d, PATIENTS)


def _identifier_column(d):
    frame = _read(d, PATIENTS)
    frame["patient_name"] = "x"
    _write(frame, d, PATIENTS)


def _progression_before_start(d):
    frame = _read(d, PATIENTS)
    row = frame.index[frame["progression_date"] != ""][0]
    start = pd.Timestamp(frame.at[row, "tki_start_date"])
    frame.at[row, "progression_date"] = (start - pd.Timedelta(days=10)).date().isoformat()
    _write(frame, d, PATIENTS)


def _tdm1_after_tki(d):
    frame = _read(d, PATIENTS)
    start = pd.Timestamp(frame.at[5, "tki_start_date"])
    frame.at[5, "tdm1_progression_date"] = (start + pd.Timedelta(days=5)).date().isoformat()
    _write(frame, d, PATIENTS)


def _screening_missing_patient(d):
    frame = _read(d, SCREENING)
    _write(frame[frame["patient_id"] != "SYN000007"], d, SCREENING)


def _event_unknown_patient(d): _set(d, EVENTS, 2, "patient_id", "SYN999999")


def _missing_metadata(d): (d / META).unlink()
def _bad_cutoff(d): (d / META).write_text("title: x\nsynthetic: true\ndata_cutoff: 30/06/2023\n")


# ------------------------------------------------------------- real extracts (issue 11)
IDENTIFIER_HEADERS = ("姓名", "电话", "身份证号", "住院号", "病案号", "出生日期", "xingming", "dianhua",
                      "shenfenzheng", "shenfenzhenghao", "zhuyuanhao", "sfz", "tel", "hospital_no",
                      "inpatient_no", "social_security", "Patient Name", "E-Mail", "ＴＥＬ")
#: A Chinese resident ID number with a valid check digit (the standard's published example).
RESIDENT_ID = "11010519491231002X"


def _extra_column(name: str, value: str = "x"):
    def make(d):
        frame = _read(d, PATIENTS)
        frame[name] = value
        _write(frame, d, PATIENTS)
    return make


def _rename(file: str, old: str, new: str):
    def make(d):
        _write(_read(d, file).rename(columns={old: new}), d, file)
    return make


def _replace_id(file: str, column: str, value: str):
    def make(d):
        _set(d, file, 0, column, value)
    return make


def _folder_in_place(d):
    (d / PATIENTS).unlink()
    (d / PATIENTS).mkdir()


def _fifo_in_place(d):
    (d / PATIENTS).unlink()
    os.mkfifo(d / PATIENTS)


def _device_in_place(d):
    (d / PATIENTS).unlink()
    (d / PATIENTS).symlink_to("/dev/zero")


def _unreadable(file: str):
    def make(d):
        (d / file).chmod(0)
    return make


def _huge_cell(d): _set(d, PATIENTS, 3, "centre", "x" * (130 * 1024))


def _text_junk(d):
    line = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor\n"
    (d / PATIENTS).write_text(line * 20_000)


def _comma_junk(d):
    (d / PATIENTS).write_text("q,w,e,r,t,y\n" + "1,2,3,4,5,6\n" * 100_000)


def _wide_header(d):
    (d / PATIENTS).write_text(",".join(f"c{i}" for i in range(60_000)) + "\n1\n")


def _utf16_without_bom(d):
    (d / PATIENTS).write_bytes((d / PATIENTS).read_text().encode("utf-16-le"))


def _gbk(d):
    frame = _read(d, PATIENTS)
    frame["备注"] = "无"
    (d / PATIENTS).write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("gb18030"))


def _multi_line_cell_then_error(d):
    frame = _read(d, PATIENTS)
    frame["site_comment"] = ""
    frame.loc[0, "site_comment"] = "first line\nsecond line"
    frame.loc[3, "age_years"] = "fifty"   # record line 5, physical line 6
    _write(frame, d, PATIENTS)


def _meta(text: str):
    def make(d):
        (d / META).write_text(text)
    return make


def _no_assessment(d, death: bool, response: str):
    frame = _read(d, PATIENTS)
    row = frame.index[(frame["progression_date"] == "") & (frame["death_date"] == "")][0]
    frame.loc[row, "last_assessment_date"] = ""
    if death:
        frame.loc[row, "death_date"] = frame.loc[row, "tki_start_date"]
    frame.loc[row, "best_overall_response"] = response
    _write(frame, d, PATIENTS)


ISSUE_11_CASES: list[BrokenCase] = [
    *[BrokenCase(f"identifier header {name}", _extra_column(name), PATIENTS, "direct identifier",
                 column=name, line=1) for name in IDENTIFIER_HEADERS],
    BrokenCase("resident ID as patient_id", _replace_id(PATIENTS, "patient_id", RESIDENT_ID),
               PATIENTS, "resident ID number", column="patient_id", line=2),
    BrokenCase("mobile number as screening_id", _replace_id(SCREENING, "screening_id", "13812345678"),
               SCREENING, "mobile phone number", column="screening_id", line=2),
    BrokenCase("mobile number with +86 and dashes as patient_id",
               _replace_id(PATIENTS, "patient_id", "+86-138-1234-5678"), PATIENTS,
               "mobile phone number", column="patient_id", line=2),
    BrokenCase("e-mail address in an extra column", _extra_column("site_comment", "li.hua@example.cn"),
               PATIENTS, "e-mail address", column="site_comment", line=2),
    BrokenCase("patients.csv is a folder", _folder_in_place, PATIENTS, "is a folder"),
    BrokenCase("patients.csv is a FIFO", _fifo_in_place, PATIENTS, "not a regular file"),
    BrokenCase("patients.csv is a device", _device_in_place, PATIENTS, "not a regular file"),
    BrokenCase("patients.csv not readable", _unreadable(PATIENTS), PATIENTS, "permission denied"),
    BrokenCase("dataset.yml not readable", _unreadable(META), META, "permission denied"),
    BrokenCase("cell over 128 KiB", _huge_cell, PATIENTS, "field larger than field limit", line=5),
    BrokenCase("text junk", _text_junk, PATIENTS, "none of this file's columns", line=1),
    BrokenCase("comma-separated junk", _comma_junk, PATIENTS, "none of this file's columns", line=1),
    BrokenCase("60,000-column header", _wide_header, PATIENTS, "60,000 columns", line=1),
    BrokenCase("UTF-16 without byte-order mark", _utf16_without_bom, PATIENTS, "UTF-16"),
    BrokenCase("GBK-encoded file", _gbk, PATIENTS, "GBK"),
    BrokenCase("renamed key column", _rename(PATIENTS, "patient_id", "Patient_ID"), PATIENTS,
               "found 'Patient_ID', expected 'patient_id'", column="Patient_ID", line=1),
    BrokenCase("trailing space in a column name", _rename(PATIENTS, "centre", "centre "), PATIENTS,
               "found 'centre ', expected 'centre'", column="centre ", line=1),
    BrokenCase("physical line after a multi-line cell", _multi_line_cell_then_error, PATIENTS,
               "whole number", column="age_years", line=6),
    BrokenCase("identifier rule in words", _replace_id(PATIENTS, "patient_id", "P 01"), PATIENTS,
               "must be letters, digits, '-' or '_' (1-32 characters)", column="patient_id", line=2),
    BrokenCase("dataset.yml invalid YAML", _meta("title: x\nsynthetic: [true\ndata_cutoff: '2023-06-30'\n"),
               META, "not valid YAML", line=3),
    BrokenCase("dataset.yml duplicate key",
               _meta("title: x\nsynthetic: true\nsynthetic: false\ndata_cutoff: '2023-06-30'\n"),
               META, "duplicate key 'synthetic'", line=3),
    BrokenCase("cut-off in the future", _meta("title: x\nsynthetic: true\ndata_cutoff: '2999-01-01'\n"),
               META, "must not be in the future", column="data_cutoff"),
    BrokenCase("control characters in a column name", _extra_column("phone\x1b[2J"), PATIENTS,
               "direct identifier", column="phone\x1b[2J", line=1),
    BrokenCase("no tumour assessment and no death", lambda d: _no_assessment(d, False, "NE"),
               PATIENTS, "unless the patient died before any tumour assessment",
               column="last_assessment_date"),
    BrokenCase("death before assessment with a response", lambda d: _no_assessment(d, True, "SD"),
               PATIENTS, "must be NE", column="best_overall_response"),
]

CASES: list[BrokenCase] = [
    BrokenCase("missing file", _missing_file, PATIENTS, "required file is missing"),
    BrokenCase("empty file", _empty_file, PATIENTS, "file is empty"),
    BrokenCase("header only", _header_only, PATIENTS, "no data rows"),
    BrokenCase("not UTF-8", _not_utf8, PATIENTS, "not UTF-8"),
    BrokenCase("semicolon-delimited", _semicolons, PATIENTS, "not comma-delimited", line=1),
    BrokenCase("ragged row", _ragged_row, PATIENTS, "fields but the header has", line=5),
    BrokenCase("missing required column", _missing_column, PATIENTS, "required column is missing",
               column="tki_start_date"),
    BrokenCase("duplicate patient", _duplicate_patient, PATIENTS, "must be unique",
               column="patient_id", line=68),
    BrokenCase("identifier column", _identifier_column, PATIENTS, "direct identifier",
               column="patient_name", line=1),
    BrokenCase("text in a numeric column", lambda d: _set(d, PATIENTS, 0, "age_years", "fifty"),
               PATIENTS, "whole number", column="age_years", line=2),
    BrokenCase("number out of range", lambda d: _set(d, PATIENTS, 1, "age_years", "130"),
               PATIENTS, "between 18 and 100", column="age_years", line=3),
    BrokenCase("text in a date column", lambda d: _set(d, PATIENTS, 2, "tki_start_date", "unknown"),
               PATIENTS, "ISO date", column="tki_start_date", line=4),
    BrokenCase("impossible calendar date", lambda d: _set(d, PATIENTS, 2, "tki_start_date", "2021-02-30"),
               PATIENTS, "ISO date", column="tki_start_date", line=4),
    BrokenCase("Excel serial date", lambda d: _set(d, PATIENTS, 3, "tki_start_date", "44197"),
               PATIENTS, "Excel serial", column="tki_start_date", line=5),
    BrokenCase("day/month date", lambda d: _set(d, PATIENTS, 3, "death_date", "03/07/2021"),
               PATIENTS, "ISO date", column="death_date", line=5),
    BrokenCase("progression before TKI start", _progression_before_start, PATIENTS,
               "must be after tki_start_date", column="progression_date"),
    BrokenCase("date after the cut-off", lambda d: _set(d, PATIENTS, 6, "last_assessment_date", "2023-07-15"),
               PATIENTS, "data cut-off", column="last_assessment_date", line=8),
    BrokenCase("T-DM1 after TKI", _tdm1_after_tki, PATIENTS, "T-DM1 failure", column="tki_start_date",
               line=7),
    BrokenCase("unknown response code", lambda d: _set(d, PATIENTS, 8, "best_overall_response", "CRR"),
               PATIENTS, "must be one of", column="best_overall_response", line=10),
    BrokenCase("code in lower case", lambda d: _set(d, PATIENTS, 8, "best_overall_response", "pr"),
               PATIENTS, "exact spelling and case", column="best_overall_response", line=10),
    BrokenCase("code with spaces", lambda d: _set(d, PATIENTS, 9, "best_overall_response", " PR "),
               PATIENTS, "leading or trailing spaces", column="best_overall_response", line=11),
    BrokenCase("unknown resistance setting", lambda d: _set(d, PATIENTS, 9, "trastuzumab_setting", "neoadjuvant"),
               PATIENTS, "must be one of", column="trastuzumab_setting", line=11),
    BrokenCase("flag not 0/1", lambda d: _set(d, PATIENTS, 10, "brain_metastasis", "yes"),
               PATIENTS, "must be 0 or 1", column="brain_metastasis", line=12),
    BrokenCase("required value missing", lambda d: _set(d, PATIENTS, 11, "tki_agent", ""),
               PATIENTS, "a value is required", column="tki_agent", line=13),
    BrokenCase("unknown CTCAE term", lambda d: _set(d, EVENTS, 0, "ae_term", "Diarrhoea"),
               EVENTS, "must be one of", column="ae_term", line=2),
    BrokenCase("grade 0", lambda d: _set(d, EVENTS, 1, "grade", "0"), EVENTS, "between 1 and 5",
               column="grade", line=3),
    BrokenCase("grade 6", lambda d: _set(d, EVENTS, 1, "grade", "6"), EVENTS, "between 1 and 5",
               column="grade", line=3),
    BrokenCase("adverse event of an unknown patient", _event_unknown_patient, EVENTS,
               "must be a patient_id of patients.csv", column="patient_id", line=4),
    BrokenCase("included patient missing from the screening log", _screening_missing_patient,
               PATIENTS, "not recorded as included", column="patient_id", line=8),
    BrokenCase("metadata file missing", _missing_metadata, META, "required file is missing"),
    BrokenCase("cut-off not an ISO date", _bad_cutoff, META, "ISO date", column="data_cutoff"),
    *ISSUE_11_CASES,
]


# ------------------------------------------------------------------- the Excel workbook path
def fill_workbook(template: Path, folder: Path, out: Path) -> Path:
    """Fill the data-entry template with a data folder's rows, as a study team would type
    them: dates into date cells, numbers as numbers, codes as text, empty cells left empty."""
    import datetime as dt

    import yaml
    from openpyxl import load_workbook

    from analysis.study import schema

    book = load_workbook(template)
    for table in schema.TABLES:
        sheet = book[Path(table.file).stem]
        header = [cell.value for cell in sheet[1]]
        kinds = {c.name: c.kind for c in table.columns}
        for values in _read(folder, table.file)[header].itertuples(index=False):
            row = []
            for name, text in zip(header, values):
                if text == "":
                    row.append(None)
                elif kinds[name] == "date":
                    row.append(dt.date.fromisoformat(text))
                elif kinds[name] in ("integer", "flag"):
                    row.append(int(text))
                else:
                    row.append(text)
            sheet.append(row)
    meta = yaml.safe_load((folder / META).read_text())
    sheet = book["dataset"]
    for row in range(2, sheet.max_row + 1):
        field = sheet.cell(row, 1).value
        value = meta[field]
        sheet.cell(row, 2).value = dt.date.fromisoformat(value) if field == "data_cutoff" else value
    book.save(out)
    return out


def _cell(sheet: str, row: int, column: str, value):
    """Set one cell of a filled workbook (row = sheet row, header = 1)."""
    def make(book_path: Path):
        from openpyxl import load_workbook

        book = load_workbook(book_path)
        header = [cell.value for cell in book[sheet][1]]
        book[sheet].cell(row, header.index(column) + 1).value = value
        book.save(book_path)
    return make


def _drop_sheet(sheet: str):
    def make(book_path: Path):
        from openpyxl import load_workbook

        book = load_workbook(book_path)
        del book[sheet]
        book.save(book_path)
    return make


def _identifier_header_in_sheet(book_path: Path):
    from openpyxl import load_workbook

    book = load_workbook(book_path)
    sheet = book["patients"]
    sheet.cell(1, sheet.max_column + 1).value = "身份证号"
    book.save(book_path)


def _not_a_workbook(book_path: Path): book_path.write_text("patient_id,centre\n")


WORKBOOK_CASES: list[BrokenCase] = [
    BrokenCase("text in a numeric cell", _cell("patients", 2, "age_years", "fifty"),
               "extract.xlsx, sheet 'patients'", "whole number", column="age_years", line=2),
    BrokenCase("text date not ISO", _cell("patients", 4, "tki_start_date", "30/06/2021"),
               "extract.xlsx, sheet 'patients'", "ISO date", column="tki_start_date", line=4),
    BrokenCase("number in a date cell", _cell("patients", 5, "death_date", 44197),
               "extract.xlsx, sheet 'patients'", "Excel serial", column="death_date", line=5),
    BrokenCase("code not in the list", _cell("patients", 6, "best_overall_response", "cr"),
               "extract.xlsx, sheet 'patients'", "exact spelling and case",
               column="best_overall_response", line=6),
    BrokenCase("adverse event of an unknown patient", _cell("adverse_events", 3, "patient_id", "SYN999999"),
               "extract.xlsx, sheet 'adverse_events'", "must be a patient_id of extract.xlsx, sheet "
               "'patients'", column="patient_id", line=3),
    BrokenCase("mobile number as screening id", _cell("screening_log", 2, "screening_id", "13812345678"),
               "extract.xlsx, sheet 'screening_log'", "mobile phone number", column="screening_id",
               line=2),
    BrokenCase("identifier header in a sheet", _identifier_header_in_sheet,
               "extract.xlsx, sheet 'patients'", "direct identifier", column="身份证号", line=1),
    BrokenCase("missing sheet", _drop_sheet("screening_log"), "extract.xlsx",
               "required sheet 'screening_log' is missing"),
    BrokenCase("missing dataset sheet", _drop_sheet("dataset"), "extract.xlsx",
               "required sheet 'dataset' is missing"),
    BrokenCase("cut-off in the future", _cell("dataset", 4, "value", "2999-01-01"),
               "extract.xlsx, sheet 'dataset'", "must not be in the future", column="data_cutoff",
               line=4),
    BrokenCase("synthetic not true/false", _cell("dataset", 3, "value", "maybe"),
               "extract.xlsx, sheet 'dataset'", "true or false", column="synthetic", line=3),
    BrokenCase("not a workbook", _not_a_workbook, "extract.xlsx", "not a readable Excel .xlsx workbook"),
]


# ---------------------------------------------------------------------------------------------
# Valid data with a degenerate subgroup: every patient in one level of a key factor. Validation
# passes, so the report must render, with that comparison shown as not estimable.


def every_patient_benefited_from_tdm1(folder: Path) -> None:
    """Every patient had a partial response on T-DM1, so prior T-DM1 benefit is 'yes' for all."""
    frame = _read(folder, PATIENTS)
    frame["tdm1_best_response"] = "PR"
    _write(frame, folder, PATIENTS)


def every_patient_primary_resistant(folder: Path) -> None:
    """Every patient progressed at the first assessment on first-line trastuzumab for metastatic
    disease, so trastuzumab resistance is 'primary' for all."""
    frame = _read(folder, PATIENTS)
    frame["trastuzumab_setting"] = "metastatic"
    frame["trastuzumab_end_date"] = ""  # metastatic setting: no adjuvant end date
    frame["trastuzumab_best_response"] = "PD"
    _write(frame, folder, PATIENTS)
