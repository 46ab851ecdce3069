"""Which tables and figures go into the manuscript and which into its Supplementary Appendix.

`supplement.yml` (top level) lists the manuscript's own tables and figures by report label, in
the order the text cites them (`main`); they are numbered Table 1, 2, … and Figure 1, 2, … in
that order. Every other labelled table and figure goes to the appendix (Table S1, Figure S1, …),
in the order `appendix` lists them, then the rest in report order. An unknown or repeated label,
a label in both lists, or a file that is not valid YAML is an error naming the file, the line and
the label: nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from analysis.config import PROJECT_ROOT
from analysis.report.artifacts import Artifact

PLAN_FILE = PROJECT_ROOT / "supplement.yml"
PLACES = ("main", "appendix")


class PlanError(ValueError):
    """supplement.yml cannot be used: `file, line N: label 'x': rule`."""


@dataclass(frozen=True)
class PlannedItem:
    """A table or figure with its place (main or appendix) and number ('Table 1', 'Figure S2')."""

    artifact: Artifact
    place: str
    number: str

    @property
    def label(self) -> str:
        return self.artifact.label

    @property
    def kind(self) -> str:
        return self.artifact.kind


def _problem(path: Path, line: int | None, message: str) -> PlanError:
    where = f"{path}, line {line}" if line is not None else str(path)
    return PlanError(f"{where}: {message}")


def _labels(path: Path, text: str) -> dict[str, list[tuple[str, int]]]:
    """{place: [(label, line), …]} as written in the file (yaml's node positions, 1-based)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)
        raise _problem(path, mark.line + 1 if mark else None, f"not valid YAML: {reason}") from None
    if root is None:
        return {place: [] for place in PLACES}
    if not isinstance(root, yaml.MappingNode):
        raise _problem(path, root.start_mark.line + 1, f"expected a mapping with keys {' and '.join(PLACES)}")
    found: dict[str, list[tuple[str, int]]] = {place: [] for place in PLACES}
    for key, value in root.value:
        if key.value not in PLACES:
            raise _problem(path, key.start_mark.line + 1,
                           f"unknown key {key.value!r} (expected {' or '.join(PLACES)})")
        if isinstance(value, yaml.ScalarNode) and value.value in ("", "null", "~"):
            continue
        if not isinstance(value, yaml.SequenceNode):
            raise _problem(path, value.start_mark.line + 1, f"'{key.value}' must be a list of labels")
        for item in value.value:
            if not isinstance(item, yaml.ScalarNode):
                raise _problem(path, item.start_mark.line + 1, f"'{key.value}' must list labels (tbl-…, fig-…)")
            found[key.value].append((item.value.strip(), item.start_mark.line + 1))
    return found


def read_plan(artifacts: Sequence[Artifact], path: str | Path = PLAN_FILE) -> list[PlannedItem]:
    """The tables and figures of the manuscript (numbered 1, 2, …) then of the appendix (S1, S2, …)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise _problem(path, None, f"cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise _problem(path, None, "is not UTF-8 text") from None
    known = {item.label: item for item in artifacts}
    listed = _labels(path, text)
    seen: dict[str, int] = {}
    for place in PLACES:
        for label, line in listed[place]:
            if label not in known:
                raise _problem(path, line, f"label {label!r}: no table or figure of the report has it "
                                           f"(labels: {', '.join(known)})")
            if label in seen:
                raise _problem(path, line, f"label {label!r}: listed again (first on line {seen[label]})")
            seen[label] = line
    main = [known[label] for label, _ in listed["main"]]
    appendix = [known[label] for label, _ in listed["appendix"]]
    appendix += [item for item in artifacts if item.label not in seen]
    return _numbered(main, "main", "") + _numbered(appendix, "appendix", "S")


def _numbered(items: list[Artifact], place: str, prefix: str) -> list[PlannedItem]:
    """Tables and figures numbered separately, each in the order given."""
    counts = {"table": 0, "figure": 0}
    numbered = []
    for item in items:
        counts[item.kind] += 1
        numbered.append(PlannedItem(item, place, f"{item.kind.title()} {prefix}{counts[item.kind]}"))
    return numbered
