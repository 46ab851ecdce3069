"""The freeze guard: Quarto's frozen results are cleared whenever the data in use change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analysis.book import freeze
from analysis.config import BUNDLED_DATA
from analysis.study.validation import load_study


@pytest.fixture
def project(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(freeze, "FREEZE_DIR", tmp_path / "_freeze")
    monkeypatch.setattr(freeze, "STAMP", tmp_path / "_build" / "freeze-data-fingerprint")
    return tmp_path


def test_frozen_results_survive_only_for_the_same_data(project: Path, data_copy: Path):
    synthetic = load_study(BUNDLED_DATA)
    assert "cleared" in freeze.guard_freeze(synthetic)
    frozen = project / "_freeze" / "notebooks" / "02-efficacy" / "execute-results"
    frozen.mkdir(parents=True)
    (frozen / "html.json").write_text("{}")
    assert "match" in freeze.guard_freeze(synthetic)
    assert frozen.exists()
    rows = (data_copy / "adverse_events.csv").read_text().splitlines()
    (data_copy / "adverse_events.csv").write_text("\n".join(rows[:-1]) + "\n")
    assert "cleared" in freeze.guard_freeze(load_study(data_copy))
    assert not (project / "_freeze").exists()


def test_a_change_of_setting_or_code_also_clears_frozen_results(project: Path, monkeypatch):
    synthetic = load_study(BUNDLED_DATA)
    freeze.guard_freeze(synthetic)
    (project / "_freeze").mkdir()
    monkeypatch.setenv("TKI_SMALL_CELL_THRESHOLD", "5")
    assert "cleared" in freeze.guard_freeze(synthetic)
    (project / "_freeze").mkdir()
    monkeypatch.setattr(freeze, "code_fingerprint", lambda: "edited")
    assert "cleared" in freeze.guard_freeze(synthetic)


def test_every_quarto_render_runs_the_guard_first(tmp_path):
    """A plain `quarto render` validates the data and guards _freeze/ through pre-render: a .py
    script, which Quarto runs with the Python it renders with, from the project folder."""
    import subprocess
    import sys

    import yaml

    from analysis.config import PROJECT_ROOT

    project = yaml.safe_load((PROJECT_ROOT / "_quarto.yml").read_text(encoding="utf-8"))["project"]
    script = PROJECT_ROOT / project["pre-render"]
    assert script.suffix == ".py" and script.exists()
    bad = tmp_path / "data"
    bad.mkdir()
    run = subprocess.run([sys.executable, str(script)], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "TKI_DATA_DIR": str(bad)})
    assert run.returncode == 2 and "patients.csv" in run.stderr  # freeze-guard's validation
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    # report and section run Quarto through `render`, which sets QUARTO_PYTHON to the venv's
    # Python, the one this step then runs with (tests/test_render.py)
    assert makefile.count('$(PY) -m analysis render --quarto "$$Q"') == 2


def test_pre_render_step_outside_the_project_environment_says_what_to_do_in_one_line(tmp_path):
    """A plain `quarto render` without the venv runs the step with a Python without the project's
    packages (here a new empty virtual environment): one line, no traceback."""
    import subprocess
    import sys
    import venv

    from analysis.config import PROJECT_ROOT

    venv.EnvBuilder(with_pip=False).create(tmp_path / "bare")
    python = tmp_path / "bare" / "bin" / "python"
    run = subprocess.run([str(python), "analysis/book/quarto/pre-render.py"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 3
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr
    assert "is not the project's Python" in lines[0] and str(python) in lines[0]
    assert "source .venv/bin/activate" in lines[0] and "make report" in lines[0]
