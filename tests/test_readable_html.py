"""The readable HTML page of a headless chapter (analysis.book.readable_html)."""

from __future__ import annotations

import html
import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.book.execute import readable_copy
from analysis.book.readable_html import cell_options, output_html, readable_page
from analysis.report.artifacts import find_artifact
from analysis.report.sections import efficacy  # noqa: F401  (registers the chapter's figures)


def test_cell_options_are_read_as_yaml_until_the_first_line_of_code():
    source = '#| echo: false\n#| fig-alt: "A plot: one curve, \\"quoted\\""\nplot()\n#| later: 1'
    assert cell_options(source) == {"echo": False, "fig-alt": 'A plot: one curve, "quoted"'}
    assert cell_options("plot()") == {}
    assert cell_options('#| fig-alt: "unclosed\nplot()') == {}  # broken YAML: no options, no crash


def test_each_output_shows_its_richest_form_and_text_is_escaped():
    both = new_output("execute_result", data={"text/html": "<table></table>", "text/plain": "<x>"})
    assert output_html(both) == "<table></table>"
    figure = new_output("display_data", data={"image/png": "iVBOR\n", "text/plain": "<Figure>"})
    assert output_html(figure, 'Bars "A" & B') == \
        '<img src="data:image/png;base64,iVBOR" alt="Bars &quot;A&quot; &amp; B">'
    assert output_html(new_output("display_data", data={"text/markdown": "**bold**"})) == \
        "<p><strong>bold</strong></p>\n"
    assert output_html(new_output("stream", name="stdout", text="a < b")) == "<pre>a &lt; b</pre>"
    assert output_html(new_output("display_data", data={"application/json": {}})) == ""


def test_a_page_has_the_chapter_title_text_tables_and_figures_but_no_code():
    notebook = new_notebook(cells=[
        new_markdown_cell("# Efficacy\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nText.^[A note.]"),
        new_code_cell('#| fig-alt: "Curve."\nsecret_code()', outputs=[
            new_output("display_data", data={"image/png": "AAAA", "text/plain": "<Figure>"})]),
    ])
    page = readable_page(notebook)
    assert "<title>Efficacy</title>" in page and '<html lang="en">' in page
    assert "<td>1</td>" in page and 'alt="Curve."' in page and "footnote" in page
    assert "secret_code" not in page


def test_every_figure_of_a_chapter_carries_its_alt_text(executed):
    page = readable_page(readable_copy(executed("efficacy")))
    alts = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]*)"', page)
    expected = [find_artifact(label).alt for label in ("fig-pfs", "fig-swimmer")]
    assert alts == [html.escape(a, quote=True) for a in expected]
    assert "No description has been provided" not in page and "<table" in page


def test_the_page_is_the_same_twice(executed):
    notebook = executed("efficacy")
    assert readable_page(readable_copy(notebook)) == readable_page(readable_copy(nbformat.from_dict(notebook)))


def test_a_qmd_chapters_front_matter_is_not_shown(executed):
    """A .qmd chapter's front matter is a cell of its own (no text after the closing ---)."""
    page = readable_page(readable_copy(executed("methods")))
    assert "jupyter: python3" not in page and "<hr" not in page.split("<h1", 1)[0]
    assert "<title>Methods</title>" in page


def test_citations_read_as_the_books_reference_numbers(executed):
    from analysis.book.execute import citation_numbers

    numbers = citation_numbers()
    page = readable_page(readable_copy(executed("methods")))
    assert "[@" not in page and "@sun_tki" not in page
    assert f"[{numbers['eisenhauer2009']}]" in page
    assert list(numbers.values()) == list(range(1, len(numbers) + 1)) and numbers["sun_tki"] == 1
