"""The synthetic-data banner at the top of every page of the book (nothing for real data).

A callout in HTML and PDF; in Word a paragraph in its own style ("Synthetic data notice"), since
Quarto's Word callout writes paragraphs with two property blocks. A page that computes prints it
from its first cell (`ReportContext.banner`), for the format being rendered. A page that computes
nothing (references, STROBE checklist) includes the file the pre-render step writes
(`{{< include >}}`, quarto.org/docs/authoring/includes.html) with one banner per format
(conditional content), so that Quarto starts no Python kernel for it.
"""

from __future__ import annotations

from pathlib import Path

from analysis.config import PROJECT_ROOT
from analysis.study.study_data import SYNTHETIC_NOTE

#: The banner of the pages that compute nothing, written before every render.
PAGE_BANNER_FILE = PROJECT_ROOT / "_build" / "page-banner.md"

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


def page_banner_include(synthetic: bool) -> str:
    """The include file of the pages that compute nothing: the Word banner for Word, the callout
    for every other format; for real data a comment only (the pages print nothing)."""
    if not synthetic:
        return "<!-- real data: no synthetic-data banner -->\n"
    return ("::: {.content-visible when-format=\"docx\"}\n" + banner_markdown(True, "docx", _REPORT_TEXT) + ":::\n\n"
            "::: {.content-visible unless-format=\"docx\"}\n" + banner_markdown(True, None, _REPORT_TEXT) + ":::\n")


def write_page_banner(synthetic: bool, path: Path | None = None) -> Path:
    """Write the include file (UTF-8; default `PAGE_BANNER_FILE`) before a render."""
    path = PAGE_BANNER_FILE if path is None else path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page_banner_include(synthetic), encoding="utf-8")
    return path
