"""Typeset report tables as Quarto would, without Quarto: Pandoc turns each table's HTML into
Typst and Word much as Quarto does (QUARTO-NOTES.md), Typst compiles the PDF.

Page set-up as orange-book's (A4, 30 mm side and top margins, 25 mm bottom, 10 pt justified
body), with the report's own Typst rules (analysis/book/quarto/report.typ) applied after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from analysis.book.word_reference import REFERENCE_DOC
from analysis.config import PROJECT_ROOT as ROOT
from analysis.report.report_table import ReportTable

TYPST_RULES = ROOT / "analysis" / "book" / "quarto" / "report.typ"
TYPST_HEADER_RULES = ROOT / "analysis" / "book" / "quarto" / "report-header.typ"
ORANGE_BOOK_PAGE = """
#set page(paper: "a4", margin: (x: 3cm, bottom: 2.5cm, top: 3cm))
#set text(size: 10pt)
#set par(justify: true, first-line-indent: 1em, leading: 0.5em)
#show figure: it => align(center)[#it #v(2.6em, weak: true)]
"""


def table_html(table: ReportTable, target: str) -> str:
    return table.to_html(target)


def typst_figure(table: ReportTable, caption: str) -> str:
    """One table as Quarto's Typst output has it: a breakable float of kind quarto-float-tbl."""
    import pypandoc

    body = pypandoc.convert_text(table.to_html("typst"), "typst", format="html").strip()
    assert body.startswith("#figure(") and body.rstrip().endswith(")"), body[:80]
    inner = body[len("#figure("):body.rindex(", kind: table")]
    caption = caption.replace("[", "\\[").replace("]", "\\]")
    return (f'#figure({inner}, kind: "quarto-float-tbl", supplement: [Table], '
            f"caption: figure.caption(position: top)[{caption}])\n")


def typst_pdf(tables: Sequence[tuple[str, ReportTable]], out: Path, lead_text: str = "") -> Path:
    """Compile the tables (caption, table) into one PDF, each after a paragraph of body text."""
    import typst

    parts = [ORANGE_BOOK_PAGE, TYPST_RULES.read_text(encoding="utf-8")]
    for caption, table in tables:
        parts.append(lead_text or "Body text before the table, as in a chapter of the report.")
        parts.append(typst_figure(table, caption))
    source = out.with_suffix(".typ")
    source.write_text("\n\n".join(parts), encoding="utf-8")
    typst.compile(str(source), output=str(out))
    return out


def word_docx(tables: Sequence[tuple[str, ReportTable]], out: Path) -> Path:
    """The tables in one Word file, each preceded by its caption paragraph (Pandoc's docx writer)."""
    import pypandoc

    html = "\n".join(f"<p>{caption}</p>\n{table.to_html('docx')}" for caption, table in tables)
    pypandoc.convert_text(html, "docx", format="html", outputfile=str(out),
                          extra_args=["--reference-doc", str(REFERENCE_DOC)])
    return out
