"""The report's sections: one module per chapter, each a set of labelled tables and figures.

A section function takes the `ReportContext` and returns one `ReportTable` or one matplotlib
`Figure`; the `@artifact` decorator records its Quarto label (`tbl-…`/`fig-…`), caption and
section, so the notebooks, the captions and the supplement export share one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

SECTIONS = ("cohort", "efficacy", "subgroups", "safety")


@dataclass(frozen=True)
class Artifact:
    """A labelled table or figure of the report."""

    label: str
    caption: str
    section: str
    build: Callable

    @property
    def kind(self) -> str:
        return "figure" if self.label.startswith("fig-") else "table"


_REGISTRY: dict[str, Artifact] = {}


def artifact(label: str, caption: str | None = None):
    """Register a section function under a label (with caption); or, without caption, look one up."""
    if caption is None:
        _load_all()
        if label not in _REGISTRY:
            raise KeyError(f"no table or figure labelled {label!r}")
        return _REGISTRY[label]
    if not label.startswith(("fig-", "tbl-")) or "_" in label:
        raise ValueError(f"label {label!r} must start with fig- or tbl- and contain no underscore")

    def register(function: Callable) -> Callable:
        if label in _REGISTRY and _REGISTRY[label].build is not function:
            raise ValueError(f"label {label!r} registered twice")
        section = function.__module__.rsplit(".", 1)[-1]
        _REGISTRY[label] = Artifact(label, caption, section, function)
        return function

    return register


def _load_all() -> None:
    from . import cohort, efficacy, safety, subgroups  # noqa: F401  (registers their artifacts)


def all_artifacts() -> list[Artifact]:
    """Every labelled table and figure, in section order, then in definition order."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda a: SECTIONS.index(a.section))
