"""The fast loading path: the same typed study as the strict validator, and the same messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from broken_data import CASES, EVENTS, PATIENTS, BrokenCase

from analysis.config import BUNDLED_DATA
from analysis.study import schema, validation
from analysis.study.fast_loading import load_study_fast, use_lean_arrow_memory_pool
from analysis.study.reading import DataValidationError
from analysis.study.validation import load_study
from analysis.synthetic.generator import write_cohort


def assert_same_study(fast, strict) -> None:
    for name in ("patients", "adverse_events", "screening"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(strict, name))
    assert fast.files == strict.files and fast.metadata == strict.metadata
    assert fast.warnings == strict.warnings and fast.directory == strict.directory


def _refuse_strict_path(monkeypatch) -> None:
    """Fail the test if the fast path hands a valid folder to the strict validator."""
    monkeypatch.setattr(validation, "load_study", lambda d: pytest.fail(f"strict path used for {d}"))


def test_the_bundled_cohort_loads_fast_and_equal(study, monkeypatch):
    _refuse_strict_path(monkeypatch)
    assert_same_study(load_study_fast(BUNDLED_DATA), study)


def test_a_larger_generated_cohort_loads_fast_and_equal(tmp_path: Path, monkeypatch):
    folder = write_cohort(tmp_path / "n2000", seed=7, n=2000)
    strict = load_study(folder)
    _refuse_strict_path(monkeypatch)
    assert_same_study(load_study_fast(folder), strict)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_folders_get_the_strict_messages(case: BrokenCase, data_copy: Path,
                                                 permissions_as_for_a_user):
    case.make(data_copy)
    with pytest.raises(DataValidationError) as strict:
        load_study(data_copy)
    with pytest.raises(DataValidationError) as fast:
        load_study_fast(data_copy)
    assert str(fast.value) == str(strict.value)
    assert fast.value.problems == strict.value.problems


def _byte_order_mark(d: Path) -> None:
    (d / PATIENTS).write_bytes(b"\xef\xbb\xbf" + (d / PATIENTS).read_bytes())


def _windows_line_ends_and_trailing_blank_lines(d: Path) -> None:
    text = (d / PATIENTS).read_text(encoding="utf-8")
    (d / PATIENTS).write_bytes(text.replace("\n", "\r\n").encode() + b"\r\n\r\n")


def _unknown_column(d: Path) -> None:
    frame = pd.read_csv(d / PATIENTS, dtype=str, keep_default_na=False)
    frame["study_arm"] = "a"
    frame.to_csv(d / PATIENTS, index=False, lineterminator="\n")


def _no_adverse_events(d: Path) -> None:
    (d / EVENTS).write_text("patient_id,ae_term,grade\n")


def _quoted_values_and_columns_reordered(d: Path) -> None:
    frame = pd.read_csv(d / PATIENTS, dtype=str, keep_default_na=False)
    frame[list(reversed(frame.columns))].to_csv(d / PATIENTS, index=False, lineterminator="\n",
                                                 quoting=1)


@pytest.mark.parametrize("make", [_byte_order_mark, _windows_line_ends_and_trailing_blank_lines,
                                  _unknown_column, _no_adverse_events,
                                  _quoted_values_and_columns_reordered])
def test_unusual_but_valid_files_give_the_strict_result(make, data_copy: Path):
    make(data_copy)
    assert_same_study(load_study_fast(data_copy), load_study(data_copy))


def test_text_columns_are_arrow_backed_on_both_paths(study):
    """Identifiers and codes are held as Arrow strings, not one Python object per cell."""
    fast = load_study_fast(BUNDLED_DATA)
    for table in schema.TABLES:
        for column in table.columns:
            if column.kind in ("id", "category"):
                for loaded in (fast, study):
                    assert getattr(loaded, table.name)[column.name].dtype == "string[pyarrow]"


def test_a_value_broken_once_among_many_repeats_is_still_caught(tmp_path: Path):
    """Rules are checked on distinct values: one bad value among thousands of good ones counts."""
    folder = write_cohort(tmp_path / "n500", seed=3, n=500)
    frame = pd.read_csv(folder / EVENTS, dtype=str, keep_default_na=False)
    frame.loc[len(frame) // 2, "grade"] = "6"
    frame.to_csv(folder / EVENTS, index=False, lineterminator="\n")
    with pytest.raises(DataValidationError) as fast:
        load_study_fast(folder)
    with pytest.raises(DataValidationError) as strict:
        load_study(folder)
    assert fast.value.problems == strict.value.problems
    assert [(p.column, p.value) for p in fast.value.problems] == [("grade", "6")]


def test_arrow_memory_pool_is_jemalloc_unless_the_user_chose_one(monkeypatch):
    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.system_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
        use_lean_arrow_memory_pool()
        assert pa.default_memory_pool().backend_name == "system"
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
        use_lean_arrow_memory_pool()
        if "jemalloc" in pa.supported_memory_backends():
            assert pa.default_memory_pool().backend_name == "jemalloc"
    finally:
        pa.set_memory_pool(before)
