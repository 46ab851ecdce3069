"""The Quarto book, checked without Quarto: configuration, chapter list, cross-references,
citations, the style file, no hand-typed results, inline expressions in order, the front and
back matter executed headless, and the functions behind them (analysis.report.reproducibility)."""

from __future__ import annotations

import ast
import builtins
import copy
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jupytext
import pytest
import yaml

from analysis.book.chapters import chapter_files, qmd_to_notebook, read_chapter
from analysis.book.execute import INLINE, execute_chapter, inline_expressions
from analysis.report import project_record, reproducibility
from analysis.report.context import SYNTHETIC_NOTE
from analysis.stats.key_results import key_results

ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILE = ROOT / "_quarto.yml"
CONFIG = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
BOOK = CONFIG["book"]
LISTED = list(BOOK["chapters"]) + list(BOOK.get("appendices", []))
BIB = (ROOT / "references.bib").read_text(encoding="utf-8")
BIB_KEYS = re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", BIB, re.M)

# Labels and references: {#sec-…} headings, ::: {#fig-…}/{#tbl-…} divs, table captions
# "{#tbl-…}", `#| label:` cell options; references @sec-…, @fig-…, @tbl-….
LABEL = re.compile(r"\{#((?:sec|fig|tbl)-[A-Za-z0-9_-]+)")
CELL_LABEL = re.compile(r"^#\|\s*label:\s*((?:sec|fig|tbl)-[A-Za-z0-9_-]+)\s*$", re.M)
CROSSREF = re.compile(r"(?<![\w.@])@((?:sec|fig|tbl)-[A-Za-z0-9_-]*[A-Za-z0-9_])")
CITATION = re.compile(r"(?<![\w.@])@([A-Za-z0-9_](?:[\w:.#$%&+?<>~/-]*[A-Za-z0-9_])?)")
CROSSREF_PREFIXES = ("sec-", "fig-", "tbl-", "eq-", "lst-", "thm-", "lem-", "cor-", "prp-",
                     "cnj-", "def-", "exm-", "exr-", "sol-", "rem-")

# A hand-typed result: a number followed by %, percent, month(s), week(s) or patient(s).
HAND_TYPED = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s*(?:%|(?:percent|months?|weeks?|patients?)\b)")
#: Everywhere allowed: the confidence level of an interval ("95% CI", "95% confidence interval",
#: "95% intervals").
ALLOWED_EVERYWHERE = (re.compile(r"95%\s+(?:CI|confidence|intervals?)\b"),)
#: Allowed in the methods chapter only: definitional windows that are not held in the code
#: (the code's own constants, 24 weeks of clinical benefit, 3 and 12 months of trastuzumab
#: resistance and 6 months of T-DM1 benefit, are shown by inline expressions instead).
METHODS_ALLOWLIST = ("8–12 weeks",)  # ESO-ESMO: the first radiological assessment

FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*(?:\n|\Z)", re.S)
FENCED = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1\s*$", re.S | re.M)
INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1", re.S)
ATTRIBUTES = re.compile(r"\{[#.][^}]*\}")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
LINK_TARGET = re.compile(r"\]\([^)]*\)")


def _path(entry: str) -> Path:
    return ROOT / entry


def _notebook(path: Path):
    return read_chapter(path)


def _markdown(path: Path) -> str:
    """The Markdown of a chapter (front matter dropped), cells joined."""
    cells = [c.source for c in _notebook(path).cells if c.cell_type == "markdown"]
    return "\n\n".join(FRONT_MATTER.sub("", cell) for cell in cells)


def _prose(markdown: str) -> str:
    """Narrative text only: no code blocks, inline code, attribute blocks, comments or link targets."""
    for pattern in (FENCED, HTML_COMMENT, INLINE_CODE, ATTRIBUTES, LINK_TARGET):
        markdown = pattern.sub(" ", markdown)
    return markdown


def _code(path: Path) -> str:
    return "\n".join(c.source for c in _notebook(path).cells if c.cell_type == "code")


def _existing_chapters() -> list[Path]:
    return [p for p in map(_path, LISTED) if p.exists()]


