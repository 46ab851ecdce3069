"""The Supplementary Appendix: one document (PDF and Word) rendered by Quarto from the register.

`appendix_document` writes a small Quarto project under `_build/appendix/`: a title page (the
study's title, "Supplementary Appendix", the version and data status of the report's title
page), a contents list, the supplementary methods (the "Statistical methods" section of
notebooks/methods.qmd, taken from that file, with the software versions it cites), then the
appendix's tables and figures, each in a cross-reference div whose code cell calls the register's
builder and whose caption is `ctx.caption(label)`: no caption or table code is copied. Tables and
figures are numbered S1, S2, …: in the PDF by Typst's figure numbering ("S1"), in Word by
Quarto's custom cross-reference kinds `stbl`/`sfig` ("Table S" with no space before the number;
quarto.org/docs/authoring/cross-references-custom.html), so the source is written once per
format. A reference to an appendix item reads "Table S3", one to a manuscript item "Figure 1".
`render_appendix` runs `quarto render` on each with the project's Python, the data folder, the
small-cell setting and SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from analysis.config import DATA_DIR_VARIABLE, NOTEBOOKS, PROJECT_ROOT, SMALL_CELL_VARIABLE

from .supplement_plan import PlannedItem

BUILD_DIR = PROJECT_ROOT / "_build" / "appendix"
QUARTO_DIR = PROJECT_ROOT / "analysis" / "book" / "quarto"
DOCUMENT = "supplementary-appendix"
TITLE = "Supplementary Appendix"
METHODS = NOTEBOOKS / "methods.qmd"
STATISTICAL_METHODS = "## Statistical methods {#sec-methods-statistics}"
_REFERENCE = re.compile(r"@((?:tbl|fig)-[a-z0-9-]+)")


#: The cross-reference key of appendix tables and figures in each format (see the module docstring).
KEYS = {"typst": {"table": "tbl", "figure": "fig"}, "docx": {"table": "stbl", "figure": "sfig"}}
#: Word: appendix tables and figures as their own kinds, captioned "Table S1", tables above.
WORD_KINDS = [{"kind": "float", "key": "stbl", "reference-prefix": "Table S", "caption-prefix": "Table S",
               "space-before-numbering": False, "caption-location": "top", "latex-env": "stbl"},
              {"kind": "float", "key": "sfig", "reference-prefix": "Figure S", "caption-prefix": "Figure S",
               "space-before-numbering": False, "caption-location": "bottom", "latex-env": "sfig"}]


def appendix_label(item: PlannedItem, target: str) -> str:
    """The item's cross-reference label in the appendix source for `target` ('stbl-cox' in Word)."""
    return f"{KEYS[target][item.kind]}-{item.label.split('-', 1)[1]}"


def statistical_methods(items: Sequence[PlannedItem], target: str, methods: Path = METHODS) -> str:
    """The body of the report's "Statistical methods" section, cross-references rewritten: to an
    appendix item as a reference to its appendix label (numbered S…), to a manuscript item as
    its number ("Figure 1")."""
    text = methods.read_text(encoding="utf-8")
    start = text.index(STATISTICAL_METHODS) + len(STATISTICAL_METHODS)
    end = text.find("\n## ", start)
    body = text[start:end if end != -1 else len(text)].strip()
    places = {item.label: item for item in items}

    def reference(match: re.Match) -> str:
        item = places.get(match[1])
        if item is None:
            return match[0]
        return "@" + appendix_label(item, target) if item.place == "appendix" else item.number
    return _REFERENCE.sub(reference, body)


def _front_matter(title: str, subtitle_lines: Sequence[str], author: str, target: str) -> str:
    header = {
        "title": title,
        # "Supplementary Appendix", then the report title page's lines: the credit to the original
        # study, version and data status, repository (Markdown hard line breaks between them)
        "subtitle": "\\\n".join([TITLE, *subtitle_lines]),
        "author": author,
        "toc": True,
        "toc-depth": 2,
        "number-sections": True,
        "jupyter": "python3",
        # fresh kernels, as the book (its _quarto.yml says why: a kept kernel keeps the format of
        # its first render)
        "execute": {"echo": False, "warning": False, "daemon": False},
        "bibliography": str(PROJECT_ROOT / "references.bib"),
        "csl": str(PROJECT_ROOT / "vancouver.csl"),
    }
    if target == "typst":
        header["format"] = {"typst": {"papersize": "a4", "fig-format": "svg", "page-numbering": "1", "citeproc": True,
                                      "include-in-header": "appendix-header.typ",
                                      "include-before-body": str(QUARTO_DIR / "report.typ")}}
    else:
        header["crossref"] = {"custom": WORD_KINDS}
        # the book's Word filters: tables and figures as top-level Word tables with their caption
        # styles, and a contents list that needs no field update (see each file)
        header["filters"] = [{"at": "pre-render", "path": str(QUARTO_DIR / "word-floats.lua")},
                             {"at": "post-render", "path": str(QUARTO_DIR / "word-contents.lua")}]
        header["format"] = {"docx": {"toc": False, "fig-format": "png", "fig-dpi": 300,
                                     "reference-doc": str(QUARTO_DIR / "word-reference.docx")}}
    return f"---\n{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---\n"


