"""Which file is which chapter: the four sections (`notebooks/NN-name.py`) and every chapter that
runs code, found by name for `make section` and the `sections` command.

Apart from `execute` so that naming a section's file (`section-path`, run by `make section`
before Quarto starts) imports neither nbclient nor jupytext.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.config import NOTEBOOKS


class UnknownSection(LookupError):
    """A section name that names no chapter; the message lists the names there are."""


@dataclass(frozen=True)
class Section:
    """One section notebook: its name ('cohort'), its script and its paired notebook."""

    name: str
    script: Path

    @property
    def notebook(self) -> Path:
        return self.script.with_suffix(".ipynb")


def sections() -> list[Section]:
    """The section notebooks in reading order (file names NN-name.py)."""
    scripts = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py"))
    return [Section(s.stem.split("-", 1)[1], s) for s in scripts]


def book_chapters() -> list[Section]:
    """Every chapter of the book that runs code (summary, methods, sections, appendices)."""
    from .chapters import chapter_files, read_chapter  # jupytext: only when every chapter is read

    chapters = [Section(path.stem.split("-", 1)[-1], path) for path in chapter_files()]
    return [c for c in chapters if any(cell.cell_type == "code" for cell in read_chapter(c.script).cells)]


def find_section(name: str) -> Section:
    """A chapter by name ('efficacy', 'methods') or file stem ('02-efficacy')."""
    for section in sections():  # the four sections first: listing the book reads every chapter
        if name in (section.name, section.script.stem):
            return section
    for section in book_chapters():
        if name in (section.name, section.script.stem):
            return section
    known = ", ".join(s.name for s in book_chapters())
    raise UnknownSection(f"no section {name!r}; sections are: {known}")
