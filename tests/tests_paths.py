"""Paths and readers the tests share: the committed R reference fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

TESTS = Path(__file__).resolve().parent
# SURVIVAL_REFERENCE_DIR lets regenerated fixtures be checked elsewhere before they replace these.
REFERENCE_DIR = Path(os.environ.get("SURVIVAL_REFERENCE_DIR", TESTS / "reference"))
FIXTURES = REFERENCE_DIR / "fixtures"


def read_fixture(name: str, text_columns: list[str] | None = None) -> pd.DataFrame:
    """A fixture CSV written by R: R's NA becomes NaN, ``text_columns`` stay text (ecog '0')."""
    dtype = {c: str for c in text_columns or []}
    return pd.read_csv(FIXTURES / f"{name}.csv", keep_default_na=False, na_values=["NA"],
                       float_precision="round_trip", dtype=dtype, encoding="utf-8")
