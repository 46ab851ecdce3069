"""One table object for every notebook: one HTML `<table>` that Quarto turns into HTML, Typst and Word tables.

`ReportTable` holds display-ready text. Its only rich rendering is `_repr_html_`: for PDF and Word,
Quarto parses an HTML `<table>` into a Pandoc table (QUARTO-NOTES.md), which keeps what a journal
table needs: a two-row `<thead>` with spanning headers, notes in `<tfoot>` (printed once, left
aligned, under the table), and column widths from `<colgroup>`. What differs by output format is
decided here, from the format Quarto is executing for (`output_format()`):

- Typst: every column gets a width from its content (so a long note wraps under the table
  instead of widening its last column), and indented labels carry a `typst:inset` so a
  wrapped label keeps its hanging indent;
- Word: every column gets a width (Word gives columns without one no width at all), computed from
  the content so numbers and intervals never break; indents are non-breaking spaces;
- HTML: inline styles (alignment, indent), the label width, numbers kept on one line.

Plain HTML rather than great_tables: great_tables (1.1) emits a ~10 kB ``<style>`` block per table
whose bare ``tbody, tr, td, th`` rules restyle the whole page, and has no Typst writer; one small
writer keeps every format's table identical in content.

The caption is deliberately not part of the object: the report puts each table in a Quarto
cross-reference div (``::: {#tbl-...}``) whose last paragraph is the caption, so no
``<caption>`` is ever emitted. `to_markdown()` gives a plain pipe table for other uses.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd

#: Left padding per indentation level in the HTML rendering (em).
INDENT_EM = 1.5
#: Typst cell padding (pt) as set for every table by the report's Typst rules
#: (analysis/book/quarto/report-tables.typ); an indented label adds TYPST_INDENT_PT per level.
TYPST_INSET_X, TYPST_INSET_Y, TYPST_INDENT_PT = 4, 3, 10
#: Characters of table text on one line of the printed text width: 8.5 pt Typst text on
#: orange-book's 150 mm, and 9 pt Word table text (analysis/book/word_reference.py) on the
#: 5.5 in that Pandoc's Word page leaves for text.
LINE_CHARACTERS = {"typst": 100, "docx": 85}
#: Characters' worth of cell padding (Typst 2 x 4 pt, Word 2 x 0.075 in) added to each column.
CELL_PADDING = 3
#: The label column's share of the width: at least STUB_MIN (Typst; Word, whose columns cannot
#: grow, lends the label column less), at most STUB_MAX.
STUB_MIN, STUB_MIN_WORD, STUB_MAX = 0.22, 0.18, 0.55
#: Non-breaking spaces per indentation level in the Markdown rendering (Pandoc keeps them).
INDENT_NBSP = 4
NBSP = "\u00a0"
#: Zero-width, no line break on either side (U+2060), put around the dash of a numeric range in Word.
WORD_JOINER = "\u2060"
_RANGE_DASH = re.compile(r"(?<=[\d.])–(?=[\d−-]|NR)")

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


def _escape_text(text: str) -> str:
    """HTML-escape text content (&, <, >), quotes left as they are."""
    return html.escape(text, quote=False)


_MARKUP_LT = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_AMP = re.compile(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)")


def _escape_for_typst(text: str) -> str:
    """Escape only what HTML would read as markup: a '<' that could open a tag, an '&' that could
    open a character reference. Quarto 1.11 carries the text of an HTML table cell into Typst
    without decoding character references, so the PDF printed "&lt;0.001", "Klein &amp;" and
    "project&#x27;s"; "<0.001" and "Klein & Moeschberger" are valid HTML text as they are."""
    return _MARKUP_LT.sub("&lt;", _ENTITY_AMP.sub("&amp;", text))


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown punctuation so a cell is shown literally (| included)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _escape_paragraph(text: str) -> str:
    """Escape a footnote shown as its own paragraph, including a list-like or heading-like start."""
    return _BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}",
                            escape_markdown(text))


def output_format(environ: Mapping[str, str] | None = None) -> str | None:
    """The format Quarto is executing this kernel for ("html", "typst", "docx", ...), else None.

    Quarto names a JSON file in QUARTO_EXECUTE_INFO whose `format.pandoc.to` is the target
    (quarto.org/docs/advanced/quarto-execute-info.html); outside Quarto there is none.
    """
    environ = os.environ if environ is None else environ
    path = environ.get("QUARTO_EXECUTE_INFO", "")
    if not path:
        return None
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fmt = info.get("format", {}) if isinstance(info, dict) else {}
    target = fmt.get("pandoc", {}).get("to") or fmt.get("identifier", {}).get("base-format")
    return str(target).split("+")[0].split("-")[0] if target else None


class ReportTable:
    """A display-ready table in the layout journals use: label column, spanning headers, notes below.

    frame:    display text, one row per table row; the stub (row labels) is `stub`, default the
              first column. Non-text values are shown with str(); missing values as empty cells.
    notes:    footnotes, shown once under the table (`<tfoot>`), left-aligned.
    indent:   indentation level per row (0 = flush), e.g. the levels of a variable under its label.
    groups:   name of a column of `frame` holding a row-group label; a full-width header row is
              shown whenever it changes (empty = no group). The column itself is not displayed.
    align:    column -> "left" / "right" / "center"; by default the stub and text columns are
              left-aligned and columns of numbers, counts and intervals right-aligned.
    spanners: spanning header -> the adjacent columns under it, e.g. {"Univariable":
              ["Univariable N", "Univariable HR (95% CI)"]}; under a spanner a column is headed by
              its name less the spanner's words ("N", "HR (95% CI)"). Exports keep the full names.

    No caption: the Quarto cross-reference div around the table supplies it in every format.
    """

    def __init__(self, frame: pd.DataFrame, notes: Sequence[str] = (), stub: str | None = None,
                 indent: Sequence[int] | None = None, groups: str | None = None,
                 align: Mapping[str, Align] | None = None,
                 spanners: Mapping[str, Sequence[str]] | None = None) -> None:
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
        self.spanners = self._checked_spanners(spanners or {})

    def _checked_spanners(self, spanners: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
        """Spanners over adjacent displayed columns, none over the stub, no column under two."""
        seen: set[str] = set()
        checked = {}
        for label, columns in spanners.items():
            columns = tuple(columns)
            positions = [self.columns.index(c) if c in self.columns else -1 for c in columns]
            if (not columns or -1 in positions or self.stub in columns or seen & set(columns)
                    or positions != list(range(positions[0], positions[0] + len(columns)))):
                raise ValueError(f"spanner {label!r} must cover adjacent displayed columns other than "
                                 f"the stub, each under one spanner: {list(columns)}")
            seen.update(columns)
            checked[str(label)] = columns
        return checked

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
                           self.groups, self.align, self.spanners)

    def __len__(self) -> int:
        return len(self._frame)

    def rows(self) -> Iterator[tuple[str | None, int, dict[str, str]]]:
        """(group label or None when unchanged, indentation, {column: text}) for each row, as
        every format lays the table out (a group label starts a full-width row)."""
        return self._rows()

    def _rows(self) -> Iterator[tuple[str | None, int, dict[str, str]]]:
        """(group label or None when unchanged, indentation, {column: text}) for each row."""
        current = ""
        for i, row in self._frame.iterrows():
            group = row[self.groups] if self.groups else ""
            starts = group if group and group != current else None
            current = group
            yield starts, self.indent[i], {c: row[c] for c in self.columns}

    def spanner_of(self, column: str) -> str | None:
        """The spanning header over `column`, if any."""
        return next((label for label, cols in self.spanners.items() if column in cols), None)

    def header_label(self, column: str) -> str:
        """The column's heading: its name, less the words of its spanner when it has one."""
        spanner = self.spanner_of(column)
        if spanner and column.startswith(spanner) and column[len(spanner):].strip():
            return column[len(spanner):].strip()
        return column

    # ---------------------------------------------------------------- widths
    def column_widths(self, line_characters: int = LINE_CHARACTERS["typst"],
                      fill: bool = False, stub_min: float = STUB_MIN) -> dict[str, float]:
        """Each column's share of the printed text width, from its content.

        Numbers, counts and intervals never wrap (their column is as wide as the longest cell);
        headings may wrap between words; the label column takes what remains, between STUB_MIN
        and STUB_MAX. A table narrower than the page keeps its natural widths (sum below 1),
        unless `fill` spreads the spare width over its columns (Word: the table spans the page).
        """
        def need(column: str, header_wraps: bool) -> int:
            heading = self.header_label(column)
            head = max((len(w) for w in heading.split()), default=0) if header_wraps else len(heading)
            if column == self.stub:
                cells = [len(v) + 3 * level for v, level in zip(self._frame[column], self.indent)]
                return max([head] + cells) + CELL_PADDING
            return max([head] + [len(v) for v in self._frame[column]]) + CELL_PADDING

        def longest_word(column: str) -> int:
            cells = [self.header_label(column)] + list(self._frame[column])
            return max((len(w) for text in cells for w in text.split()), default=0) + CELL_PADDING

        def others_of(widths: dict[str, int]) -> int:
            return sum(v for c, v in widths.items() if c != self.stub)

        # Headings on one line if the table still fits, else wrapped between words; cells whole
        # if they fit, else wrapped between words ("0.33" / "(0.18–0.60)").
        natural = {c: need(c, header_wraps=False) for c in self.columns}
        if others_of(natural) + natural[self.stub] > line_characters:
            natural = {c: need(c, header_wraps=True) for c in self.columns}
        if others_of(natural) + stub_min * line_characters > line_characters:
            natural.update({c: longest_word(c) for c in self.columns if c != self.stub})
        others = others_of(natural)
        if others + natural[self.stub] <= line_characters:
            total = sum(natural.values()) if fill else line_characters
            return {c: round(v / total, 3) for c, v in natural.items()}
        scale = min(1.0, (1 - stub_min) * line_characters / others) if others else 1.0
        widths = {c: round(v * scale / line_characters, 3) for c, v in natural.items() if c != self.stub}
        stub = min(STUB_MAX, max(stub_min, 1 - sum(widths.values())))
        return {c: (round(stub, 3) if c == self.stub else widths[c]) for c in self.columns}

    # ------------------------------------------------------------------ HTML
    def _repr_html_(self) -> str:
        """The table for the format Quarto is rendering (see the module docstring)."""
        return self.to_html(output_format())

    def to_html(self, target: str | None = None) -> str:
        """A self-contained HTML table (inline styles only; no caption, no CSS, no scripts).

        `target` is the output format ("html", "typst", "docx" or None for a plain notebook):
        it decides the column widths and how indents are written.
        """
        e = _escape_for_typst if target == "typst" else _escape_text
        width = len(self.columns)
        widths = (self.column_widths(LINE_CHARACTERS["docx"], fill=True, stub_min=STUB_MIN_WORD)
                  if target == "docx" else self.column_widths())

        def style(column: str, level: int = 0) -> str:
            css = f"text-align:{self.align[column]}"
            if level and target != "docx":
                css += f";padding-left:{INDENT_EM * level:g}em"
            if column != self.stub and target == "html":
                css += ";white-space:nowrap"
            return f' style="{css}"'

        def inset(level: int) -> str:
            if target != "typst" or not level:
                return ""
            return (f' typst:inset="(left: {TYPST_INSET_X + TYPST_INDENT_PT * level}pt, '
                    f'right: {TYPST_INSET_X}pt, y: {TYPST_INSET_Y}pt)"')

        def text(value: str, level: int) -> str:
            if target in ("docx", "typst"):  # lines may break after an en dash: keep "(0.18–0.60)" whole
                value = _RANGE_DASH.sub(WORD_JOINER + "–" + WORD_JOINER, value)
            if target == "docx" and level and value:
                return NBSP * (INDENT_NBSP * level) + e(value)
            return e(value)

        if target in ("docx", "typst"):  # every column its width: notes wrap within the table
            cols = "".join(f'<col style="width:{100 * widths[c]:.1f}%">' for c in self.columns)
        else:                  # HTML: the label column's width; the rest fit their content
            cols = "".join(f'<col style="width:{100 * widths[c]:.1f}%">' if c == self.stub else "<col>"
                           for c in self.columns)
        lines = ['<table class="report-table">', f"<colgroup>{cols}</colgroup>", "<thead>"]
        lines += self._header_rows(style, e)
        lines += ["</thead>", "<tbody>"]
        for group, level, cells in self._rows():
            if group is not None:
                lines.append(f'<tr><td colspan="{width}" style="text-align:left">'
                             f"<strong>{e(group)}</strong></td></tr>")
            tds = "".join(f"<td{style(c, level if c == self.stub else 0)}"
                          f"{inset(level) if c == self.stub else ''}>"
                          f"{text(cells[c], level if c == self.stub else 0)}</td>"
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

    def _header_rows(self, style, e) -> list[str]:
        """One header row, or two when there are spanners (columns without one span both rows);
        `e` escapes text for the target format."""

        def th(column: str, extra: str = "") -> str:
            return f'<th scope="col"{extra}{style(column)}><strong>{e(self.header_label(column))}</strong></th>'

        if not self.spanners:
            return ["<tr>" + "".join(th(c) for c in self.columns) + "</tr>"]
        top, bottom, done = [], [], set()
        for column in self.columns:
            spanner = self.spanner_of(column)
            if spanner is None:
                top.append(th(column, ' rowspan="2"'))
            elif spanner not in done:
                done.add(spanner)
                top.append(f'<th scope="colgroup" colspan="{len(self.spanners[spanner])}" '
                           f'style="text-align:center"><strong>{e(spanner)}</strong></th>')
            if spanner is not None:
                bottom.append(th(column))
        return ["<tr>" + "".join(top) + "</tr>", "<tr>" + "".join(bottom) + "</tr>"]

    # -------------------------------------------------------------- Markdown
    def to_markdown(self) -> str:
        """A plain pipe table (Pandoc and GitHub Markdown) followed by the notes, one paragraph each.

        Not used by the report (a pipe table reaches PDF and Word with equal column widths and no
        place for notes); for a README, an e-mail or a quick look in a terminal.
        """
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
        """Write `<stem>.csv` (UTF-8) and `<stem>.xlsx` ('table' and 'notes' sheets)."""
        stem = Path(path_stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        csv_path = stem.with_name(stem.name + ".csv")
        self.to_frame().to_csv(csv_path, index=False, encoding="utf-8", lineterminator="\n")
        return csv_path, self.save_xlsx(stem.with_name(stem.name + ".xlsx"))

    def save_xlsx(self, path: str | Path) -> Path:
        """Write the table to an Excel workbook: a 'table' sheet (bold header, levels indented)
        and a 'notes' sheet; fixed document dates, so the same table gives the same bytes."""
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        path = Path(path)
        frame = self.to_frame()
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
        path.write_bytes(without_timestamps(buffer.getvalue()))
        return path


_FIXED_TIME = "2000-01-01T00:00:00Z"


def without_timestamps(xlsx: bytes) -> bytes:
    """The same workbook (or Word document: any Office Open XML file) with fixed file times and
    document dates, so equal tables give equal bytes."""
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
