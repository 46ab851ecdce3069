"""Read an input CSV file strictly, turning every way it can be unreadable into a Problem.

Values are read as text so that validation can name the exact offending value; nothing
is converted, trimmed or dropped here. The file itself is only ever opened for reading.
Reading is streamed and stops early on junk (a header that cannot be this file's, a cell
over 128 KiB, too many malformed rows), so memory stays proportional to real data.
Each step is its own function: file kind, encoding, header plausibility, rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import pandas as pd

from .headers import duplicated_columns, implausible_header
from .problems import DataValidationError, Problem

__all__ = ["DataValidationError", "Problem", "RawTable", "read_csv_strict", "sha256_of",
           "file_kind_problem", "encoding_problem"]

#: A cell larger than this is not clinical data (Python's csv default field limit).
MAX_CELL_CHARS = 128 * 1024
#: A physical line longer than this is not a row of this dictionary (bounded memory).
MAX_LINE_CHARS = 4 * MAX_CELL_CHARS
#: Malformed rows reported per file before reading stops.
MAX_ROW_PROBLEMS = 20
_SAMPLE_BYTES = 64 * 1024


@dataclass(frozen=True)
class RawTable:
    """A table read as text: the values, the header as written, and the source's checksum."""

    file: str
    frame: pd.DataFrame  # all values str; "" means missing; index = line (row) in the source
    header: list[str]
    sha256: str
    rows: int
    line_kind: str = "line"  # "row" for a workbook sheet


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks, for the provenance table."""
    digest = hashlib.sha256()
    with open_for_reading(path) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_for_reading(path: Path) -> BinaryIO:
    """Open a file read-only, in binary (the one place input files are opened)."""
    return open(path, "rb")


def file_kind_problem(path: Path, name: str) -> Problem | None:
    """Why `path` cannot be read as an input file (missing, a folder, a pipe or device,
    no permission), without opening it, so a FIFO cannot make validation hang."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Problem(name, "required file is missing")
    except PermissionError:
        return Problem(name, "cannot be read: permission denied (give the reading user access)")
    except OSError as err:
        return Problem(name, f"cannot be read ({err.strerror})")
    if stat.S_ISDIR(info.st_mode):
        return Problem(name, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        return Problem(name, "is not a regular file (a pipe, socket or device); copy the data "
                             "into an ordinary file")
    if not os.access(path, os.R_OK):
        return Problem(name, "cannot be read: permission denied (give the reading user access)")
    return None


def encoding_problem(sample: bytes, name: str) -> Problem | None:
    """Say which encoding a file that is not UTF-8 seems to have, from its first bytes."""
    save = "; save it as 'CSV UTF-8 (comma delimited)'"
    if sample[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return Problem(name, "file is UTF-16 text (Excel 'Unicode text'), not UTF-8" + save)
    if b"\x00" in sample:
        return Problem(name, "file contains NUL bytes: it is UTF-16 text without a byte-order "
                             "mark or not a text file, not UTF-8" + save)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError as err:
        line = sample[: err.start].count(b"\n") + 1
        try:
            sample[: len(sample) - 4].decode("gb18030")
            guess = "it looks like GBK/GB18030 (the Chinese Windows encoding)"
        except UnicodeDecodeError:
            guess = f"byte {err.start} cannot be decoded"
        return Problem(name, f"file is not UTF-8 text ({guess})" + save, line=line)
    return None


class _LineTooLong(Exception):
    pass


def _bounded_lines(text: io.TextIOBase) -> Iterator[str]:
    """Physical lines, refusing one longer than MAX_LINE_CHARS instead of loading it whole."""
    while True:
        line = text.readline(MAX_LINE_CHARS)
        if not line:
            return
        if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _LineTooLong
        yield line


def _parse(handle: BinaryIO, name: str, problems: list[Problem], expected: list[str] | None
           ) -> tuple[list[str], list[list[str]], list[int]] | None:
    """Header, rows and each row's first physical line; None (with Problems) on junk."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    reader = csv.reader(_bounded_lines(text))
    rows: list[list[str]] = []
    starts: list[int] = []
    row_problems = 0
    try:
        header = next(reader, [])
        if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
            sep = next(s for s in (";", "\t", "|") if s in header[0])
            problems.append(Problem(name, f"file is not comma-delimited (the header is separated "
                                          f"by {sep!r}); save it as comma-separated CSV", line=1))
            return None
        why = implausible_header(header, expected) if expected else None
        if why:
            problems.append(Problem(name, why, line=1))
            return None
        previous = reader.line_num
        blank_lines: list[int] = []  # blank lines are a problem only when a row follows them
        for row in reader:
            line = previous + 1
            previous = reader.line_num
            if len(row) != len(header) and not any(cell.strip() for cell in row):
                blank_lines.append(line)
                continue
            for blank in blank_lines:
                row_problems += 1
                problems.append(Problem(name, f"row has 0 fields but the header has {len(header)}",
                                        line=blank))
            blank_lines = []
            starts.append(line)
            if len(row) != len(header):
                row_problems += 1
                problems.append(Problem(name, f"row has {len(row)} fields but the header has "
                                              f"{len(header)}", line=starts[-1]))
                if row_problems >= MAX_ROW_PROBLEMS:
                    problems.append(Problem(name, f"reading stopped after {MAX_ROW_PROBLEMS} "
                                                  "malformed rows: is this the right file?"))
                    return None
            rows.append(row)
    except csv.Error as err:
        detail = ("a cell is larger than 128 KiB (field larger than field limit)"
                  if "field limit" in str(err) else f"malformed CSV ({err})")
        problems.append(Problem(name, f"{detail}: is this the right file?", line=reader.line_num))
        return None
    except _LineTooLong:
        problems.append(Problem(name, f"a line is longer than {MAX_LINE_CHARS // 1024} KiB: "
                                      "is this the right file?", line=reader.line_num + 1))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(name, "file is not UTF-8 text (a byte cannot be decoded); save it "
                                      "as 'CSV UTF-8 (comma delimited)'", line=reader.line_num + 1))
        return None
    if row_problems:
        return None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()  # trailing blank lines
        starts.pop()
    return header, rows, starts


def read_csv_strict(path: Path, problems: list[Problem], allow_no_rows: bool = False,
                    expected: list[str] | None = None) -> RawTable | None:
    """Read `path` as a comma-separated UTF-8 file; on failure append Problems and return None.

    `expected` (the dictionary's column names) lets reading stop at a header that cannot
    be this file's, before the body is read.
    """
    name = path.name
    kind = file_kind_problem(path, name)
    if kind is not None:
        problems.append(kind)
        return None
    try:
        with open_for_reading(path) as handle:
            sample = handle.read(_SAMPLE_BYTES)
            if not sample.strip():
                problems.append(Problem(name, "file is empty"))
                return None
            wrong = encoding_problem(sample, name)
            if wrong is not None:
                problems.append(wrong)
                return None
            handle.seek(0)
            parsed = _parse(handle, name, problems, expected)
    except PermissionError:
        problems.append(Problem(name, "cannot be read: permission denied (give the reading user "
                                      "access)"))
        return None
    except OSError as err:
        problems.append(Problem(name, f"cannot be read ({err.strerror or err})"))
        return None
    if parsed is None:
        return None
    header, body, starts = parsed
    duplicated = duplicated_columns(header)
    for column in duplicated:
        problems.append(Problem(name, "column name appears more than once in the header",
                                line=1, column=column))
    if not body and not allow_no_rows:
        problems.append(Problem(name, "file has a header but no data rows"))
        return None
    if duplicated:
        return None
    # Arrow-backed strings: vectorised text checks stay fast at 100,000 rows.
    frame = pd.DataFrame(body, columns=header, dtype="string[pyarrow]")
    frame.index = pd.Index(starts, name="line", dtype="int64")
    return RawTable(name, frame, header, sha256_of(path), len(body))
