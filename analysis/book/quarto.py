"""Finding Quarto for `make report` and `make section`: a Quarto >= 1.9 on the PATH or in the
project's virtual environment, else one time-limited attempt to pip-install `quarto-cli` there.

PyPI's `quarto-cli` downloads the Quarto binary while it installs, so it works only with internet
access. A failed attempt is remembered in the environment (`FAILED_MARK`) and not repeated on
every run; `make quarto` (or an explicit `make setup`) tries again. Older Quartos are reported
by version and not used: Typst books need 1.9.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

MINIMUM_VERSION = (1, 9)
REQUIREMENT = "quarto-cli>=1.9"
#: In the virtual environment: the one-line report of the last failed attempt, and pip's output.
FAILED_MARK = "quarto-install-failed.txt"
INSTALL_LOG = "quarto-install.log"
#: Downloading Quarto (about 130 MB) takes well under this on a working connection.
INSTALL_TIMEOUT_S = 300
RETRY_HINT = "`make quarto` tries again"



def _say(text: str, end: str = "\n") -> None:
    """Progress and problems go to stderr (stdout carries only the path, for the Makefile)."""
    print(text, end=end, file=sys.stderr, flush=True)


def parse_version(text: str) -> tuple[int, ...] | None:
    """`1.10.19` (the first line of `quarto --version`) -> (1, 10, 19); None if there is none."""
    match = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def quarto_version(executable: Path) -> str | None:
    """What `executable --version` prints (first line), or None when it does not run."""
    try:
        done = subprocess.run([str(executable), "--version"], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else None


def venv_quarto(venv: Path) -> Path:
    """Where `pip install quarto-cli` puts the `quarto` command in a virtual environment."""
    return venv / ("Scripts/quarto.exe" if os.name == "nt" else "bin/quarto")


def find_quarto(venv: Path, search_path: str | None = None, report: bool = True) -> Path | None:
    """The first Quarto >= 1.9 on `search_path` (default: PATH), then in `venv`; each older or
    broken one found on the way is reported in one line and skipped."""
    candidates: list[Path] = []
    on_path = shutil.which("quarto", path=search_path)
    for found in (Path(on_path) if on_path else None, venv_quarto(venv)):
        if found and found.is_file() and found.resolve() not in {c.resolve() for c in candidates}:
            candidates.append(found)
    for candidate in candidates:
        reported = quarto_version(candidate)
        version = parse_version(reported or "")
        if version is not None and version >= MINIMUM_VERSION:
            return candidate
        if report:
            _say(f"Quarto at {candidate} did not report its version: not used." if version is None else
                 f"Quarto {reported} at {candidate} is older than 1.9 (Typst books need 1.9): not used.")
    return None


def pip_installer() -> list[str]:
    """The install command: this Python's pip, quiet, no prompts, short network retries."""
    return [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-input", "--retries", "1", "--timeout", "30", REQUIREMENT]


def failure_reason(output: str) -> str:
    """The most telling line of a failed install's output, for a one-line report."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    telling = re.compile(r"error downloading|urlopen error|name resolution|timed out|"
                         r"no matching distribution|could not|connection", re.I)
    for pattern in (telling, re.compile(r"^error\b", re.I)):
        hits = [line for line in lines if pattern.search(line)]
        if hits:
            return hits[0][:160]
    return lines[-1][:160] if lines else "no output"


def _stop(process: subprocess.Popen) -> None:
    """Stop the installer and whatever it started (pip builds in child processes)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()


def install_quarto(venv: Path, installer: Sequence[str], timeout: float) -> str | None:
    """Run `installer` once, within `timeout` seconds, output to the install log in `venv`.
    Returns None when it worked and gave a usable Quarto in `venv`, else the reason it did not."""
    log = venv / INSTALL_LOG
    try:
        with log.open("w", encoding="utf-8") as out:
            process = subprocess.Popen(list(installer), stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop(process)
                return f"stopped at the time limit of {timeout:g} s"
    except OSError as err:
        return f"could not run the installer: {err}"
    if code != 0:
        return failure_reason(log.read_text(encoding="utf-8", errors="replace"))
    if find_quarto(venv, search_path="", report=False) is None:
        return f"installed, but {venv_quarto(venv)} is not a working Quarto >= 1.9"
    return None


def _shown(path: Path) -> str:
    """`path` relative to the working directory when it is inside it (shorter messages); the
    link's path when it is reached through one (.venv links to a folder outside the checkout)."""
    cwd = Path.cwd().resolve()
    for candidate in (path.absolute(), path.resolve()):
        if candidate.is_relative_to(cwd):
            return str(candidate.relative_to(cwd))
    return str(path)


def usable_quarto(venv: Path, *, installer: Sequence[str] | None = None, retry: bool = False,
                  timeout: float = INSTALL_TIMEOUT_S, search_path: str | None = None) -> Path | None:
    """A Quarto >= 1.9 to render with, installing it into `venv` once if there is none; None
    (after one line on stderr saying why) when there is none. `retry` ignores a failed attempt."""
    found = find_quarto(venv, search_path)
    if found:
        return found
    mark = venv / FAILED_MARK
    if mark.is_file() and not retry:
        _say(f"{mark.read_text(encoding='utf-8').strip()}; not retried ({RETRY_HINT}).")
        return None
    _say(f"Quarto >= 1.9 not found: installing {REQUIREMENT} into {_shown(venv)} "
         f"(time limit {timeout:g} s) ... ", end="")
    start = time.monotonic()
    reason = install_quarto(venv, installer or pip_installer(), timeout)
    seconds = time.monotonic() - start
    if reason is None:
        mark.unlink(missing_ok=True)
        found = venv_quarto(venv)
        _say(f"done in {seconds:.0f} s: Quarto {quarto_version(found)}.")
        return found
    try:
        mark.write_text(f"Quarto could not be installed on {time.strftime('%Y-%m-%d')}: {reason} "
                        f"(log: {_shown(venv / INSTALL_LOG)})\n", encoding="utf-8")
    except OSError:
        pass  # a read-only environment: the next run tries again
    _say(f"failed after {seconds:.0f} s: {reason} (log: {_shown(venv / INSTALL_LOG)}; {RETRY_HINT}).")
    return None


def current_venv() -> Path | None:
    """The virtual environment this Python runs in (the project's .venv), or None outside one
    (a conda environment installs Quarto with conda: see environment.yml)."""
    return Path(sys.prefix) if sys.prefix != sys.base_prefix else None
