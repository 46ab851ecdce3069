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
def _git(root: str | Path, *args: str, timeout: float = 30) -> str | None:
    """What a read-only git command prints in `root` (stripped; no index refresh), or None
    without git, outside a checkout or when it fails."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "--no-optional-locks", "-C", str(root), *args],
                              capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_version(root: str | Path = PROJECT_ROOT) -> str:
    """`git describe --tags --always --dirty`: the report's version ("unknown" outside git)."""
    return _git(root, "describe", "--tags", "--always", "--dirty") or "unknown"


def git_repository(root: str | Path = PROJECT_ROOT) -> str | None:
    """The address of the checkout's `origin` remote, any user name or password removed; None
    without git, outside a checkout or without an `origin`."""
    address = _git(root, "remote", "get-url", "origin")
    return re.sub(r"^(\w+://)[^/@]*@", r"\1", address) if address else None


def git_commit(root: str | Path = PROJECT_ROOT) -> str:
    """The checked-out commit (`git rev-parse HEAD`), noting uncommitted changes; "unknown"
    outside a git checkout or without git."""
    commit = _git(root, "rev-parse", "HEAD")
    if not commit:
        return UNKNOWN_COMMIT
    changed = _git(root, "status", "--porcelain", "--untracked-files=no", timeout=60)
    return f"{commit} (with uncommitted changes)" if changed else commit


# --------------------------------------------------------------------------------- authors
def book_authors(config: str | Path = PROJECT_ROOT / "_quarto.yml") -> list[dict]:
    """The original study's authors with their affiliations, as `_quarto.yml` lists them
    (`original-study: authors:`; they are credited as the study's authors, not this report's)."""
    study = yaml.safe_load(Path(config).read_text(encoding="utf-8"))["original-study"]
    return [a if isinstance(a, dict) else {"name": a} for a in study.get("authors", [])]


def _author_name(author: Mapping[str, Any]) -> str:
    """An author's name as written (Quarto's author schema allows `name: {literal: ...}`)."""
    name = author["name"]
    return name if isinstance(name, str) else name.get("literal", "")


def _initials(name: str) -> str:
    """'Chunxiao Sun' -> 'Sun C' (Vancouver: surname, then initials without stops)."""
    parts = name.split()
    return f"{parts[-1]} {''.join(p[0] for p in parts[:-1])}" if len(parts) > 1 else name


def study_credit(config: str | Path = PROJECT_ROOT / "_quarto.yml") -> str:
    """'Sun C, Hua Y, Jin N, et al.': the original study's first three authors (Vancouver)."""
    names = [_author_name(a) for a in book_authors(config)]
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
        names.append(_author_name(author) + (f"^{','.join(marks)}^" if marks else ""))
    lines = [", ".join(names), ""]
    lines += [f"^{number}^ {text}\\" for text, number in numbers.items()]
    if numbers:
        lines[-1] = lines[-1].rstrip("\\")
    return "\n".join(lines) + "\n"
