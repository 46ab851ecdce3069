"""`python -m analysis render`: `quarto render` with the project's Python and data folder, and
Quarto's own kernels (no kernelspec of ours, Jupyter's search path as the user has it)."""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
from pathlib import Path

from analysis.__main__ import main
from analysis.book import render
from analysis.config import PROJECT_ROOT


def _fake_quarto(folder: Path, body: str = "") -> Path:
    """A `quarto` that prints its version, or records its arguments, folder and environment in
    `call.json` next to it and then runs `body` (e.g. `exit 3`)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "quarto"
    record = (f"import json, os, sys; json.dump({{'argv': sys.argv[1:], 'cwd': os.getcwd(), "
              f"'env': dict(os.environ)}}, open({str(folder / 'call.json')!r}, 'w'))")
    script.write_text(
        "#!/bin/bash\n"
        'if [ "$1" = "--version" ]; then echo 1.11.3; exit 0; fi\n'
        f'{sys.executable} -c "{record}" "$@"\n'
        f"{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_the_render_environment_names_the_data_python_and_quarto_version(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    env = render.render_environment(tmp_path / "data", _fake_quarto(tmp_path / "bin"))
    assert env["TKI_DATA_DIR"] == str((tmp_path / "data").resolve())
    assert env["QUARTO_PYTHON"] == sys.executable and env["QUARTO_VERSION"] == "1.11.3"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)  # as an activated environment
    assert env["JUPYTER_PATH"] == "/elsewhere"  # Quarto finds the kernels the user has
    assert "TKI_DATA_DIR" not in os.environ or os.environ["TKI_DATA_DIR"] != env["TKI_DATA_DIR"]


def test_render_runs_quarto_render_from_the_project_with_that_environment(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    quarto = _fake_quarto(tmp_path / "bin")
    data = PROJECT_ROOT / "data" / "synthetic"
    assert main(["render", "--quarto", str(quarto), "--data-dir", str(data),
                 "notebooks/03-subgroups.py", "--", "--to", "html"]) == 0
    call = json.loads((tmp_path / "bin" / "call.json").read_text(encoding="utf-8"))
    assert call["argv"] == ["render", "notebooks/03-subgroups.py", "--to", "html"]
    assert Path(call["cwd"]) == PROJECT_ROOT
    assert call["env"]["TKI_DATA_DIR"] == str(data.resolve())
    assert call["env"]["QUARTO_PYTHON"] == sys.executable
    assert "JUPYTER_PATH" not in call["env"]


def test_render_returns_quartos_exit_code(tmp_path: Path):
    quarto = _fake_quarto(tmp_path / "bin", "exit 3")
    assert main(["render", "--quarto", str(quarto), "notebooks/references.qmd"]) == 3


def test_a_quarto_stopped_by_a_signal_gives_128_plus_its_number(tmp_path: Path):
    quarto = _fake_quarto(tmp_path / "bin", "kill -TERM $$")
    assert main(["render", "--quarto", str(quarto)]) == 128 + signal.SIGTERM


def test_render_says_when_quarto_cannot_be_run(tmp_path: Path, capfd):
    assert main(["render", "--quarto", str(tmp_path / "no-quarto")]) == 127
    assert f"cannot run Quarto at {tmp_path / 'no-quarto'}" in capfd.readouterr().err
