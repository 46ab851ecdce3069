"""Finding or installing Quarto for `make report` / `make section` (analysis.book.quarto).

Driven by stand-ins only: a `quarto` script that prints a version, and installers that fail,
succeed or hang. No test touches the network (the real pip installer is disabled below).
"""

from __future__ import annotations

import re
import stat
import sys
import textwrap
import time
from pathlib import Path

import pytest

from analysis.__main__ import main
from analysis.book import quarto
from analysis.config import PROJECT_ROOT

REAL_PIP_INSTALLER = quarto.pip_installer

# What pip printed on a machine without access to Quarto's releases (December 2026, shortened).
PIP_FAILURE = """\
  error: subprocess-exited-with-error

  × Building wheel for quarto-cli (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [102 lines of output]
      Downloading and installing quarto-cli binaries...
      Downloading https://github.com/quarto-dev/quarto-cli/releases/download/v1.10.19/quarto-1.10.19-linux-amd64.tar.gz
      Error downloading Quarto: <urlopen error [Errno -3] Temporary failure in name resolution>
      Traceback (most recent call last):
      ValueError: nothing to open
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for quarto-cli
ERROR: Could not build wheels for quarto-cli, which is required to install pyproject.toml-based projects
"""


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """The real installer downloads Quarto: any test that reaches it fails instead."""
    def refuse() -> list[str]:
        raise AssertionError("a test tried to run the real pip installer")
    monkeypatch.setattr(quarto, "pip_installer", refuse)


