"""The synthetic-data banner: printed by the pages that compute, included by those that do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import __main__ as cli
from analysis.book import freeze, title_page
from analysis.report import banner
from analysis.study.study_data import SYNTHETIC_NOTE


def test_each_format_gets_its_own_banner():
    callout = banner.banner_markdown(True, "html")
    assert callout.startswith('::: {.callout-warning title="Synthetic data"}\n') and SYNTHETIC_NOTE in callout
    assert banner.banner_markdown(True, "typst") == callout
    word = banner.banner_markdown(True, "docx")
    assert word.startswith('::: {custom-style="Synthetic data notice"}\n**Synthetic data.** ')
    assert SYNTHETIC_NOTE in word and "callout" not in word
    assert banner.banner_markdown(False, "html") == banner.banner_markdown(False, "docx") == ""


def test_the_include_file_holds_the_word_banner_for_word_and_the_callout_for_the_rest():
    text = banner.page_banner_include(True)
    word, other = text.split('::: {.content-visible unless-format="docx"}\n')
    assert word.startswith('::: {.content-visible when-format="docx"}\n::: {custom-style="Synthetic data notice"}')
    assert other.startswith('::: {.callout-warning title="Synthetic data"}')
    assert all(SYNTHETIC_NOTE in part and "in this report" in part for part in (word, other))
    assert text.count(":::") == 8  # every div closed: two conditional divs, each with one banner div
    real = banner.page_banner_include(False)
    assert SYNTHETIC_NOTE not in real and ":::" not in real and real.startswith("<!--")


@pytest.fixture
def pre_render_outputs(tmp_path: Path, monkeypatch) -> Path:
    """The pre-render step writing into a temporary _build/ and _freeze/."""
    monkeypatch.setattr(banner, "PAGE_BANNER_FILE", tmp_path / "page-banner.md")
    monkeypatch.setattr(title_page, "METADATA_FILE", tmp_path / "book-metadata.json")
    monkeypatch.setattr(freeze, "FREEZE_DIR", tmp_path / "_freeze")
    monkeypatch.setattr(freeze, "STAMP", tmp_path / "freeze-data-fingerprint")
    return tmp_path / "page-banner.md"


def test_the_pre_render_step_writes_the_banner_for_the_data_in_use(pre_render_outputs: Path, data_copy: Path):
    assert cli.main(["freeze-guard", str(data_copy)]) == 0
    assert pre_render_outputs.read_text(encoding="utf-8") == banner.page_banner_include(True)
    meta = data_copy / "dataset.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("synthetic: true", "synthetic: false"), encoding="utf-8")
    assert cli.main(["freeze-guard", str(data_copy)]) == 0
    assert SYNTHETIC_NOTE not in pre_render_outputs.read_text(encoding="utf-8")
