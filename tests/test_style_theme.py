"""The figure theme: seaborn's ticks style and paper context, stored once per seaborn version."""

from __future__ import annotations

import json
from pathlib import Path

import seaborn

from analysis.report import style


def _fresh(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(style, "SEABORN_THEME_FILE", path)
    style.seaborn_theme.cache_clear()


def test_the_stored_theme_is_seaborns_own(tmp_path: Path, monkeypatch):
    _fresh(monkeypatch, tmp_path / "theme.json")
    expected = {**seaborn.axes_style("ticks"), **seaborn.plotting_context("paper")}
    assert style.seaborn_theme() == expected
    style.seaborn_theme.cache_clear()
    monkeypatch.setattr(style, "_seaborn_theme_now", lambda: ({"asked": "seaborn again"}, []))
    assert style.seaborn_theme() == expected  # read back from the file
    assert style.project_rc()["xtick.direction"] == expected["xtick.direction"]
    style.seaborn_theme.cache_clear()


def test_a_theme_stored_by_another_seaborn_or_unreadable_is_not_used(tmp_path: Path, monkeypatch):
    path = tmp_path / "theme.json"
    _fresh(monkeypatch, path)
    monkeypatch.setattr(style, "_seaborn_theme_now", lambda: ({"font.size": 1.0}, []))
    path.write_text(json.dumps({"seaborn": "0.0.1", "rc": {"font.size": 99.0}, "colormap": []}))
    assert style.seaborn_theme() == {"font.size": 1.0}
    style.seaborn_theme.cache_clear()
    path.write_text("{not json")
    assert style.seaborn_theme() == {"font.size": 1.0}
    style.seaborn_theme.cache_clear()
    assert json.loads(path.read_text())["seaborn"] == seaborn.__version__


def test_seaborns_image_colormap_is_registered_without_importing_seaborn(tmp_path: Path, monkeypatch):
    import subprocess
    import sys

    import matplotlib as mpl

    path = tmp_path / "theme.json"
    _fresh(monkeypatch, path)
    name = style.seaborn_theme()["image.cmap"]  # written here, read by a fresh process below
    style.seaborn_theme.cache_clear()
    code = ("import json, sys, matplotlib as mpl, pathlib; from analysis.report import style; "
            f"style.SEABORN_THEME_FILE = pathlib.Path({str(path)!r}); rc = style.seaborn_theme(); "
            "print(json.dumps(['seaborn' in sys.modules, rc['image.cmap'], "
            "mpl.colormaps[rc['image.cmap']].colors]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seaborn_imported, child_name, colours = json.loads(out.stdout)
    assert not seaborn_imported and child_name == name
    assert colours == [list(map(float, c)) for c in mpl.colormaps[name].colors]