def stand_in_quarto(folder: Path, version: str) -> Path:
    """An executable `quarto` that answers `--version` like Quarto does."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "quarto"
    script.write_text(f"#!/bin/sh\necho {version}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def stand_in_installer(tmp_path: Path, body: str) -> list[str]:
    """A Python one-off as the installer; each run appends a line to `runs.txt`."""
    code = textwrap.dedent(f"""
        import pathlib, sys
        with open({str(tmp_path / 'runs.txt')!r}, 'a') as runs:
            runs.write('run\\n')
    """) + textwrap.dedent(body)
    return [sys.executable, "-c", code]


def runs(tmp_path: Path) -> int:
    log = tmp_path / "runs.txt"
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    return tmp_path / "venv"


@pytest.fixture
def failing(tmp_path: Path) -> list[str]:
    return stand_in_installer(tmp_path, f"sys.stdout.write({PIP_FAILURE!r}); sys.exit(1)")


@pytest.fixture
def succeeding(tmp_path: Path, venv: Path) -> list[str]:
    return stand_in_installer(tmp_path, f"""
        q = pathlib.Path({str(venv / 'bin' / 'quarto')!r})
        q.write_text('#!/bin/sh\\necho 1.10.19\\n'); q.chmod(0o755)
    """)


def stderr_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_versions_are_read_from_quartos_output():
    assert quarto.parse_version("1.10.19\n") == (1, 10, 19)
    assert quarto.parse_version("1.9") == (1, 9)
    assert quarto.parse_version("99.9.9") == (99, 9, 9)
    assert quarto.parse_version("quarto: command not found") is None
    assert (1, 8, 27) < quarto.MINIMUM_VERSION <= (1, 9, 18) < (1, 10, 19)


def test_a_new_enough_quarto_on_the_path_is_used_without_installing(tmp_path, venv, failing, capsys):
    on_path = stand_in_quarto(tmp_path / "path", "1.11.2")
    assert quarto.usable_quarto(venv, installer=failing, search_path=str(on_path.parent)) == on_path
    assert runs(tmp_path) == 0
    assert stderr_lines(capsys) == []


def test_quarto_installed_in_the_venv_is_found(tmp_path, venv, failing):
    in_venv = stand_in_quarto(venv / "bin", "1.9.38")
    assert quarto.usable_quarto(venv, installer=failing, search_path="") == in_venv
    assert runs(tmp_path) == 0


def test_an_older_quarto_is_reported_by_version_and_not_used(tmp_path, venv, failing, capsys):
    old = stand_in_quarto(tmp_path / "path", "1.8.27")
    assert quarto.usable_quarto(venv, installer=failing, search_path=str(old.parent)) is None
    lines = stderr_lines(capsys)
    assert lines[0] == f"Quarto 1.8.27 at {old} is older than 1.9 (Typst books need 1.9): not used."
    assert runs(tmp_path) == 1  # an old Quarto does not count: the install is tried


def test_an_older_quarto_gives_way_to_a_new_one_in_the_venv(tmp_path, venv, failing):
    stand_in_quarto(tmp_path / "path", "1.4.550")
    in_venv = stand_in_quarto(venv / "bin", "1.10.19")
    assert quarto.usable_quarto(venv, installer=failing, search_path=str(tmp_path / "path")) == in_venv


def test_a_failed_install_is_reported_in_one_line_and_not_repeated(tmp_path, venv, failing, capsys):
    assert quarto.usable_quarto(venv, installer=failing, search_path="") is None
    first = stderr_lines(capsys)
    assert len(first) == 1
    assert re.fullmatch(r"Quarto >= 1\.9 not found: installing quarto-cli>=1\.9 into \S+ "
                        r"\(time limit 300 s\) \.\.\. failed after \d+ s: Error downloading Quarto: "
                        r"<urlopen error \[Errno -3\] Temporary failure in name resolution> "
                        r"\(log: \S+quarto-install\.log; `make quarto` tries again\)\.", first[0])
    assert "name resolution" in (venv / quarto.INSTALL_LOG).read_text()
    assert (venv / quarto.FAILED_MARK).is_file()

    assert quarto.usable_quarto(venv, installer=failing, search_path="") is None
    second = stderr_lines(capsys)
    assert runs(tmp_path) == 1
    assert len(second) == 1
    assert second[0].startswith("Quarto could not be installed on ")
    assert "name resolution" in second[0] and second[0].endswith("not retried (`make quarto` tries again).")


def test_an_environment_linked_as_dot_venv_is_named_by_its_link(tmp_path, failing, monkeypatch, capsys):
    """`make setup` keeps the environment outside the checkout, linked as .venv: messages name the
    link the reader knows, not the cache folder behind it."""
    outside = tmp_path / "cache" / "checkout-123"
    (outside / "bin").mkdir(parents=True)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".venv").symlink_to(outside)
    monkeypatch.chdir(checkout)
    assert quarto.usable_quarto(Path(".venv").absolute(), installer=failing, search_path="") is None
    message = stderr_lines(capsys)[0]
    assert "into .venv " in message and "(log: .venv/quarto-install.log;" in message
    assert str(outside) not in message


def test_retry_ignores_the_failed_attempt_and_success_clears_it(tmp_path, venv, failing, succeeding, capsys):
    assert quarto.usable_quarto(venv, installer=failing, search_path="") is None
    assert quarto.usable_quarto(venv, installer=succeeding, search_path="") is None  # remembered
    assert runs(tmp_path) == 1
    found = quarto.usable_quarto(venv, installer=succeeding, search_path="", retry=True)
    assert found == venv / "bin" / "quarto"
    assert runs(tmp_path) == 2
    assert not (venv / quarto.FAILED_MARK).exists()
    assert stderr_lines(capsys)[-1].endswith("Quarto 1.10.19.")


def test_an_install_that_gives_no_working_quarto_counts_as_failed(tmp_path, venv, capsys):
    installs_nothing = stand_in_installer(tmp_path, "sys.exit(0)")
    assert quarto.usable_quarto(venv, installer=installs_nothing, search_path="") is None
    assert "is not a working Quarto >= 1.9" in stderr_lines(capsys)[0]
    assert (venv / quarto.FAILED_MARK).is_file()


def test_an_install_past_the_time_limit_is_stopped_with_its_children(tmp_path, venv, capsys):
    pid_file = tmp_path / "child.pid"
    hanging = stand_in_installer(tmp_path, f"""
        import subprocess, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))
        time.sleep(120)
    """)
    assert quarto.usable_quarto(venv, installer=hanging, search_path="", timeout=3) is None
    assert "stopped at the time limit of 3 s" in stderr_lines(capsys)[0]
    assert (venv / quarto.FAILED_MARK).is_file()
    child = int(pid_file.read_text())
    stat_file = Path(f"/proc/{child}/stat")

    def gone() -> bool:  # exited, or killed and waiting to be reaped (zombie)
        try:
            return stat_file.read_text().split(")")[-1].split()[0] == "Z"
        except FileNotFoundError:
            return True

    deadline = time.monotonic() + 5  # SIGKILL is delivered asynchronously; allow a loaded machine
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(), "the installer's child process outlived the time limit"


def test_failure_reason_falls_back_to_the_last_error_line():
    assert quarto.failure_reason("Collecting x\nERROR: No matching distribution found for quarto-cli>=1.9\n") \
        == "ERROR: No matching distribution found for quarto-cli>=1.9"
    assert quarto.failure_reason("something\nerror: build failed\nbye\n") == "error: build failed"
    assert quarto.failure_reason("") == "no output"


def test_quarto_path_command_prints_the_path_or_exits_1(tmp_path, venv, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(quarto, "pip_installer",
                        lambda: stand_in_installer(tmp_path, "print('no network'); sys.exit(1)"))
    assert main(["quarto-path", "--venv", str(venv), "--timeout", "60"]) == 1
    out = capsys.readouterr()
    assert out.out == "" and "failed after" in out.err and "no network" in out.err
    assert main(["quarto-path", "--venv", str(venv)]) == 1
    assert runs(tmp_path) == 1

    in_venv = stand_in_quarto(venv / "bin", "1.10.19")
    assert main(["quarto-path", "--venv", str(venv)]) == 0
    assert capsys.readouterr().out.strip() == str(in_venv)


def _recipe(makefile: str, target: str) -> str:
    return re.search(rf"^{target}:.*?\n((?:\t.*\n|#.*\n)*)", makefile, re.M).group(1)


def test_makefile_renders_with_the_quarto_found_and_tests_never_install():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    for target in ("report", "section"):
        recipe = _recipe(makefile, target)
        assert 'Q="$$($(PY) -m analysis quarto-path)"' in recipe, target
        # Quarto runs under `render`, with the project's Python and data (tests/test_render.py).
        assert '-m analysis render --quarto "$$Q" --data-dir $(DATA)' in recipe, target
        assert "command -v quarto" not in recipe, target
    assert "quarto-missing" in _recipe(makefile, "report")
    assert "quarto-path --retry" in _recipe(makefile, "quarto")
    assert "quarto" not in _recipe(makefile, "test")
    assert re.search(r"^test: setup$", makefile, re.M)  # `make test` does not name setup as a goal
    assert "$(filter setup,$(MAKECMDGOALS))" in _recipe(makefile, "setup")


def test_the_real_installer_is_this_pythons_pip_asking_for_1_9():
    command = REAL_PIP_INSTALLER()  # only built here, never run
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[-1] == "quarto-cli>=1.9" and "--quiet" in command


def test_an_installer_that_cannot_start_is_a_failure_not_a_crash(tmp_path, venv, capsys):
    missing = [str(tmp_path / "no-such-installer")]
    assert quarto.usable_quarto(venv, installer=missing, search_path="") is None
    assert "could not run the installer" in stderr_lines(capsys)[0]
