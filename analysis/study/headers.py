"""Header diagnosis: say once what is wrong with a file's header, in the words that lead to the fix.

A renamed column (`Patient_ID`, `centre `) is reported as the near miss it is, not as a
missing column followed by a problem on every row; an identifier column is refused; a
header that cannot be this file's (junk, another file, 60,000 columns) stops reading early.
Every check here is linear in the header's width.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

from . import schema
from .identifiers import identifier_word, normalise_header
from .problems import Problem, shown

#: A header wider than this cannot be one of the dictionary's files (the widest has 33 columns).
MAX_HEADER_COLUMNS = 500


@dataclass
class HeaderDiagnosis:
    """The header's problems, warnings, and the dictionary columns it lacks."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def implausible_header(header: list[str], expected: list[str]) -> str | None:
    """Why `header` cannot be the header of a file with columns `expected` (None if it can be)."""
    if len(header) > MAX_HEADER_COLUMNS:
        return (f"the header has {len(header):,} columns but this file has {len(expected)}: "
                "is this the right file?")
    wanted = {normalise_header(name) for name in expected}
    if not any(normalise_header(name) in wanted for name in header):
        shown = ", ".join(expected[:4])
        return (f"the header (first row) has none of this file's columns ({shown}, ...): is "
                "this the right file, with the column names in its first row?")
    return None


def duplicated_columns(header: list[str]) -> list[str]:
    """Column names that appear more than once, in order (linear time)."""
    return sorted(name for name, count in Counter(header).items() if count > 1)


def _near_miss(name: str, missing: list[str]) -> str | None:
    normal = normalise_header(name)
    for expected in missing:
        if normalise_header(expected) == normal:
            return expected
    close = difflib.get_close_matches(name.strip().lower(), missing, n=1, cutoff=0.85)
    return close[0] if close else None


def diagnose_header(header: list[str], table: schema.Table, file: str,
                    line_kind: str = "line") -> HeaderDiagnosis:
    """Identifier columns, near misses of dictionary columns, missing and unknown columns."""
    result = HeaderDiagnosis()
    known = set(table.column_names)
    missing = [name for name in table.column_names if name not in set(header)]
    explained: set[str] = set()
    for name in header:
        if name in known:
            continue
        word = identifier_word(name)
        if word is not None:
            result.problems.append(Problem(
                file, f"column looks like a direct identifier (contains '{word}': name, contact, "
                "ID or record number, address, birth date); remove it before analysis: only "
                "pseudonymous study numbers may enter", line=1, column=name, line_kind=line_kind))
            continue
        expected = _near_miss(name, [m for m in missing if m not in explained])
        if expected is not None:
            explained.add(expected)
            result.problems.append(Problem(
                file, f"column name is not the dictionary's: found {shown(name)}, expected "
                f"'{expected}' (exact spelling, case and no spaces); rename it", line=1,
                column=name, line_kind=line_kind))
        else:
            result.notes.append(f"{file}: unknown column {shown(name)} is ignored (not in the "
                                "data dictionary)")
    for name in missing:
        if name not in explained:
            result.problems.append(Problem(file, "required column is missing", line=1,
                                           column=name, line_kind=line_kind))
    result.missing = missing
    return result
