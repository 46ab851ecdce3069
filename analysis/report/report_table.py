"""One table object for every notebook: HTML in Quarto's HTML output, a pipe table in Typst and DOCX.

`ReportTable` holds display-ready text and renders it twice from the same rows: `_repr_html_`
(a self-contained `<table>`, inline styles only) and `_repr_markdown_` (a Pandoc/GitHub pipe
table with the notes as paragraphs under it). Quarto uses the HTML for HTML output and the
Markdown for Typst and DOCX (QUARTO-NOTES.md), so every format shows the same table.

Plain HTML rather than great_tables: great_tables (1.1) emits a ~10 kB ``<style>`` block per table
whose bare ``tbody, tr, td, th`` rules restyle the whole page, and has no Markdown or Typst writer,
so a second renderer would be needed anyway; one small writer keeps both renderings identical.

The caption is deliberately not part of the object: the report puts each table in a Quarto
cross-reference div (``::: {#tbl-...}``) whose last paragraph is the caption, so no
``<caption>`` is ever emitted.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd

#: Left padding per indentation level in the HTML rendering (em).
INDENT_EM = 1.5
#: Non-breaking spaces per indentation level in the Markdown rendering (Pandoc keeps them).
INDENT_NBSP = 4
NBSP = "\u00a0"

# Characters with a meaning in Pandoc or GitHub Markdown inside a table cell (| ends a cell,
# $ starts maths, @ a citation, ~ and ^ sub/superscripts, < raw HTML, & an entity).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|$@~^&#])")
# A paragraph opening like a list item or heading ("1. ", "- ", "+ ") would become one.
_BLOCK_START = re.compile(r"^(\d+)([.)])(?=\s)|^([-+])(?=\s)")
# A cell that reads as a number, count, interval or "not reached": right-aligned by default.
_NUMERIC_CELL = re.compile(r"^(?:[<>≤≥]?\s?[−\-]?\d.*|NR|NE|NA|—|–)$")

Align = str  # "left", "right" or "center"


def _cell_text(value: object) -> str:
    """A cell as one line of text (missing values become empty cells)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return " ".join(str(value).split("\n")).strip()


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown punctuation so a cell is shown literally (| included)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _escape_paragraph(text: str) -> str:
    """Escape a footnote shown as its own paragraph, including a list-like or heading-like start."""
    return _BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}",
                            escape_markdown(text))


