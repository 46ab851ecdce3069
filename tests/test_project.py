"""Project plumbing: dependency lists agree, the README's commands are the ones CI runs,
and the published data dictionary is the one the code enforces."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

from analysis.study.dictionary import dictionary_markdown

ROOT = Path(__file__).resolve().parents[1]
CONDA_ONLY = {"python", "pip", "quarto"}  # not Python packages of the project itself


def _requirement(spec: str) -> tuple[str, str]:
    name, bound = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(>=\s*[0-9.]+)?", spec.strip()).groups()
    return name.lower().replace("_", "-"), (bound or "").replace(" ", "")


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start.*?```(?:sh|bash)?\n(.*?)```", text, re.S)
    assert block, "README needs a '## Quick start' section with a shell block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_side = dict(_requirement(s) for s in project["dependencies"]
                    + project["optional-dependencies"]["test"])
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = [s for d in conda["dependencies"] if isinstance(d, dict) for s in d.get("pip", [])]
    conda_side = dict(_requirement(s) for s in conda["dependencies"] + pip_section if isinstance(s, str))
    assert {k: v for k, v in conda_side.items() if k not in CONDA_ONLY} == pip_side
    assert conda_side["quarto"] == ">=1.9"


def test_readme_names_two_commands_and_ci_runs_the_test_one():
    commands = _readme_commands()
    assert commands == ["make report", "make test"]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert ci[-1] == "make test"


def test_makefile_defines_the_readme_targets():
    makefile = (ROOT / "Makefile").read_text()
    for command in _readme_commands():
        target = command.split()[1]
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_data_dictionary_is_generated_from_the_schema():
    published = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert published == dictionary_markdown(), "run `make dictionary` and commit data/README.md"


def test_every_derived_column_is_documented():
    """The dictionary's derived-variables table lists exactly the analysis dataset's columns."""
    from analysis.study.derive import analysis_dataset
    from analysis.study.dictionary import DERIVED_COLUMNS
    from analysis.study.validation import load_study

    data = analysis_dataset(load_study(ROOT / "data" / "synthetic").patients)
    assert list(DERIVED_COLUMNS) == list(data.columns)
    assert all(text.strip() for text in DERIVED_COLUMNS.values())
    dictionary = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert all(f"| `{column}` |" in dictionary for column in data.columns)
