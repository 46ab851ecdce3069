"""Validation: the bundled data pass; every broken copy fails with file, line, column and rule."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from broken_data import CASES, PATIENTS, BrokenCase, _read, _write, problems_naming

from analysis.__main__ import EXIT_DATA_PROBLEM, main
from analysis.config import BUNDLED_DATA
from analysis.study.reading import DataValidationError
from analysis.study.validation import load_study


def _fingerprint(folder: Path) -> dict[str, str]:
    """What each entry is and holds; pipes, devices and unreadable files by their metadata
    (reading them would hang or fail), so the check itself never blocks."""
    prints = {}
    for p in sorted(folder.iterdir()):
        info = p.lstat()
        if p.is_symlink():
            prints[p.name] = f"link to {os.readlink(p)}"
        elif stat.S_ISDIR(info.st_mode):
            prints[p.name] = f"folder {sorted(c.name for c in p.iterdir())}"
        elif not stat.S_ISREG(info.st_mode) or not info.st_mode & 0o444:
            prints[p.name] = f"mode {info.st_mode:o} size {info.st_size} mtime {info.st_mtime_ns}"
        else:
            prints[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return prints


def test_bundled_data_are_valid(study):
    assert len(study.patients) == 66
    assert study.synthetic is True
    assert str(study.data_cutoff.date()) == "2023-06-30"
    assert set(study.files) == {"patients.csv", "adverse_events.csv", "screening_log.csv"}
    assert study.warnings == []


def test_validate_command_accepts_bundled_data(capsys):
    assert main(["validate", str(BUNDLED_DATA)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("valid:") and "patients.csv 66 rows" in out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_folder_is_refused_with_a_precise_message(case: BrokenCase, data_copy: Path, capsys,
                                                         permissions_as_for_a_user):
    case.make(data_copy)
    before = _fingerprint(data_copy)
    status = main(["validate", str(data_copy)])
    err = capsys.readouterr().err
    assert status == EXIT_DATA_PROBLEM
    assert "Traceback" not in err
    assert _fingerprint(data_copy) == before, "validation must never modify the input"
    with pytest.raises(DataValidationError) as raised:
        load_study(data_copy)
    matching = problems_naming(case, raised.value.problems)
    assert matching, f"no problem names {case}; got:\n{raised.value}"
    shown = str(matching[0])
    assert case.file in shown and case.rule in shown
    if case.line is not None:
        assert f"line {case.line}" in shown


def test_every_problem_is_reported_not_only_the_first(data_copy: Path):
    frame = _read(data_copy, PATIENTS)
    frame.loc[0, "age_years"] = "old"
    frame.loc[5, "best_overall_response"] = "XX"
    frame.loc[9, "tki_start_date"] = "2030-01-01"
    _write(frame, data_copy, PATIENTS)
    with pytest.raises(DataValidationError) as raised:
        load_study(data_copy)
    columns = {(p.line, p.column) for p in raised.value.problems}
    assert {(2, "age_years"), (7, "best_overall_response"), (11, "tki_start_date")} <= columns


def test_problem_names_the_patient_and_the_value(data_copy: Path):
    frame = _read(data_copy, PATIENTS)
    frame.loc[0, "age_years"] = "fifty"
    _write(frame, data_copy, PATIENTS)
    with pytest.raises(DataValidationError) as raised:
        load_study(data_copy)
    text = str(raised.value)
    assert f"patient {frame.loc[0, 'patient_id']}" in text and "'fifty'" in text


def test_unknown_extra_column_is_a_warning_not_an_error(data_copy: Path, capsys):
    frame = _read(data_copy, PATIENTS)
    frame["site_comment"] = "note"
    _write(frame, data_copy, PATIENTS)
    assert main(["validate", str(data_copy)]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "site_comment" in err and "ignored" in err


def test_command_line_exit_status_and_no_traceback(data_copy: Path):
    (data_copy / "patients.csv").write_text("")
    run = subprocess.run([sys.executable, "-m", "analysis", "validate", str(data_copy)],
                         capture_output=True, text=True)
    assert run.returncode == EXIT_DATA_PROBLEM
    assert "patients.csv: file is empty" in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_folder_is_a_clear_error(tmp_path: Path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == EXIT_DATA_PROBLEM
    assert "data folder does not exist" in capsys.readouterr().err


def test_corpus_has_at_least_twenty_cases():
    assert len(CASES) >= 20
    assert len({c.name for c in CASES}) == len(CASES)
