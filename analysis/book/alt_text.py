"""Alt text of the book's figures, written into the section scripts from the artifact register.

Quarto takes a computed figure's alt text only from the ``fig-alt`` option of the code cell that
draws it (quarto-cli src/core/jupyter/jupyter.ts; a cell option, not an expression), so the
register (analysis.report.artifacts, ``alt=`` beside each caption) is the one source and this
module copies it into the ``#| fig-alt:`` line of the first code cell after each
``::: {#fig-…}`` div. `python -m analysis alt-text` (run by `make pair`) writes them; with
``--check`` it only reports scripts out of date (tests/test_figures.py fails on any).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from analysis.report.artifacts import find_artifact

_FIGURE_DIV = re.compile(r"^# ::: \{#(?P<label>fig-[^\s}]+)[^}]*\}\s*$")
_CODE_CELL = re.compile(r"^# %%\s*$")
_ALT_OPTION = re.compile(r"^#\| fig-alt:")


def alt_option(label: str) -> str:
    """The cell-option line carrying a figure's alt text (YAML double-quoted string)."""
    return "#| fig-alt: " + json.dumps(find_artifact(label).alt, ensure_ascii=False)


def with_alt_text(script: str) -> str:
    """The percent script with every figure cell's ``fig-alt`` option set from the register."""
    lines = script.split("\n")
    out: list[str] = []
    pending: str | None = None  # label of a figure div whose code cell is still ahead
    i = 0
    while i < len(lines):
        line = lines[i]
        div = _FIGURE_DIV.match(line)
        if div:
            pending = div["label"]
        out.append(line)
        i += 1
        if pending and _CODE_CELL.match(line):
            while i < len(lines) and lines[i].startswith("#|"):
                if not _ALT_OPTION.match(lines[i]):  # the old alt text is replaced
                    out.append(lines[i])  # the cell's other options are kept, alt text after them
                i += 1
            out.append(alt_option(pending))
            pending = None
    return "\n".join(out)


def sync_alt_text(scripts: list[Path], check: bool = False) -> list[Path]:
    """Scripts whose figure alt text differs from the register; rewritten unless ``check``."""
    stale = []
    for path in scripts:
        text = path.read_text(encoding="utf-8")
        updated = with_alt_text(text)
        if updated != text:
            stale.append(path)
            if not check:
                path.write_text(updated, encoding="utf-8")
    return stale
