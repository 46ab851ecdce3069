"""The render audit (`make check-render`) finds each defect of the earlier render, and the report's
Quarto pieces (Typst rules, Lua filters, Word styles) do what they claim, checked with Pandoc and
Typst from PyPI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

pypandoc = pytest.importorskip("pypandoc", reason="test extra: pypandoc_binary")
typst = pytest.importorskip("typst", reason="test extra: typst")

from table_typesetting import ORANGE_BOOK_PAGE, TYPST_HEADER_RULES, TYPST_RULES, typst_pdf, word_docx  # noqa: E402

from analysis.book.render_audit import (  # noqa: E402
    audit_book,
    docx_problems,
    html_problems,
    pdf_problems,
    pdf_words,
    printed_size,
)
from analysis.book.word_reference import (  # noqa: E402
    MADE_WITH_PANDOC,
    REFERENCE_DOC,
    build_reference_docx,
    pandoc_reference_docx,
)
from analysis.config import PROJECT_ROOT  # noqa: E402
from analysis.report import style  # noqa: E402
from analysis.report.report_table import ReportTable  # noqa: E402

QUARTO_DIR = PROJECT_ROOT / "analysis" / "book" / "quarto"
SHARED_RENDER = PROJECT_ROOT.parent / "shared" / "render"
#: Stand-in for Quarto's Lua API, so the report's filters run under plain Pandoc.
QUARTO_STUB = """
-- Quarto's require() also looks beside the filter (its shared module book_metadata.lua)
package.path = package.path .. ";" .. os.getenv("STUB_FILTER_DIR") .. "/?.lua"
quarto = {
  doc = { is_format = function(name) return FORMAT:match(name) ~= nil end },
  json = { decode = pandoc.json.decode },
  project = { directory = os.getenv("STUB_PROJECT_DIR") or "." },
}
"""


def _compile(source: str, out: Path) -> Path:
    path = out.with_suffix(".typ")
    path.write_text(source, encoding="utf-8")
    typst.compile(str(path), output=str(out))
    return out


def _long_table(rows: int = 90) -> ReportTable:
    frame = pd.DataFrame({"Characteristic": [f"Level {i} of a factor with a long label" for i in range(rows)],
                          "N = 66": [f"{i} ({i / 66 * 100:.1f})" for i in range(rows)]})
    return ReportTable(frame, notes=["n (%). A note printed once under the table."])


# ============================================================================ PDF audit
def test_pdf_audit_finds_a_table_that_runs_off_the_page_without_the_report_rules(tmp_path):
    """Quarto's Typst float is one unbreakable block: without the report's rules a long table
    overprints the page foot. The audit sees it; with the rules the same table is clean."""
    import pypandoc as pd_

    table = pd_.convert_text(_long_table().to_html("typst"), "typst", format="html").strip()
    inner = table[len("#figure("):table.rindex(", kind: table")]
    float_ = f'#figure({inner}, kind: "quarto-float-tbl", supplement: [Table], caption: [Long])'
    bad = _compile(ORANGE_BOOK_PAGE + "\n" + float_, tmp_path / "bad.pdf")
    problems = pdf_problems(bad)
    assert any("outside the printable area" in p for p in problems), problems
    good = typst_pdf([("Long", _long_table())], tmp_path / "good.pdf")
    assert pdf_problems(good) == []


def test_pdf_audit_finds_blank_pages_small_text_and_inline_source(tmp_path):
    source = (ORANGE_BOOK_PAGE + "\nFirst page with enough words on it to count.\n#pagebreak()\n#pagebreak()\n"
              "Third page: #text(size: 6pt)[tiny words here] and `{python} facts.epv_warning` left.\n")
    problems = pdf_problems(_compile(source, tmp_path / "doc.pdf"))
    assert any(p.startswith("page 2: blank") for p in problems)
    assert any("page 3: text under 7 pt (6 pt)" == p for p in problems)
    assert any("page 3: inline code left as source" in p for p in problems)


@pytest.mark.skipif(not (SHARED_RENDER / "tki-after-tdm1-report.pdf").exists(), reason="no earlier render at hand")
def test_audit_finds_the_defects_reported_on_the_earlier_render():
    """../shared/render holds the Quarto render of commit 1e08e3c and its measured defects."""
    pdf = pdf_problems(SHARED_RENDER / "tki-after-tdm1-report.pdf")
    pages = {int(p.split(":")[0].split()[1]) for p in pdf if "outside the printable area" in p and "word(s)" in p
             and int(p.split()[2]) > 3}
    assert {20, 22, 25, 37, 40} <= pages
    assert {2, 4, 6, 33, 34} <= {int(p.split(":")[0].split()[1]) for p in pdf if "blank" in p}
    assert any(p.startswith("page 21: inline code") for p in pdf)
    small = {int(p.split(":")[0].split()[1]) for p in pdf if "text under 7 pt" in p}
    assert {13, 16, 18, 19, 24} <= small  # KM ticks 6.9 pt, swimmer 6.0, AE 6.4, forest 5.3
    docx = docx_problems(SHARED_RENDER / "tki-after-tdm1-report.docx")
    assert any("two paragraph-property blocks or alignments" in p for p in docx)
    assert any("16 table(s) inside another table" == p for p in docx)
    assert any("dpi" in p for p in docx)


LATEST_RENDER = SHARED_RENDER / "6e50c5f"


@pytest.mark.skipif(not (LATEST_RENDER / "tki-after-tdm1-report.pdf").exists(), reason="no 6e50c5f render at hand")
def test_audit_of_the_6e50c5f_render_reports_only_what_is_there():
    """Quarto 1.11 render of 6e50c5f: the rotated y-axis labels of the Kaplan-Meier figures were
    counted as text under 7 pt (pdfminer's box height of a rotated character); the one real
    defect is the swimmer caption running off page 14 (and page 2 left blank by orange-book)."""
    pdf = pdf_problems(LATEST_RENDER / "tki-after-tdm1-report.pdf")
    assert not [p for p in pdf if "text under 7 pt" in p]
    assert [p.split(":")[0] for p in pdf if "outside the printable area" in p] == ["page 14"]
    assert any(p.startswith("page 2: blank") for p in pdf)
    assert len(pdf) == 2


# ============================================================================ Typst rules
def test_typst_rules_drop_blank_left_pages_and_the_double_period_after_chapter_references(tmp_path):
    source = (TYPST_HEADER_RULES.read_text(encoding="utf-8") + ORANGE_BOOK_PAGE + "#set heading(numbering: \"1.\")\n"
              "#show heading.where(level: 1): it => { pagebreak(to: \"odd\"); it }\n"
              + TYPST_RULES.read_text(encoding="utf-8") +
              "\n= One <sec-one>\nSee @sec-two.\n= Two <sec-two>\nText of the second chapter.\n"
              "#heading(level: 1, numbering: none)[Appendices]\n= Three\nLast chapter text here.\n")
    pdf = _compile(source, tmp_path / "book.pdf")
    sizes, words = pdf_words(pdf)
    text = " ".join(w.text for w in words)
    assert "Chapter 2." in text and "Chapter 2.." not in text
    assert len(sizes) == 3, "a chapter starts on the next page, not the next odd page"
    assert "Appendices" not in text, "no divider page for the appendices"
    assert pdf_problems(pdf) == []


def test_typst_header_rules_leave_no_blank_page_behind_the_title_page(tmp_path):
    """orange-book: a title page of its own, an empty copyright block, then the contents from the
    next odd page; the render of 6e50c5f had a blank page 2. The header rules come first."""
    book = ("#page[#align(center + horizon)[A report title]]\n#align(bottom, [])\n"
            "#pagebreak(to: \"odd\")\n#outline()\n#pagebreak(to: \"odd\")\n= One\nFirst chapter text here.\n")
    without = pdf_problems(_compile(ORANGE_BOOK_PAGE + "#set heading(numbering: \"1.\")\n" + book,
                                    tmp_path / "without.pdf"), min_words_per_page=1)
    assert any(p.startswith("page 2: blank") for p in without)
    source = (TYPST_HEADER_RULES.read_text(encoding="utf-8") + ORANGE_BOOK_PAGE
              + "#set heading(numbering: \"1.\")\n" + book)
    pdf = _compile(source, tmp_path / "book.pdf")
    assert len(pdf_words(pdf)[0]) == 3
    assert pdf_problems(pdf, min_words_per_page=1) == []


#: orange-book 0.7.1's title page (lib.typ): title, subtitle and author in a coloured block 7.5 cm high.
ORANGE_BOOK_COVER = """
#page[#align(center + horizon, block(width: 100%, fill: rgb("#b3d4f5"), height: 7.5cm, pad(x: 2cm, y: 1cm)[
  #text(size: 2.5em, weight: "black")[Tyrosine kinase inhibitors in HER2-positive metastatic breast cancer with trastuzumab emtansine resistance]
  #v(1cm, weak: true)
  #text(size: 1.8em)[A reproducible re-analysis of Sun C, Hua Y, Jin N, _et al._ (the original study) \\
    Version 6c78e22. Synthetic data: generated to reproduce the published figures, not patient data. \\
    Repository: #link("https://example.org/tki-after-tdm1")]
  #v(1cm, weak: true)
  #text(size: 2.2em, weight: "bold")[The tki-after-tdm1 reproducible re-analysis project]
]))]
"""


def _filled_boxes(pdf: Path) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) of each filled rectangle or path on the PDF's first page (pdfminer)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTCurve

    page = next(iter(extract_pages(str(pdf))))
    return [(item.x0, item.y0, item.x1, item.y1) for item in page if isinstance(item, LTCurve) and item.fill]


def test_the_title_page_band_holds_the_title_subtitle_and_author(tmp_path):
    """orange-book's band is 7.5 cm high whatever it holds: on the rendered report the title
    stood above it and the author line below it. The header rules let it grow."""
    def outside(pdf: Path) -> list[str]:
        (x0, y0, x1, y1), = _filled_boxes(pdf)
        return [w.text for w in pdf_words(pdf)[1] if w.y0 < y0 or w.y1 > y1 or w.x0 < x0 or w.x1 > x1]

    without = outside(_compile(ORANGE_BOOK_PAGE + ORANGE_BOOK_COVER, tmp_path / "without.pdf"))
    assert "Tyrosine" in without and "project" in without
    header = TYPST_HEADER_RULES.read_text(encoding="utf-8")
    assert outside(_compile(header + ORANGE_BOOK_PAGE + ORANGE_BOOK_COVER, tmp_path / "with.pdf")) == []


# ============================================================================ real Quarto output
#: Pages of a real Quarto 1.11 render of this book (tests/quarto-render/README.md says which).
QUARTO_RENDER = PROJECT_ROOT / "tests" / "quarto-render"


def _rotated_characters(pdf: Path) -> list:
    """pdfminer's characters drawn rotated (text matrix mostly off the diagonal)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    def walk(item):
        for child in item:
            if isinstance(child, LTChar):
                a, b = child.matrix[:2]
                if abs(b) > abs(a):
                    yield child
            elif hasattr(child, "__iter__"):
                yield from walk(child)
    return [char for page in extract_pages(str(pdf)) for char in walk(page)]


