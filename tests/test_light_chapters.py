"""What a chapter's kernel imports, and the forest plot's text measure.

Issue 12 kept seaborn, scipy.stats and lifelines out of the chapters' kernels for speed; issue 21
puts the study's named libraries back to work (seaborn draws figures, lifelines fits the models),
so a chapter is only kept from loading the other sections' modules.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath

from analysis.config import PROJECT_ROOT
from analysis.report.artifacts import SECTIONS
from analysis.report.figures import _outline_width
from analysis.report.sections import all_artifacts


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, check=True,
                         capture_output=True, text=True).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize("section", ["cohort", "efficacy", "safety"])
def test_a_chapter_imports_its_own_section_only(section: str):
    loaded = _modules_after(f"from analysis.report.sections import {section}")
    others = {f"analysis.report.sections.{s}" for s in SECTIONS if s != section}
    assert f"analysis.report.sections.{section}" in loaded
    assert not loaded & others


def test_the_register_still_lists_every_section():
    assert {a.section for a in all_artifacts()} == set(SECTIONS)


def test_the_pre_render_step_loads_no_statistics_or_figure_library():
    """Quarto runs `freeze-guard` before every render, `make section` included: the title page and
    the freeze fingerprint need the validated data, git and `_quarto.yml`, not lifelines,
    matplotlib or seaborn (importing them was 1.4 s of each render's 1.9 s pre-render step)."""
    loaded = _modules_after("import analysis.book.freeze, analysis.book.title_page, analysis.report.banner")
    assert not loaded & {"lifelines", "matplotlib", "seaborn", "scipy", "analysis.stats.key_results",
                         "analysis.report.context"}


def test_commands_that_run_notebooks_do_not_build_the_iri_grammar():
    assert "rfc3987_syntax.syntax_helpers" not in _modules_after("import analysis.book.execute")


@pytest.mark.parametrize("bold", [False, True])
def test_text_widths_equal_matplotlibs_path_extents(bold: bool):
    font = FontProperties(weight="bold" if bold else "normal")
    texts = ["Factor", "HR (95% CI)", "0.33 (0.18–0.60)", "not estimable", "Reference", "< 0.001",
             "Prior lines for metastatic disease", "Hangzhou (SAHZU)", "—", "1,234", "ÉCOG ≥ 2 α"]
    for text in texts:
        path = TextPath((0, 0), text, size=7.5, prop=font)
        assert _outline_width(path) == path.get_extents().width, text
