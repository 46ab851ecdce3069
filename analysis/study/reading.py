"""Read an input CSV file strictly, turning every way it can be unreadable into a Problem.

Values are read as text so that validation can name the exact offending value; nothing
is converted, trimmed or dropped here. The file itself is only ever opened for reading.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One rule broken by the input: where (file, line, patient, column), which rule, what value."""

    file: str
    rule: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    patient_id: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
            # Source patient ids are shown only inside validation messages, which go to the
            # data manager's terminal, never into the report.
            if self.patient_id:
                where[-1] += f" (patient {self.patient_id})"
        if self.column:
            where.append(f"column '{self.column}'")
        text = ", ".join(where) + f": {self.rule}"
        if self.value is not None:
            text += f" [found: {self.value!r}]"
        return text


class DataValidationError(Exception):
    """Raised when input data break one or more rules; carries every problem found."""

    def __init__(self, problems: list[Problem], data_dir: Path | str = ""):
        self.problems = list(problems)
        self.data_dir = str(data_dir)
        count = len(self.problems)
        lines = [f"{count} problem{'' if count == 1 else 's'} in data folder {self.data_dir}:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class RawTable:
    """A CSV file read as text: the values, the header as written, and the file's checksum."""

    file: str
    frame: pd.DataFrame  # all values str; "" means missing; index = line number in the file
    header: list[str]
    sha256: str
    rows: int


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, for the provenance table."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_csv_strict(path: Path, problems: list[Problem], allow_no_rows: bool = False) -> RawTable | None:
    """Read `path` as a comma-separated UTF-8 file; on failure append Problems and return None."""
    name = path.name
    if not path.exists():
        problems.append(Problem(name, "required file is missing"))
        return None
    data = path.read_bytes()
    if not data.strip():
        problems.append(Problem(name, "file is empty"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.append(Problem(name, f"file is not UTF-8 text (byte {err.start} cannot be "
                                      "decoded); save it as UTF-8 CSV", line=line))
        return None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()  # trailing blank lines
    header = rows[0]
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        sep = next(s for s in (";", "\t", "|") if s in header[0])
        problems.append(Problem(name, f"file is not comma-delimited (the header is separated by "
                                      f"{sep!r}); save it as comma-separated CSV", line=1))
        return None
    duplicated = sorted({h for h in header if header.count(h) > 1})
    for column in duplicated:
        problems.append(Problem(name, "column name appears more than once in the header",
                                line=1, column=column))
    body = rows[1:]
    if not body and not allow_no_rows:
        problems.append(Problem(name, "file has a header but no data rows"))
        return None
    bad = [(i + 2, len(r)) for i, r in enumerate(body) if len(r) != len(header)]
    for line, width in bad:
        problems.append(Problem(name, f"row has {width} fields but the header has {len(header)}",
                                line=line))
    if bad or duplicated:
        return None
    # Arrow-backed strings: vectorised text checks stay fast at 100,000 rows.
    frame = pd.DataFrame(body, columns=header, dtype="string[pyarrow]")
    frame.index = pd.RangeIndex(2, len(body) + 2, name="line")
    return RawTable(name, frame, header, hashlib.sha256(data).hexdigest(), len(body))
