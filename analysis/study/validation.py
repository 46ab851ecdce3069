"""Validate a study data folder against the data dictionary and load it, typed.

Column rules come from `schema.py` and are enforced with pandera (lazy, so every failure
is collected); date-order and cross-table rules follow. Any problem raises
`DataValidationError` listing all of them: a report is never built on partial data.
Codes are matched exactly: a value with stray spaces or other capitalisation is refused
with a rule saying so, never silently normalised or misread.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import yaml

from . import schema
from .reading import DataValidationError, Problem, RawTable, read_csv_strict
from .study_data import StudyData

if TYPE_CHECKING:
    import pandera.pandas as pa

_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_INT_PATTERN = r"^-?\d+$"


# --------------------------------------------------------------------------- metadata
def _read_metadata(directory: Path, problems: list[Problem]) -> dict | None:
    path = directory / schema.METADATA_FILE
    name = schema.METADATA_FILE
    if not path.exists():
        problems.append(Problem(name, "required file is missing (it states the data cut-off "
                                      "and whether the data are synthetic)"))
        return None
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        problems.append(Problem(name, f"not readable as UTF-8 YAML ({type(err).__name__})"))
        return None
    if not isinstance(meta, dict):
        problems.append(Problem(name, "must be a YAML mapping of the fields title, synthetic, "
                                      "data_cutoff"))
        return None
    ok = True
    for key in schema.METADATA_FIELDS:
        if key not in meta:
            problems.append(Problem(name, "required field is missing", column=key))
            ok = False
    if "synthetic" in meta and not isinstance(meta["synthetic"], bool):
        problems.append(Problem(name, "must be true or false", column="synthetic",
                                value=str(meta["synthetic"])))
        ok = False
    if "data_cutoff" in meta:
        cutoff = meta["data_cutoff"]
        if isinstance(cutoff, str):
            try:
                cutoff = dt.date.fromisoformat(cutoff)
            except ValueError:
                cutoff = None
        if not isinstance(cutoff, dt.date):
            problems.append(Problem(name, "must be an ISO date YYYY-MM-DD", column="data_cutoff",
                                    value=str(meta["data_cutoff"])))
            ok = False
        else:
            meta["data_cutoff"] = cutoff.isoformat()
    return meta if ok else None


# ------------------------------------------------------------------ column-level rules
def _column_checks(column: schema.Column, cutoff: pd.Timestamp | None) -> list[pa.Check]:
    """pandera checks for one column, each named by the rule a data manager reads."""
    import pandera.pandas as pa  # a second to import: only when the rules are checked
    checks = [pa.Check(lambda s: s == s.str.strip(), name="must not have leading or trailing spaces")]
    if column.kind == "id":
        checks.append(pa.Check.str_matches(_ID_PATTERN, name="must be letters, digits, '-' or '_' "
                                                              "(1-32 characters)"))
    elif column.kind == "category":
        allowed = ", ".join(column.allowed)
        checks.append(pa.Check(lambda s, a=column.allowed: s.str.strip().isin(a),
                               name=f"must be one of: {allowed} (exact spelling and case)"))
    elif column.kind == "flag":
        checks.append(pa.Check(lambda s: s.str.strip().isin(["0", "1"]), name="must be 0 or 1"))
    elif column.kind == "integer":
        lo, hi = column.minimum, column.maximum
        checks.append(pa.Check(lambda s: s.str.strip().str.fullmatch(_INT_PATTERN),
                               name="must be a whole number"))
        checks.append(pa.Check(
            lambda s, lo=lo, hi=hi: ~s.str.strip().str.fullmatch(_INT_PATTERN)
            | pd.to_numeric(s, errors="coerce").between(lo, hi),
            name=f"must be between {lo} and {hi}"))
    elif column.kind == "date":
        checks.append(pa.Check(lambda s: _parse_dates(s).notna(),
                               name="must be an ISO date YYYY-MM-DD (not an Excel serial number "
                                    "or a day/month form)"))
        if cutoff is not None:
            checks.append(pa.Check(lambda s, c=cutoff: ~(_parse_dates(s) > c),
                                   name=f"must be on or before the data cut-off {cutoff.date()}"))
    return checks


def _parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates only; anything else (Excel serials, 03/07/2021, 2021-02-30) becomes NaT."""
    text = values.astype("string[pyarrow]").str.strip()
    iso = text.where(text.str.fullmatch(_DATE_PATTERN).fillna(False))
    return pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")


def _pandera_schema(table: schema.Table, cutoff: pd.Timestamp | None) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {c.name: pa.Column(None, checks=_column_checks(c, cutoff), nullable=c.nullable,
                           unique=c.unique, required=True) for c in table.columns},
        strict=False, coerce=False)


_PANDERA_RULES = {
    "not_nullable": "a value is required",
    "field_uniqueness": "must be unique (appears more than once)",
    "column_in_dataframe": "required column is missing",
}


