"""Execute section notebooks headless (no Quarto needed), with their inline expressions filled in.

Each chapter (`notebooks/NN-name.py` sections read with jupytext, `.qmd` chapters with
`analysis.book.chapters`) runs top to bottom in a fresh kernel of its own (nbclient's), nothing
shared between them; `execute_sections` runs a few at once. The inline expressions of a markdown cell
(`` `{python} expr` ``) are evaluated right after the code above it has run, exactly where
Quarto would evaluate them, and substituted into the executed copy, so the executed
notebook reads as the chapter does. A failing cell or expression stops with its error.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from analysis.config import NOTEBOOKS, PROJECT_ROOT, environment_with_data_dir

from .chapters import read_chapter
from .readable_html import readable_page
from .section_files import Section

INLINE = re.compile(r"`\{python\}\s+([^`]+)`")
_MARKER = "__inline_values__"


def inline_expressions(source: str) -> list[str]:
    """The `{python} expr` expressions of a markdown cell, in order."""
    return [m.strip() for m in INLINE.findall(source)]


def _with_inline_probes(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Insert after each markdown cell with inline expressions a cell that evaluates them."""
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        expressions = inline_expressions(cell.source) if cell.cell_type == "markdown" else []
        if expressions:
            body = ", ".join(f"str({e})" for e in expressions)
            probe = nbformat.v4.new_code_cell(f"import json as _json\nprint({_MARKER!r}, _json.dumps([{body}]))")
            probe.metadata["inline_probe"] = True
            cells.append(probe)
    notebook.cells = cells
    return notebook


class EmptyInlineValue(ValueError):
    """An inline expression gave empty text: Quarto would print its source instead."""


def _fill_inline_values(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace inline expressions by their values and drop the probe cells.

    An expression whose value is empty or blank is an error: Quarto leaves such an expression
    as raw `{python} name` text in every format (QUARTO-NOTES.md), so the text must always
    have content.
    """
    cells = []
    for cell in notebook.cells:
        if cell.metadata.get("inline_probe"):
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            values = json.loads(text.split(_MARKER, 1)[1])
            previous = cells[-1]
            empty = [e for e, v in zip(inline_expressions(previous.source), values) if not str(v).strip()]
            if empty:
                raise EmptyInlineValue("inline expression(s) evaluated to empty text (Quarto would "
                                       f"print their source): {', '.join(empty)}")
            values = iter(values)
            previous.source = INLINE.sub(lambda _: next(values), previous.source)
            continue
        cells.append(cell)
    notebook.cells = cells
    return notebook


def execute_section(section: Section, data_dir: str | Path | None = None,
                    timeout: int = 600) -> nbformat.NotebookNode:
    """Run one section in a fresh kernel (nbclient's usual one); return the executed notebook with
    its inline values filled. A failing cell or expression raises its error."""
    notebook = _with_inline_probes(read_chapter(section.script))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # shutdown_kernel="immediate": the kernel has nothing to save, so it is stopped at once.
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute(env=environment_with_data_dir(data_dir))
    return _fill_inline_values(notebook)


@dataclass
class ExecutedSection:
    """A section run in its own kernel: the executed notebook and how long it took."""

    section: Section
    notebook: nbformat.NotebookNode
    seconds: float


def execute_sections(chosen: list[Section], data_dir: str | Path | None = None,
                     jobs: int = 1) -> Iterator[ExecutedSection]:
    """Run sections, each in a fresh kernel of its own, `jobs` at a time; yield them in order.

    Kernels share nothing, so running two at once on two cores changes no result, only the wall
    time of the whole command. A section that fails raises its error when its turn comes; the
    ones still running are finished first, the ones not started are cancelled.
    """
    def run(section: Section) -> ExecutedSection:
        start = time.perf_counter()
        notebook = execute_section(section, data_dir=data_dir)
        return ExecutedSection(section, notebook, time.perf_counter() - start)

    with ThreadPoolExecutor(max_workers=max(1, min(len(chosen), jobs))) as pool:
        futures = [pool.submit(run, section) for section in chosen]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


_YAML_HEADER = re.compile(r"\A---\n.*?\n---[ \t]*(?:\n|\Z)", re.S)  # a .qmd's is a cell of its own
_ATTRIBUTES = re.compile(r"\s*\{[#.][^}]*\}\s*$", re.M)
_FENCE = re.compile(r"^:::.*$\n?", re.M)
_REFERENCE = re.compile(r"@(fig|tbl|sec)-([a-z0-9-]+)")
_KINDS = {"fig": "Figure", "tbl": "Table", "sec": "Section"}
_CITATION = re.compile(r"\[(-?@[\w:.-]+(?:\s*;\s*-?@[\w:.-]+)*)\]")
BIBLIOGRAPHY = PROJECT_ROOT / "references.bib"


@lru_cache(maxsize=1)
def citation_numbers() -> dict[str, int]:
    """Each reference's number in the book: its place in references.bib, which is kept in order
    of first citation (tests/test_quarto_project.py), as the Vancouver style numbers them."""
    try:
        text = BIBLIOGRAPHY.read_text(encoding="utf-8")
    except OSError:
        return {}
    keys = re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", text, re.M)
    return {key: number for number, key in enumerate(keys, start=1)}


def _numbered_citation(match: re.Match) -> str:
    """'[@a; @b]' as '[1, 2]', the book's numbers; a key not in the bibliography stays as written."""
    keys = [k.strip().lstrip("-@") for k in match[1].split(";")]
    numbers = citation_numbers()
    if not all(k in numbers for k in keys):
        return match[0]
    return "[" + ", ".join(str(numbers[k]) for k in keys) + "]"


def readable_copy(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed chapter without Quarto markup, for reading where Quarto is not installed.

    Drops the YAML header, heading attributes and div fences, writes cross-references as
    words ("Figure fig-pfs") and citations as the book's reference numbers ("[3, 4]"), and
    shows `output: asis` text as Markdown.
    """
    copy = nbformat.from_dict(json.loads(json.dumps(notebook)))
    for cell in copy.cells:
        if cell.cell_type == "markdown":
            text = _YAML_HEADER.sub("", cell.source)
            text = _FENCE.sub("", _ATTRIBUTES.sub("", text))
            text = _CITATION.sub(_numbered_citation, text)
            cell.source = _REFERENCE.sub(lambda m: f"{_KINDS[m[1]]} {m[1]}-{m[2]}", text)
        elif "#| output: asis" in cell.source:
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            text = _FENCE.sub("", text).strip()
            cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": f"> **{text}**"})] \
                if text else []
    return copy


def write_executed(notebook: nbformat.NotebookNode, out_dir: Path, stem: str) -> list[Path]:
    """Save an executed chapter as .ipynb and as one standalone HTML page (code hidden).

    The .ipynb keeps the chapter as Quarto reads it; the HTML is the readable copy
    (analysis.book.readable_html).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    ipynb = out_dir / f"{stem}.ipynb"
    nbformat.write(notebook, ipynb)
    page = out_dir / f"{stem}.html"
    page.write_text(readable_page(readable_copy(notebook)), encoding="utf-8")
    return [ipynb, page]


def execute_chapter(path: str | Path, data_dir: str | Path | None = None,
                    timeout: int = 600) -> nbformat.NotebookNode:
    """Run any chapter file (`.py` or `.qmd`) headless, like `execute_section`."""
    path = Path(path)
    return execute_section(Section(path.stem, path), data_dir=data_dir, timeout=timeout)
