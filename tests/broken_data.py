"""A corpus of broken data folders, each made by a small function from the bundled data.

Every case names what a data manager must be told: the file, the line (when the problem
is in a row), the column and a fragment of the rule. Nothing here is committed as data:
the folders are built fresh in a temporary directory for each test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

PATIENTS, EVENTS, SCREENING, META = "patients.csv", "adverse_events.csv", "screening_log.csv", "dataset.yml"


def _read(folder: Path, file: str) -> pd.DataFrame:
    return pd.read_csv(folder / file, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, folder: Path, file: str) -> None:
    frame.to_csv(folder / file, index=False, lineterminator="\n")


def _set(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell (row = 0-based data row, i.e. file line row + 2)."""
    frame = _read(folder, file)
    frame.loc[row, column] = value
    _write(frame, folder, file)


@dataclass(frozen=True)
class BrokenCase:
    """One way input can be wrong, and what the error must name."""

    name: str
    make: Callable[[Path], None]
    file: str
    rule: str                 # fragment of the rule text
    column: str | None = None
    line: int | None = None   # file line (header = 1)


def _missing_file(d): (d / PATIENTS).unlink()
def _empty_file(d): (d / PATIENTS).write_text("")
def _header_only(d): (d / PATIENTS).write_text((d / PATIENTS).read_text().splitlines()[0] + "\n")


def _not_utf8(d):
    text = (d / PATIENTS).read_text(encoding="utf-8").replace("hangzhou_zjch", "hangzhou_zjch_é", 1)
    (d / PATIENTS).write_bytes(text.encode("latin-1"))


def _semicolons(d):
    _read(d, PATIENTS).to_csv(d / PATIENTS, index=False, sep=";")


def _ragged_row(d):
    lines = (d / PATIENTS).read_text().splitlines()
    lines[4] += ",extra"
    (d / PATIENTS).write_text("\n".join(lines) + "\n")


def _missing_column(d): _write(_read(d, PATIENTS).drop(columns="tki_start_date"), d, PATIENTS)


def _duplicate_patient(d):
    frame = _read(d, PATIENTS)
    _write(pd.concat([frame, frame.iloc[[3]]], ignore_index=True), d, PATIENTS)


def _identifier_column(d):
    frame = _read(d, PATIENTS)
    frame["patient_name"] = "x"
    _write(frame, d, PATIENTS)


def _progression_before_start(d):
    frame = _read(d, PATIENTS)
    row = frame.index[frame["progression_date"] != ""][0]
    start = pd.Timestamp(frame.at[row, "tki_start_date"])
    frame.at[row, "progression_date"] = (start - pd.Timedelta(days=10)).date().isoformat()
    _write(frame, d, PATIENTS)


def _tdm1_after_tki(d):
    frame = _read(d, PATIENTS)
    start = pd.Timestamp(frame.at[5, "tki_start_date"])
    frame.at[5, "tdm1_progression_date"] = (start + pd.Timedelta(days=5)).date().isoformat()
    _write(frame, d, PATIENTS)


def _screening_missing_patient(d):
    frame = _read(d, SCREENING)
    _write(frame[frame["patient_id"] != "SYN000007"], d, SCREENING)


def _event_unknown_patient(d): _set(d, EVENTS, 2, "patient_id", "SYN999999")


def _missing_metadata(d): (d / META).unlink()
def _bad_cutoff(d): (d / META).write_text("title: x\nsynthetic: true\ndata_cutoff: 30/06/2023\n")


