"""Write the data-entry workbook (.xlsx) from the data dictionary: what study teams fill in.

One sheet per input file with the columns in order, each header carrying its meaning and
rule as a comment; drop-down lists for every code and flag; date-typed date columns; a
`dataset` sheet for the study-level facts; a `rules` sheet; a `codes` sheet behind the lists.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import schema
from .dictionary import CROSS_RULES
from .workbook import DATASET_SHEET, sheet_name

#: Rows covered by drop-downs and formats (Excel's last row).
LAST_ROW = 1_048_576
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _code_lists() -> dict[str, tuple[str, ...]]:
    """Every list of codes, by name (one column of the codes sheet each)."""
    lists = {"flag": ("0", "1")}
    for table in schema.TABLES:
        for column in table.columns:
            if column.kind == "category":
                lists.setdefault(column.name, column.allowed)
    return lists


def _write_codes(book: Workbook) -> dict[str, str]:
    """The codes sheet; returns each list's range formula."""
    sheet = book.create_sheet("codes")
    ranges = {}
    for index, (name, codes) in enumerate(_code_lists().items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(1, index, name).font = _HEADER_FONT
        for row, code in enumerate(codes, start=2):
            sheet.cell(row, index, code).number_format = "@"
        sheet.column_dimensions[letter].width = max(12, max(len(c) for c in codes) + 2)
        ranges[name] = f"codes!${letter}$2:${letter}${len(codes) + 1}"
    return ranges


def _validation(column: schema.Column, ranges: dict[str, str]) -> DataValidation:
    error = f"{column.name}: {column.rule_text()}"
    if column.kind == "category":
        rule = DataValidation(type="list", formula1=f"={ranges[column.name]}")
    elif column.kind == "flag":
        rule = DataValidation(type="list", formula1=f"={ranges['flag']}")
    elif column.kind == "integer":
        rule = DataValidation(type="whole", operator="between", formula1=str(column.minimum),
                              formula2=str(column.maximum))
    elif column.kind == "date":
        rule = DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                              formula2="DATE(2100,12,31)")
    else:
        rule = DataValidation(type="textLength", operator="between", formula1="1", formula2="32")
    rule.allow_blank = True
    rule.showErrorMessage = True
    rule.errorTitle = "Not allowed by the data dictionary"
    rule.error = error[:255]
    return rule


def _write_table(book: Workbook, table: schema.Table, ranges: dict[str, str]) -> None:
    sheet = book.create_sheet(sheet_name(table))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(1, index, column.name)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        required = "may be empty" if column.nullable else "required"
        cell.comment = Comment(f"{column.meaning}\nRule: {column.rule_text()} ({required}).",
                               "data dictionary", width=320, height=160)
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2)
        sheet.column_dimensions[letter].number_format = \
            "yyyy-mm-dd" if column.kind == "date" else ("@" if column.kind in ("id", "category") else "General")
        rule = _validation(column, ranges)
        rule.add(f"{letter}2:{letter}{LAST_ROW}")
        sheet.add_data_validation(rule)


def _write_dataset(book: Workbook) -> None:
    sheet = book.create_sheet(DATASET_SHEET, 0)
    for index, title in enumerate(("field", "value", "meaning"), start=1):
        cell = sheet.cell(1, index, title)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for row, (name, meaning) in enumerate(schema.METADATA_FIELDS.items(), start=2):
        sheet.cell(row, 1, name)
        sheet.cell(row, 3, meaning)
        if name == "synthetic":
            choice = DataValidation(type="list", formula1='"TRUE,FALSE"', allow_blank=False)
            choice.add(f"B{row}")
            sheet.add_data_validation(choice)
        if name == "data_cutoff":
            sheet.cell(row, 2).number_format = "yyyy-mm-dd"
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 90


def _write_rules(book: Workbook) -> None:
    sheet = book.create_sheet("rules")
    sheet.append(["sheet", "column", "type", "allowed values or range", "missing", "meaning"])
    for cell in sheet[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for table in schema.TABLES:
        for column in table.columns:
            sheet.append([sheet_name(table), column.name, column.kind, column.rule_text(),
                          "allowed" if column.nullable else "required", column.meaning])
    sheet.append([])
    sheet.append(["Rules across columns and sheets"])
    sheet.cell(sheet.max_row, 1).font = _HEADER_FONT
    for rule in CROSS_RULES:
        sheet.append([rule.replace("`", "")])
    sheet.append([])
    sheet.append(["Dates: date-typed cells, or text YYYY-MM-DD; none after the data cut-off. "
                  "Codes: exact spelling and case (use the drop-downs). Never enter names, phone, "
                  "ID or record numbers, addresses or birth dates."])
    for letter, width in zip("ABCDEF", (16, 30, 10, 50, 10, 90)):
        sheet.column_dimensions[letter].width = width


def write_template(out: str | Path) -> Path:
    """Write the empty data-entry workbook to `out` (.xlsx) and return its path."""
    out = Path(out)
    book = Workbook()
    book.remove(book.active)
    _write_dataset(book)
    ranges = _write_codes(book)
    for table in schema.TABLES:
        _write_table(book, table, ranges)
    _write_rules(book)
    book.move_sheet("codes", offset=len(book.sheetnames))
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out