def test_real_quarto_pages_have_no_problem_and_rotated_labels_keep_their_size():
    """Quarto's PDF of the Kaplan-Meier figure: its rotated y-axis label is what the audit
    once reported as text under 7 pt (pdfminer's size of a rotated character is its width)."""
    km = QUARTO_RENDER / "kaplan-meier-page.pdf"
    rotated = _rotated_characters(km)
    assert rotated and min(c.size for c in rotated) < 7  # the case is there ...
    assert min(printed_size(c) for c in rotated) == pytest.approx(style.BASE_FONT_SIZE)  # ... read as printed
    assert pdf_problems(km) == []
    assert pdf_problems(QUARTO_RENDER / "swimmer-page.pdf") == []  # figure and caption on the page


def test_real_quarto_page_with_an_escaped_apostrophe_is_reported():
    """Quarto's PDF printed "the project&#x27;s assumption" in a table note (the table's HTML
    escaped quotes): the audit names it, and nothing else on that page."""
    problems = pdf_problems(QUARTO_RENDER / "entity-in-table-note-page.pdf")
    assert problems == ["page 1: HTML character reference printed as text ('project&#x27;s')"]


def test_table_html_leaves_quotes_unescaped_for_quarto():
    table = ReportTable(pd.DataFrame({"Characteristic": ["Age <50 & ECOG ≥2"], "LR p": ["<0.001"]}),
                        notes=["As the paper's definition is not public, the project's \"rule\" <applies> &amp; holds."])
    for target in ("typst", "docx", "html", None):
        html = table.to_html(target)
        assert "paper's" in html and '"rule"' in html and "&#x27;" not in html and "&quot;" not in html
        assert "&lt;applies&gt;" in html or "&lt;applies>" in html  # what could be markup is escaped
        assert "&amp;amp; holds" in html  # ... and what could be a character reference
    # Quarto 1.11 prints the character references of a table cell as written in the PDF: for
    # Typst only what HTML would read as markup is escaped
    typst = table.to_html("typst")
    assert ">&lt;0.001<" not in typst and "><0.001</td>" in typst and "Age <50 & ECOG ≥2" in typst
    assert "Age &lt;50 &amp; ECOG ≥2" in table.to_html("html")


