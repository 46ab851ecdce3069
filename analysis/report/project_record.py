"""Who and what made this document: the checkout's version, repository and commit (git), and
the original study's credit and authors as `_quarto.yml` lists them.

Standard library and PyYAML only, so that Quarto's pre-render step (the title page) reads them
without importing the statistics and figure libraries.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping

import yaml

from analysis.config import PROJECT_ROOT

UNKNOWN_COMMIT = "unknown"


# ------------------------------------------------------------------------------------- git
def git_version(root: str | Path = PROJECT_ROOT) -> str:
    """`git describe --tags --always --dirty`: the report's version ("unknown" outside git)."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        described = subprocess.run([git, "--no-optional-locks", "-C", str(root), "describe", "--tags",
                                    "--always", "--dirty"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return described.stdout.strip() if described.returncode == 0 and described.stdout.strip() else "unknown"


def git_repository(root: str | Path = PROJECT_ROOT) -> str | None:
    """The address of the checkout's `origin` remote, any user name or password removed; None
    without git, outside a checkout or without an `origin`."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        remote = subprocess.run([git, "-C", str(root), "remote", "get-url", "origin"],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    address = remote.stdout.strip()
    if remote.returncode != 0 or not address:
        return None
    return re.sub(r"^(\w+://)[^/@]*@", r"\1", address)


def git_commit(root: str | Path = PROJECT_ROOT) -> str:
    """The checked-out commit (`git rev-parse HEAD`), noting uncommitted changes; "unknown"
    outside a git checkout or without git. Read-only: no index refresh (--no-optional-locks)."""
    git = shutil.which("git")
    if git is None:
        return UNKNOWN_COMMIT
    try:
        head = subprocess.run([git, "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=30)
        if head.returncode != 0 or not head.stdout.strip():
            return UNKNOWN_COMMIT
        commit = head.stdout.strip()
        status = subprocess.run([git, "--no-optional-locks", "-C", str(root), "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN_COMMIT
    return f"{commit} (with uncommitted changes)" if status.stdout.strip() else commit


# --------------------------------------------------------------------------------- authors
def book_authors(config: str | Path = PROJECT_ROOT / "_quarto.yml") -> list[dict]:
    """The original study's authors with their affiliations, as `_quarto.yml` lists them
    (`original-study: authors:`; they are credited as the study's authors, not this report's)."""
    study = yaml.safe_load(Path(config).read_text(encoding="utf-8"))["original-study"]
    return [a if isinstance(a, dict) else {"name": a} for a in study.get("authors", [])]


def _initials(name: str) -> str:
    """'Chunxiao Sun' -> 'Sun C' (Vancouver: surname, then initials without stops)."""
    parts = name.split()
    return f"{parts[-1]} {''.join(p[0] for p in parts[:-1])}" if len(parts) > 1 else name


def study_credit(config: str | Path = PROJECT_ROOT / "_quarto.yml") -> str:
    """'Sun C, Hua Y, Jin N, et al.': the original study's first three authors (Vancouver)."""
    names = [a["name"] if isinstance(a["name"], str) else a["name"].get("literal", "")
             for a in book_authors(config)]
    shown = ", ".join(_initials(n) for n in names[:3])
    return shown + (", *et al.*" if len(names) > 3 else "")


def _affiliation_text(affiliation: Mapping[str, Any] | str) -> str:
    if isinstance(affiliation, str):
        return affiliation
    parts = [affiliation.get(k) for k in ("department", "name", "city", "country")]
    return ", ".join(str(p) for p in parts if p)


def authors_markdown(config: str | Path = PROJECT_ROOT / "_quarto.yml") -> str:
    """The author list with numbered affiliations (Markdown), from `_quarto.yml`: the one source
    of the names, so the title page and this list cannot disagree."""
    numbers: dict[str, int] = {}
    names = []
    for author in book_authors(config):
        marks = []
        for affiliation in author.get("affiliations", []) or []:
            text = _affiliation_text(affiliation)
            marks.append(str(numbers.setdefault(text, len(numbers) + 1)))
        name = author["name"] if isinstance(author["name"], str) else author["name"].get("literal", "")
        names.append(name + (f"^{','.join(marks)}^" if marks else ""))
    lines = [", ".join(names), ""]
    lines += [f"^{number}^ {text}\\" for text, number in numbers.items()]
    if numbers:
        lines[-1] = lines[-1].rstrip("\\")
    return "\n".join(lines) + "\n"