def _column_problems(raw: RawTable, table: schema.Table, cutoff: pd.Timestamp | None,
                     id_column: str | None) -> list[Problem]:
    import pandera.pandas as pa

    frame = raw.frame.replace("", np.nan)
    try:
        _pandera_schema(table, cutoff).validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    problems = []
    for case in cases.itertuples(index=False):
        rule = _PANDERA_RULES.get(case.check, case.check)
        if case.check == "column_in_dataframe":
            problems.append(Problem(raw.file, rule, line=1, column=str(case.failure_case)))
            continue
        line = None if pd.isna(case.index) else int(case.index)
        pid = None
        if line is not None and id_column and id_column in raw.frame.columns:
            pid = raw.frame.at[line, id_column] or None
        value = None if pd.isna(case.failure_case) else str(case.failure_case)
        problems.append(Problem(raw.file, rule, line=line, column=case.column, value=value,
                                patient_id=pid))
    return problems


def _header_problems(raw: RawTable, table: schema.Table) -> tuple[list[Problem], list[str]]:
    problems, notes = [], []
    for name in raw.header:
        if name in table.column_names:
            continue
        lowered = name.lower()
        if any(pattern in lowered for pattern in schema.IDENTIFIER_NAME_PATTERNS):
            problems.append(Problem(raw.file, "column looks like a direct identifier (name, "
                                    "contact, ID or record number, address, birth date); remove "
                                    "it before analysis", line=1, column=name))
        else:
            notes.append(f"{raw.file}: unknown column '{name}' is ignored (not in the data "
                         "dictionary)")
    return problems, notes


# ------------------------------------------------------------------------- typing
def _typed(raw: RawTable, table: schema.Table) -> pd.DataFrame:
    """Convert validated text to typed columns (invalid text becomes missing, already reported)."""
    out = pd.DataFrame(index=raw.frame.index)
    for column in table.columns:
        values = raw.frame[column.name].replace("", np.nan) if column.name in raw.frame else \
            pd.Series(np.nan, index=raw.frame.index, dtype=object)
        if column.kind == "date":
            out[column.name] = _parse_dates(values)
        elif column.kind in ("integer", "flag"):
            out[column.name] = pd.to_numeric(values, errors="coerce").astype("Int64")
        else:
            out[column.name] = values.astype("string")
    return out


# ---------------------------------------------------------------- row-level rules
def _row_rule(frame: pd.DataFrame, file: str, mask: pd.Series, column: str, rule: str,
              id_column: str = "patient_id") -> list[Problem]:
    mask = mask.fillna(False).astype(bool)
    return [Problem(file, rule, line=int(line), column=column,
                    value=None if pd.isna(frame.at[line, column]) else
                    str(frame.at[line, column].date() if isinstance(frame.at[line, column], pd.Timestamp)
                        else frame.at[line, column]),
                    patient_id=None if pd.isna(frame.at[line, id_column]) else str(frame.at[line, id_column]))
            for line in frame.index[mask]]


def _patient_rules(p: pd.DataFrame, file: str) -> list[Problem]:
    """Date-order and consistency rules within one patient row."""
    adjuvant = p["trastuzumab_setting"] == "adjuvant"
    metastatic = p["trastuzumab_setting"] == "metastatic"
    rules = [
        (adjuvant & p["trastuzumab_end_date"].isna(), "trastuzumab_end_date",
         "required when trastuzumab_setting is adjuvant"),
        (metastatic & p["trastuzumab_end_date"].notna(), "trastuzumab_end_date",
         "must be empty when trastuzumab_setting is metastatic"),
        (metastatic & p["trastuzumab_best_response"].isna(), "trastuzumab_best_response",
         "required when trastuzumab_setting is metastatic"),
        (adjuvant & p["trastuzumab_best_response"].notna(), "trastuzumab_best_response",
         "must be empty when trastuzumab_setting is adjuvant (no measurable disease)"),
        (p["trastuzumab_end_date"] < p["trastuzumab_start_date"], "trastuzumab_end_date",
         "must not be before trastuzumab_start_date"),
        (p["trastuzumab_progression_date"] <= p["trastuzumab_start_date"],
         "trastuzumab_progression_date", "must be after trastuzumab_start_date"),
        (p["tdm1_start_date"] < p["trastuzumab_start_date"], "tdm1_start_date",
         "must not be before trastuzumab_start_date"),
        (p["tdm1_progression_date"] <= p["tdm1_start_date"], "tdm1_progression_date",
         "must be after tdm1_start_date"),
        (p["tki_start_date"] < p["tdm1_progression_date"], "tki_start_date",
         "must not be before tdm1_progression_date (the TKI follows T-DM1 failure)"),
        (p["tdm1_line"] >= p["tki_line"], "tdm1_line", "must be lower than tki_line (T-DM1 "
         "precedes the TKI)"),
        (p["tki_end_date"] < p["tki_start_date"], "tki_end_date",
         "must not be before tki_start_date"),
        (p["progression_date"] <= p["tki_start_date"], "progression_date",
         "must be after tki_start_date"),
        (p["death_date"] < p["tki_start_date"], "death_date", "must not be before tki_start_date"),
        (p["death_date"] < p["progression_date"], "death_date",
         "must not be before progression_date"),
        (p["last_assessment_date"] < p["tki_start_date"], "last_assessment_date",
         "must not be before tki_start_date"),
        (p["progression_date"] > p["last_assessment_date"], "last_assessment_date",
         "must not be before progression_date"),
        (p["death_date"].notna() & (p["last_assessment_date"] > p["death_date"]),
         "last_assessment_date", "must not be after death_date"),
        ((p["best_overall_response"] == "PD") & p["progression_date"].isna(),
         "progression_date", "required when best_overall_response is PD"),
        ((p["discontinued_for_toxicity"] == 1) & p["tki_end_date"].isna(), "tki_end_date",
         "required when discontinued_for_toxicity is 1"),
        ((p["liver_metastasis"] == 1) & (p["visceral_metastasis"] == 0), "visceral_metastasis",
         "must be 1 when liver_metastasis is 1"),
        ((p["lung_metastasis"] == 1) & (p["visceral_metastasis"] == 0), "visceral_metastasis",
         "must be 1 when lung_metastasis is 1"),
    ]
    problems = []
    for mask, column, rule in rules:
        problems += _row_rule(p, file, mask, column, rule)
    return problems


