"""ReportTable renders the same rows as valid HTML and as a valid pipe table, escaped, and exports."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from analysis.report.report_table import (
    INDENT_NBSP,
    NBSP,
    ReportTable,
    escape_markdown,
    read_saved,
)
from analysis.report.tables import baseline_characteristics

NASTY = ["a | b", "<script>alert(1)</script>", "R&D $5 @ref *x* _y_", "Back\\slash ~sub~ ^sup^"]


class _TableParser(HTMLParser):
    """Collects every tag seen and the rows of thead/tbody/tfoot as (cells, attributes) lists."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.rows: dict[str, list[list[tuple[str, dict]]]] = {"thead": [], "tbody": [], "tfoot": []}
        self.section: str | None = None
        self.cell: list[str] | None = None
        self.attrs: dict = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in self.rows:
            self.section = tag
        elif tag == "tr":
            self.rows[self.section].append([])
        elif tag in ("td", "th"):
            self.cell, self.attrs = [], dict(attrs)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[self.section][-1].append(("".join(self.cell), self.attrs))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def parse_html(markup: str) -> _TableParser:
    parser = _TableParser()
    parser.feed(markup)
    parser.close()
    return parser


def split_pipe_row(line: str) -> list[str]:
    """Cells of one pipe-table row, splitting only on unescaped |."""
    assert line.startswith("| ") and line.endswith(" |"), line
    return [c.strip(" ") for c in re.split(r"(?<!\\)\|", line[1:-1])]  # keep NBSP indents


def unescape_markdown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_markdown(text: str) -> tuple[list[list[str]], list[str]]:
    """(table rows including header and rule, paragraphs after the table)."""
    blocks = text.strip("\n").split("\n\n")
    rows = [split_pipe_row(line) for line in blocks[0].split("\n")]
    return rows, blocks[1:]


@pytest.fixture
def table() -> ReportTable:
    frame = pd.DataFrame({
        "section": ["First", "First", "Second", "Second"],
        "Label": ["Parent", "Child", NASTY[0], NASTY[1]],
        "Value": ["36 (54.5)", "<5", "4.7–15.6", ""],
        "Text": [NASTY[2], NASTY[3], "plain", None],
    })
    return ReportTable(frame, notes=["1. looks like a list", NASTY[0]], indent=[0, 1, 0, 2],
                       groups="section")


def test_html_has_one_body_row_per_row_plus_group_headers_and_no_caption(table):
    markup = table._repr_html_()
    parsed = parse_html(markup)
    groups = table.to_frame()["section"]
    n_groups = int((groups != groups.shift()).sum())
    assert "caption" not in parsed.tags and "<caption" not in markup
    assert len(parsed.rows["tbody"]) == len(table) + n_groups
    assert [c for c, _ in parsed.rows["thead"][0]] == ["Label", "Value", "Text"]
    assert [row[0][0] for row in parsed.rows["tfoot"]] == list(table.notes)
    assert all(row[0][1]["colspan"] == "3" for row in parsed.rows["tfoot"])
    # no external resources of any kind
    assert not {"style", "script", "link", "img"} & set(parsed.tags)


def test_html_escapes_text_and_round_trips_it(table):
    markup = table._repr_html_()
    parsed = parse_html(markup)
    assert "<script>" not in markup
    shown = [c for row in parsed.rows["tbody"] for c, _ in row]
    for text in NASTY:
        assert text in shown
    assert "R&amp;D" in markup


def test_html_indents_the_stub_and_right_aligns_numbers(table):
    body = [row for row in parse_html(table._repr_html_()).rows["tbody"] if len(row) > 1]
    for level, row in zip(table.indent, body):
        stub_style = row[0][1]["style"]
        assert ("padding-left" in stub_style) == (level > 0)
        assert row[1][1]["style"] == "text-align:right"   # Value column: counts and intervals
        assert row[2][1]["style"] == "text-align:left"    # Text column: words


def test_markdown_is_a_pipe_table_with_consistent_columns_and_notes_below(table):
    rows, paragraphs = parse_markdown(table.to_markdown())
    width = len(table.columns)
    assert all(len(r) == width for r in rows)
    assert all(re.fullmatch(r":?-{3,}:?", c) for c in rows[1])
    assert rows[1][1] == "---:" and rows[1][0] == ":---"
    groups = table.to_frame()["section"]
    assert len(rows) - 2 == len(table) + int((groups != groups.shift()).sum())
    assert [unescape_markdown(p) for p in paragraphs] == list(table.notes)
    assert paragraphs[0].startswith("1\\.")  # not turned into an ordered list


def test_markdown_escapes_pipes_and_keeps_the_text(table):
    rows, _ = parse_markdown(table.to_markdown())
    cells = [unescape_markdown(c).lstrip(NBSP) for r in rows[2:] for c in r]
    for text in NASTY:
        assert text in cells
    assert escape_markdown("a|b") == "a\\|b"


def test_markdown_indents_with_non_breaking_spaces(table):
    rows, _ = parse_markdown(table.to_markdown())
    body = [r for r in rows[2:] if not r[0].startswith("**")]
    for level, row in zip(table.indent, body):
        leading = len(row[0]) - len(row[0].lstrip(NBSP))
        assert leading == INDENT_NBSP * level


def test_to_frame_is_the_text_with_the_group_column_first(table):
    frame = table.to_frame()
    assert list(frame.columns) == ["section", "Label", "Value", "Text"]
    assert frame.loc[3, "Text"] == ""  # missing becomes an empty cell
    assert frame.loc[2, "Label"] == NASTY[0]


def test_save_writes_csv_and_xlsx_that_read_back_equal(table, tmp_path):
    csv_path, xlsx_path = table.save(tmp_path / "out" / "table_1")
    assert csv_path.name == "table_1.csv" and xlsx_path.name == "table_1.xlsx"
    expected = table.to_frame()
    pd.testing.assert_frame_equal(read_saved(csv_path), expected)
    pd.testing.assert_frame_equal(read_saved(xlsx_path), expected)
    notes = pd.read_excel(xlsx_path, sheet_name="notes", header=None)[0].tolist()
    assert notes == list(table.notes)


def test_add_notes_returns_a_new_table(table):
    extended = table.add_notes("Synthetic data.")
    assert extended.notes == table.notes + ("Synthetic data.",)
    assert len(table.notes) == 2
    assert extended.to_frame().equals(table.to_frame())


@pytest.mark.parametrize("kwargs", [{"indent": [0]}, {"groups": "nope"}, {"stub": "nope"},
                                    {"align": {"Value": "middle"}}])
def test_bad_arguments_are_refused(kwargs):
    frame = pd.DataFrame({"Label": ["a", "b"], "Value": ["1", "2"]})
    with pytest.raises(ValueError):
        ReportTable(frame, **kwargs)


def test_a_real_table_renders_in_both_forms(dataset):
    table = baseline_characteristics(dataset)
    parsed = parse_html(table._repr_html_())
    assert len(parsed.rows["tbody"]) == len(table)
    assert parsed.rows["thead"][0][1][0] == f"N = {len(dataset)}"
    rows, paragraphs = parse_markdown(table.to_markdown())
    assert len(rows) == len(table) + 2 and {len(r) for r in rows} == {2}
    assert len(paragraphs) == len(table.notes)