SETUP = '''```{python}
#| include: false
from analysis.report import ReportContext
from analysis.report.reproducibility import software_table, study_facts
from analysis.report.sections import all_artifacts, find_artifact

all_artifacts()
ctx = ReportContext.open()  # the data folder of TKI_DATA_DIR, validated
design = study_facts(ctx.study)
```
'''


def _float(item: PlannedItem, target: str) -> str:
    """The item in its cross-reference div: the builder's output and the register's caption."""
    options = f'#| fig-alt: {json.dumps(item.artifact.alt)}\n' if item.kind == "figure" else ""
    return (f"::: {{#{appendix_label(item, target)}}}\n\n```{{python}}\n{options}"
            f"find_artifact({item.label!r}).build(ctx)\n```\n\n"
            f"`{{python}} ctx.caption({item.label!r})`\n\n:::\n")


def appendix_source(items: Sequence[PlannedItem], title: str, subtitle_lines: Sequence[str],
                    author: str, target: str) -> str:
    """The appendix as Quarto markdown for `target` ('typst' or 'docx')."""
    appendix = [item for item in items if item.place == "appendix"]
    parts = [_front_matter(title, subtitle_lines, author, target), SETUP,
             # the title and the contents on a page of their own (Word's contents filter ends
             # its page itself)
             "{{< pagebreak >}}\n" if target == "typst" else "",
             "# Supplementary methods {#sec-supplementary-methods}\n",
             statistical_methods(items, target) + "\n",
             "## Software {#sec-software}\n",
             "The versions of the environment that computed this appendix, and the commit of its "
             "code.\n\n```{python}\nsoftware_table()\n```\n"]
    tables = [item for item in appendix if item.kind == "table"]
    figures = [item for item in appendix if item.kind == "figure"]
    if tables:
        parts += ["{{< pagebreak >}}\n", "# Supplementary tables {#sec-supplementary-tables}\n"]
        parts += [_float(item, target) for item in tables]
    if figures:
        parts += ["{{< pagebreak >}}\n", "# Supplementary figures {#sec-supplementary-figures}\n"]
        parts += ["\n{{< pagebreak >}}\n\n".join(_float(item, target) for item in figures)]
    parts += ["# References {.unnumbered}\n", "::: {#refs}\n:::\n"]
    return "\n".join(parts)


#: Typst rules of the appendix: appendix tables and figures are numbered S1, S2, … (Typst numbers
#: figures itself; Quarto's crossref labels reach only Word).
TYPST_HEADER = '#set figure(numbering: "S1")\n'


def appendix_documents(items: Sequence[PlannedItem], title: str, subtitle_lines: Sequence[str],
                       author: str, folder: Path = BUILD_DIR) -> dict[str, Path]:
    """Write the appendix project (its own `_quarto.yml`, so the book's does not apply): one
    source per format, {format: .qmd}."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "_quarto.yml").write_text("project:\n  type: default\n", encoding="utf-8")
    (folder / "appendix-header.typ").write_text(TYPST_HEADER, encoding="utf-8")
    documents = {}
    for target in KEYS:
        documents[target] = folder / f"{DOCUMENT}-{target}.qmd"
        documents[target].write_text(appendix_source(items, title, subtitle_lines, author, target),
                                     encoding="utf-8")
    return documents


def source_date_epoch() -> str:
    """SOURCE_DATE_EPOCH as set, else the time of the checkout's last commit, else 2000-01-01:
    Pandoc and Typst write it as the documents' dates, so two renders give the same bytes."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit():
        return os.environ["SOURCE_DATE_EPOCH"].strip()
    try:
        done = subprocess.run(["git", "-C", str(PROJECT_ROOT), "log", "-1", "--format=%ct"],
                              capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and done.stdout.strip().isdigit():
            return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "946684800"


def render_appendix(documents: dict[str, Path], quarto: Path, data_dir: str | Path,
                    small_cell_threshold: int | None) -> tuple[Path, Path]:
    """Render the appendix to PDF (Typst) and Word; return the two files, or raise with Quarto's
    exit status."""
    env = {**os.environ, "QUARTO_PYTHON": sys.executable, DATA_DIR_VARIABLE: str(Path(data_dir).resolve()),
           "SOURCE_DATE_EPOCH": source_date_epoch()}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if small_cell_threshold is not None:
        env[SMALL_CELL_VARIABLE] = str(small_cell_threshold)
    else:
        env.pop(SMALL_CELL_VARIABLE, None)
    for target, document in documents.items():
        code = subprocess.call([str(quarto), "render", document.name, "--to", target],
                               cwd=document.parent, env=env)
        if code != 0:
            raise RuntimeError(f"quarto render of the Supplementary Appendix ({target}) failed "
                               f"with exit status {code}")
    return documents["typst"].with_suffix(".pdf"), documents["docx"].with_suffix(".docx")