# =============================================================================== configuration
def test_quarto_yml_is_a_book_with_the_required_settings():
    assert CONFIG["project"] == {"type": "book", "output-dir": "_book",
                                 "pre-render": "analysis/book/quarto/pre-render.py"}
    assert CONFIG["quarto-required"] == ">=1.9"
    assert CONFIG["execute"]["freeze"] == "auto"
    # no keep-alive kernels: a reused kernel keeps the QUARTO_EXECUTE_INFO of its first render
    assert CONFIG["execute"]["daemon"] is False
    assert CONFIG["bibliography"] == "references.bib" and (ROOT / CONFIG["bibliography"]).exists()
    assert (ROOT / CONFIG["csl"]).exists()
    formats = CONFIG["format"]
    assert set(formats) == {"html", "typst", "docx"}
    html = formats["html"]
    assert html["number-sections"] is True and html["toc"] is True
    assert html["code-fold"] is True and html["code-tools"] is True  # folded, and the source available
    assert html["fig-format"] == "svg"
    assert formats["typst"]["fig-format"] == "svg" and formats["typst"]["citeproc"] is True
    assert formats["docx"]["echo"] is False


def test_book_credits_the_original_study_instead_of_naming_its_authors_as_its_own():
    assert BOOK["title"] and BOOK["date"]
    assert "re-analysis" in BOOK["subtitle"] and "Sun C, Hua Y, Jin N, et al." in BOOK["subtitle"]
    # the study's authors are not the authors of this document (its author: the project)
    assert all(a["name"] not in BOOK["author"] for a in CONFIG["original-study"]["authors"])
    authors = CONFIG["original-study"]["authors"]
    assert len(authors) == 13
    for author in authors:
        assert author["affiliations"], author["name"]
        for affiliation in author["affiliations"]:
            assert {"department", "name", "city", "country"} <= set(affiliation)
    # The same names, in the same order, as the paper's entry in references.bib.
    entry = re.search(r"@article\{sun_tki,.*?author\s*=\s*\{(.*?)\},\s*\n\s*title", BIB, re.S).group(1)
    bib_names = [" ".join(reversed([p.strip() for p in name.split(",")]))
                 for name in re.split(r"\s+and\s+", " ".join(entry.split()))]
    assert [a["name"] for a in authors] == bib_names


def test_title_page_metadata_gives_credit_version_and_data_status(study, data_copy):
    from analysis.book.title_page import book_metadata
    from analysis.study.validation import load_study

    lines = book_metadata(study, version="v1.2-3-gabc1234")["subtitle_lines"]
    assert lines[0] == "A reproducible re-analysis of Sun C, Hua Y, Jin N, *et al.* (the original study)"
    assert lines[1].startswith("Version v1.2-3-gabc1234. Synthetic data")
    meta = data_copy / "dataset.yml"
    text = re.sub(r"(?m)^title:.*$", "title: Three-centre extract, version 3", meta.read_text())
    meta.write_text(text.replace("synthetic: true", "synthetic: false"))
    real = book_metadata(load_study(data_copy), version="x")["subtitle_lines"][1]
    assert real == "Version x. Study data: Three-centre extract, version 3, data cut-off 30 June 2023"


def test_authors_markdown_numbers_each_affiliation_once():
    text = project_record.authors_markdown()
    assert text.startswith("Chunxiao Sun^1^, Yijia Hua^1^, Nan Jin^1^, Xiaojia Wang^2^, Jian Huang^3^")
    assert text.count("^1^ Department of Oncology") == 1
    assert re.findall(r"^\^(\d)\^ ", text, re.M) == ["1", "2", "3"]


def test_csl_style_is_valid_csl_xml():
    root = ElementTree.parse(ROOT / CONFIG["csl"]).getroot()
    namespace = "{http://purl.org/net/xbiblio/csl}"
    assert root.tag == f"{namespace}style" and root.get("version") == "1.0"
    assert root.find(f"{namespace}info/{namespace}title") is not None
    assert root.find(f"{namespace}citation") is not None and root.find(f"{namespace}bibliography") is not None


# =============================================================================== chapter list
def test_every_listed_chapter_exists():
    missing = [entry for entry in LISTED if not _path(entry).exists()]
    assert not missing, f"listed in _quarto.yml but missing: {missing}"


