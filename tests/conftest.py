"""Shared fixtures: the bundled synthetic folder, writable copies of it, and the study."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.config import BUNDLED_DATA
from analysis.study.derive import analysis_dataset
from analysis.study.validation import load_study


@pytest.fixture(scope="session")
def study():
    """The bundled synthetic study, validated."""
    return load_study(BUNDLED_DATA)


@pytest.fixture(scope="session")
def dataset(study):
    """The per-patient analysis dataset of the bundled study."""
    return analysis_dataset(study.patients)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled folder (the original is never modified)."""
    target = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, target)
    return target


def read_text_table(path: Path) -> pd.DataFrame:
    """A CSV read as text, as a data manager would edit it."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write_text_table(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


@pytest.fixture(scope="session")
def executed():
    """Run a chapter once per test session on the bundled data (fresh kernel each), by name:
    'efficacy', 'index', 'methods', ..."""
    from analysis.book.execute import execute_section
    from analysis.book.section_files import find_section

    cache = {}

    def run(name: str):
        if name not in cache:
            cache[name] = execute_section(find_section(name))
        return cache[name]
    return run


@pytest.fixture
def permissions_as_for_a_user(monkeypatch):
    """As root every file is readable; emulate an ordinary user, for whom a file without any
    read bit cannot be opened, so the unreadable-file cases test the same path either way."""
    if os.geteuid() == 0:
        from analysis.study import reading

        monkeypatch.setattr(reading.os, "access",
                            lambda path, mode: bool(os.stat(path).st_mode & 0o444))
