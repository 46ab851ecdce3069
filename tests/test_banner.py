"""The synthetic-data banner: printed by the pages that compute, put in place by a filter on those that do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from analysis import __main__ as cli
from analysis.book import freeze, title_page
from analysis.config import PROJECT_ROOT
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


def test_the_pages_that_compute_nothing_get_word_s_banner_in_word_and_the_callout_elsewhere():
    banners = banner.page_banner_markdown(True)
    assert set(banners) == {"docx", "default"}
    assert banners["docx"].startswith('::: {custom-style="Synthetic data notice"}\n**Synthetic data.** ')
    assert banners["default"].startswith('::: {.callout-warning title="Synthetic data"}\n')
    assert all(SYNTHETIC_NOTE in text and "in this report" in text for text in banners.values())
    assert banner.page_banner_markdown(False) is None


@pytest.fixture
def metadata_file(tmp_path: Path, monkeypatch) -> Path:
    """The pre-render step writing into a temporary _build/ and _freeze/."""
    monkeypatch.setattr(title_page, "METADATA_FILE", tmp_path / "book-metadata.json")
    monkeypatch.setattr(freeze, "FREEZE_DIR", tmp_path / "_freeze")
    monkeypatch.setattr(freeze, "STAMP", tmp_path / "freeze-data-fingerprint")
    return tmp_path / "book-metadata.json"


def test_the_pre_render_step_writes_the_banner_for_the_data_in_use(metadata_file: Path, data_copy: Path):
    assert cli.main(["freeze-guard", str(data_copy)]) == 0
    assert json.loads(metadata_file.read_text(encoding="utf-8"))["page_banner"] == banner.page_banner_markdown(True)
    meta = data_copy / "dataset.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("synthetic: true", "synthetic: false"), encoding="utf-8")
    assert cli.main(["freeze-guard", str(data_copy)]) == 0
    assert json.loads(metadata_file.read_text(encoding="utf-8"))["page_banner"] is None


def test_the_filter_replaces_the_placeholder_for_every_format_before_quarto_reads_callouts():
    config = yaml.safe_load((PROJECT_ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    entry = {"at": "pre-ast", "path": "analysis/book/quarto/page-banner.lua"}
    assert entry in config["filters"]
    lua = (PROJECT_ROOT / entry["path"]).read_text(encoding="utf-8")
    assert 'classes:includes("page-banner")' in lua and 'require("book_metadata")' in lua
    assert 'is_format("docx") and banner.docx or banner.default' in lua
