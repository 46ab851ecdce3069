"""The report's sections: one module per chapter, each a set of labelled tables and figures.

A section function takes the `ReportContext` and returns one `ReportTable` or one matplotlib
`Figure`; `@artifact` (analysis.report.artifacts) records its Quarto label, caption and section,
so the notebooks, the captions and the supplement export share one list.

Importing this package imports no section: a chapter imports only its own module
(`from analysis.report.sections import cohort`), so its kernel does not pay for the others'
imports (the subgroups' model code above all). `all_artifacts()` imports every section first,
so the journal supplement (its manifest and appendix) always sees the whole register.
"""

from __future__ import annotations

from importlib import import_module

from ..artifacts import SECTIONS, Artifact, find_artifact, registered_artifacts

__all__ = ["SECTIONS", "Artifact", "all_artifacts", "find_artifact", "import_sections"]


def import_sections() -> None:
    """Import every section module, which registers all their tables and figures."""
    for name in SECTIONS:
        import_module(f"{__name__}.{name}")


def all_artifacts() -> list[Artifact]:
    """Every labelled table and figure, in section order, then in definition order."""
    import_sections()
    return registered_artifacts()