class ReportTable:
    """A display-ready table: the same rows as HTML (HTML output) and as a pipe table (PDF, DOCX).

    frame:  display text, one row per table row; the stub (row labels) is `stub`, default the
            first column. Non-text values are shown with str(); missing values as empty cells.
    notes:  footnotes, shown in `<tfoot>` (HTML) or as paragraphs under the pipe table.
    indent: indentation level per row (0 = flush), e.g. the levels of a variable under its label.
    groups: name of a column of `frame` holding a row-group label; a full-width header row is
            shown whenever it changes (empty = no group). The column itself is not displayed.
    align:  column -> "left" / "right" / "center"; by default the stub and text columns are
            left-aligned and columns of numbers, counts and intervals right-aligned.

    No caption: the Quarto cross-reference div around the table supplies it in every format.
    """

    def __init__(self, frame: pd.DataFrame, notes: Sequence[str] = (), stub: str | None = None,
                 indent: Sequence[int] | None = None, groups: str | None = None,
                 align: Mapping[str, Align] | None = None) -> None:
        if frame.columns.duplicated().any():
            raise ValueError("column names must be unique")
        self._frame = frame.reset_index(drop=True).map(_cell_text)
        self._frame.columns = [str(c) for c in frame.columns]
        self.notes = tuple(str(n) for n in notes)
        self.groups = groups
        if groups is not None and groups not in self._frame.columns:
            raise ValueError(f"groups column {groups!r} is not in the frame")
        self.columns = [c for c in self._frame.columns if c != groups]
        if not self.columns:
            raise ValueError("a table needs at least one displayed column")
        self.stub = stub if stub is not None else self.columns[0]
        if self.stub not in self.columns:
            raise ValueError(f"stub column {self.stub!r} is not a displayed column")
        levels = [0] * len(self._frame) if indent is None else [int(i) for i in indent]
        if len(levels) != len(self._frame) or any(i < 0 for i in levels):
            raise ValueError("indent needs one level >= 0 per row")
        self.indent = tuple(levels)
        self.align = {c: self._default_align(c) for c in self.columns}
        for column, value in (align or {}).items():
            if column not in self.align or value not in ("left", "right", "center"):
                raise ValueError(f"bad alignment {column!r}: {value!r}")
            self.align[column] = value

    def _default_align(self, column: str) -> Align:
        if column == self.stub:
            return "left"
        cells = [v for v in self._frame[column] if v]
        return "right" if cells and all(_NUMERIC_CELL.match(v) for v in cells) else "left"

    # ------------------------------------------------------------------ data
    def to_frame(self) -> pd.DataFrame:
        """The table's text as a plain DataFrame (group column first, no indentation), for export."""
        order = ([self.groups] if self.groups else []) + self.columns
        return self._frame[order].copy()

    def add_notes(self, *notes: str) -> ReportTable:
        """A copy with more footnotes (e.g. 'Synthetic data' on a table built from them)."""
        return ReportTable(self._frame, self.notes + tuple(notes), self.stub, self.indent,
                           self.groups, self.align)

    def __len__(self) -> int:
        return len(self._frame)

    def _rows(self) -> Iterator[tuple[str | None, int, dict[str, str]]]:
        """(group label or None when unchanged, indentation, {column: text}) for each row."""
        current = ""
        for i, row in self._frame.iterrows():
            group = row[self.groups] if self.groups else ""
            starts = group if group and group != current else None
            current = group
            yield starts, self.indent[i], {c: row[c] for c in self.columns}

    # ------------------------------------------------------------------ HTML
    def _repr_html_(self) -> str:
        """A self-contained HTML table (inline styles only; no caption, no CSS, no scripts)."""
        e = html.escape
        width = len(self.columns)

        def style(column: str, level: int = 0) -> str:
            css = f"text-align:{self.align[column]}"
            if level:
                css += f";padding-left:{INDENT_EM * level:g}em"
            return f' style="{css}"'

        head = "".join(f'<th scope="col"{style(c)}>{e(c)}</th>' for c in self.columns)
        lines = ['<table class="report-table">', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
        for group, level, cells in self._rows():
            if group is not None:
                lines.append(f'<tr><td colspan="{width}" style="text-align:left">'
                             f"<strong>{e(group)}</strong></td></tr>")
            tds = "".join(f"<td{style(c, level if c == self.stub else 0)}>{e(cells[c])}</td>"
                          for c in self.columns)
            lines.append(f"<tr>{tds}</tr>")
        lines.append("</tbody>")
        if self.notes:
            lines.append("<tfoot>")
            lines += [f'<tr><td colspan="{width}" style="text-align:left">{e(n)}</td></tr>'
                      for n in self.notes]
            lines.append("</tfoot>")
        lines.append("</table>")
        return "\n".join(lines)

    # -------------------------------------------------------------- Markdown
    def _repr_markdown_(self) -> str:
        """A pipe table (Pandoc and GitHub Markdown) followed by the notes, one paragraph each."""
        rule = {"left": ":---", "right": "---:", "center": ":---:"}

        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(cells) + " |"

        lines = [line([escape_markdown(c) for c in self.columns]),
                 line([rule[self.align[c]] for c in self.columns])]
        for group, level, cells in self._rows():
            if group is not None:
                lines.append(line([f"**{escape_markdown(group)}**"] + [""] * (len(self.columns) - 1)))
            texts = []
            for c in self.columns:
                text = escape_markdown(cells[c])
                if c == self.stub and level and text:
                    text = NBSP * (INDENT_NBSP * level) + text
                texts.append(text)
            lines.append(line(texts))
        blocks = ["\n".join(lines)] + [_escape_paragraph(n) for n in self.notes]
        return "\n\n".join(blocks) + "\n"

    def __repr__(self) -> str:
        return f"ReportTable({len(self)} rows x {len(self.columns)} columns, {len(self.notes)} notes)"

    # ---------------------------------------------------------------- export
    def save(self, path_stem: str | Path) -> tuple[Path, Path]:
        """Write `<stem>.csv` (UTF-8) and `<stem>.xlsx` ('table' and 'notes' sheets) for the supplement."""
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        stem = Path(path_stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        csv_path, xlsx_path = stem.with_name(stem.name + ".csv"), stem.with_name(stem.name + ".xlsx")
        frame = self.to_frame()
        frame.to_csv(csv_path, index=False, encoding="utf-8", lineterminator="\n")

        book = Workbook()
        sheet = book.active
        sheet.title = "table"
        sheet.append(list(frame.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        stub_column = list(frame.columns).index(self.stub) + 1
        for i, row in enumerate(frame.itertuples(index=False)):
            sheet.append(list(row))
            if self.indent[i]:
                sheet.cell(row=i + 2, column=stub_column).alignment = Alignment(indent=2 * self.indent[i])
        for j, column in enumerate(frame.columns, start=1):
            longest = max([len(column)] + [len(v) for v in frame[column]])
            sheet.column_dimensions[sheet.cell(row=1, column=j).column_letter].width = min(longest + 2, 80)
        if self.notes:
            notes = book.create_sheet("notes")
            for note in self.notes:
                notes.append([note])
        buffer = io.BytesIO()
        book.save(buffer)
        xlsx_path.write_bytes(_without_timestamps(buffer.getvalue()))
        return csv_path, xlsx_path


_FIXED_TIME = "2000-01-01T00:00:00Z"


def _without_timestamps(xlsx: bytes) -> bytes:
    """The same workbook with fixed file times and document dates, so equal tables give equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                              rb"\g<1>" + _FIXED_TIME.encode() + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    return out.getvalue()


def read_saved(path: str | Path) -> pd.DataFrame:
    """Read a table written by `ReportTable.save` back as text (CSV or the XLSX 'table' sheet)."""
    path = Path(path)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, sheet_name="table", dtype=str, na_filter=False, engine="openpyxl")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
