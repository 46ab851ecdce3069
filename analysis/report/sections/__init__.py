"""The report's sections: one module per chapter, each a set of labelled tables and figures.

A section function takes the `ReportContext` and returns one `ReportTable` or one matplotlib
`Figure`; `@artifact` (analysis.report.artifacts) records its Quarto label, caption and section,
so the notebooks, the captions and the supplement export share one list. Importing this package
registers every section's tables and figures.
"""

from __future__ import annotations

from ..artifacts import SECTIONS, Artifact, find_artifact, registered_artifacts
from . import cohort, efficacy, safety, subgroups

__all__ = ["SECTIONS", "Artifact", "all_artifacts", "find_artifact", "cohort", "efficacy", "safety",
           "subgroups"]


def all_artifacts() -> list[Artifact]:
    """Every labelled table and figure, in section order, then in definition order."""
    return registered_artifacts()
