"""One report table as an editable Word document, as a journal asks for a manuscript's tables.

The caption ("Table 1. …") above, the table as a real Word table (not an image) with its header
rows repeated on each page, spanning headers merged, group rows across the width and levels
indented, and the notes below; in the report's Word styles (analysis/book/quarto/
word-reference.docx: "Table Caption", the "Table" table style with its three rules). A table of
more than five columns is laid out on a landscape page. Written with python-docx; the file's
dates are fixed, so the same table gives the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from analysis.report.report_table import LINE_CHARACTERS, STUB_MIN_WORD, ReportTable, without_timestamps

from .word_reference import REFERENCE_DOC

ALIGNMENT = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
             "center": WD_ALIGN_PARAGRAPH.CENTER}
#: Above this many columns the table gets a landscape page.
PORTRAIT_MAX_COLUMNS = 5
INDENT_PT = 10
#: Journal tables: 9 pt text, notes 8 pt (as the report's Word tables).
TABLE_SIZE_PT, NOTE_SIZE_PT = 9, 8
#: A4 with 25 mm margins, as the report's Word version.
PAGE_MM, MARGIN_MM = (210, 297), 25


def _empty_document() -> Document:
    """A document with the report's styles and no content."""
    document = Document(str(REFERENCE_DOC))
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return document


def _repeat_as_header(row) -> None:
    """Mark a table row as a header row, repeated at the top of each page."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _write(cell, text: str, align: str = "left", bold: bool = False, indent: int = 0) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = "Compact"
    paragraph.alignment = ALIGNMENT[align]
    if indent:
        paragraph.paragraph_format.left_indent = Pt(INDENT_PT * indent)
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(TABLE_SIZE_PT)


def _header_rows(document_table, table: ReportTable) -> int:
    """Write the header: a row of spanning headers (merged) when the table has any, then the
    column headings; return how many rows they take."""
    columns = table.columns
    rows = 2 if table.spanners else 1
    if table.spanners:
        top = document_table.rows[0].cells
        for label, under in table.spanners.items():
            first, last = columns.index(under[0]), columns.index(under[-1])
            merged = top[first].merge(top[last]) if last > first else top[first]
            _write(merged, label, "center", bold=True)
    for j, column in enumerate(columns):
        _write(document_table.rows[rows - 1].cells[j], table.header_label(column), table.align[column], bold=True)
    for i in range(rows):
        _repeat_as_header(document_table.rows[i])
    return rows


def word_table_bytes(table: ReportTable, number: str, caption: str) -> bytes:
    """The .docx of `table` headed "<number>. <caption>" (e.g. "Table 1. Baseline …")."""
    document = _empty_document()
    section = document.sections[0]
    width, height = PAGE_MM
    if len(table.columns) > PORTRAIT_MAX_COLUMNS:
        section.orientation = WD_ORIENT.LANDSCAPE
        width, height = height, width
    section.page_width, section.page_height = Mm(width), Mm(height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(MARGIN_MM))
    title = document.add_paragraph(style="Table Caption")
    title.add_run(f"{number}. ").bold = True
    title.add_run(caption)
    rows = list(table.rows())
    header_rows = 2 if table.spanners else 1
    body_rows = len(rows) + sum(group is not None for group, _, _ in rows)
    word = document.add_table(rows=header_rows + body_rows, cols=len(table.columns))
    word.style = document.styles["Table"]
    word.alignment = WD_TABLE_ALIGNMENT.CENTER
    word.autofit = False
    text_width = Mm(width - 2 * MARGIN_MM)
    # the report's Word widths, for a line as much longer as the page is wider
    line = round(LINE_CHARACTERS["docx"] * (width - 2 * MARGIN_MM) / (PAGE_MM[0] - 2 * MARGIN_MM))
    shares = table.column_widths(line, fill=True, stub_min=STUB_MIN_WORD)
    for j, column in enumerate(table.columns):
        word.columns[j].width = int(text_width * shares[column])  # the grid, which Word lays out by
        for cell in word.columns[j].cells:
            cell.width = int(text_width * shares[column])
    at = _header_rows(word, table)
    for group, indent, cells in rows:
        if group is not None:
            row = word.rows[at].cells
            _write(row[0].merge(row[-1]), group, bold=True)
            at += 1
        for j, column in enumerate(table.columns):
            _write(word.rows[at].cells[j], cells[column], table.align[column],
                   indent=indent if column == table.stub else 0)
        at += 1
    for note in table.notes:
        paragraph = document.add_paragraph(style="Compact")
        paragraph.add_run(note).font.size = Pt(NOTE_SIZE_PT)
    properties = document.core_properties
    properties.title, properties.author, properties.revision = f"{number}. {caption}"[:250], "", 1
    buffer = io.BytesIO()
    document.save(buffer)
    return without_timestamps(buffer.getvalue())


def write_word_table(table: ReportTable, number: str, caption: str, path: str | Path) -> Path:
    """Write `word_table_bytes` to `path`."""
    path = Path(path)
    path.write_bytes(word_table_bytes(table, number, caption))
    return path
