"""The Supplementary Appendix rendered by Quarto (needs Quarto >= 1.9; skipped without it, saying
so): S-numbered tables and figures with the register's captions, the supplementary methods, a
title page with the data status, no reader-visible defect (`check-render`), the same bytes twice."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from analysis.book.appendix import appendix_source, statistical_methods
from analysis.book.quarto import find_quarto
from analysis.book.render_audit import docx_problems, pdf_problems
from analysis.book.supplement import APPENDIX_FILES, export_supplement
from analysis.book.supplement_plan import read_plan
from analysis.config import BUNDLED_DATA
from analysis.report.context import ReportContext
from analysis.report.sections import all_artifacts

QUARTO = find_quarto(Path(sys.prefix), report=False)
needs_quarto = pytest.mark.skipif(QUARTO is None, reason="Quarto >= 1.9 not installed: the appendix is not rendered")


def test_the_appendix_source_takes_captions_and_tables_from_the_register():
    """No caption or table code is copied into the appendix: each item is its builder's call and
    `ctx.caption(label)`; references to appendix items become S-references, to manuscript items
    their numbers."""
    planned = read_plan(all_artifacts())
    source = appendix_source(planned, "Title", ["Version x. Synthetic data"], "Project", "docx")
    for item in (p for p in planned if p.place == "appendix"):
        assert f"find_artifact({item.label!r}).build(ctx)" in source
        assert f"`{{python}} ctx.caption({item.label!r})`" in source
        assert item.artifact.caption not in source
    assert "::: {#stbl-history}" in source and "::: {#sfig-flow}" in source
    assert "::: {#tbl-history}" in appendix_source(planned, "T", [], "P", "typst")
    methods = statistical_methods(planned, "docx", _methods_citing(planned))
    assert "see @stbl-cox and Figure 2 and @sfig-swimmer" in methods


def _methods_citing(planned) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    text = "## Statistical methods {#sec-methods-statistics}\n\nAs above (see @tbl-cox and @fig-forest and @fig-swimmer).\n\n## Next\n"
    (folder / "methods.qmd").write_text(text, encoding="utf-8")
    return folder / "methods.qmd"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    ctx = ReportContext.open(BUNDLED_DATA)
    runs = []
    for name in ("first", "second"):
        out = tmp_path_factory.mktemp(name)
        runs.append((export_supplement(ctx, out, quarto=QUARTO), out))
    return runs


def _pdf_text(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(str(path))


@needs_quarto
def test_the_appendix_is_written_and_listed(rendered):
    (result, folder), _ = rendered
    assert result.appendix_note is None
    assert all((folder / name).is_file() for name in APPENDIX_FILES)
    manifest = (folder / "manifest.csv").read_text(encoding="utf-8")
    assert "Supplementary Appendix.pdf,Table S1,tbl-history," in manifest
    assert "Supplementary Appendix.docx,Figure S1,fig-flow," in manifest


@needs_quarto
def test_the_pdf_numbers_tables_and_figures_s1_and_has_the_methods(rendered):
    (_, folder), _ = rendered
    text = " ".join(_pdf_text(folder / APPENDIX_FILES[0]).split())
    ctx = ReportContext.open(BUNDLED_DATA)
    assert "Supplementary Appendix" in text and ctx.data_note in text
    assert "Supplementary methods" in text and "Kaplan–Meier" in text
    assert "Table S1: " + str(ctx.caption("tbl-history"))[:40] in text
    assert "Figure S1: " + str(ctx.caption("fig-flow"))[:40] in text
    assert "Table 1" not in text.replace("Table 1.", "")  # no main-manuscript numbering leaks in


@needs_quarto
def test_the_word_appendix_numbers_s1_too(rendered):
    (_, folder), _ = rendered
    with zipfile.ZipFile(folder / APPENDIX_FILES[1]) as document:
        xml = document.read("word/document.xml").decode("utf-8")
    assert "Table S1" in xml and "Figure S1" in xml and "Supplementary methods" in xml


@needs_quarto
def test_check_render_finds_nothing_in_the_appendix(rendered):
    (_, folder), _ = rendered
    assert pdf_problems(folder / APPENDIX_FILES[0]) == []
    assert docx_problems(folder / APPENDIX_FILES[1]) == []
    done = subprocess.run([sys.executable, "-m", "analysis", "check-render", str(folder)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_quarto
def test_two_renders_give_the_same_bytes(rendered):
    (_, first), (_, second) = rendered
    for name in APPENDIX_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_appendix_is_rendered_with_the_data_the_threshold_and_a_fixed_date(tmp_path, monkeypatch):
    """What Quarto is given (a stand-in `quarto` records it): the project's Python, the data
    folder, the small-cell threshold of the export and SOURCE_DATE_EPOCH, each format once."""
    import json
    import stat

    from analysis.book.appendix import appendix_documents, render_appendix

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    calls = tmp_path / "calls.jsonl"
    quarto = tmp_path / "quarto"
    quarto.write_text(
        "#!/usr/bin/env python3\nimport json, os, sys\n"
        f"open({str(calls)!r}, 'a').write(json.dumps({{'argv': sys.argv[1:], 'env': dict(os.environ)}}) + '\\n')\n"
        "name = sys.argv[2]; target = sys.argv[4]\n"
        "open(name.rsplit('.', 1)[0] + ('.pdf' if target == 'typst' else '.docx'), 'w').write('x')\n")
    quarto.chmod(quarto.stat().st_mode | stat.S_IXUSR)
    documents = appendix_documents(read_plan(all_artifacts()), "Title", ["Version x"], "Project",
                                   folder=tmp_path / "appendix")
    pdf, docx = render_appendix(documents, quarto, BUNDLED_DATA, small_cell_threshold=5)
    assert pdf.exists() and docx.exists()
    recorded = [json.loads(line) for line in calls.read_text().splitlines()]
    assert [r["argv"][2:] for r in recorded] == [["--to", "typst"], ["--to", "docx"]]
    for run in recorded:
        assert run["env"]["TKI_DATA_DIR"] == str(BUNDLED_DATA.resolve())
        assert run["env"]["TKI_SMALL_CELL_THRESHOLD"] == "5"
        assert run["env"]["QUARTO_PYTHON"] == sys.executable
        assert run["env"]["SOURCE_DATE_EPOCH"].isdigit()
    assert recorded[0]["env"]["SOURCE_DATE_EPOCH"] == recorded[1]["env"]["SOURCE_DATE_EPOCH"]


def test_the_appendix_runs_in_fresh_kernels_as_the_book():
    import yaml

    planned = read_plan(all_artifacts())
    for target in ("typst", "docx"):
        header = appendix_source(planned, "T", [], "P", target).split("---\n")[1]
        assert yaml.safe_load(header)["execute"]["daemon"] is False
