"""Audit the rendered book as a reader would meet it: PDF, Word and HTML (`make check-render`).

Each check answers a defect seen in an earlier render (../shared/render/README.md):

- every format: no inline expression left as source (`{python} name`);
- PDF: no word outside the page's printable area, no overlapping words, no blank page, no text
  under 7 pt (word boxes and font sizes from pdfminer.six);
- Word: one alignment per paragraph, no table inside a table, a repeating header row on every
  table, raster figures at 300 dpi or more (read from the .docx XML);
- HTML: a citation number means one reference on every page.

The same functions check the Typst and Word output of each table in the test suite (made there
with Pandoc and Typst from PyPI), so a defect cannot come back unseen.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

MM = 72 / 25.4                      # PDF points per millimetre
MIN_TEXT_PT = 7.0                   # smallest text a printed page may carry
MIN_DPI = 300
#: Printable area: words must keep this distance (mm) from the paper's edges. orange-book's
#: margins are 30 mm at the sides (section numbers hang 13 mm into the left one), 30 mm at the top
#: (running head inside) and 25 mm at the bottom.
EDGE_MM = {"left": 15.0, "right": 15.0, "top": 12.0, "bottom": 22.0}
INLINE_SOURCE = re.compile(r"\{python\}")
#: An HTML character reference printed as text ("project&#x27;s", "&amp;"): escaped twice on its way.
HTML_ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


@dataclass(frozen=True)
class Word:
    """A word on a PDF page: its text, box (points, origin bottom-left) and largest font size."""

    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float


# ============================================================================ PDF
def pdf_words(path: str | Path) -> tuple[list[tuple[float, float]], list[Word]]:
    """(page sizes, words) of a PDF, words built from pdfminer's characters."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextContainer, LTTextLine

    sizes, words = [], []

    def lines(container) -> Iterator:
        for item in container:
            if isinstance(item, LTTextLine):
                yield item
            elif isinstance(item, LTTextContainer) or hasattr(item, "__iter__"):
                yield from lines(item)

    for number, page in enumerate(extract_pages(str(path), laparams=LAParams()), start=1):
        sizes.append((page.width, page.height))
        for line in lines(page):
            chars: list = []
            for item in list(line) + [None]:
                if isinstance(item, LTChar) and item.get_text().strip():
                    chars.append(item)
                    continue
                if chars:
                    words.append(Word(number, "".join(c.get_text() for c in chars),
                                      min(c.x0 for c in chars), min(c.y0 for c in chars),
                                      max(c.x1 for c in chars), max(c.y1 for c in chars),
                                      max(printed_size(c) for c in chars)))
                    chars = []
    return sizes, words


def printed_size(char) -> float:
    """A character's font size on the page, read from its text matrix.

    pdfminer's ``LTChar.size`` is the height of the character's box, which for rotated text (a
    figure's vertical axis label) is the glyph's advance width, 1.8-5.3 pt for a 8 pt label.
    Text turned more than 45 degrees (|b| > |a| in the matrix) has its font size across the box.
    """
    a, b = char.matrix[0], char.matrix[1]
    return char.width if abs(b) > abs(a) else char.height


