"""The synthetic-data banner at the top of every page of the book (nothing for real data).

A callout in HTML and PDF; in Word a paragraph in its own style ("Synthetic data notice"), since
Quarto's Word callout writes paragraphs with two property blocks. A page that computes prints it
from its first cell (`ReportContext.banner`), for the format being rendered. A page that computes
nothing (references, STROBE checklist) holds an empty `::: {.page-banner}` div under its title
and renders with Quarto's markdown engine, no Python kernel: the pre-render step puts the
banner's Markdown for each format into `_build/book-metadata.json` (`page_banner_markdown`), and
the Lua filter analysis/book/quarto/page-banner.lua puts it in place of that div.
"""

from __future__ import annotations

from analysis.study.study_data import SYNTHETIC_NOTE

_SECTION_TEXT = f"{SYNTHETIC_NOTE} Every number in this section is computed from the bundled synthetic cohort."
_REPORT_TEXT = f"{SYNTHETIC_NOTE} Every number in this report is computed from the bundled synthetic cohort."


def banner_markdown(synthetic: bool, output_format: str | None, text: str = _SECTION_TEXT) -> str:
    """The banner as Markdown for one output format ("docx": a styled paragraph; any other: a
    callout); empty for real data."""
    if not synthetic:
        return ""
    if output_format == "docx":
        return f"::: {{custom-style=\"Synthetic data notice\"}}\n**Synthetic data.** {text}\n:::\n\n"
    return f"::: {{.callout-warning title=\"Synthetic data\"}}\n{text}\n:::\n\n"


def page_banner_markdown(synthetic: bool) -> dict[str, str] | None:
    """The banner of the pages that compute nothing, for Word ("docx") and every other format
    ("default"); None for real data (those pages then print nothing)."""
    if not synthetic:
        return None
    return {"docx": banner_markdown(True, "docx", _REPORT_TEXT), "default": banner_markdown(True, None, _REPORT_TEXT)}
