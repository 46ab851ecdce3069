"""Where the data come from: one setting, `TKI_DATA_DIR`, defaulting to the bundled cohort."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DATA = PROJECT_ROOT / "data" / "synthetic"
DATA_DIR_VARIABLE = "TKI_DATA_DIR"


def data_dir() -> Path:
    """The data folder every section reads: $TKI_DATA_DIR if set, else the synthetic cohort."""
    value = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    return Path(value).expanduser().resolve() if value else BUNDLED_DATA
