"""Paths the tests share."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "reference" / "fixtures"