def _overlap(a: Word, b: Word) -> float:
    """Area shared by two word boxes, as a share of the smaller box."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a.x1 - a.x0) * (a.y1 - a.y0), (b.x1 - b.x0) * (b.y1 - b.y0)) or 1.0
    return width * height / smaller


#: A page number may sit in the margin (a footer), this far (mm) from the paper's edges at least.
FOLIO_EDGE_MM = 8.0


def _folio(word: Word, width: float, height: float) -> bool:
    """A page number in a header or footer: digits only, within FOLIO_EDGE_MM of no edge."""
    edge = FOLIO_EDGE_MM * MM
    return (word.text.isdigit() and word.x0 >= edge and word.x1 <= width - edge
            and word.y0 >= edge and word.y1 <= height - edge)


def pdf_problems(path: str | Path, edges_mm: dict[str, float] | None = None,
                 min_words_per_page: int = 4) -> list[str]:
    """Every reader-visible defect of a PDF, one line each (empty list: none found)."""
    edges = {k: v * MM for k, v in (edges_mm or EDGE_MM).items()}
    sizes, words = pdf_words(path)
    problems = []
    by_page: dict[int, list[Word]] = defaultdict(list)
    for word in words:
        by_page[word.page].append(word)
    for number, (width, height) in enumerate(sizes, start=1):
        page = by_page.get(number, [])
        if len(page) < min_words_per_page:
            problems.append(f"page {number}: blank or nearly blank ({len(page)} words)")
        outside = [w.text for w in page if (w.x0 < edges["left"] - 0.5 or w.x1 > width - edges["right"] + 0.5
                   or w.y0 < edges["bottom"] - 0.5 or w.y1 > height - edges["top"] + 0.5)
                   and not _folio(w, width, height)]
        if outside:
            problems.append(f"page {number}: {len(outside)} word(s) outside the printable area, e.g. "
                            f"{', '.join(repr(t) for t in outside[:5])}")
        small = sorted({round(w.size, 1) for w in page if w.size < MIN_TEXT_PT - 0.05})
        if small:
            problems.append(f"page {number}: text under {MIN_TEXT_PT:g} pt ({', '.join(f'{s:g}' for s in small)} pt)")
        page_sorted = sorted(page, key=lambda w: (w.y0, w.x0))
        clashes = []
        for i, a in enumerate(page_sorted):
            for b in page_sorted[i + 1:]:
                if b.y0 > a.y1:
                    break
                if _overlap(a, b) > 0.3:
                    clashes.append(f"{a.text!r}/{b.text!r}")
        if clashes:
            problems.append(f"page {number}: {len(clashes)} overlapping word pair(s), e.g. {', '.join(clashes[:3])}")
        source = [w.text for w in page if INLINE_SOURCE.search(w.text)]
        if source:
            problems.append(f"page {number}: inline code left as source ({source[0]!r})")
        entities = [w.text for w in page if HTML_ENTITY.search(w.text)]
        if entities:
            problems.append(f"page {number}: HTML character reference printed as text ({entities[0]!r})")
    return problems


def poppler_words(path: str | Path) -> tuple[list[tuple[float, float]], list[Word]]:
    """(page sizes, words) of a PDF as poppler's `pdftotext -bbox` gives them (origin top-left).

    poppler measures rotated text by its true extent; used for figure files, whose only text is
    labels (sizes are not read: `size` is the box height).
    """
    from xml.etree import ElementTree as ET

    xhtml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout
    root = ET.fromstring(xhtml)
    sizes, words = [], []
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        sizes.append((float(page.get("width")), float(page.get("height"))))
        for word in page.iter("{http://www.w3.org/1999/xhtml}word"):
            box = [float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")]
            words.append(Word(number, word.text or "", *box, size=box[3] - box[1]))
    return sizes, words


def figure_pdf_problems(path: str | Path) -> list[str]:
    """A figure file's words: none overlapping another, none cut by the edge of its page."""
    sizes, words = poppler_words(path)
    problems = []
    for number, (width, height) in enumerate(sizes, start=1):
        page = [w for w in words if w.page == number]
        clipped = [w.text for w in page if w.x0 < -0.5 or w.y0 < -0.5 or w.x1 > width + 0.5
                   or w.y1 > height + 0.5]
        if clipped:
            problems.append(f"page {number}: {len(clipped)} word(s) cut by the page edge, e.g. "
                            f"{', '.join(repr(t) for t in clipped[:5])}")
        clashes = [f"{a.text!r}/{b.text!r}" for i, a in enumerate(page) for b in page[i + 1:]
                   if _overlap(a, b) > 0.1]
        if clashes:
            problems.append(f"page {number}: {len(clashes)} overlapping word pair(s), e.g. {', '.join(clashes[:3])}")
    return problems


# =========================================================================== Word
_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
       "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
EMU_PER_INCH = 914400


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def docx_problems(path: str | Path) -> list[str]:
    """Every structural defect of a Word file, one line each (empty list: none found)."""
    from xml.etree import ElementTree as ET

    w = "{%s}" % _NS["w"]
    with zipfile.ZipFile(path) as package:
        root = ET.fromstring(package.read("word/document.xml"))
        rels_root = ET.fromstring(package.read("word/_rels/document.xml.rels"))
        media = {r.get("Id"): r.get("Target") for r in rels_root}
        problems = []
        paragraphs = list(root.iter(f"{w}p"))
        double = sum(1 for p in paragraphs
                     if len(p.findall(f"{w}pPr")) > 1
                     or any(len(ppr.findall(f"{w}jc")) > 1 for ppr in p.findall(f"{w}pPr")))
        if double:
            problems.append(f"{double} paragraph(s) with two paragraph-property blocks or alignments")
        tables = list(root.iter(f"{w}tbl"))
        nested = sum(1 for cell in root.iter(f"{w}tc") for _ in cell.iter(f"{w}tbl"))
        if nested:
            problems.append(f"{nested} table(s) inside another table")
        no_header = 0
        for table in tables:
            first = table.find(f"{w}tr")
            if first is None or first.find(f"{w}trPr/{w}tblHeader") is None:
                no_header += 1
        if no_header:
            problems.append(f"{no_header} of {len(tables)} table(s) without a repeating header row")
        for drawing in root.iter("{%s}inline" % _NS["wp"]):
            extent = drawing.find("wp:extent", _NS)
            blip = drawing.find(".//a:blip", _NS)
            if extent is None or blip is None:
                continue
            target = media.get(blip.get("{%s}embed" % _NS["r"]), "")
            if not target or target.lower().endswith((".svg", ".emf", ".wmf")):
                continue
            data = package.read("word/" + target.lstrip("/").removeprefix("word/"))
            pixels = _png_size(data) or _jpeg_size(data)
            inches = int(extent.get("cx")) / EMU_PER_INCH
            if pixels and inches > 0 and pixels[0] / inches < MIN_DPI - 1:
                problems.append(f"figure {target}: {pixels[0] / inches:.0f} dpi at its printed size "
                                f"(at least {MIN_DPI})")
        text = "".join(t.text or "" for t in root.iter(f"{w}t"))
        if INLINE_SOURCE.search(text):
            problems.append("inline code left as source ({python} ...)")
    return problems


