"""Validate a study data folder against the data dictionary and load it, typed.

Column rules come from `schema.py` and are enforced with pandera (lazy, so every failure
is collected); date-order and cross-table rules follow. Any problem raises
`DataValidationError` listing all of them: a report is never built on partial data.
Codes are matched exactly: a value with stray spaces or other capitalisation is refused
with a rule saying so, never silently normalised or misread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import config
from . import schema
from .headers import diagnose_header
from .identifiers import identifier_kinds
from .metadata import read_metadata
from .problems import DataValidationError, Problem
from .reading import RawTable, read_csv_strict
from .study_data import StudyData

if TYPE_CHECKING:
    import pandera.pandas as pa

_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
#: Problems listed per file before the rest are summarised (junk must not flood the terminal).
MAX_PROBLEMS_PER_FILE = 100
_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_INT_PATTERN = r"^-?\d+$"


# ------------------------------------------------------------------ column-level rules
def _column_checks(column: schema.Column, cutoff: pd.Timestamp | None) -> list[pa.Check]:
    """pandera checks for one column, each named by the rule a data manager reads."""
    import pandera.pandas as pa  # a second to import: only when the rules are checked

    checks = [pa.Check(lambda s: s == s.str.strip(), name="must not have leading or trailing spaces")]
    if column.kind == "id":
        checks.append(pa.Check(lambda s: s.str.fullmatch(_ID_PATTERN).fillna(False),
                               name="must be letters, digits, '-' or '_' (1-32 characters)"))
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
    import pandera.pandas as pa  # a second to import: only when the rules are checked

    return pa.DataFrameSchema(
        {c.name: pa.Column(None, checks=_column_checks(c, cutoff), nullable=c.nullable,
                           unique=c.unique, required=True) for c in table.columns},
        strict=False, coerce=False)


_PANDERA_RULES = {
    "not_nullable": "a value is required",
    "field_uniqueness": "must be unique (appears more than once)",
}


def _column_problems(raw: RawTable, table: schema.Table, cutoff: pd.Timestamp | None,
                     id_column: str | None) -> list[Problem]:
    """Every column rule broken, cell by cell (missing columns are the header's problem)."""
    import pandera.pandas as pa  # a second to import: only when the rules are checked

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
            continue  # reported once by the header diagnosis, with any near miss
        line = None if pd.isna(case.index) else int(case.index)
        pid = None
        if line is not None and id_column and id_column in raw.frame.columns:
            pid = raw.frame.at[line, id_column] or None
        value = None if pd.isna(case.failure_case) else str(case.failure_case)
        problems.append(Problem(raw.file, rule, line=line, column=case.column, value=value,
                                patient_id=pid, line_kind=raw.line_kind))
    return problems


def _identifier_value_problems(raw: RawTable, id_column: str | None) -> list[Problem]:
    """Values shaped like a resident ID, a mobile number or an e-mail address, in any column."""
    problems = []
    for column in raw.frame.columns:
        kinds = identifier_kinds(raw.frame[column])
        for line, kind in kinds.dropna().items():
            pid = raw.frame.at[line, id_column] if id_column in raw.frame.columns else None
            problems.append(Problem(
                raw.file, f"value looks like {'an' if kind[0] in 'aeiou' else 'a'} {kind}, a "
                "direct identifier: use pseudonymous "
                "study numbers only", line=int(line), column=column,
                value=str(raw.frame.at[line, column]),
                patient_id=str(pid) if pid else None,
                line_kind=raw.line_kind))
    return problems


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
            out[column.name] = values.astype("string[pyarrow]")
    return out


# ---------------------------------------------------------------- row-level rules
def _row_rule(frame: pd.DataFrame, raw: RawTable, mask: pd.Series, column: str, rule: str,
              id_column: str = "patient_id") -> list[Problem]:
    mask = mask.fillna(False).astype(bool)
    return [Problem(raw.file, rule, line=int(line), column=column,
                    value=None if pd.isna(frame.at[line, column]) else
                    str(frame.at[line, column].date() if isinstance(frame.at[line, column], pd.Timestamp)
                        else frame.at[line, column]),
                    patient_id=None if pd.isna(frame.at[line, id_column]) else str(frame.at[line, id_column]),
                    line_kind=raw.line_kind)
            for line in frame.index[mask]]


def _patient_rules(p: pd.DataFrame, raw: RawTable) -> list[Problem]:
    """Date-order and consistency rules within one patient row."""
    adjuvant = p["trastuzumab_setting"] == "adjuvant"
    metastatic = p["trastuzumab_setting"] == "metastatic"
    no_assessment = p["last_assessment_date"].isna()
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
        (no_assessment & p["death_date"].isna(), "last_assessment_date",
         "a value is required unless the patient died before any tumour assessment "
         "(then death_date is given)"),
        (no_assessment & p["progression_date"].notna(), "progression_date",
         "must be empty when there was no tumour assessment (last_assessment_date empty): "
         "progression is documented at an assessment"),
        (no_assessment & p["best_overall_response"].notna()
         & (p["best_overall_response"] != "NE"), "best_overall_response",
         "must be NE when the patient died before any tumour assessment (last_assessment_date "
         "empty)"),
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
        problems += _row_rule(p, raw, mask, column, rule)
    return problems


def _cross_table_rules(typed: dict[str, pd.DataFrame], raws: dict[str, RawTable]) -> list[Problem]:
    """Adverse events and the screening log against patients.csv (and the reverse)."""
    patients, events, screening = typed["patients"], typed["adverse_events"], typed["screening"]
    p_raw, ae_raw, sc_raw = raws["patients"], raws["adverse_events"], raws["screening"]
    problems = []
    known = patients["patient_id"].dropna()  # a Series, not a set: isin hashes it once, vectorised
    problems += _row_rule(events, ae_raw, events["patient_id"].notna()
                          & ~events["patient_id"].isin(known), "patient_id",
                          f"must be a patient_id of {p_raw.file}")
    key = list(schema.ADVERSE_EVENTS.key)
    problems += _row_rule(events, ae_raw, events.duplicated(key, keep="first")
                          & events[key].notna().all(axis=1), "ae_term",
                          "duplicate row: one row per patient, term and grade")
    included = screening["outcome"] == "included"
    problems += _row_rule(screening, sc_raw, included & screening["patient_id"].isna(),
                          "patient_id", "required when outcome is included")
    problems += _row_rule(screening, sc_raw, ~included & screening["outcome"].notna()
                          & screening["patient_id"].notna(), "patient_id",
                          "must be empty when the patient was excluded")
    problems += _row_rule(screening, sc_raw, included & screening["patient_id"].notna()
                          & ~screening["patient_id"].isin(known), "patient_id",
                          f"included patient is not in {p_raw.file}")
    listed = screening.loc[included, "patient_id"]
    problems += _row_rule(screening, sc_raw, included & screening["patient_id"].notna()
                          & screening["patient_id"].duplicated(keep="first"), "patient_id",
                          "patient included more than once in the screening log")
    problems += _row_rule(patients, p_raw, patients["patient_id"].notna()
                          & ~patients["patient_id"].isin(listed.dropna()), "patient_id",
                          f"patient is not recorded as included in {sc_raw.file}")
    return problems


# ------------------------------------------------------------------------ sources
def _read_folder(directory: Path, problems: list[Problem]) -> tuple[dict | None, dict[str, RawTable | None]]:
    """dataset.yml and the three CSV files of a data folder."""
    meta = read_metadata(directory / schema.METADATA_FILE, problems)
    raws = {table.name: read_csv_strict(directory / table.file, problems,
                                        allow_no_rows=table is schema.ADVERSE_EVENTS,
                                        expected=table.column_names)
            for table in schema.TABLES}
    return meta, raws


def _read_source(path: Path, problems: list[Problem]) -> tuple[dict | None, dict[str, RawTable | None]]:
    """A data folder, or an Excel workbook made from the template; anything else is refused."""
    origin = config.origin_note(path)
    if path.is_file() and path.suffix.lower() in WORKBOOK_SUFFIXES:
        from .workbook import read_workbook

        return read_workbook(path, problems)
    if path.is_dir():
        return _read_folder(path, problems)
    if not path.exists():
        rule = "data folder does not exist" + origin
    else:
        rule = ("is a file, not a data folder" + origin + ": give the folder that holds "
                f"{', '.join(t.file for t in schema.TABLES)} and {schema.METADATA_FILE}, or an "
                "Excel workbook (.xlsx) made with `python -m analysis template`")
    raise DataValidationError([Problem(str(path), rule)], path)


def _limited(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS_PER_FILE problems per file, then one line saying how many more."""
    kept, counts = [], {}
    for problem in problems:
        counts[problem.file] = counts.get(problem.file, 0) + 1
        if counts[problem.file] <= MAX_PROBLEMS_PER_FILE:
            kept.append(problem)
    for file, count in counts.items():
        if count > MAX_PROBLEMS_PER_FILE:
            kept.append(Problem(file, f"... and {count - MAX_PROBLEMS_PER_FILE:,} more problems "
                                      "in this file, not listed: fix those above first"))
    return kept


# ------------------------------------------------------------------------ public
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def load_study(data_dir: str | Path) -> StudyData:
    """Validate a data folder (or workbook) and return the typed tables, or raise with all problems.

    Rules that span columns or files run only where the header is complete, so one
    renamed column is reported once instead of on every row that depends on it.
    """
    directory = Path(data_dir)
    problems: list[Problem] = []
    notes: list[str] = []
    meta, raws = _read_source(directory, problems)
    cutoff = pd.Timestamp(meta["data_cutoff"]) if meta else None
    complete: dict[str, bool] = {}
    for table in schema.TABLES:
        raw = raws[table.name]
        if raw is None:
            continue
        header = diagnose_header(raw.header, table, raw.file, raw.line_kind)
        problems += header.problems
        notes += header.notes
        complete[table.name] = not header.missing
        id_column = "patient_id" if "patient_id" in table.column_names else None
        problems += _identifier_value_problems(raw, id_column)
        problems += _column_problems(raw, table, cutoff, id_column)
        if raw.rows == 0:
            notes.append(f"{raw.file}: no rows (no adverse events recorded)")
    typed = {name: _typed(raw, table) for table in schema.TABLES
             if (raw := raws[(name := table.name)]) is not None}
    if complete.get("patients"):
        problems += _patient_rules(typed["patients"], raws["patients"])
    if all(complete.get(t.name) for t in schema.TABLES):
        problems += _cross_table_rules(typed, raws)
    if problems or meta is None:
        raise DataValidationError(_limited(_deduplicate(problems)), directory)
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
