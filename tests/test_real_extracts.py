"""Real extracts from real centres: what the broken-data corpus cannot say case by case.

No cascades from one renamed header, bounded problem lists, escaped control characters,
identifier rules that never catch the dictionary's own columns, and the messages for a
data path that is a file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from broken_data import EVENTS, PATIENTS, RESIDENT_ID, SCREENING, _read, _write

from analysis.__main__ import EXIT_DATA_PROBLEM, main
from analysis.study import schema
from analysis.study.identifiers import identifier_kinds, identifier_word, resident_id_check_digit_ok
from analysis.study.reading import MAX_ROW_PROBLEMS, DataValidationError
from analysis.study.validation import MAX_PROBLEMS_PER_FILE, load_study


def _problems(folder: Path) -> list:
    with pytest.raises(DataValidationError) as raised:
        load_study(folder)
    return raised.value.problems


def test_a_renamed_key_column_is_reported_once_without_cascading(data_copy: Path):
    _write(_read(data_copy, PATIENTS).rename(columns={"patient_id": "Patient_ID"}), data_copy, PATIENTS)
    problems = _problems(data_copy)
    assert len(problems) == 1, "\n".join(map(str, problems))
    assert "found 'Patient_ID', expected 'patient_id'" in str(problems[0])
    assert not [p for p in problems if p.file in (EVENTS, SCREENING)]


def test_a_column_name_with_a_trailing_space_is_one_problem(data_copy: Path):
    _write(_read(data_copy, SCREENING).rename(columns={"centre": "centre "}), data_copy, SCREENING)
    problems = _problems(data_copy)
    assert [str(p) for p in problems] == [
        "screening_log.csv, line 1, column 'centre ': column name is not the dictionary's: found "
        "'centre ', expected 'centre' (exact spelling, case and no spaces); rename it"]


def test_problems_per_file_are_bounded(data_copy: Path):
    frame = _read(data_copy, EVENTS)
    frame = frame.loc[frame.index.repeat(20)].reset_index(drop=True)
    frame["grade"] = "9"
    _write(frame, data_copy, EVENTS)
    problems = [p for p in _problems(data_copy) if p.file == EVENTS]
    assert len(problems) == MAX_PROBLEMS_PER_FILE + 1
    assert "more problems in this file, not listed" in problems[-1].rule


def test_reading_stops_after_a_run_of_malformed_rows(data_copy: Path):
    lines = (data_copy / PATIENTS).read_text().splitlines()
    (data_copy / PATIENTS).write_text("\n".join([lines[0]] + ["a,b"] * 5000) + "\n")
    problems = [p for p in _problems(data_copy) if p.file == PATIENTS]
    assert len(problems) == MAX_ROW_PROBLEMS + 1
    assert "reading stopped" in problems[-1].rule


def test_control_characters_in_names_and_values_are_escaped(data_copy: Path, capsys):
    frame = _read(data_copy, PATIENTS)
    frame["remark\x1b[2J"] = "x"
    _write(frame, data_copy, PATIENTS)
    assert main(["validate", str(data_copy)]) == 0   # an unknown column is only a warning
    err = capsys.readouterr().err
    assert "\x1b" not in err and "'remark\\x1b[2J'" in err
    frame.loc[0, "centre"] = "nanjing\x1b]0;owned\x07"
    frame["姓名\x1b[2J"] = "x"
    _write(frame, data_copy, PATIENTS)
    assert main(["validate", str(data_copy)]) == EXIT_DATA_PROBLEM
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "'姓名\\x1b[2J'" in err and "nanjing\\x1b]0;owned\\x07" in err


def test_a_data_path_that_is_a_file_says_so_and_where_it_came_from(capsys, monkeypatch):
    readme = Path(schema.__file__)
    assert main(["validate", str(readme)]) == EXIT_DATA_PROBLEM
    err = capsys.readouterr().err
    assert "is a file, not a data folder" in err and "TKI_DATA_DIR" not in err
    monkeypatch.setenv("TKI_DATA_DIR", str(readme))
    assert main(["validate"]) == EXIT_DATA_PROBLEM
    assert "is a file, not a data folder (the path comes from TKI_DATA_DIR)" in capsys.readouterr().err


def test_identifier_words_never_match_a_dictionary_column():
    names = [c.name for t in schema.TABLES for c in t.columns]
    assert [n for n in names if identifier_word(n)] == []


def test_identifier_values_need_the_right_shape():
    assert resident_id_check_digit_ok(RESIDENT_ID)
    wrong_check = RESIDENT_ID[:-1] + "1"
    values = [RESIDENT_ID, wrong_check, "13812345678", "12812345678", "0086 138 1234 5678",
              "wang@hospital.cn", "SYN000001", "A@B"]
    kinds = identifier_kinds(__import__("pandas").Series(values))
    assert kinds.to_dict() == {0: "resident ID number", 2: "mobile phone number",
                               4: "mobile phone number", 5: "e-mail address"}


def test_an_identifier_value_is_masked_in_the_message(data_copy: Path, capsys):
    frame = _read(data_copy, PATIENTS)
    frame.loc[0, "patient_id"] = "13812345678"
    _write(frame, data_copy, PATIENTS)
    assert main(["validate", str(data_copy)]) == EXIT_DATA_PROBLEM
    err = capsys.readouterr().err
    assert "mobile phone number" in err and "13812345678" not in err


def test_derive_help_says_it_writes_the_source_patient_id(capsys):
    with pytest.raises(SystemExit):
        main(["derive", "--help"])
    assert "patient_id" in capsys.readouterr().out
