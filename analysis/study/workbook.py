"""Read a data-entry workbook (.xlsx, made by `python -m analysis template`) in place of a folder.

One sheet per input file (named as the file without `.csv`) and a `dataset` sheet with the
study-level facts. Cells become the same text the CSV reader yields, so the same rules and
messages apply, naming sheet, row and column. True Excel dates (date-typed cells) are
accepted; a date typed as text must still be ISO. The workbook is only read.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd

from . import schema
from .headers import duplicated_columns, implausible_header
from .metadata import check_metadata
from .problems import Problem
from .reading import MAX_ROW_PROBLEMS, RawTable, file_kind_problem, sha256_of

#: The sheet holding `dataset.yml`'s fields: one row per field (columns `field`, `value`).
DATASET_SHEET = "dataset"


def sheet_name(table: schema.Table) -> str:
    """The sheet of a table: its file name without `.csv` (patients, adverse_events, ...)."""
    return Path(table.file).stem


def cell_text(value: object) -> str:
    """A cell as the text a CSV export would hold: dates ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _label(book: Path, sheet: str) -> str:
    return f"{book.name}, sheet '{sheet}'"


def _sheet_table(book: Path, worksheet, table: schema.Table, sha256: str,
                 problems: list[Problem]) -> RawTable | None:
    label = _label(book, sheet_name(table))
    rows = worksheet.iter_rows(values_only=True)
    header = [cell_text(v) for v in next(rows, ())]
    while header and header[-1] == "":
        header.pop()  # formatted but unused columns to the right
    if not header:
        problems.append(Problem(label, "sheet is empty (the column names belong in row 1)"))
        return None
    why = implausible_header(header, table.column_names)
    if why:
        problems.append(Problem(label, why, line=1, line_kind="row"))
        return None
    body, numbers, overflow = [], [], 0
    for number, values in enumerate(rows, start=2):
        cells = [cell_text(v) for v in values]
        if not any(c.strip() for c in cells):
            continue  # an empty row is not data (Excel keeps formatted empty rows)
        if any(c != "" for c in cells[len(header):]):
            overflow += 1
            problems.append(Problem(label, "a value lies to the right of the last named column",
                                    line=number, line_kind="row"))
            if overflow >= MAX_ROW_PROBLEMS:
                return None
            continue
        body.append(cells[:len(header)] + [""] * (len(header) - len(cells)))
        numbers.append(number)
    duplicated = duplicated_columns(header)
    for column in duplicated:
        problems.append(Problem(label, "column name appears more than once in the header",
                                line=1, column=column, line_kind="row"))
    if not body and table is not schema.ADVERSE_EVENTS:
        problems.append(Problem(label, "sheet has a header but no data rows"))
        return None
    if duplicated or overflow:
        return None
    frame = pd.DataFrame(body, columns=header, dtype="string[pyarrow]")
    frame.index = pd.Index(numbers, name="row", dtype="int64")
    return RawTable(label, frame, header, sha256, len(body), line_kind="row")


def _dataset_sheet(book: Path, worksheet, problems: list[Problem]) -> dict | None:
    label = _label(book, DATASET_SHEET)
    meta: dict = {}
    rows_of: dict[str, int] = {}
    for number, values in enumerate(worksheet.iter_rows(min_row=2, values_only=True), start=2):
        values = tuple(values) + (None, None)
        key, value = cell_text(values[0]).strip(), values[1]
        if not key:
            continue
        if key in meta:
            problems.append(Problem(label, "field given twice (give each field once)",
                                    line=number, column=key, line_kind="row"))
            return None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # an empty value is a missing field
        if key == "synthetic" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
            value = value.strip().lower() == "true"
        elif key == "title":
            value = cell_text(value)
        meta[key] = value
        rows_of[key] = number
    return check_metadata(meta, label, problems, line_of=lambda key: rows_of.get(key, 1))


def read_workbook(path: Path, problems: list[Problem]) -> tuple[dict | None, dict[str, RawTable | None]]:
    """The dataset facts and one RawTable per input table, from an .xlsx workbook."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    raws: dict[str, RawTable | None] = {t.name: None for t in schema.TABLES}
    kind = file_kind_problem(path, path.name)
    if kind is not None:
        problems.append(kind)
        return None, raws
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as err:
        problems.append(Problem(path.name, "not a readable Excel .xlsx workbook "
                                           f"({type(err).__name__}); save it from Excel as .xlsx"))
        return None, raws
    try:
        sha256 = sha256_of(path)
        meta = None
        if DATASET_SHEET in book.sheetnames:
            meta = _dataset_sheet(path, book[DATASET_SHEET], problems)
        else:
            problems.append(Problem(path.name, f"required sheet '{DATASET_SHEET}' is missing (it "
                                               "states the data cut-off and whether the data are "
                                               "synthetic)"))
        for table in schema.TABLES:
            if sheet_name(table) not in book.sheetnames:
                problems.append(Problem(path.name, f"required sheet '{sheet_name(table)}' is missing"))
                continue
            raws[table.name] = _sheet_table(path, book[sheet_name(table)], table, sha256, problems)
    finally:
        book.close()
    return meta, raws
