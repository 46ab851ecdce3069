"""Where the data come from: one setting, `TKI_DATA_DIR`, defaulting to the bundled cohort."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DATA = PROJECT_ROOT / "data" / "synthetic"
#: The chapters' folder, also their kernels' working folder.
NOTEBOOKS = PROJECT_ROOT / "notebooks"
DATA_DIR_VARIABLE = "TKI_DATA_DIR"


def data_dir() -> Path:
    """The data folder every section reads: $TKI_DATA_DIR if set, else the synthetic cohort."""
    value = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    return Path(value).expanduser().resolve() if value else BUNDLED_DATA


SMALL_CELL_VARIABLE = "TKI_SMALL_CELL_THRESHOLD"


def small_cell_threshold() -> int | None:
    """$TKI_SMALL_CELL_THRESHOLD: counts from 1 to threshold-1 are shown as '<threshold'.

    For tables that will be shared publicly; unset (the default) shows every count.
    """
    value = os.environ.get(SMALL_CELL_VARIABLE, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 2:
        raise ValueError(f"{SMALL_CELL_VARIABLE} must be a whole number of at least 2, not {value!r}")
    return int(value)


def origin_note(path: Path) -> str:
    """' (set by TKI_DATA_DIR)' when `path` is the one that variable names, else ''."""
    value = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if value and Path(value).expanduser().resolve() == Path(path).expanduser().resolve():
        return f" (the path comes from {DATA_DIR_VARIABLE})"
    return ""


def environment_with_data_dir(data_dir: str | Path | None) -> dict[str, str]:
    """This process's environment with $TKI_DATA_DIR set to `data_dir` (absolute) when given: what
    a chapter's kernel or `quarto render` is started with. os.environ itself is left as it is."""
    env = dict(os.environ)
    if data_dir is not None:
        env[DATA_DIR_VARIABLE] = str(Path(data_dir).resolve())
    return env


def write_json_atomically(path: Path, data: object, **options: object) -> None:
    """Write `data` as JSON (json.dump `options`) to `path`, a file of the render's state under
    _build/, through a temporary file and a rename: a reader sees the old file or the new one,
    never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False,
                                     encoding="utf-8") as file:
        json.dump(data, file, **options)
    os.replace(file.name, path)
