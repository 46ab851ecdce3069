"""The readable HTML page of an executed chapter, for reading a section where Quarto is not installed.

One self-contained page, code hidden: the chapter's text (Markdown rendered by markdown-it-py,
CommonMark with tables and footnotes), its tables as the chapter displays them (HTML), its figures
as embedded PNG with the chapter's own `fig-alt` text as their alternative text, and printed text
as preformatted text. Each output shows its richest form, in nbconvert's order of preference.

Not nbconvert: its HTML exporter gives every figure the alternative text "No description has
been provided for this image" (its templates have no place for `fig-alt`), and importing it,
compiling its templates and re-parsing each page with BeautifulSoup took 2 of the 20 CPU-seconds
of `sections` on the four sections (issue 12).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nbformat
import yaml

#: Which form of an output is shown, best first (nbconvert's display priority, less the formats
#: a browser cannot show).
DISPLAY_PRIORITY = ("text/html", "image/svg+xml", "image/png", "image/jpeg", "text/markdown", "text/plain")

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; line-height: 1.5;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1, h2, h3 { line-height: 1.25; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { padding: 0.2rem 0.5rem; vertical-align: top; }
thead th { border-bottom: 1px solid #444; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 0.5rem; }
blockquote { margin: 1rem 0; padding: 0.5rem 1rem; border-left: 4px solid #b00; background: #fff6f6; }
.output { margin: 1rem 0; }
"""

_OPTION = re.compile(r"^#\|\s?(.*)$")


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    return MarkdownIt("commonmark", {"html": True}).enable("table").use(footnote_plugin)


def markdown_html(text: str) -> str:
    """Markdown as HTML (CommonMark with tables and footnotes; raw HTML kept)."""
    return _markdown().render(text)


def cell_options(source: str) -> dict:
    """The `#| key: value` options at the top of a code cell (YAML), e.g. {'fig-alt': '...'}."""
    lines = []
    for line in source.splitlines():
        option = _OPTION.match(line)
        if not option:
            break
        lines.append(option[1])
    try:
        options = yaml.safe_load("\n".join(lines)) if lines else {}
    except yaml.YAMLError:
        return {}
    return options if isinstance(options, dict) else {}


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def output_html(output: nbformat.NotebookNode, alt: str | None = None) -> str:
    """One output of a code cell as HTML; images carry `alt` (their figure's `fig-alt`)."""
    if output.output_type == "stream":
        return f"<pre>{html.escape(_text(output.text))}</pre>"
    if output.output_type == "error":
        return f"<pre>{html.escape(output.ename)}: {html.escape(output.evalue)}</pre>"
    data = output.get("data", {})
    kind = next((k for k in DISPLAY_PRIORITY if k in data), None)
    if kind is None:
        return ""
    value = _text(data[kind])
    if kind == "text/html" or kind == "image/svg+xml":
        return value
    if kind in ("image/png", "image/jpeg"):
        alt_text = html.escape(alt or "", quote=True)
        return f'<img src="data:{kind};base64,{value.strip()}" alt="{alt_text}">'
    if kind == "text/markdown":
        return markdown_html(value)
    return f"<pre>{html.escape(value)}</pre>"


def _title(notebook: nbformat.NotebookNode) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^#\s+(.+?)\s*$", _text(cell.source), re.M)
            if heading:
                return heading[1]
    return "Chapter"


def readable_page(notebook: nbformat.NotebookNode) -> str:
    """The chapter (already made readable: `analysis.book.execute.readable_copy`) as one HTML page."""
    parts = []
    for cell in notebook.cells:
        source = _text(cell.source)
        if cell.cell_type == "markdown":
            parts.append(markdown_html(source))
        elif cell.cell_type == "code":
            alt = cell_options(source).get("fig-alt")
            shown = [output_html(o, alt if isinstance(alt, str) else None) for o in cell.get("outputs", [])]
            parts.extend(f'<div class="output">\n{item}\n</div>' for item in shown if item)
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(_title(notebook))}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")
