"""The Word styles of the report (`reference-doc`): Pandoc's reference document, with journal tables.

Made from Pandoc's own default reference.docx (so every style Pandoc writes exists), changed
where the rendered Word file fell short of a journal supplement:

- tables: 9 pt text and 3 pt cell margins (a nine-column Cox table fits the portrait page), a rule above and below
  the table and under the header row (three rules, as in a Lancet or JCO table);
- "Synthetic data notice": the synthetic-data banner as a shaded, bordered paragraph (Quarto's
  Word callout writes invalid paragraph properties);
- "TOC 1" / "TOC 2": the written-out contents list (word-contents.lua).

`python -m analysis word-reference` rewrites analysis/book/quarto/word-reference.docx; the
bytes are the same on every run (fixed zip times), so the committed file is reproducible.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

from analysis.config import PROJECT_ROOT

REFERENCE_DOC = PROJECT_ROOT / "analysis" / "book" / "quarto" / "word-reference.docx"
#: The Pandoc whose reference document the committed file was made from (`make word-reference`).
MADE_WITH_PANDOC = "3.9"
TABLE_TEXT_HALF_POINTS = 18          # 9 pt
RULE_EIGHTHS = {"outer": 8, "header": 4}  # 1 pt above and below the table, 0.5 pt under the header
CELL_MARGIN_TWIPS = 60               # 3 pt left and right in each cell (Pandoc's: 5.4 pt)

_EXTRA_STYLES = """
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="SyntheticDataNotice">
    <w:name w:val="Synthetic data notice" />
    <w:basedOn w:val="BodyText" />
    <w:qFormat />
    <w:pPr>
      <w:pBdr><w:left w:val="single" w:sz="24" w:space="8" w:color="B45309" /></w:pBdr>
      <w:shd w:val="clear" w:color="auto" w:fill="FEF3C7" />
      <w:ind w:left="170" />
    </w:pPr>
  </w:style>
  <w:style w:type="paragraph" w:styleId="TOC1">
    <w:name w:val="toc 1" />
    <w:basedOn w:val="Normal" />
    <w:next w:val="Normal" />
    <w:uiPriority w:val="39" />
    <w:pPr><w:spacing w:before="120" w:after="40" /></w:pPr>
    <w:rPr><w:b /></w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:styleId="TOC2">
    <w:name w:val="toc 2" />
    <w:basedOn w:val="Normal" />
    <w:next w:val="Normal" />
    <w:uiPriority w:val="39" />
    <w:pPr><w:spacing w:before="0" w:after="40" /><w:ind w:left="360" /></w:pPr>
  </w:style>
"""


def pandoc_reference_docx() -> bytes:
    """Pandoc's default reference.docx (from the Pandoc that pypandoc_binary ships)."""
    import pypandoc

    result = subprocess.run([pypandoc.get_pandoc_path(), "--print-default-data-file", "reference.docx"],
                            capture_output=True, check=True, timeout=60)
    return result.stdout


def report_styles(styles_xml: str) -> str:
    """Pandoc's styles.xml with the report's table, notice and contents styles."""
    table = re.search(r'<w:style w:type="table" w:default="1" w:styleId="Table">.*?</w:style>', styles_xml, re.S)
    if table is None:
        raise ValueError("Pandoc's reference document has no 'Table' style")
    outer = RULE_EIGHTHS["outer"]
    style = table.group(0)
    style = style.replace("<w:tblPr>", "<w:tblPr>\n      <w:tblBorders>"
                          f'<w:top w:val="single" w:sz="{outer}" w:space="0" w:color="000000" />'
                          f'<w:bottom w:val="single" w:sz="{outer}" w:space="0" w:color="000000" />'
                          "</w:tblBorders>", 1)
    style = style.replace('<w:bottom w:val="single"/>',
                          f'<w:bottom w:val="single" w:sz="{RULE_EIGHTHS["header"]}" w:space="0" w:color="000000"/>')
    style = style.replace('<w:left w:w="108" w:type="dxa" />', f'<w:left w:w="{CELL_MARGIN_TWIPS}" w:type="dxa" />')
    style = style.replace('<w:right w:w="108" w:type="dxa" />', f'<w:right w:w="{CELL_MARGIN_TWIPS}" w:type="dxa" />')
    size = TABLE_TEXT_HALF_POINTS
    style = style.replace("</w:tblPr>", f'</w:tblPr>\n    <w:rPr><w:sz w:val="{size}" /><w:szCs w:val="{size}" /></w:rPr>', 1)
    styles_xml = styles_xml.replace(table.group(0), style)
    return styles_xml.replace("</w:styles>", _EXTRA_STYLES + "</w:styles>")


def build_reference_docx(source: bytes) -> bytes:
    """The report's reference document from Pandoc's, with fixed file times (same bytes each run)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in sorted(original.infolist(), key=lambda i: i.filename):
            data = original.read(info.filename)
            if info.filename == "word/styles.xml":
                data = report_styles(data.decode("utf-8")).encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    return out.getvalue()


def write_reference_docx(path: Path = REFERENCE_DOC) -> Path:
    path.write_bytes(build_reference_docx(pandoc_reference_docx()))
    return path