def test_chapter_list_and_files_agree():
    sections = sorted(f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.py"))
    qmd = sorted(f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.qmd"))
    assert set(LISTED) == {"index.qmd", *sections, *qmd}, "stale or unlisted chapters"
    assert len(LISTED) == len(set(LISTED))
    assert LISTED[0] == "index.qmd"
    chapters = list(BOOK["chapters"])
    listed_sections = [c for c in chapters if re.fullmatch(r"notebooks/\d\d-[^/]+\.py", c)]
    assert listed_sections == sections, "every section, in reading order"
    assert chapters.index("notebooks/methods.qmd") < chapters.index(sections[0])
    assert chapters.index(sections[-1]) < chapters.index("notebooks/references.qmd")
    assert [p.resolve() for p in chapter_files()] == [_path(e).resolve() for e in LISTED]


def test_no_paired_notebook_is_listed():
    assert not [entry for entry in LISTED if entry.endswith(".ipynb")]


# ====================================================================== cross-references
def _labels() -> list[tuple[str, str]]:
    found = []
    for path in _existing_chapters():
        for label in LABEL.findall(_markdown(path)) + CELL_LABEL.findall(_code(path)):
            found.append((label, path.name))
    return found


def test_every_label_is_unique():
    seen: dict[str, str] = {}
    duplicates = []
    for label, chapter in _labels():
        if label in seen:
            duplicates.append(f"{label} ({seen[label]}, {chapter})")
        seen[label] = chapter
    assert not duplicates


def test_every_cross_reference_has_a_label():
    labels = {label for label, _ in _labels()}
    unresolved = []
    for path in _existing_chapters():
        markdown = FENCED.sub(" ", INLINE_CODE.sub(" ", _markdown(path)))
        unresolved += [f"{path.name}: @{ref}" for ref in CROSSREF.findall(markdown) if ref not in labels]
    assert not unresolved


def test_methods_chapter_defines_the_ids_the_sections_reference():
    labels = {label for label, chapter in _labels() if chapter == "methods.qmd"}
    assert {"sec-methods-definitions", "sec-methods-statistics"} <= labels


def test_every_citation_is_in_the_bibliography():
    cited = set()
    for path in _existing_chapters():
        markdown = FENCED.sub(" ", INLINE_CODE.sub(" ", _markdown(path)))
        cited |= {k for k in CITATION.findall(markdown) if not k.startswith(CROSSREF_PREFIXES)}
    assert cited, "the book cites its sources"
    assert not sorted(cited - set(BIB_KEYS)), "cited but not in references.bib"
    assert len(BIB_KEYS) == len(set(BIB_KEYS))


def test_bibliography_is_in_order_of_first_citation():
    """Vancouver numbers by first citation; the HTML reference page numbers by file order (quarto-cli
    issue 4160). With the .bib in first-citation order both give the same numbers."""
    order: list[str] = []
    for path in _existing_chapters():
        markdown = FENCED.sub(" ", INLINE_CODE.sub(" ", _markdown(path)))
        for key in CITATION.findall(markdown):
            if not key.startswith(CROSSREF_PREFIXES) and key not in order:
                order.append(key)
    assert BIB_KEYS == order


def test_study_reference_says_abstract_and_no_et_al_before_six_authors():
    entry = re.search(r"@article\{sun_tki,.*?\n\}", BIB, re.S).group(0)
    assert "[abstract]" in entry and not re.search(r"^\s*(journal|year)\s*=", entry, re.M)
    for authors in re.findall(r"author\s*=\s*\{(.*?)\},\s*\n", BIB, re.S):
        names = re.split(r"\s+and\s+", " ".join(authors.split()))
        if names[-1] == "others":
            assert len(names) - 1 >= 6, f"Vancouver lists six authors before et al.: {names}"


def test_methods_cite_the_definitions_and_methods_sources():
    text = _markdown(ROOT / "notebooks" / "methods.qmd")
    for key in ("eisenhauer2009", "ctcae5", "cardoso2018abc4", "kaplan1958", "greenwood1926",
                "brookmeyer1982", "barker2009", "schemper1996", "cox1972", "efron1977",
                "grambsch1994", "clopper1934", "lifelines", "pandas", "survival"):
        assert f"@{key}" in text, key


def test_references_chapter_holds_the_bibliography():
    text = (ROOT / "notebooks" / "references.qmd").read_text(encoding="utf-8")
    assert re.search(r"^::: \{#refs\}\s*\n:::", text, re.M)


# ================================================================ narrative and inline code
def _hand_typed(markdown: str, methods: bool = False) -> list[str]:
    """Numbers typed into prose (number + %, months, patients, weeks), after the allowed forms."""
    prose = _prose(markdown)
    for pattern in ALLOWED_EVERYWHERE:
        prose = pattern.sub(" ", prose)
    if methods:
        for phrase in METHODS_ALLOWLIST:
            prose = prose.replace(phrase, " ")
    return [m.group(0) for m in HAND_TYPED.finditer(prose)]


@pytest.mark.parametrize("entry", LISTED)
def test_no_hand_typed_results_in_the_narrative(entry):
    path = _path(entry)
    assert path.exists(), f"{entry} is listed but missing"
    found = _hand_typed(_markdown(path), methods=path.name == "methods.qmd")
    assert not found, f"numbers typed by hand (use an inline expression): {found}"


def test_the_hand_typed_check_catches_results_and_spares_the_allowed():
    found = _hand_typed("Median PFS was 10.1 months in 66 patients (ORR 18.2%); 95% CI `{python} x`; "
                        "::: {#tbl-x}\n`{python} facts.median` months.")
    assert found == ["10.1 months", "66 patients", "18.2%"]


def _defined_names(source: str) -> set[str]:
    """Names a code cell binds: assignments, imports, definitions, loop and with targets."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


@pytest.mark.parametrize("entry", LISTED)
def test_inline_expressions_come_after_the_cell_that_defines_them(entry):
    path = _path(entry)
    assert path.exists(), f"{entry} is listed but missing"
    defined = set(dir(builtins))
    late = []
    for cell in _notebook(path).cells:
        if cell.cell_type == "code":
            defined |= _defined_names(cell.source)
        elif cell.cell_type == "markdown":
            for expression in inline_expressions(cell.source):
                first = re.match(r"[A-Za-z_]\w*", expression)
                if first is None or first.group(0) not in defined:
                    late.append(expression)
    assert not late, f"inline expressions before their definition: {late}"


# ================================================================================ STROBE
def test_strobe_checklist_has_all_22_items_each_placed_or_explained():
    text = (ROOT / "notebooks" / "strobe.qmd").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (.+?) \| (.+?) \|$", text, re.M)
    assert [int(number) for number, _, _ in rows] == list(range(1, 23))
    for number, recommendation, where in rows:
        assert recommendation.strip(), number
        assert "@sec-" in where or ".qmd)" in where or "Not applicable" in where, number
    assert "{#tbl-strobe" in text and "@vonelm2007" in text


# ======================================================================= headless execution
PYTHON_CHAPTERS = [e for e in LISTED if e.endswith(".qmd") and _path(e).exists()
                   and "```{python}" in _path(e).read_text(encoding="utf-8")]


@pytest.fixture(scope="module")
def chapter(executed):
    """A listed chapter executed once (shared with the other test files), by its book entry."""
    return lambda entry: executed(Path(entry).stem.split("-", 1)[-1])


def _html_rows(markup: str) -> str:
    """An HTML table as text rows, cells separated by ' | ' (as a reader reads them)."""
    markup = re.sub(r"</t[dh]>\s*<t[dh][^>]*>", " | ", markup)
    return re.sub(r"<[^>]+>", "", markup)


def _outputs(notebook) -> str:
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.append(output.get("data", {}).get("text/markdown", ""))
            texts.append(_html_rows(output.get("data", {}).get("text/html", "")))
    return "\n".join(texts)


def test_the_python_chapters_are_the_front_and_back_matter():
    """The references and the STROBE checklist compute nothing, so they run no kernel (no Python
    cell, no `jupyter:` engine line)."""
    assert PYTHON_CHAPTERS == ["index.qmd", "notebooks/methods.qmd", "notebooks/reproducibility.qmd"]
    for entry in ("notebooks/references.qmd", "notebooks/strobe.qmd"):
        text = _path(entry).read_text(encoding="utf-8")
        assert "```{python}" not in text and "`{python}" not in text and "jupyter:" not in text


def test_every_page_shows_the_synthetic_banner():
    """Each chapter (one HTML page each) prints the banner in an asis cell (empty for real data);
    a page without code holds the placeholder div that page-banner.lua fills, under its title."""
    for entry in LISTED:
        cells = read_chapter(_path(entry)).cells
        if any(c.cell_type == "code" for c in cells):
            banner = [c for c in cells if c.cell_type == "code" and ".banner()" in c.source]
            assert banner, f"{entry} has no synthetic-data banner"
            assert "#| output: asis" in banner[0].source
            continue
        text = _path(entry).read_text(encoding="utf-8")
        blocks = [b.strip() for b in re.sub(r"<!--.*?-->", "", text, flags=re.S).split("\n\n") if b.strip()]
        assert blocks[0].startswith("# ") and blocks[1] == "::: {.page-banner}\n:::", f"{entry}: banner under the title"


@pytest.mark.parametrize("entry", PYTHON_CHAPTERS)
def test_chapter_executes_headless_with_inline_values_filled(entry, chapter):
    notebook = chapter(entry)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not INLINE.search(markdown), "every inline expression evaluated"
    outputs = _outputs(notebook)
    assert "callout-warning" in outputs and SYNTHETIC_NOTE in outputs, "synthetic-data banner"
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def test_summary_states_the_computed_headline_numbers(chapter):
    markdown = "\n".join(c.source for c in chapter("index.qmd").cells if c.cell_type == "markdown")
    for text in ("The median PFS was 10.1 months", "4.7–15.6 months by the symmetric",
                 "The ORR was\n18.2% (12/66; 95% CI", "the CBR 66.7% (44/66; 95% CI",
                 "diarrhoea in 36 (54.5%), hand-foot syndrome in 31 (47.0%) and leucopenia in 30 (45.5%)",
                 "longer PFS than those without", "longer PFS than those with primary resistance",
                 "(all 11 match) holds by construction", "is not a reproduction of the study"):
        assert text in markdown, text
    assert "Chunxiao Sun^1^" in _outputs(chapter("index.qmd"))


def test_reproducibility_appendix_shows_the_three_tables(chapter):
    notebook = chapter("notebooks/reproducibility.qmd")
    outputs = _outputs(notebook)
    assert "Longer PFS with prior T-DM1 benefit | yes (direction only) |" in outputs
    assert "patients.csv" in outputs and "Quarto | not rendered with Quarto" in outputs


def test_real_data_chapters_carry_no_synthetic_wording(data_copy: Path):
    meta = data_copy / "dataset.yml"
    meta.write_text(meta.read_text().replace("synthetic: true", "synthetic: false"))
    notebook = execute_chapter(ROOT / "index.qmd", data_dir=data_copy)
    everything = "\n".join(c.source for c in notebook.cells) + _outputs(notebook)
    assert "callout-warning" not in everything and SYNTHETIC_NOTE not in everything
    assert "the de-identified study extract" in everything


# ===================================================================== qmd -> notebook
def test_qmd_is_split_into_markdown_and_python_cells():
    text = ("---\njupyter: python3\n---\n\n# Title {#sec-x}\n\n```{python}\n#| include: false\n"
            "x = 1\n```\n\nText `{python} x`.\n\n````markdown\n```{python}\nnot code\n```\n````\n\n"
            "```sh\nmake report\n```\n")
    notebook = qmd_to_notebook(text)
    kinds = [c.cell_type for c in notebook.cells]
    assert kinds == ["markdown", "markdown", "code", "markdown"]
    assert notebook.cells[0].source == "---\njupyter: python3\n---"
    assert notebook.cells[2].source == "#| include: false\nx = 1"
    assert "not code" in notebook.cells[3].source and "make report" in notebook.cells[3].source


def test_unclosed_code_block_is_an_error():
    with pytest.raises(ValueError, match="never closed"):
        qmd_to_notebook("# A\n\n```{python}\nx = 1\n")


def test_percent_scripts_are_read_as_jupytext_reads_them():
    script = ROOT / "notebooks" / "01-cohort.py"
    ours, theirs = read_chapter(script), jupytext.read(script)
    assert [(c.cell_type, c.source) for c in ours.cells] == [(c.cell_type, c.source) for c in theirs.cells]


# ============================================================================ reproduce
@pytest.fixture(scope="module")
def results(study):
    return key_results(study)


def test_summary_facts_phrase_every_headline_number(results):
    facts = reproducibility.summary_facts(results)
    assert (facts.n, facts.median, facts.ci_symmetric) == ("66", "10.1", "4.7–15.6")
    assert facts.ci_bc == "6.6–15.1" and facts.events == "48 (72.7%)"
    assert facts.orr.startswith("18.2% (12/66; 95% CI ") and facts.cbr.startswith("66.7% (44/66; 95% CI ")
    assert facts.top_three.startswith("diarrhoea in 36 (54.5%), hand-foot syndrome in 31 (47.0%)")
    assert re.fullmatch(r"longer PFS than those without \(median [\d.]+ versus [\d.]+ months; HR 0\.\d\d, "
                        r"95% CI [\d.]+–[\d.]+; log-rank p (<|=) [\d.]+\)", facts.tdm1_finding)
    assert facts.reproduced == "all 11"
    assert all(type(v).__name__ == "Phrase" for v in vars(facts).values())


def test_published_versus_reproduced_lists_every_published_figure(results):
    table = reproducibility.published_versus_reproduced(results)
    assert list(table.columns) == ["quantity", "published", "reproduced", "match"]
    assert list(table["published"]) == [
        "66", "10.1", "4.7–15.6", "18.2% (12/66)", "66.7% (44/66)", "36 (54.5%)", "31 (47.0%)",
        "30 (45.5%)", "diarrhoea, hand-foot syndrome, leucopenia", "yes (direction only)",
        "yes (direction only)"]
    assert set(table["match"]) == {"yes"}, table[table["match"] != "yes"]


def test_a_different_value_is_reported_as_no_match(results):
    changed = copy.deepcopy(results)
    changed["pfs"]["median"] = 10.16                              # prints 10.2
    changed["response"]["orr"]["n"] = 11
    changed["subgroups"]["tdm1_benefit"]["hr"] = 1.4
    changed["adverse_events"][3]["any_grade"] = changed["adverse_events"][2]["any_grade"]  # a tie
    table = reproducibility.published_versus_reproduced(changed).set_index("quantity")["match"]
    assert table["Median PFS, months"] == "no" and table["Objective response rate"] == "no"
    assert table["Longer PFS with prior T-DM1 benefit"] == "no"
    assert table["Three most common adverse events"] == "no"
    assert table["Patients"] == "yes" and table["Clinical benefit rate"] == "yes"
    facts = reproducibility.summary_facts(changed)
    assert facts.tdm1_finding.startswith("shorter PFS than") and facts.reproduced == "7 of 11"


def test_reproduction_is_claimed_only_for_real_data(results):
    """On the synthetic cohort the match holds by construction (said so, no claim); on a real
    extract the summary states how many published figures are reproduced."""
    synthetic = reproducibility.summary_facts(results).reproduction
    assert "holds by construction" in synthetic and "not a reproduction" in synthetic
    assert "are reproduced" not in synthetic
    real = copy.deepcopy(results)
    real["data"]["synthetic"] = False
    claim = reproducibility.summary_facts(real).reproduction
    assert claim == "Of the figures published in the abstract, all 11 are reproduced by the study extract"
    assert "construction" not in claim


def test_a_key_comparison_that_is_not_estimable_is_said_so(results):
    changed = copy.deepcopy(results)
    changed["subgroups"]["tdm1_benefit"].update(hr=None, ci=[None, None], logrank_p=None,
                                                estimable=False, reason="no patient in level 'no'")
    facts = reproducibility.summary_facts(changed)
    assert facts.tdm1_finding == ("no comparison with those without: it is not estimable in these "
                                  "data (no patient in level 'no')")
    table = reproducibility.published_versus_reproduced(changed).set_index("quantity")
    assert table.loc["Longer PFS with prior T-DM1 benefit", "reproduced"] == "no (hazard ratio not estimable)"


def test_a_rounding_difference_in_the_interval_is_no_match(results):
    changed = copy.deepcopy(results)
    changed["pfs"]["ci_symmetric"] = [4.75, 15.6]                 # prints 4.8
    table = reproducibility.published_versus_reproduced(changed).set_index("quantity")["match"]
    assert table["95% CI of median PFS (symmetric, SPSS), months"] == "no"


def test_provenance_lists_each_input_with_rows_and_checksum(study):
    frame = reproducibility.provenance(study)
    files = frame[frame["part"].str.startswith("Input files")]
    assert list(files["item"]) == sorted(study.files)
    for row in files.itertuples():
        assert row.rows == f"{study.files[row.item]['rows']:,}"
        assert row.detail == study.files[row.item]["sha256"] and re.fullmatch(r"[0-9a-f]{64}", row.detail)
    facts = frame.set_index("item")["detail"]
    assert facts["Data cut-off"] == "2023-06-30"
    assert facts["Synthetic data"].startswith("yes")
    assert facts["Data folder"] == "data/synthetic"
    table = reproducibility.provenance_table(study).to_markdown()
    digest = study.files["patients.csv"]["sha256"]
    grouped = " ".join(digest[i:i + 16] for i in range(0, 64, 16))
    assert "**Input files (SHA-256)**" in table and grouped in table
    assert reproducibility.grouped_checksum(digest).replace(" ", "") == digest


def test_software_versions_name_every_component():
    frame = reproducibility.software_versions(environ={})
    assert list(frame["software"]) == ["Python", "pandas", "numpy", "scipy", "lifelines", "matplotlib",
                                       "seaborn", "jupytext", "tki-after-tdm1 (this project)", "Quarto",
                                       "Git commit"]
    versions = frame.set_index("software")["version"]
    assert re.fullmatch(r"3\.\d+\.\d+.*", versions["Python"])
    assert versions["Quarto"] == "not rendered with Quarto"
    assert re.fullmatch(r"[0-9a-f]{40}( \(with uncommitted changes\))?|unknown", versions["Git commit"])


def test_quarto_version_comes_from_the_render_environment():
    assert reproducibility.quarto_version({"QUARTO_VERSION": "1.9.18"}) == "1.9.18"
    assert reproducibility.quarto_version({}) == "not rendered with Quarto"
    rendering_without_binary = {"QUARTO_PROJECT_ROOT": str(ROOT), "PATH": ""}
    assert reproducibility.quarto_version(rendering_without_binary) == "rendered with Quarto (version not reported)"


def test_git_commit_is_unknown_outside_a_checkout(tmp_path: Path):
    assert project_record.git_commit(tmp_path) == "unknown"
    assert project_record.git_version(tmp_path) == "unknown"


def test_version_and_commit_name_the_checkout_and_its_uncommitted_changes(tmp_path: Path):
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t",
                               *args], check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "notes.txt").write_text("one\n", encoding="utf-8")
    git("add", "notes.txt")
    git("commit", "-q", "-m", "first")
    head = git("rev-parse", "HEAD")
    assert project_record.git_commit(tmp_path) == head
    assert head.startswith(project_record.git_version(tmp_path))
    git("tag", "v1.0")
    assert project_record.git_version(tmp_path) == "v1.0"
    (tmp_path / "notes.txt").write_text("two\n", encoding="utf-8")
    assert project_record.git_commit(tmp_path) == f"{head} (with uncommitted changes)"
    assert project_record.git_version(tmp_path) == "v1.0-dirty"


def test_the_document_has_an_author_who_is_not_the_study_team(monkeypatch, study):
    """A Typst book needs an author (none: no PDF); it is the re-analysis project, and the
    title page names the project's repository when the checkout has one."""
    from analysis.book import title_page

    author = CONFIG["book"]["author"]
    assert isinstance(author, str) and "project" in author
    assert all(a["name"] not in author for a in CONFIG["original-study"]["authors"])
    monkeypatch.setattr(title_page, "git_repository", lambda: "https://example.org/team/tki.git")
    assert title_page.book_metadata(study, version="v1")["subtitle_lines"][2] == \
        "Repository: <https://example.org/team/tki.git>"
    for address in ("/work/team/tki-after-tdm1", "git@example.org:team/tki.git"):  # no scheme: as code
        monkeypatch.setattr(title_page, "git_repository", lambda address=address: address)
        assert title_page.book_metadata(study, version="v1")["subtitle_lines"][2] == f"Repository: `{address}`"
    monkeypatch.setattr(title_page, "git_repository", lambda: None)
    assert len(title_page.book_metadata(study, version="v1")["subtitle_lines"]) == 2
    assert project_record.git_repository("/") is None


def test_repository_address_never_carries_a_password(tmp_path):
    import subprocess

    from analysis.report.project_record import git_repository

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin",
                    "https://someone:secret@example.org/team/tki.git"], check=True)
    assert git_repository(tmp_path) == "https://example.org/team/tki.git"
