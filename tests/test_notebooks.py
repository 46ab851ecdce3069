"""Section notebooks: paired forms in sync, each executes headless on its own, inline
expressions evaluate where they stand, and every labelled table and figure is shown."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest
import yaml
from nbclient.exceptions import CellExecutionError

from analysis.book.execute import INLINE, execute_section
from analysis.book.section_files import find_section, sections
from analysis.report.context import SYNTHETIC_NOTE
from analysis.report.sections import all_artifacts

SECTION_NAMES = ["cohort", "efficacy", "subgroups", "safety"]
DIV = re.compile(r"^::: \{#((?:fig|tbl)-[a-z0-9-]+)\}", re.M)


def _markdown(notebook) -> str:
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def test_sections_are_the_four_of_the_study_in_reading_order():
    assert [s.name for s in sections()] == SECTION_NAMES
    assert [s.script.name[:2] for s in sections()] == ["01", "02", "03", "04"]


@pytest.mark.parametrize("name", SECTION_NAMES)
def test_paired_notebook_is_in_sync_with_its_script(name):
    section = find_section(name)
    assert section.notebook.exists(), f"{section.notebook.name} missing: run `make pair`"
    script, paired = jupytext.read(section.script), jupytext.read(section.notebook)
    assert [(c.cell_type, c.source) for c in script.cells] == \
        [(c.cell_type, c.source) for c in paired.cells], f"run `make pair` to sync {name}"
    assert paired.metadata.get("kernelspec", {}).get("name") == "python3"
    assert all(not c.get("outputs") for c in paired.cells if c.cell_type == "code"), \
        "commit the paired notebook without outputs"


@pytest.mark.parametrize("name", SECTION_NAMES)
def test_section_starts_with_yaml_header_and_labelled_heading(name):
    first = jupytext.read(find_section(name).script).cells[0]
    assert first.cell_type == "markdown"
    header = re.match(r"---\n(.*?)\n---\n", first.source, re.S)
    assert header and yaml.safe_load(header.group(1)) == {"jupyter": "python3"}
    assert re.search(rf"^# .+ \{{#sec-{name}\}}$", first.source, re.M)


@pytest.mark.parametrize("name", SECTION_NAMES)
def test_section_executes_headless_with_inline_values_filled(name, executed):
    notebook = executed(name)
    text = _markdown(notebook)
    assert not INLINE.search(text), "an inline expression was left unevaluated"
    labels = DIV.findall(text)
    assert labels, "a section shows at least one labelled table or figure"
    for label in labels:
        caption = text.split(f"::: {{#{label}}}", 1)[1].split(":::", 1)[0]
        assert SYNTHETIC_NOTE in caption, f"{label}: caption must say the data are synthetic"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(o.get("output_type") != "error" for c in code for o in c.get("outputs", []))
    shown = sum(1 for c in code for o in c.get("outputs", [])
                if o.get("output_type") in ("display_data", "execute_result")
                and ({"image/png", "text/html"} & set(o.get("data", {}))))
    assert shown == len(labels), "one displayed table or figure per labelled div"


def test_every_registered_table_and_figure_is_shown_in_its_section():
    shown = {}
    for section in sections():
        for label in DIV.findall(_markdown(jupytext.read(section.script))):
            shown[label] = section.name
    registered = {a.label: a.section for a in all_artifacts()}
    assert shown == registered


@pytest.mark.parametrize("name", SECTION_NAMES)
def test_notebooks_hold_calls_not_statistics(name):
    notebook = jupytext.read(find_section(name).script)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    for forbidden in ("import pandas", "import numpy", "lifelines", "scipy", "groupby", ".mean(",
                      "plt.", "read_csv"):
        assert forbidden not in code, f"{name}: {forbidden!r} belongs in the analysis package"
    imports = re.findall(r"^from (\S+) import", code, re.M)
    assert set(imports) <= {"analysis.report", "analysis.report.sections"}


def test_real_data_drop_banner_and_synthetic_wording(data_copy: Path):
    meta = data_copy / "dataset.yml"
    meta.write_text(meta.read_text().replace("synthetic: true", "synthetic: false"))
    notebook = execute_section(find_section("efficacy"), data_dir=data_copy)
    text = _markdown(notebook)
    outputs = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "Synthetic" not in text and "synthetic" not in text
    assert "callout-warning" not in outputs


def test_invalid_data_stop_the_section_with_the_problem_list(data_copy: Path):
    (data_copy / "adverse_events.csv").write_text("")
    with pytest.raises(CellExecutionError) as raised:
        execute_section(find_section("safety"), data_dir=data_copy)
    assert "adverse_events.csv: file is empty" in str(raised.value)


def test_readable_copy_drops_quarto_markup_and_keeps_results(executed):
    from analysis.book.execute import readable_copy

    notebook = readable_copy(executed("efficacy"))
    text = _markdown(notebook)
    assert ":::" not in text and "{#" not in text and "jupyter: python3" not in text
    assert "Figure fig-pfs" in text and "@fig-" not in text
    banner = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "text/markdown" in o.get("data", {})]
    assert banner and SYNTHETIC_NOTE in banner[0]["data"]["text/markdown"]
