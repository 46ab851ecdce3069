"""What every section notebook opens first: the validated study, its analysis dataset, captions.

`ReportContext.open()` reads the one data setting (`TKI_DATA_DIR`, default the bundled
synthetic cohort), validates it (a data problem stops the section with the full list) and
derives the per-patient dataset, or loads both from the render's cache when the data, code
and settings are those it was built from (analysis.study.cache), and applies the figure style.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.study.cache import load_validated
from analysis.study.study_data import SYNTHETIC_NOTE, StudyData

from . import style
from .artifacts import find_artifact
from .banner import banner_markdown
from .report_table import output_format


class Phrase(str):
    """Narrative text computed from the data; shown by Quarto inline expressions as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


def _show_figures_inline() -> None:
    """In a Jupyter kernel, display returned Figures (Quarto's setup does this; plain kernels don't).

    Figures are built without pyplot, so nothing registers matplotlib's display formatter
    unless the kernel already did (Quarto configures it, with its own fig-format).
    """
    try:
        from IPython import get_ipython
    except ImportError:  # not in IPython
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    from matplotlib.figure import Figure

    formatters = shell.display_formatter.formatters.values()
    if not any(Figure in getattr(f, "type_printers", {}) for f in formatters):
        shell.run_line_magic("matplotlib", "inline")


@dataclass
class ReportContext:
    """The study as every section sees it: validated tables plus the analysis dataset."""

    study: StudyData
    data: pd.DataFrame
    small_cell_threshold: int | None = None

    @classmethod
    def open(cls, data_dir: str | Path | None = None,
             small_cell_threshold: int | None = None) -> "ReportContext":
        """Validate and load the data folder (default: `config.data_dir()`), set the figure style.

        `small_cell_threshold` (default: $TKI_SMALL_CELL_THRESHOLD, else none) makes every
        table that shows patient counts print counts below it as "<threshold".
        """
        study, data = load_validated(Path(data_dir) if data_dir else config.data_dir())
        style.apply_style()
        _show_figures_inline()
        threshold = small_cell_threshold if small_cell_threshold is not None else config.small_cell_threshold()
        return cls(study=study, data=data, small_cell_threshold=threshold)

    @property
    def synthetic(self) -> bool:
        return self.study.synthetic

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def data_note(self) -> Phrase:
        """The sentence every caption ends with when the data are synthetic (empty otherwise)."""
        return Phrase(SYNTHETIC_NOTE if self.synthetic else "")

    def banner(self) -> None:
        """Print the synthetic-data notice for this output format (Markdown, for an `output: asis`
        cell); nothing for real data (analysis.report.banner)."""
        print(banner_markdown(self.synthetic, output_format()), end="")

    def captioned(self, text: str) -> Phrase:
        """A caption: `text` with the data note appended (never empty, so safe inline)."""
        if not text.strip():
            raise ValueError("a caption needs text")
        return Phrase(f"{text} {self.data_note}".strip())

    def alt(self, label: str) -> Phrase:
        """The alt text of a labelled figure, from the register (analysis.report.artifacts)."""
        return Phrase(find_artifact(label).alt)

    def caption(self, label: str) -> Phrase:
        """The caption of a labelled table or figure, with the data note appended."""
        return self.captioned(find_artifact(label).caption)
