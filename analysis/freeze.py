"""Keep Quarto's freeze honest: frozen results are reused only for the data they came from.

`execute: freeze: auto` re-executes a chapter only when its source changes, so rendering
another data folder (or the synthetic cohort after a real extract) would reuse results
computed from other data. Before every render the data fingerprint is compared with the
one stored beside the frozen results; on any difference `_freeze/` is cleared.
"""

from __future__ import annotations

import shutil

from .config import PROJECT_ROOT
from .results import data_fingerprint
from .validation import StudyData

FREEZE_DIR = PROJECT_ROOT / "_freeze"
#: Kept outside _freeze/ so that Quarto's own folder holds only what Quarto writes.
STAMP = PROJECT_ROOT / "_build" / "freeze-data-fingerprint"


def guard_freeze(study: StudyData) -> str:
    """Clear `_freeze/` when it holds results of other data; record the data in use."""
    current = f"{study.directory.resolve()}\n{data_fingerprint(study)}\n"
    previous = STAMP.read_text() if STAMP.exists() else None
    if previous == current:
        return "frozen results match the data in use"
    if FREEZE_DIR.exists():
        shutil.rmtree(FREEZE_DIR)
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(current)
    return "data changed since the last render: frozen results cleared"
