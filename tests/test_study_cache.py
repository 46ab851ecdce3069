"""Validate once per render: the cache of the validated study is used only for what produced it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.report.context import ReportContext
from analysis.study import cache, fingerprint
from analysis.study.derive import analysis_dataset
from analysis.study.reading import DataValidationError
from analysis.study.validation import load_study


@pytest.fixture
def counted(tmp_path: Path, monkeypatch):
    """The cache in a temporary folder, and a counter of the validations actually run."""
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "_build" / "validated")
    calls = []
    real = cache.load_study_fast

    def counting(directory):
        calls.append(Path(directory))
        return real(directory)
    monkeypatch.setattr(cache, "load_study_fast", counting)
    return calls


def test_the_second_load_comes_from_the_cache_and_equals_a_fresh_validation(counted, data_copy):
    first_study, first_data = cache.load_validated(data_copy)
    second_study, second_data = cache.load_validated(data_copy)
    assert len(counted) == 1
    assert cache.cache_path(data_copy).exists()
    fresh = load_study(data_copy)
    for name in ("patients", "adverse_events", "screening"):
        pd.testing.assert_frame_equal(getattr(second_study, name), getattr(fresh, name))
    pd.testing.assert_frame_equal(second_data, analysis_dataset(fresh.patients))
    pd.testing.assert_frame_equal(second_data, first_data)
    assert second_study.files == fresh.files and second_study.metadata == fresh.metadata
    assert second_study.warnings == fresh.warnings and second_study.directory == data_copy


def test_a_stale_cache_after_a_data_change_is_not_used(counted, data_copy):
    cache.load_validated(data_copy)
    patients = data_copy / "patients.csv"
    rows = patients.read_text(encoding="utf-8").splitlines()
    patients.write_text("\n".join(rows[:-1]) + "\n", encoding="utf-8")  # one patient fewer
    with pytest.raises(DataValidationError, match="not in patients.csv"):
        cache.load_validated(data_copy)  # the cached (valid) study must not hide the problem
    assert len(counted) == 2


def test_a_changed_value_is_seen_after_the_cache_was_built(counted, data_copy):
    _, before = cache.load_validated(data_copy)
    (data_copy / "dataset.yml").write_text(
        (data_copy / "dataset.yml").read_text().replace("synthetic: true", "synthetic: false"))
    study, after = cache.load_validated(data_copy)
    assert not study.synthetic and len(counted) == 2
    pd.testing.assert_frame_equal(before, after)


def test_code_or_setting_changes_and_unreadable_caches_rebuild(counted, data_copy, monkeypatch):
    cache.load_validated(data_copy)
    monkeypatch.setenv("TKI_SMALL_CELL_THRESHOLD", "5")
    cache.load_validated(data_copy)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "edited")
    cache.load_validated(data_copy)
    assert len(counted) == 3
    cache.cache_path(data_copy).write_bytes(b"not a pickle")
    study, _ = cache.load_validated(data_copy)
    assert len(counted) == 4 and len(study.patients) > 0
    cache.load_validated(data_copy)
    assert len(counted) == 4  # rewritten after the unreadable one


def test_invalid_data_are_never_cached(counted, data_copy):
    (data_copy / "screening_log.csv").write_text("screening_id,centre,outcome,patient_id\n")
    with pytest.raises(DataValidationError):
        cache.load_validated(data_copy)
    assert not cache.cache_path(data_copy).exists()


def test_every_chapter_kernel_opens_the_cached_study(counted, data_copy):
    cache.load_validated(data_copy)  # what the pre-render step and `sections` do first
    context = ReportContext.open(data_copy)
    assert len(counted) == 1 and context.n == len(load_study(data_copy).patients)


def test_the_code_fingerprint_covers_the_analysis_package():
    assert len(fingerprint.code_fingerprint()) == 64
    assert fingerprint.input_files_fingerprint(Path("/nonexistent")) is None


def test_whether_the_cache_is_current_is_known_from_its_key_file_alone(counted, data_copy, monkeypatch):
    """`current_warnings`: the sections command skips validating when this says the cache is current."""
    assert cache.current_warnings(data_copy) is None  # nothing cached yet
    study, _ = cache.load_validated(data_copy)
    assert cache.current_warnings(data_copy) == study.warnings
    monkeypatch.setenv("TKI_SMALL_CELL_THRESHOLD", "5")  # another setting: not current
    assert cache.current_warnings(data_copy) is None
    monkeypatch.delenv("TKI_SMALL_CELL_THRESHOLD")
    (data_copy / "patients.csv").write_text((data_copy / "patients.csv").read_text() + "\n")
    assert cache.current_warnings(data_copy) is None  # the inputs changed
    cache.load_validated(data_copy)
    cache.cache_path(data_copy).unlink()
    assert cache.current_warnings(data_copy) is None  # the cache itself is gone


def test_sections_validate_only_when_the_cache_is_not_current(data_copy, tmp_path, monkeypatch):
    import analysis.__main__ as cli

    loads = []
    monkeypatch.setattr(cli, "_load_once_per_render", lambda path: loads.append(path))
    monkeypatch.setattr(cli, "_already_prepared", lambda path: ["a warning"])
    monkeypatch.setattr("analysis.book.execute.execute_sections", lambda *a, **k: iter(()))
    assert cli.main(["sections", "safety", "--data-dir", str(data_copy), "--out", str(tmp_path)]) == 0
    assert loads == []
    monkeypatch.setattr(cli, "_already_prepared", lambda path: None)
    assert cli.main(["sections", "safety", "--data-dir", str(data_copy), "--out", str(tmp_path)]) == 0
    assert loads == [str(data_copy)]
