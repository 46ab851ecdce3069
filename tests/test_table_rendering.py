"""Every table of the report, typeset for PDF (Pandoc -> Typst) and Word (Pandoc -> docx) as
Quarto does, reads like a journal table: all rows and notes present, nothing off the page or
overprinted, long tables continued with their header, valid Word XML with repeating headers and
columns wide enough that no number or word is broken.

No Quarto needed: Pandoc (PyPI pypandoc_binary) and Typst (PyPI typst) do the conversion; the
checks are those of `make check-render` (analysis/book/render_audit.py) on the whole book.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pypandoc", reason="test extra: pypandoc_binary")
pytest.importorskip("typst", reason="test extra: typst")

from table_typesetting import typst_pdf, word_docx  # noqa: E402

from analysis.book.render_audit import (  # noqa: E402
    MM,
    docx_column_widths,
    docx_problems,
    pdf_problems,
    pdf_words,
)
from analysis.book.word_reference import CELL_MARGIN_TWIPS  # noqa: E402
from analysis.report import ReportContext  # noqa: E402
from analysis.report.report_table import ReportTable  # noqa: E402
from analysis.report.sections import all_artifacts  # noqa: E402


@pytest.fixture(scope="module")
def report_tables() -> list[tuple[str, str, ReportTable]]:
    """(label, caption, table) for every table of the report, on the bundled data."""
    ctx = ReportContext.open()
    return [(a.label, str(ctx.caption(a.label)), a.build(ctx)) for a in all_artifacts() if a.kind == "table"]


@pytest.fixture(scope="module")
def pdf(report_tables, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("typst") / "tables.pdf"
    return typst_pdf([(caption, table) for _, caption, table in report_tables], out)


@pytest.fixture(scope="module")
def docx(report_tables, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("word") / "tables.docx"
    return word_docx([(caption, table) for _, caption, table in report_tables], out)


_DASHES = re.compile(r"(?<=[–-])")


def _normalise(word: str) -> str:
    return word.replace("\u2212", "-").replace("\u2060", "")


def _expected(table: ReportTable) -> Counter:
    """Every word the table must print: cells and headings whole (they must never break);
    notes are prose, where a line may end after a hyphen or dash ("hazard-" / "ratio")."""
    frame = table.to_frame()
    texts = list(frame[table.columns].to_numpy().ravel()) + [table.header_label(c) for c in table.columns]
    texts += list(table.spanners)
    if table.groups:  # a group label is printed once, where the group starts
        groups = frame[table.groups]
        texts += list(groups[groups != groups.shift()])
    words = Counter(_normalise(w) for text in texts for w in str(text).split())
    words.update(part for note in table.notes for w in note.split() for part in _DASHES.split(_normalise(w)) if part)
    return words


def _printed(words) -> Counter:
    """Printed words, whole and split after hyphens and dashes (for notes that wrapped there)."""
    counts = Counter(_normalise(w.text) for w in words)
    counts.update(part for w in words for part in _DASHES.split(_normalise(w.text)) if part and part != _normalise(w.text))
    return counts


# ======================================================================== PDF (Typst)
def test_typeset_tables_have_no_defect_a_reader_would_see(pdf):
    """No word off the page or overprinted, no blank page, nothing under 7 pt, no raw code."""
    assert pdf_problems(pdf) == []


def test_every_row_and_note_of_every_table_is_printed(pdf, report_tables):
    """No row is lost at a page break: every word of every table is on some page."""
    _, words = pdf_words(pdf)
    printed = _printed(words)
    for label, _, table in report_tables:
        missing = _expected(table) - printed
        assert not missing, f"{label}: not printed: {dict(list(missing.items())[:8])}"


def test_a_table_longer_than_a_page_continues_with_its_header_repeated(report_tables, tmp_path):
    """Typst breaks the float across pages and repeats the header row on each."""
    label, caption, table = next(t for t in report_tables if t[0] == "tbl-baseline")
    frame = table.to_frame()
    long = ReportTable(pd.concat([frame] * 4, ignore_index=True), notes=table.notes,
                       indent=list(table.indent) * 4)
    pdf = typst_pdf([(caption, long)], tmp_path / "long.pdf")
    assert pdf_problems(pdf) == []
    sizes, words = pdf_words(pdf)
    assert len(sizes) >= 2, "the test table must span pages"
    heading = table.columns[0]
    pages_with_heading = {w.page for w in words if w.text == heading}
    assert pages_with_heading == set(range(1, len(sizes) + 1)), "header row repeated on every page"
    first_note_word = table.notes[0].split()[0]
    assert [w.page for w in words if w.text == first_note_word][-1] == len(sizes), \
        "notes printed once, under the end of the table"


def test_label_column_is_ragged_right_and_numbers_right_aligned(pdf, report_tables):
    """Wrapped labels are not justified (no stretched word gaps) and counts line up on the right."""
    _, words = pdf_words(pdf)
    label_words = re.compile(r"^[A-Za-z][A-Za-z-]*[,.:;]?$")
    by_line: dict[tuple[int, float], list] = {}
    for w in words:
        by_line.setdefault((w.page, round(w.y0, 0)), []).append(w)
    gaps = []
    for line in by_line.values():
        line.sort(key=lambda w: w.x0)
        if line[0].size > 9:   # body text and captions (10 pt) may be justified; tables are 8.5 pt
            continue
        gaps += [b.x0 - a.x1 for a, b in zip(line, line[1:])
                 if label_words.match(a.text) and label_words.match(b.text) and b.x0 - a.x1 < 7.5]
    assert gaps and max(gaps) < 4.0, "word gaps inside table labels are plain spaces (not justified)"
    counts = [w for w in words if w.text == "(53.0)"]
    column = [w for w in words if w.size < 9 and re.fullmatch(r"\(\d+\.\d\)", w.text) and w.page == counts[0].page
              and abs(w.x1 - counts[0].x1) < 20]
    assert len(column) > 5 and max(w.x1 for w in column) - min(w.x1 for w in column) < 0.5, "right-aligned"


def test_the_cox_table_has_spanning_headers_and_fits_the_page(pdf, report_tables):
    label, _, table = next(t for t in report_tables if t[0] == "tbl-cox")
    assert set(table.spanners) == {"Univariable", "Multivariable"}
    assert [table.header_label(c) for c in table.columns[1:5]] == ["N", "events", "HR (95% CI)", "LR p"]
    sizes, words = pdf_words(pdf)
    spanners = [w for w in words if w.text in ("Univariable", "Multivariable")]
    assert len(spanners) >= 2
    width = sizes[0][0]
    assert all(w.x1 <= width - 29 * MM for w in words), "within the text block (1 mm tolerance)"


# ============================================================================= Word
def test_word_tables_are_valid_top_level_tables_with_repeating_headers(docx):
    assert docx_problems(docx) == []


def test_word_columns_are_wide_enough_for_every_unbreakable_token(docx, report_tables):
    """Word gives equal columns to a table without widths and breaks words mid-word; every
    column here has a width, and it holds its longest word or number (9 pt table text,
    about 0.5 em a digit or letter, 3 pt cell margins)."""
    widths = docx_column_widths(docx)
    assert len(widths) == len(report_tables)
    for (label, _, table), grid in zip(report_tables, widths):
        assert len(grid) == len(table.columns) and min(grid) > 0, label
        for column, twips in zip(table.columns, grid):
            cells = [table.header_label(column)] + list(table.to_frame()[column])
            longest = max((len(w) for text in cells for w in str(text).split()), default=0)
            assert twips - 2 * CELL_MARGIN_TWIPS >= longest * 0.5 * 9 * 20, (label, column, twips, longest)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (Debian libreoffice-writer-nogui) not installed")
def test_word_tables_as_a_reader_sees_them_break_no_word(docx, report_tables, tmp_path):
    """Word's layout, as LibreOffice draws it: every word of every table printed whole."""
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
                   check=True, capture_output=True, timeout=180)
    _, words = pdf_words(tmp_path / "tables.pdf")
    printed = _printed(words)
    for label, _, table in report_tables:
        broken = sorted(w for w in _expected(table) if w not in printed and not re.fullmatch(r"[\W_]+", w))
        assert not broken, f"{label}: words broken or lost in Word: {broken[:8]}"
