"""What the title page of every format says: what this document is, its version, its data.

The project's pre-render step writes `_build/book-metadata.json`; the Lua filter
analysis/book/quarto/title-page.lua sets it as the book's subtitle in HTML, PDF and Word.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from analysis.config import PROJECT_ROOT
from analysis.report.banner import page_banner_markdown
from analysis.report.project_record import git_repository, git_version, study_credit
from analysis.study.study_data import SYNTHETIC_NOTE, StudyData

METADATA_FILE = PROJECT_ROOT / "_build" / "book-metadata.json"


def data_status(study: StudyData) -> str:
    """'Synthetic data: …' or 'Study data: <title of the extract>, cut-off <date>'."""
    if study.synthetic:
        return SYNTHETIC_NOTE
    title = str(study.metadata.get("title", "")).strip() or study.directory.name
    return f"Study data: {title}, data cut-off {study.data_cutoff:%d %B %Y}".replace(" 0", " ")


def _markdown_address(address: str) -> str:
    """A web address as a Markdown link (`<https://…>`); anything else (a local path, an SSH
    address `git@host:team/repo`) as code, which every format prints as written (an autolink
    needs a scheme: the rendered title page showed "Repository:" with nothing after it)."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", address):
        return f"<{address}>"
    return "`" + address.replace("`", "") + "`"


def book_metadata(study: StudyData, version: str | None = None) -> dict:
    """The title page's subtitle lines: the credit to the original study, version and data, and
    the project's repository when the checkout names one (the author line says who made this);
    and the synthetic-data banner of the pages that compute nothing (analysis.report.banner)."""
    lines = [f"A reproducible re-analysis of {study_credit()} (the original study)",
             f"Version {version or git_version()}. {data_status(study)}"]
    repository = git_repository()
    if repository:
        lines.append(f"Repository: {_markdown_address(repository)}")
    return {"subtitle_lines": lines, "page_banner": page_banner_markdown(study.synthetic)}


def book_title_and_author(config: Path = PROJECT_ROOT / "_quarto.yml") -> tuple[str, str]:
    """The book's title and author (who this document is by) as `_quarto.yml` gives them."""
    import yaml

    book = yaml.safe_load(config.read_text(encoding="utf-8"))["book"]
    return str(book["title"]), str(book["author"])


def write_book_metadata(study: StudyData, path: Path | None = None) -> Path:
    """Write the title page's metadata for the Lua filter (UTF-8 JSON; default `METADATA_FILE`)."""
    path = METADATA_FILE if path is None else path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(book_metadata(study), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
