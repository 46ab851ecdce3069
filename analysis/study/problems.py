"""A problem found in the input, and the error that carries every one of them.

Messages name where (file or sheet, line or row, patient, column), the rule in words and
the value found; text from the input is escaped so that control characters cannot act
on the data manager's terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .identifiers import looks_like_identifier, masked


def shown(text: str) -> str:
    """Quote text from the input; control characters are escaped like `repr` does."""
    return f"'{text}'" if text.isprintable() else repr(text)


@dataclass(frozen=True)
class Problem:
    """One rule broken by the input: where (file, line, patient, column), which rule, what value."""

    file: str
    rule: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    patient_id: str | None = None
    line_kind: str = "line"  # "row" in a workbook sheet

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"{self.line_kind} {self.line}")
            # Source patient ids are shown only inside validation messages, which go to the
            # data manager's terminal, never into the report.
            if self.patient_id:
                pid = self.patient_id
                where[-1] += f" (patient {masked(pid) if looks_like_identifier(pid) else shown(pid)[1:-1]})"
        if self.column is not None:
            where.append(f"column {shown(self.column)}")
        text = ", ".join(where) + f": {self.rule}"
        if self.value is not None:
            # An identifier found in the data is not repeated in full on the terminal.
            text += f" [found: {masked(self.value) if looks_like_identifier(self.value) else self.value!r}]"
        return text


class DataValidationError(Exception):
    """Raised when input data break one or more rules; carries every problem found."""

    def __init__(self, problems: list[Problem], data_dir: Path | str = ""):
        self.problems = list(problems)
        self.data_dir = str(data_dir)
        count = len(self.problems)
        lines = [f"{count} problem{'' if count == 1 else 's'} in the data at {self.data_dir}:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))
