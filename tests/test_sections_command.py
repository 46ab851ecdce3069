"""The `sections` command: chapters run two at a time, each in its own kernel, reported in order."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

from analysis.__main__ import main
from analysis.config import DATA_DIR_VARIABLE


def test_sections_run_in_parallel_kernels_on_the_given_data_and_report_in_order(
        data_copy: Path, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv(DATA_DIR_VARIABLE, raising=False)
    meta = data_copy / "dataset.yml"  # "real" data: no synthetic banner, so the folder is seen
    meta.write_text(meta.read_text().replace("synthetic: true", "synthetic: false"))
    out = tmp_path / "sections"
    assert main(["sections", "safety", "cohort", "--data-dir", str(data_copy), "--out", str(out),
                 "--jobs", "2"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("executed")]
    assert [re.match(r"executed (\S+)", line)[1] for line in lines] == ["04-safety.py", "01-cohort.py"]
    for line in lines:
        assert re.search(r" in [0-9.]+ s: ", line)
    for stem in ("04-safety", "01-cohort"):
        notebook = nbformat.read(out / f"{stem}.ipynb", as_version=4)
        errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors and (out / f"{stem}.html").exists()
        assert "Synthetic data" not in nbformat.writes(notebook)
    assert DATA_DIR_VARIABLE not in os.environ  # given to the kernels, not set here


def test_a_data_problem_stops_the_command_before_any_chapter_runs(data_copy: Path, tmp_path: Path,
                                                                 monkeypatch, capsys):
    started = []
    monkeypatch.setattr("analysis.book.execute.execute_section",
                        lambda section, **_: started.append(section))
    patients = data_copy / "patients.csv"
    patients.write_text(patients.read_text(encoding="utf-8").replace(",", ";", 3), encoding="utf-8")
    code = main(["sections", "cohort", "--data-dir", str(data_copy), "--out", str(tmp_path / "out")])
    assert code != 0 and started == []
    assert "patients.csv" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_unknown_section_is_one_line_naming_the_sections_there_are(tmp_path: Path, capsys):
    """`make section NAME=…` and `sections …` with a misspelt name: exit 2, no traceback."""
    for command in (["section-path", "subgroup"], ["sections", "subgroup", "--out", str(tmp_path / "out")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.strip() == ("error: no section 'subgroup'; sections are: index, methods, cohort, "
                               "efficacy, subgroups, safety, reproducibility")
    assert not (tmp_path / "out").exists()


def test_naming_a_section_file_needs_neither_nbclient_nor_jupytext():
    """`make section` names the chapter's file before Quarto starts; that step stays light."""
    import json
    import subprocess
    import sys

    script = ("from analysis.book.section_files import find_section; find_section('subgroups')\n"
              "import json, sys; print(json.dumps(sorted(sys.modules)))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                                           text=True).stdout))
    assert not loaded & {"nbclient", "jupytext", "nbformat", "pandas"}