def docx_column_widths(path: str | Path) -> list[list[int]]:
    """The grid column widths (twentieths of a point) of every table of a Word file."""
    from xml.etree import ElementTree as ET

    w = "{%s}" % _NS["w"]
    with zipfile.ZipFile(path) as package:
        root = ET.fromstring(package.read("word/document.xml"))
    return [[int(col.get(f"{w}w")) for col in table.findall(f"{w}tblGrid/{w}gridCol")]
            for table in root.iter(f"{w}tbl")]


# =========================================================================== HTML
_CITATION = re.compile(r'<a href="#ref-([^"]+)"[^>]*role="doc-biblioref"[^>]*>\s*\[?(\d+)')
_ENTRY = re.compile(r'<div id="ref-([^"]+)"[^>]*class="csl-entry"[^>]*>.*?<div class="csl-left-margin">\s*\[?(\d+)', re.S)


def html_citation_numbers(page: str) -> dict[str, set[int]]:
    """Reference key -> the numbers shown for it on one HTML page (citations and entries)."""
    numbers: dict[str, set[int]] = defaultdict(set)
    for key, number in _CITATION.findall(page) + _ENTRY.findall(page):
        numbers[key].add(int(number))
    return numbers


class _ProseText(HTMLParser):
    """Collects a page's text outside code listings, scripts and styles (see html_prose)."""

    SKIPPED = {"pre", "script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIPPED:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def html_prose(page: str) -> str:
    """The text of an HTML page a reader reads as prose: code listings (`<pre>`) left out.

    A chapter's code and Quarto's View-source listing (`code-tools`) show `{python}` expressions
    as the source they are; an expression left unevaluated in the prose is inline `<code>`
    outside any `<pre>`, and stays in.
    """
    parser = _ProseText()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts)


def html_problems(pages: Iterable[Path]) -> list[str]:
    """A citation number must mean one reference, and a reference one number, on every page."""
    shown: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    problems = []
    for path in sorted(pages):
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        if INLINE_SOURCE.search(html_prose(text)):
            problems.append(f"{Path(path).name}: inline code left as source ({{python}} ...)")
        for key, numbers in html_citation_numbers(text).items():
            for number in numbers:
                shown[key][number].append(Path(path).name)
    for key, numbers in sorted(shown.items()):
        if len(numbers) > 1:
            detail = "; ".join(f"[{n}] on {', '.join(sorted(set(p)))}" for n, p in sorted(numbers.items()))
            problems.append(f"reference {key!r} has different numbers: {detail}")
    by_number: dict[int, set[str]] = defaultdict(set)
    for key, numbers in shown.items():
        for number in numbers:
            by_number[number].add(key)
    for number, keys in sorted(by_number.items()):
        if len(keys) > 1:
            problems.append(f"citation number [{number}] stands for {len(keys)} references: {', '.join(sorted(keys))}")
    return problems


# ======================================================================== the book
def audit_book(book_dir: str | Path) -> dict[str, list[str]]:
    """Audit every output of a rendered book folder: {file: problems} (empty lists: clean)."""
    book = Path(book_dir)
    results: dict[str, list[str]] = {}
    for pdf in sorted(book.glob("*.pdf")):
        results[pdf.name] = pdf_problems(pdf)
    for docx in sorted(book.glob("*.docx")):
        results[docx.name] = docx_problems(docx)
    pages = sorted(p for p in book.rglob("*.html") if "site_libs" not in p.parts)
    if pages:
        results["HTML pages"] = html_problems(pages)
    return results
