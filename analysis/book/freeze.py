"""Keep Quarto's freeze honest: frozen results are reused only for what produced them.

`execute: freeze: auto` re-executes a chapter only when its own source changes, so
rendering another data folder, with another small-cell setting, or after a change to the
`analysis` package would reuse results computed otherwise. Before every render a
fingerprint of those three is compared with the one stored from the last render; on any
difference `_freeze/` is cleared.
"""

from __future__ import annotations

import shutil

from analysis.config import PROJECT_ROOT, small_cell_threshold
from analysis.study.fingerprint import code_fingerprint, data_fingerprint
from analysis.study.study_data import StudyData

FREEZE_DIR = PROJECT_ROOT / "_freeze"
#: Kept outside _freeze/ so that Quarto's own folder holds only what Quarto writes.
STAMP = PROJECT_ROOT / "_build" / "freeze-data-fingerprint"


def guard_freeze(study: StudyData) -> str:
    """Clear `_freeze/` when it holds results of other data, settings or code; record these."""
    current = (f"data {study.directory.resolve()} {data_fingerprint(study)}\n"
               f"small-cell threshold {small_cell_threshold()}\n"
               f"analysis code {code_fingerprint()}\n")
    previous = STAMP.read_text() if STAMP.exists() else None
    if previous == current:
        return "frozen results match the data in use"
    if FREEZE_DIR.exists():
        shutil.rmtree(FREEZE_DIR)
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(current)
    return "data, settings or analysis code changed since the last render: frozen results cleared"
