"""The book's chapters as notebooks, without Quarto: `.qmd` files read into nbformat notebooks.

jupytext reads the `.py` percent scripts of the sections, but its Quarto Markdown reader calls
the Quarto CLI, which is not installed everywhere the tests run. `read_chapter` therefore parses
a `.qmd` itself, the way Quarto splits it: the YAML front matter and the Markdown between code
blocks become markdown cells, each ```` ```{python} ```` block becomes a code cell (its `#|`
option lines kept as they are), and any other fenced block (```` ```sh ````, ```` ```yaml ````)
stays Markdown. `analysis.book.execute` runs any chapter headless through `read_chapter`, so inline
expressions are evaluated in place exactly as for the sections.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import yaml

from analysis.config import PROJECT_ROOT

QUARTO_YML = PROJECT_ROOT / "_quarto.yml"

_PYTHON_FENCE = re.compile(r"^(?P<fence>`{3,})\s*\{python(?:[\s,][^}]*)?\}\s*$")
_ANY_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")


def _closes(line: str, fence: str) -> bool:
    """A closing fence: the opening character repeated at least as often, nothing else."""
    return re.fullmatch(rf"{re.escape(fence[0])}{{{len(fence)},}}\s*", line) is not None


def _markdown_cell(lines: list[str]) -> nbformat.NotebookNode | None:
    text = "\n".join(lines).strip("\n")
    return nbformat.v4.new_markdown_cell(text) if text.strip() else None


def qmd_to_notebook(text: str) -> nbformat.NotebookNode:
    """Split Quarto Markdown into markdown and Python code cells (front matter = first cell)."""
    lines = text.splitlines()
    cells: list[nbformat.NotebookNode] = []
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is None:
            raise ValueError("front matter opened with '---' is never closed")
        cells.append(nbformat.v4.new_markdown_cell("\n".join(lines[: end + 1])))
        start = end + 1

    markdown: list[str] = []
    i = start
    while i < len(lines):
        line = lines[i]
        python = _PYTHON_FENCE.match(line)
        other = None if python else _ANY_FENCE.match(line)
        if python:
            opened, fence = i + 1, python["fence"]
            body, i = [], i + 1
            while i < len(lines) and not _closes(lines[i], fence):
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"the code block opened on line {opened} is never closed")
            if (cell := _markdown_cell(markdown)) is not None:
                cells.append(cell)
            markdown = []
            cells.append(nbformat.v4.new_code_cell("\n".join(body)))
        elif other:
            fence = other["fence"]
            markdown.append(line)
            i += 1
            while i < len(lines) and not _closes(lines[i], fence):
                markdown.append(lines[i])
                i += 1
            if i < len(lines):
                markdown.append(lines[i])
        else:
            markdown.append(line)
        i += 1
    if (cell := _markdown_cell(markdown)) is not None:
        cells.append(cell)

    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def read_chapter(path: str | Path) -> nbformat.NotebookNode:
    """Any chapter of the book as a notebook: `.qmd` parsed here, `.py`/`.ipynb` read by jupytext."""
    path = Path(path)
    if path.suffix == ".qmd":
        return qmd_to_notebook(path.read_text(encoding="utf-8"))
    return jupytext.read(path)


def chapter_files() -> list[Path]:
    """The chapters and appendices listed in `_quarto.yml`, in reading order (absolute paths)."""
    book = yaml.safe_load(QUARTO_YML.read_text(encoding="utf-8"))["book"]
    entries: list[str] = []

    def collect(items: list) -> None:
        for item in items or []:
            if isinstance(item, str):
                entries.append(item)
            elif isinstance(item, dict):  # a part: {part: file-or-title, chapters: [...]}
                part = item.get("part", "")
                if isinstance(part, str) and part.endswith((".qmd", ".md", ".py", ".ipynb")):
                    entries.append(part)
                collect(item.get("chapters", []))

    collect(book.get("chapters", []))
    collect(book.get("appendices", []))
    return [PROJECT_ROOT / entry for entry in entries]