def test_a_page_number_in_the_footer_is_not_text_off_the_page(tmp_path):
    """The Supplementary Appendix numbers its pages in the footer (Quarto's Typst article), within
    the bottom margin; a word there, or a number at the paper's very edge, is still reported."""
    body = "Body text of the page, enough words to fill a line or two of the page.\n"
    footer = (ORANGE_BOOK_PAGE + '#set page(footer: context align(center)[{}])\n' + body)
    assert pdf_problems(_compile(footer.format("#counter(page).display()"), tmp_path / "folio.pdf")) == []
    word = pdf_problems(_compile(footer.format("Continued"), tmp_path / "word.pdf"))
    assert word == ["page 1: 1 word(s) outside the printable area, e.g. 'Continued'"]
    edge = ORANGE_BOOK_PAGE + "#place(bottom + left, dx: -28mm, dy: 22mm)[7]\n" + body
    assert any("outside the printable area" in p for p in pdf_problems(_compile(edge, tmp_path / "edge.pdf")))


def test_real_quarto_title_page_holds_its_text_in_the_band():
    pdf = QUARTO_RENDER / "title-page.pdf"
    (x0, y0, x1, y1), = [box for box in _filled_boxes(pdf) if box[3] - box[1] > 100]
    words = pdf_words(pdf)[1]
    assert {"Tyrosine", "project"} <= {w.text for w in words}
    assert [w.text for w in words if w.y0 < y0 or w.y1 > y1] == []
    assert pdf_problems(pdf, min_words_per_page=1) == []