CASES: list[BrokenCase] = [
    BrokenCase("missing file", _missing_file, PATIENTS, "required file is missing"),
    BrokenCase("empty file", _empty_file, PATIENTS, "file is empty"),
    BrokenCase("header only", _header_only, PATIENTS, "no data rows"),
    BrokenCase("not UTF-8", _not_utf8, PATIENTS, "not UTF-8"),
    BrokenCase("semicolon-delimited", _semicolons, PATIENTS, "not comma-delimited", line=1),
    BrokenCase("ragged row", _ragged_row, PATIENTS, "fields but the header has", line=5),
    BrokenCase("missing required column", _missing_column, PATIENTS, "required column is missing",
               column="tki_start_date"),
    BrokenCase("duplicate patient", _duplicate_patient, PATIENTS, "must be unique",
               column="patient_id", line=68),
    BrokenCase("identifier column", _identifier_column, PATIENTS, "direct identifier",
               column="patient_name", line=1),
    BrokenCase("text in a numeric column", lambda d: _set(d, PATIENTS, 0, "age_years", "fifty"),
               PATIENTS, "whole number", column="age_years", line=2),
    BrokenCase("number out of range", lambda d: _set(d, PATIENTS, 1, "age_years", "130"),
               PATIENTS, "between 18 and 100", column="age_years", line=3),
    BrokenCase("text in a date column", lambda d: _set(d, PATIENTS, 2, "tki_start_date", "unknown"),
               PATIENTS, "ISO date", column="tki_start_date", line=4),
    BrokenCase("impossible calendar date", lambda d: _set(d, PATIENTS, 2, "tki_start_date", "2021-02-30"),
               PATIENTS, "ISO date", column="tki_start_date", line=4),
    BrokenCase("Excel serial date", lambda d: _set(d, PATIENTS, 3, "tki_start_date", "44197"),
               PATIENTS, "Excel serial", column="tki_start_date", line=5),
    BrokenCase("day/month date", lambda d: _set(d, PATIENTS, 3, "death_date", "03/07/2021"),
               PATIENTS, "ISO date", column="death_date", line=5),
    BrokenCase("progression before TKI start", _progression_before_start, PATIENTS,
               "must be after tki_start_date", column="progression_date"),
    BrokenCase("date after the cut-off", lambda d: _set(d, PATIENTS, 6, "last_assessment_date", "2023-07-15"),
               PATIENTS, "data cut-off", column="last_assessment_date", line=8),
    BrokenCase("T-DM1 after TKI", _tdm1_after_tki, PATIENTS, "T-DM1 failure", column="tki_start_date",
               line=7),
    BrokenCase("unknown response code", lambda d: _set(d, PATIENTS, 8, "best_overall_response", "CRR"),
               PATIENTS, "must be one of", column="best_overall_response", line=10),
    BrokenCase("code in lower case", lambda d: _set(d, PATIENTS, 8, "best_overall_response", "pr"),
               PATIENTS, "exact spelling and case", column="best_overall_response", line=10),
    BrokenCase("code with spaces", lambda d: _set(d, PATIENTS, 9, "best_overall_response", " PR "),
               PATIENTS, "leading or trailing spaces", column="best_overall_response", line=11),
    BrokenCase("unknown resistance setting", lambda d: _set(d, PATIENTS, 9, "trastuzumab_setting", "neoadjuvant"),
               PATIENTS, "must be one of", column="trastuzumab_setting", line=11),
    BrokenCase("flag not 0/1", lambda d: _set(d, PATIENTS, 10, "brain_metastasis", "yes"),
               PATIENTS, "must be 0 or 1", column="brain_metastasis", line=12),
    BrokenCase("required value missing", lambda d: _set(d, PATIENTS, 11, "tki_agent", ""),
               PATIENTS, "a value is required", column="tki_agent", line=13),
    BrokenCase("unknown CTCAE term", lambda d: _set(d, EVENTS, 0, "ae_term", "Diarrhoea"),
               EVENTS, "must be one of", column="ae_term", line=2),
    BrokenCase("grade 0", lambda d: _set(d, EVENTS, 1, "grade", "0"), EVENTS, "between 1 and 5",
               column="grade", line=3),
    BrokenCase("grade 6", lambda d: _set(d, EVENTS, 1, "grade", "6"), EVENTS, "between 1 and 5",
               column="grade", line=3),
    BrokenCase("adverse event of an unknown patient", _event_unknown_patient, EVENTS,
               "must be a patient_id of patients.csv", column="patient_id", line=4),
    BrokenCase("included patient missing from the screening log", _screening_missing_patient,
               PATIENTS, "not recorded as included", column="patient_id", line=8),
    BrokenCase("metadata file missing", _missing_metadata, META, "required file is missing"),
    BrokenCase("cut-off not an ISO date", _bad_cutoff, META, "ISO date", column="data_cutoff"),
]


# ---------------------------------------------------------------------------------------------
# Valid data with a degenerate subgroup: every patient in one level of a key factor. Validation
# passes, so the report must render, with that comparison shown as not estimable.


def every_patient_benefited_from_tdm1(folder: Path) -> None:
    """Every patient had a partial response on T-DM1, so prior T-DM1 benefit is 'yes' for all."""
    frame = _read(folder, PATIENTS)
    frame["tdm1_best_response"] = "PR"
    _write(frame, folder, PATIENTS)


def every_patient_primary_resistant(folder: Path) -> None:
    """Every patient progressed at the first assessment on first-line trastuzumab for metastatic
    disease, so trastuzumab resistance is 'primary' for all."""
    frame = _read(folder, PATIENTS)
    frame["trastuzumab_setting"] = "metastatic"
    frame["trastuzumab_end_date"] = ""  # metastatic setting: no adjuvant end date
    frame["trastuzumab_best_response"] = "PD"
    _write(frame, folder, PATIENTS)
