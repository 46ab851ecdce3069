"""seaborn's figure theme as stored under _build/, once per seaborn version.

Reading it needs neither seaborn nor matplotlib, so the `sections` command can tell whether the
theme is stored without importing them (analysis.report.style.seaborn_theme computes and stores it).
"""

from __future__ import annotations

import json
from pathlib import Path

from analysis.config import write_json_atomically


def stored_theme(path: Path, version: str) -> dict | None:
    """The stored theme ({'rc': rcParams, 'colormap': colours}) if stored for seaborn `version`."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored["seaborn"] == version and isinstance(stored["rc"], dict):
            return {"rc": stored["rc"], "colormap": stored["colormap"]}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def store_theme(path: Path, version: str, rc: dict, colours: list) -> None:
    """Write the theme atomically (temporary file, then rename)."""
    write_json_atomically(path, {"seaborn": version, "rc": rc, "colormap": colours})