def _cross_table_rules(patients: pd.DataFrame, events: pd.DataFrame,
                       screening: pd.DataFrame) -> list[Problem]:
    problems = []
    known = set(patients["patient_id"].dropna())
    ae_file, sc_file = schema.ADVERSE_EVENTS.file, schema.SCREENING.file
    problems += _row_rule(events, ae_file, events["patient_id"].notna()
                          & ~events["patient_id"].isin(known), "patient_id",
                          "must be a patient_id of patients.csv")
    key = list(schema.ADVERSE_EVENTS.key)
    problems += _row_rule(events, ae_file, events.duplicated(key, keep="first")
                          & events[key].notna().all(axis=1), "ae_term",
                          "duplicate row: one row per patient, term and grade")
    included = screening["outcome"] == "included"
    problems += _row_rule(screening, sc_file, included & screening["patient_id"].isna(),
                          "patient_id", "required when outcome is included")
    problems += _row_rule(screening, sc_file, ~included & screening["outcome"].notna()
                          & screening["patient_id"].notna(), "patient_id",
                          "must be empty when the patient was excluded")
    problems += _row_rule(screening, sc_file, included & screening["patient_id"].notna()
                          & ~screening["patient_id"].isin(known), "patient_id",
                          "included patient is not in patients.csv")
    listed = screening.loc[included, "patient_id"]
    problems += _row_rule(screening, sc_file, included & screening["patient_id"].notna()
                          & screening["patient_id"].duplicated(keep="first"), "patient_id",
                          "patient included more than once in the screening log")
    problems += _row_rule(patients, schema.PATIENTS.file, patients["patient_id"].notna()
                          & ~patients["patient_id"].isin(set(listed.dropna())), "patient_id",
                          "patient is not recorded as included in screening_log.csv")
    return problems


# ------------------------------------------------------------------------ public
def load_study(data_dir: str | Path) -> StudyData:
    """Validate every file of `data_dir` and return the typed tables, or raise with all problems."""
    directory = Path(data_dir)
    problems: list[Problem] = []
    notes: list[str] = []
    if not directory.is_dir():
        raise DataValidationError([Problem(str(directory), "data folder does not exist")], directory)
    meta = _read_metadata(directory, problems)
    cutoff = pd.Timestamp(meta["data_cutoff"]) if meta else None
    raws: dict[str, RawTable | None] = {}
    for table in schema.TABLES:
        raw = read_csv_strict(directory / table.file, problems,
                              allow_no_rows=table is schema.ADVERSE_EVENTS)
        raws[table.name] = raw
        if raw is None:
            continue
        header_problems, header_notes = _header_problems(raw, table)
        problems += header_problems
        notes += header_notes
        id_column = "patient_id" if "patient_id" in table.column_names else None
        problems += _column_problems(raw, table, cutoff, id_column)
        if raw.rows == 0:
            notes.append(f"{raw.file}: no rows (no adverse events recorded)")
    typed = {name: _typed(raw, table) for table in schema.TABLES
             if (raw := raws[(name := table.name)]) is not None}
    if "patients" in typed:
        problems += _patient_rules(typed["patients"], schema.PATIENTS.file)
    if len(typed) == len(schema.TABLES):
        problems += _cross_table_rules(typed["patients"], typed["adverse_events"], typed["screening"])
    if problems or meta is None:
        raise DataValidationError(_deduplicate(problems), directory)
    files = {raw.file: {"rows": raw.rows, "sha256": raw.sha256} for raw in raws.values() if raw}
    return StudyData(directory=directory, metadata=meta,
                     patients=typed["patients"].reset_index(drop=True),
                     adverse_events=typed["adverse_events"].reset_index(drop=True),
                     screening=typed["screening"].reset_index(drop=True),
                     files=files, warnings=notes)


def _deduplicate(problems: list[Problem]) -> list[Problem]:
    seen, unique = set(), []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            unique.append(problem)
    return unique

