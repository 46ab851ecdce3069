"""Load a valid data folder fast: pyarrow's CSV reader and vectorised checks, one pass.

`load_study_fast` gives the same StudyData as `validation.load_study` for a valid folder. It
accepts a file only when every rule of the data dictionary visibly holds (ASCII codes, exact
categories, whole numbers and ISO dates in range, the known header): anything else, however
harmless, and any file pyarrow refuses, goes to the strict reader and validator, which
either accepts it or explains every problem (file, line, patient, column, rule, value) as
before. So a valid file pays for one pass, and every message comes from the strict path.

Each column is dictionary-encoded once; every rule on a single cell is checked on its
distinct values, and each distinct value is typed once (a date parsed once, not once per
cell) and spread to the cells by its code. Text columns share one Python string per
distinct value.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from . import schema
from .metadata import read_metadata
from .problems import Problem
from .reading import MAX_CELL_CHARS, RawTable, file_kind_problem, open_for_reading
from .study_data import StudyData

#: Dates outside these years go to the strict path (pandas' nanosecond range ends in 2262).
_PLAUSIBLE_YEARS = (1800, 2200)
_ASCII_INTEGER = r"^-?[0-9]+$"
_ASCII_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ASCII_ID = r"^[A-Za-z0-9_-]{1,32}$"
#: The pre-filter of identifiers.identifier_kinds: eleven digits or an '@' anywhere in a cell.
_IDENTIFIER_PREFILTER = r"\d.*\d.*\d.*\d.*\d.*\d.*\d.*\d.*\d.*\d.*\d|@"
#: Longest header line read before deciding (the strict reader refuses wider headers anyway).
_HEADER_BYTES = 1 << 20


class _NotPlainlyValid(Exception):
    """The fast path cannot vouch for this folder: the strict path decides."""


def _read_text_table(path: Path, table: schema.Table) -> tuple[pa.Table, str]:
    """Every column as text, empty cells as '' (not null); refuse anything unusual.

    The file is opened once: its header line is read (bounded, so junk goes to the strict
    reader unread) and checked before the rest is read.
    """
    if file_kind_problem(path, table.file) is not None:
        raise _NotPlainlyValid  # missing, a folder, a pipe or device, unreadable: never opened here
    with open_for_reading(path) as handle:
        first_line = handle.readline(_HEADER_BYTES)
        try:
            header = next(csv.reader([first_line.decode("utf-8").rstrip("\r\n")]))
        except (UnicodeDecodeError, StopIteration, csv.Error) as err:
            raise _NotPlainlyValid from err
        if sorted(header) != sorted(table.column_names):
            raise _NotPlainlyValid  # unknown, missing or repeated columns: notes and rules of the strict path
        handle.seek(0)
        data = handle.read()  # the same open file, read once, whole
    if data.startswith(b"\xef\xbb\xbf") or b"\n\n" in data or b"\n\r\n" in data:
        raise _NotPlainlyValid  # byte-order mark or blank lines: the strict reader handles them
    try:
        text = pa_csv.read_csv(
            pa.py_buffer(data),
            parse_options=pa_csv.ParseOptions(ignore_empty_lines=False, newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as err:
        raise _NotPlainlyValid from err  # a file pyarrow refuses: the strict reader explains it
    return text, hashlib.sha256(data).hexdigest()


def _all(mask: pa.ChunkedArray | pa.Array) -> bool:
    return bool(pc.all(mask).as_py() is not False)


def _check(condition: bool) -> None:
    if not condition:
        raise _NotPlainlyValid


@dataclass(frozen=True)
class _Encoded:
    """One text column as its distinct values and, per cell, the position of its value.

    Every rule of the dictionary is a rule on a cell's value alone (except uniqueness), so
    it is checked once per distinct value: a handful for a category, a few thousand for a
    date, instead of once per cell.
    """

    values: pa.StringArray  # distinct, each used by at least one cell
    codes: np.ndarray       # per cell, the position of its value in `values`
    empty: np.ndarray       # per distinct value, whether it is the empty cell ''

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> _Encoded:
        encoded = pc.dictionary_encode(column.combine_chunks() if column.num_chunks != 1
                                       else column.chunk(0))
        values = encoded.dictionary
        return cls(values, encoded.indices.to_numpy(), pc.equal(values, "").to_numpy(zero_copy_only=False))

    @property
    def filled(self) -> pa.StringArray:
        """The distinct values other than ''."""
        return pc.filter(self.values, pa.array(~self.empty))

    def cells(self, per_value: np.ndarray) -> np.ndarray:
        """`per_value` (one entry per distinct value) spread to every cell."""
        return per_value[self.codes]

    def empty_cells(self) -> int:
        """How many cells are ''."""
        return int(np.count_nonzero(self.cells(self.empty))) if self.empty.any() else 0


def _check_text(encoded: _Encoded) -> None:
    """No oversized cell, nothing shaped like a resident ID, phone number or e-mail address
    (identifiers.identifier_kinds' own pre-filter): else the strict path decides."""
    values = encoded.values
    _check(len(values) == 0 or pc.max(pc.utf8_length(values)).as_py() <= MAX_CELL_CHARS)
    _check(not pc.any(pc.match_substring_regex(values, _IDENTIFIER_PREFILTER)).as_py())


def _typed_column(encoded: _Encoded, column: schema.Column, cutoff: pd.Timestamp) -> pd.Series:
    """Check one column against its rules (on its distinct values) and return it typed, as `_typed` does."""
    _check_text(encoded)
    _check(column.nullable or not encoded.empty.any())
    filled = encoded.filled
    if column.kind == "id":
        _check(_all(pc.match_substring_regex(filled, _ASCII_ID)))
    elif column.kind in ("category", "flag"):
        allowed = ("0", "1") if column.kind == "flag" else column.allowed
        _check(_all(pc.is_in(filled, value_set=pa.array(allowed))))
    elif column.kind == "integer":
        _check(_all(pc.match_substring_regex(filled, _ASCII_INTEGER)) and
               (len(filled) == 0 or pc.max(pc.utf8_length(filled)).as_py() <= 6))  # no int64 overflow
    elif column.kind == "date":
        _check(_all(pc.match_substring_regex(filled, _ASCII_DATE)))
    if column.unique:
        _check(len(filled) == len(encoded.codes) - encoded.empty_cells())
    nullable = pc.if_else(pa.array(encoded.empty), pa.scalar(None, pa.string()), encoded.values)
    if column.kind == "date":
        parsed = pc.strptime(nullable, format="%Y-%m-%d", unit="s", error_is_null=True)
        _check(parsed.null_count == int(encoded.empty.sum()))
        years = pc.year(pc.drop_null(parsed))
        _check(len(years) == 0 or (pc.min(years).as_py() >= _PLAUSIBLE_YEARS[0]
                                   and pc.max(years).as_py() <= _PLAUSIBLE_YEARS[1]))
        dates = pc.cast(parsed, pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        _check(not (dates > cutoff.to_datetime64()).any())
        return pd.Series(encoded.cells(dates))
    if column.kind in ("integer", "flag"):
        numbers = pc.cast(pc.fill_null(nullable, "0"), pa.int64()).to_numpy()
        if column.kind == "integer":
            present = numbers[~encoded.empty]
            _check(bool(((present >= column.minimum) & (present <= column.maximum)).all()))
        return pd.Series(pd.arrays.IntegerArray(encoded.cells(numbers), encoded.cells(encoded.empty)))
    return pd.Series(pd.arrays.ArrowStringArray(pc.take(nullable, encoded.codes)))


def _typed_table(encoded: dict[str, _Encoded], table: schema.Table, cutoff: pd.Timestamp
                 ) -> pd.DataFrame:
    """The typed table, indexed 0..n-1 as StudyData holds it (built once, not copied again)."""
    return pd.DataFrame({column.name: _typed_column(encoded[column.name], column, cutoff)
                         for column in table.columns})


def _codes(columns: list[_Encoded]) -> list[pd.arrays.IntegerArray]:
    """Integer codes shared across `columns` (one per distinct value; '' stays missing).

    The mapping is one-to-one, so every cross-table rule (membership, duplicates, presence)
    selects the same rows as on the text, in a fraction of the time at 100,000 patients.
    """
    shared = pc.dictionary_encode(pa.concat_arrays([c.values for c in columns])).indices.to_numpy()
    out, start = [], 0
    for column in columns:
        per_value = shared[start:start + len(column.values)]
        out.append(pd.arrays.IntegerArray(column.cells(per_value).astype("int64"),
                                          column.cells(column.empty)))
        start += len(column.values)
    return out


#: The text columns that the cross-table rules compare, given to them as integer codes.
_CODED = ("patient_id", "ae_term")


def _coded(typed: dict[str, pd.DataFrame], encoded: dict[str, dict[str, _Encoded]]
           ) -> dict[str, pd.DataFrame]:
    """The tables with `patient_id` (shared across them) and `ae_term` as integer codes."""
    names = [table.name for table in schema.TABLES]
    ids = _codes([encoded[name]["patient_id"] for name in names])
    out = {}
    for name, codes in zip(names, ids):
        frame = typed[name].copy(deep=False)
        frame["patient_id"] = codes
        out[name] = frame
    terms = _codes([encoded["adverse_events"]["ae_term"]])[0]
    out["adverse_events"]["ae_term"] = terms
    return out


def _plainly_valid_study(directory: Path) -> StudyData:
    """The study, if every rule visibly holds; raise _NotPlainlyValid otherwise."""
    from .validation import _cross_table_rules, _patient_rules

    problems: list[Problem] = []
    meta = read_metadata(directory / schema.METADATA_FILE, problems)
    _check(meta is not None and not problems)
    cutoff = pd.Timestamp(meta["data_cutoff"])
    typed, encoded, files, notes = {}, {}, {}, []
    for table in schema.TABLES:
        text, sha256 = _read_text_table(directory / table.file, table)
        _check(text.num_rows > 0 or table is schema.ADVERSE_EVENTS)
        columns = {name: _Encoded.of(text.column(name)) for name in text.column_names}
        rows = text.num_rows
        del text  # the distinct values and codes are all that is kept
        typed[table.name] = _typed_table(columns, table, cutoff)
        encoded[table.name] = {name: columns[name] for name in _CODED if name in columns}
        files[table.file] = {"rows": rows, "sha256": sha256}
        if rows == 0:
            notes.append(f"{table.file}: no rows (no adverse events recorded)")
    # The validator's own row and cross-table rules; only whether any fails matters here.
    raws = {table.name: RawTable(table.file, pd.DataFrame(), [], "", 0) for table in schema.TABLES}
    _check(not _patient_rules(typed["patients"], raws["patients"]))
    _check(not _cross_table_rules(_coded(typed, encoded), raws))
    return StudyData(directory=directory, metadata=meta, patients=typed["patients"],
                     adverse_events=typed["adverse_events"], screening=typed["screening"],
                     files=files, warnings=notes)


def use_lean_arrow_memory_pool() -> None:
    """Let Arrow allocate from its jemalloc pool, where this pyarrow build has one.

    Arrow's default pool (mimalloc) keeps memory that reading and encoding freed, so the
    process' peak grows by a third: `results` at N = 100,000 peaked at ~400 MiB before any
    statistics, ~300 MiB with jemalloc, in the same time. Nothing changes where the user
    chose a pool (ARROW_DEFAULT_MEMORY_POOL) or the build has no jemalloc (e.g. Windows).
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        return
    pa.set_memory_pool(pool)


def load_study_fast(data_dir: str | Path) -> StudyData:
    """Validate `data_dir` and return the typed tables: the fast path, else the strict one.

    Same result and same errors as `validation.load_study` (which it calls whenever the
    fast path cannot vouch for every value, so that the strict path names each problem).
    """
    use_lean_arrow_memory_pool()
    directory = Path(data_dir)
    if directory.is_dir():
        try:
            return _plainly_valid_study(directory)
        except (_NotPlainlyValid, OSError):
            pass
    from .validation import load_study

    return load_study(directory)

