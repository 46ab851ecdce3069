"""Supplement export: every labelled table (CSV, XLSX) and figure (PNG 300 dpi, SVG, PDF) in one folder.

Files are named by their Quarto label (`tbl-baseline.csv`, `fig-pfs.svg`, ...), so the
manuscript and the report cite the same names; `captions.md` lists each label with its
caption. Only aggregated tables and figures are written, never patient rows. On synthetic
data every file says so itself: a table note, a line at the foot of each figure.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt

from analysis.report import figures, style
from analysis.report.context import ReportContext
from analysis.report.report_table import ReportTable
from analysis.report.sections import all_artifacts

FIGURE_FORMATS = ("png", "svg", "pdf")
PNG_DPI = style.RASTER_DPI


def export_supplement(ctx: ReportContext, out_dir: str | Path) -> list[Path]:
    """Write every table and figure of the four sections to `out_dir`; return the files written.

    Tables follow the context's small-cell threshold (`ReportContext.open(...,
    small_cell_threshold=5)` or $TKI_SMALL_CELL_THRESHOLD).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    captions = ["# Tables and figures", ""]
    if ctx.synthetic:
        captions += [f"**{ctx.data_note}**", ""]
    for item in all_artifacts():
        result = item.build(ctx)
        stem = out / item.label
        if isinstance(result, ReportTable):
            if ctx.synthetic:
                result = result.add_notes(ctx.data_note)
            written += list(result.save(stem))
        else:
            if ctx.synthetic:  # a figure file travels alone: it says so itself
                figures.add_footnote(result, ctx.data_note)
            for fmt in FIGURE_FORMATS:
                path = stem.with_suffix(f".{fmt}")
                result.savefig(path, dpi=PNG_DPI if fmt == "png" else None, bbox_inches="tight",
                               metadata=_metadata(fmt))
                if fmt == "svg":
                    path.write_text(_stable_clip_ids(path.read_text(encoding="utf-8")), encoding="utf-8")
                written.append(path)
            plt.close(result)
        captions.append(f"- `{item.label}` ({item.section}): {ctx.caption(item.label)}")
        if item.kind == "figure":
            captions.append(f"  Alt text: {item.alt}")
    index = out / "captions.md"
    index.write_text("\n".join(captions) + "\n", encoding="utf-8")
    return written + [index]


_CLIP_ID = re.compile(r"\bp[0-9a-f]{10}\b")


def _stable_clip_ids(svg: str) -> str:
    """Number matplotlib's clip-path ids by first appearance (they hash object addresses)."""
    numbering: dict[str, str] = {}

    def renumber(match: re.Match) -> str:
        return numbering.setdefault(match[0], f"clip{len(numbering) + 1:06d}")
    return _CLIP_ID.sub(renumber, svg)


def _metadata(fmt: str) -> dict | None:
    """Fixed file metadata so the same data give byte-identical SVG and PDF files."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    return None
