"""The Makefile's own logic, run with the real Makefile in a scratch checkout and a stand-in
Python (no pip, no network, no Quarto).

Where `make setup` puts the project's environment: outside the checkout, linked as .venv. Quarto
lists every file under the project folder twice per render (quarto-cli issue 6771) and does not
follow links; a virtual environment inside the checkout costs seconds of every render. And
`make section NAME=...` stops on a misspelt name before validating or rendering anything.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis.config import PROJECT_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")

# A stand-in for python3: `-m venv DIR` makes DIR/bin/python (itself); `-m analysis` commands
# are appended to calls.txt beside it, `section-path` knows one section and `quarto-path` finds
# none; every other call succeeds.
STAND_IN_PYTHON = textwrap.dedent(f"""\
    #!{sys.executable}
    import os, shutil, sys
    if sys.argv[1:3] == ["-m", "venv"]:
        target = sys.argv[3]
        os.makedirs(os.path.join(target, "bin"), exist_ok=True)
        shutil.copy(__file__, os.path.join(target, "bin", "python"))
    elif sys.argv[1:3] == ["-m", "analysis"]:
        with open("calls.txt", "a") as calls:
            calls.write(" ".join(sys.argv[3:]) + "\\n")
        if sys.argv[3] == "section-path":
            if sys.argv[4] != "subgroups":
                sys.exit(f"error: no section '{{sys.argv[4]}}'; sections are: subgroups")
            print("notebooks/03-subgroups.py")
        elif sys.argv[3] == "quarto-path":
            sys.exit(1)
    """)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "Makefile", root / "Makefile")
    (root / "pyproject.toml").write_text("[project]\nname = 'stand-in'\n", encoding="utf-8")
    python = tmp_path / "python3"
    python.write_text(STAND_IN_PYTHON, encoding="utf-8")
    python.chmod(0o755)
    return root


def run_make(checkout: Path, *goals: str, env_home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run make in the scratch checkout with the stand-in Python."""
    return subprocess.run(
        ["make", "--no-print-directory", *goals, f"PYTHON={checkout.parent / 'python3'}",
         f"ENV_HOME={env_home or checkout.parent / 'envs'}"],
        cwd=checkout, capture_output=True, text=True, timeout=60)


def make(checkout: Path, *goals: str, env_home: Path | None = None) -> str:
    """Run make, which must succeed; return what it printed."""
    done = run_make(checkout, *goals, env_home=env_home)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def analysis_calls(checkout: Path) -> list[str]:
    """The `python -m analysis` commands make ran (without the ones `setup` runs)."""
    calls = checkout / "calls.txt"
    lines = calls.read_text().splitlines() if calls.exists() else []
    return [line for line in lines if not line.startswith("quarto-path --retry")]


def test_setup_makes_the_environment_outside_the_checkout_and_links_it(checkout):
    printed = make(checkout, "setup")
    link = checkout / ".venv"
    assert link.is_symlink()
    target = link.resolve()
    assert target.parent == checkout.parent / "envs"
    assert target.name.startswith("checkout-") and target.name.removeprefix("checkout-").isdigit()
    assert not target.is_relative_to(checkout)
    assert (target / "bin" / "python").is_file() and (target / ".installed-stamp").is_file()
    assert f"setup: the environment in {target} (linked as .venv)" in printed
    assert "note:" not in printed

    again = make(checkout, "setup")
    assert "setup: the environment" not in again and "pip install" not in again


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_link_is_not_committed(checkout):
    """.gitignore must ignore `.venv` as a link too (`.venv/` matches only a folder)."""
    make(checkout, "setup")
    shutil.copy(PROJECT_ROOT / ".gitignore", checkout / ".gitignore")
    subprocess.run(["git", "init", "-q"], cwd=checkout, check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=checkout,
                            capture_output=True, text=True, check=True).stdout.split("\n")
    assert "?? Makefile" in status and not [line for line in status if ".venv" in line]


def test_setup_remakes_an_environment_whose_folder_was_removed(checkout):
    make(checkout, "setup")
    target = (checkout / ".venv").resolve()
    shutil.rmtree(target)  # e.g. a cleaned cache: .venv is left pointing nowhere
    printed = make(checkout, "setup")
    assert "setup: the environment in" in printed
    assert (checkout / ".venv").resolve() == target and (target / ".installed-stamp").is_file()


def test_an_unwritable_env_home_falls_back_to_a_folder_in_the_checkout(checkout, tmp_path):
    """A HOME that cannot be written (some CI runners) must not stop the set-up."""
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    printed = make(checkout, "setup", env_home=not_a_folder / "envs")
    assert "setup: cannot create" in printed and "goes into .venv inside the checkout" in printed
    inside = checkout / ".venv"
    assert inside.is_dir() and not inside.is_symlink() and (inside / ".installed-stamp").is_file()


def test_clean_env_removes_the_environment_and_its_link(checkout):
    make(checkout, "setup")
    target = (checkout / ".venv").resolve()
    make(checkout, "clean-env")
    assert not (checkout / ".venv").exists() and not (checkout / ".venv").is_symlink()
    assert not target.exists()


def test_clean_env_only_unlinks_a_folder_setup_did_not_make(checkout, tmp_path):
    own = tmp_path / "my-env"
    (own / "bin").mkdir(parents=True)
    (checkout / ".venv").symlink_to(own)
    make(checkout, "clean-env")
    assert not (checkout / ".venv").is_symlink() and own.is_dir()


def test_an_environment_folder_inside_the_checkout_is_kept_with_a_note(checkout):
    inside = checkout / ".venv"
    (inside / "bin").mkdir(parents=True)
    shutil.copy(checkout.parent / "python3", inside / "bin" / "python")
    printed = make(checkout, "setup")
    assert inside.is_dir() and not inside.is_symlink()
    assert "note: .venv is a folder inside the checkout" in printed
    assert "make clean-env && make setup" in printed


def test_a_misspelt_section_stops_before_validating_or_rendering(checkout):
    make(checkout, "setup")
    (checkout / "calls.txt").unlink(missing_ok=True)
    done = run_make(checkout, "section", "NAME=subgroup")
    assert done.returncode != 0
    assert "error: no section 'subgroup'; sections are: subgroups" in done.stderr
    assert analysis_calls(checkout) == ["section-path subgroup"]


def test_a_known_section_is_validated_then_executed(checkout):
    """Without Quarto (the stand-in finds none) the chapter is executed headless."""
    make(checkout, "setup")
    (checkout / "calls.txt").unlink(missing_ok=True)
    make(checkout, "section", "NAME=subgroups")
    assert analysis_calls(checkout) == [
        "section-path subgroups", "validate data/synthetic", "quarto-path",
        "sections subgroups --data-dir data/synthetic --out _build/sections"]
