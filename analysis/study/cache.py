"""Validate once per render: the validated study and its analysis dataset, cached under _build/.

Every chapter of the book runs in a fresh kernel; each used to read and validate the data
again. The first caller (the pre-render freeze guard, the `sections` command or the first
chapter) validates and stores the typed tables and the derived dataset, keyed by the data
folder, the SHA-256 of every input file, the `analysis` code and the settings; later kernels
load that file in a fraction of a second. A cache whose key differs, or that cannot be read,
is never used: the data are validated again and the cache rewritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.config import PROJECT_ROOT, small_cell_threshold, write_json_atomically

from .fingerprint import code_fingerprint, input_files_fingerprint

if TYPE_CHECKING:  # reading and deriving are imported when used: `current_warnings` needs neither
    import pandas as pd

    from .study_data import StudyData

CACHE_DIR = PROJECT_ROOT / "_build" / "validated"


def cache_key(directory: Path) -> str | None:
    """What the cached result depends on, in words; None when an input file is missing."""
    inputs = input_files_fingerprint(directory)
    if inputs is None:
        return None
    return (f"data {directory.resolve()} {inputs}\n"
            f"small-cell threshold {small_cell_threshold()}\n"
            f"analysis code {code_fingerprint()}\n")


def cache_path(directory: Path) -> Path:
    """One cache file per data folder (named by a hash of its absolute path)."""
    name = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
    return CACHE_DIR / f"{name}.pickle"


def _read_cache(path: Path, key: str) -> tuple[StudyData, pd.DataFrame] | None:
    try:
        with path.open("rb") as file:
            stored = pickle.load(file)
    except Exception:  # missing, truncated or written by other code: rebuild, never trust
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored["study"], stored["data"]


def load_study_fast(directory: Path) -> StudyData:
    """Read and validate the folder (analysis.study.fast_loading, imported only when needed)."""
    from .fast_loading import load_study_fast as load

    return load(directory)


def analysis_dataset(patients: pd.DataFrame) -> pd.DataFrame:
    """The per-patient analysis dataset (analysis.study.derive, imported only when needed)."""
    from .derive import analysis_dataset as derive

    return derive(patients)


def _key_path(path: Path) -> Path:
    return path.with_suffix(".key.json")


def _write_cache(path: Path, key: str, study: StudyData, data: pd.DataFrame) -> None:
    """Write atomically (temporary file, then rename): a concurrent reader sees old or new, never half.

    Then its key and warnings beside it (`current_warnings` reads them without unpickling).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as file:
        pickle.dump({"key": key, "study": study, "data": data}, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(file.name, path)
    write_json_atomically(_key_path(path), {"key": key, "warnings": list(study.warnings)})


def current_warnings(data_dir: str | Path) -> list[str] | None:
    """The validation warnings of `data_dir` when the render's cache of it is current (same
    inputs, code and settings: nothing to validate), else None. Reads only the small key file
    written beside the cache, so it needs neither pandas nor the data; a kernel that then finds
    the cache changed validates again, as `load_validated` always does."""
    directory = Path(data_dir)
    key = cache_key(directory) if directory.is_dir() else None
    path = cache_path(directory)
    try:
        stored = json.loads(_key_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if key is None or not isinstance(stored, dict) or stored.get("key") != key or not path.is_file():
        return None
    warnings = stored.get("warnings")
    return [str(w) for w in warnings] if isinstance(warnings, list) else None


def load_validated(data_dir: str | Path) -> tuple[StudyData, pd.DataFrame]:
    """The validated study and its analysis dataset, from the cache when it matches, else built.

    Raises DataValidationError, as `load_study` does, when the data break a rule (nothing is
    cached then).
    """
    directory = Path(data_dir)
    key = cache_key(directory) if directory.is_dir() else None
    path = cache_path(directory)
    if key is not None and (cached := _read_cache(path, key)) is not None:
        study, data = cached
        return dataclasses.replace(study, directory=directory), data
    study = load_study_fast(directory)
    data = analysis_dataset(study.patients)
    if key is not None and key == cache_key(directory):  # inputs unchanged while validating
        _write_cache(path, key, study, data)
    return study, data