def test_real_quarto_html_view_source_is_not_inline_code_but_a_paragraph_would_be(tmp_path):
    page = (QUARTO_RENDER / "02-efficacy.html").read_text(encoding="utf-8")
    assert "{python}" in page  # Quarto's View-source listing shows the chapter's source
    assert html_problems([QUARTO_RENDER / "02-efficacy.html"]) == []
    broken = tmp_path / "02-efficacy.html"
    broken.write_text(page.replace("<p>", "<p>`{python} pfs.median` ", 1), encoding="utf-8")
    assert any("inline code" in problem for problem in html_problems([broken]))


# ============================================================================ Word audit
def test_word_audit_finds_nested_tables_double_alignment_missing_headers(tmp_path):
    good = word_docx([("Caption", _long_table(5))], tmp_path / "good.docx")
    assert docx_problems(good) == []
    with zipfile.ZipFile(good) as source:
        parts = {n: source.read(n) for n in source.namelist()}
    xml = parts["word/document.xml"].decode()
    inner = xml[xml.index("<w:tbl>"):xml.index("</w:tbl>") + len("</w:tbl>")]
    xml = xml.replace("<w:tblHeader w:val=\"on\" />", "")
    xml = xml.replace("<w:pStyle w:val=\"Compact\" />", "<w:pStyle w:val=\"Compact\" /><w:jc w:val=\"center\" />", 1)
    xml = xml.replace("</w:tc>", "<w:p/>" + inner + "</w:tc>", 1)
    parts["word/document.xml"] = xml.encode()
    bad = tmp_path / "bad.docx"
    with zipfile.ZipFile(bad, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    problems = docx_problems(bad)
    assert any("inside another table" in p for p in problems)
    assert any("without a repeating header row" in p for p in problems)


def test_word_reference_has_journal_tables_and_is_reproducible():
    committed = REFERENCE_DOC.read_bytes()
    rebuilt = build_reference_docx(pandoc_reference_docx())
    with zipfile.ZipFile(REFERENCE_DOC) as doc:
        styles = doc.read("word/styles.xml").decode()
    assert '<w:sz w:val="18" />' in styles and "<w:tblBorders>" in styles
    assert 'w:styleId="SyntheticDataNotice"' in styles and 'w:styleId="TOC1"' in styles
    assert rebuilt == build_reference_docx(pandoc_reference_docx()), "same bytes every run"
    if pypandoc.get_pandoc_version() == MADE_WITH_PANDOC:  # another Pandoc ships another default
        assert committed == rebuilt, "run `make word-reference` and commit the result"


# ============================================================================ HTML audit
def _page(citations: dict[str, int], entries: dict[str, int] | None = None) -> str:
    cites = "".join(f'<span class="citation"><a href="#ref-{k}" role="doc-biblioref">{n}</a></span>'
                    for k, n in citations.items())
    refs = "".join(f'<div id="ref-{k}" class="csl-entry"><div class="csl-left-margin">[{n}] </div></div>'
                   for k, n in (entries or {}).items())
    return f"<html><body><p>{cites}</p><div id=\"refs\">{refs}</div></body></html>"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_html_audit_flags_a_reference_numbered_differently_on_two_pages(tmp_path):
    (tmp_path / "a.html").write_text(_page({"sun_tki": 1, "cox1972": 2}))
    (tmp_path / "references.html").write_text(_page({}, {"sun_tki": 1, "cox1972": 3}))
    problems = html_problems(tmp_path.glob("*.html"))
    assert problems == ["reference 'cox1972' has different numbers: [2] on a.html; [3] on references.html"]
    (tmp_path / "references.html").write_text(_page({}, {"sun_tki": 1, "cox1972": 2}))
    assert html_problems(tmp_path.glob("*.html")) == []


# ============================================================================ Lua filters
def _with_stub(lua: str, tmp_path: Path) -> Path:
    """The filter with the Quarto stand-in prepended (Pandoc gives each filter its own globals)."""
    combined = tmp_path / f"stubbed-{lua}"
    combined.write_text(QUARTO_STUB + (QUARTO_DIR / lua).read_text(encoding="utf-8"))
    return combined


def _run_filter(markdown: str, to: str, lua: str, tmp_path: Path, extra: tuple = ()) -> str:
    os.environ.setdefault("STUB_FILTER_DIR", str(QUARTO_DIR))
    return pypandoc.convert_text(markdown, to, format="markdown",
                                 extra_args=["--lua-filter", str(_with_stub(lua, tmp_path)), *extra])


def test_html_filter_cites_every_reference_in_bib_order_at_the_top_of_each_page(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{first, title={A}, year={2000}}\n@article{second, title={B}, year={2001}}\n")
    out = _run_filter("Only the second is cited here [@second].", "html", "html-citation-order.lua", tmp_path,
                      extra=("--citeproc", f"--bibliography={bib}", f"--csl={PROJECT_ROOT / 'vancouver.csl'}",
                             "--metadata=link-citations:true"))
    out = " ".join(out.split())
    assert "citation-order" in out
    assert '<a href="#ref-second" role="doc-biblioref">2</a>' in out, "numbered as in references.html"
    assert html_problems([_write(tmp_path / "page.html", out)]) == []


def test_word_contents_filter_writes_a_linked_contents_list(tmp_path):
    docx = tmp_path / "c.docx"
    pypandoc.convert_text("# Methods {#sec-methods}\n\nText.\n\n## Statistics {#sec-stats}\n\nMore.\n", "docx",
                          format="markdown", outputfile=str(docx), extra_args=[
                              "--lua-filter", str(_with_stub("word-contents.lua", tmp_path)),
                              "--reference-doc", str(REFERENCE_DOC)])
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode()
    assert xml.index("Contents") < xml.index('w:anchor="sec-methods"') < xml.index('w:anchor="sec-stats"')
    assert '<w:pStyle w:val="TOC1" />' in xml and '<w:pStyle w:val="TOC2" />' in xml


def test_title_page_filter_puts_version_and_data_status_under_the_title(tmp_path, monkeypatch):
    (tmp_path / "_build").mkdir()
    (tmp_path / "_build" / "book-metadata.json").write_text(json.dumps(
        {"subtitle_lines": ["A re-analysis of Sun C, *et al.*", "Version v1. Synthetic data: not patient data."]}))
    monkeypatch.setenv("STUB_PROJECT_DIR", str(tmp_path))
    out = _run_filter("---\ntitle: T\nsubtitle: old\n---\n\nBody.\n", "html", "title-page.lua", tmp_path,
                      extra=("--standalone",))
    assert "Version v1. Synthetic data: not patient data." in out and "<em>et al.</em>" in out
    assert ">old<" not in out


def test_page_banner_filter_fills_the_placeholder_per_format_and_removes_it_for_real_data(tmp_path, monkeypatch):
    from analysis.report.banner import page_banner_markdown

    (tmp_path / "_build").mkdir()
    metadata = tmp_path / "_build" / "book-metadata.json"
    monkeypatch.setenv("STUB_PROJECT_DIR", str(tmp_path))
    page = "# References\n\n::: {.page-banner}\n:::\n\nThe list.\n"
    metadata.write_text(json.dumps({"subtitle_lines": [], "page_banner": page_banner_markdown(True)}))
    html = _run_filter(page, "html", "page-banner.lua", tmp_path)
    assert 'class="callout-warning"' in html and "Every number in this report" in html
    assert "page-banner" not in html and html.index("References") < html.index("callout") < html.index("The list.")
    docx = tmp_path / "page.docx"
    pypandoc.convert_text(page, "docx", format="markdown", outputfile=str(docx), extra_args=[
        "--lua-filter", str(_with_stub("page-banner.lua", tmp_path)), "--reference-doc", str(REFERENCE_DOC)])
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode()
    assert "SyntheticDataNotice" in xml and "callout" not in xml
    metadata.write_text(json.dumps({"subtitle_lines": [], "page_banner": None}))
    real = _run_filter(page, "html", "page-banner.lua", tmp_path)
    assert "callout" not in real and "Synthetic" not in real and "page-banner" not in real and "The list." in real


# ============================================================================ the command
def test_check_render_command_audits_a_book_folder_and_says_when_there_is_none(tmp_path):
    run = [sys.executable, "-m", "analysis", "check-render", str(tmp_path)]
    missing = subprocess.run(run, capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert missing.returncode == 2 and "no rendered book" in missing.stderr
    word_docx([("Caption", _long_table(5))], tmp_path / "book.docx")
    typst_pdf([("Caption", _long_table(5))], tmp_path / "book.pdf")
    (tmp_path / "index.html").write_text(_page({"sun_tki": 1}, {"sun_tki": 1}))
    clean = subprocess.run(run, capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert clean.returncode == 0 and "render audit: clean" in clean.stdout, clean.stdout + clean.stderr
    assert set(audit_book(tmp_path)) == {"book.pdf", "book.docx", "HTML pages"}
