"""The register of the report's labelled tables and figures: label, caption, alt text, section, builder.

A section function is registered with `@artifact("fig-…", "caption", alt="…")`; every figure
needs its alt text (what a reader who cannot see it must know), kept here beside its caption.
The notebooks (through `ReportContext.caption` and the `fig-alt` cell options written from this
register by `python -m analysis alt-text`), the journal supplement and its Supplementary Appendix read
this one register.
Each section module fills it with its own entries when imported;
`analysis.report.sections.all_artifacts()` imports them all.
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
    alt: str = ""

    @property
    def kind(self) -> str:
        return "figure" if self.label.startswith("fig-") else "table"


_REGISTRY: dict[str, Artifact] = {}


def artifact(label: str, caption: str, alt: str = "") -> Callable[[Callable], Callable]:
    """Register a section function as the table or figure `label` with its caption (and, for a
    figure, its alt text)."""
    if not label.startswith(("fig-", "tbl-")) or "_" in label:
        raise ValueError(f"label {label!r} must start with fig- or tbl- and contain no underscore")
    if label.startswith("fig-") and not alt.strip():
        raise ValueError(f"figure {label!r} needs alt text (alt=...)")

    def register(function: Callable) -> Callable:
        if label in _REGISTRY and _REGISTRY[label].build is not function:
            raise ValueError(f"label {label!r} registered twice")
        section = function.__module__.rsplit(".", 1)[-1]
        _REGISTRY[label] = Artifact(label, caption, section, function, alt)
        return function

    return register


def find_artifact(label: str) -> Artifact:
    """The registered table or figure `label` (its section module must have been imported:
    a chapter imports its own; `analysis.report.sections.all_artifacts()` imports them all)."""
    if label not in _REGISTRY:
        raise KeyError(f"no table or figure labelled {label!r} (is its section imported?)")
    return _REGISTRY[label]


def registered_artifacts() -> list[Artifact]:
    """Every registered table and figure, in section order, then in definition order."""
    return sorted(_REGISTRY.values(), key=lambda a: SECTIONS.index(a.section))
