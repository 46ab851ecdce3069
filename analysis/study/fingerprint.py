"""Fingerprints of what produced a result: the `analysis` code and the input files' bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.config import PROJECT_ROOT

from . import schema

if TYPE_CHECKING:
    from .study_data import StudyData


def code_fingerprint() -> str:
    """SHA-256 over the analysis package's source files, in path order."""
    digest = hashlib.sha256()
    for path in sorted((PROJECT_ROOT / "analysis").rglob("*.py")):
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def input_files_fingerprint(directory: Path) -> str | None:
    """SHA-256 over every input file of a data folder (name and bytes); None if one is missing."""
    digest = hashlib.sha256()
    for name in sorted([table.file for table in schema.TABLES] + [schema.METADATA_FILE]):
        path = directory / name
        if not path.is_file():
            return None
        digest.update(f"{name}:{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def data_fingerprint(study: StudyData) -> str:
    """One SHA-256 over the input files' own checksums, in file-name order."""
    digest = hashlib.sha256()
    for name in sorted(study.files):
        digest.update(f"{name}:{study.files[name]['sha256']}\n".encode())
    return digest.hexdigest()
