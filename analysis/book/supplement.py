"""The manuscript's tables and figures and its Supplementary Appendix, as a journal receives them.

`export_supplement` writes, from the register of labelled tables and figures and supplement.yml
(analysis.book.supplement_plan):

- `main/`: the manuscript's tables as editable Word tables (`Table 1.docx`, caption above, notes
  below) and as `Table 1.xlsx`; its figures as `Figure 1.tif` (300 dpi, LZW) and vector
  `Figure 1.pdf`;
- `source-data/`: the numbers behind every figure, main and appendix (`Figure 1.csv`, `Figure S1.csv`);
- `Supplementary Appendix.pdf` and `.docx`, rendered by Quarto (analysis.book.appendix);
- `manifest.csv`: every file with its number, report label and caption.

Only aggregated tables and figures are written, counts under the small-cell threshold as '<N'. On
synthetic data every file says so itself (a table note, a line under each figure). Everything is
built in a temporary folder next to `out_dir` and moved in at the end, so an error leaves the
folder as it was; the same data give the same bytes (fixed document dates, SOURCE_DATE_EPOCH).
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from analysis.report import figures, style
from analysis.report.context import ReportContext
from analysis.report.report_table import ReportTable
from analysis.report.sections import all_artifacts
from analysis.report.source_data import source_data_of

from .appendix import TITLE, appendix_documents, render_appendix
from .supplement_plan import PLAN_FILE, PlannedItem, read_plan
from .title_page import book_metadata, book_title_and_author
from .word_table import write_word_table

MAIN, SOURCE_DATA, MANIFEST = "main", "source-data", "manifest.csv"
APPENDIX_FILES = (f"{TITLE}.pdf", f"{TITLE}.docx")
#: Everything `export_supplement` owns in its folder (replaced on each run; nothing else touched).
OWNED = (MAIN, SOURCE_DATA, MANIFEST, *APPENDIX_FILES)
TIFF_DPI = style.RASTER_DPI
MANIFEST_COLUMNS = ("file", "number", "label", "caption")


@dataclass(frozen=True)
class Written:
    """One file of the supplement, for the manifest."""

    file: str
    number: str
    label: str
    caption: str


@dataclass(frozen=True)
class SupplementResult:
    """What `export_supplement` wrote, and why the appendix is missing if it is."""

    files: list[Path]
    appendix_note: str | None


def _table_files(table: ReportTable, item: PlannedItem, caption: str, folder: Path) -> list[Path]:
    docx = write_word_table(table, item.number, caption, folder / f"{item.number}.docx")
    xlsx = table.save_xlsx(folder / f"{item.number}.xlsx")
    return [docx, xlsx]


def _figure_files(figure: Figure, item: PlannedItem, folder: Path) -> list[Path]:
    tif, pdf = folder / f"{item.number}.tif", folder / f"{item.number}.pdf"
    figure.savefig(tif, dpi=TIFF_DPI, bbox_inches="tight", pil_kwargs={"compression": "tiff_lzw"})
    figure.savefig(pdf, bbox_inches="tight", metadata={"CreationDate": None, "ModDate": None})
    return [tif, pdf]


def _source_data(ctx: ReportContext, item: PlannedItem, folder: Path) -> Path:
    path = folder / f"{item.number}.csv"
    source_data_of(item.label)(ctx).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def _write_manifest(rows: list[Written], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows((row.file, row.number, row.label, row.caption) for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _build(ctx: ReportContext, items: list[PlannedItem], folder: Path,
           appendix: Callable[[list[PlannedItem], Path], str | None]) -> tuple[list[Written], str | None]:
    """Write every file into `folder`; the manifest's rows and the appendix note."""
    (folder / MAIN).mkdir()
    (folder / SOURCE_DATA).mkdir()
    rows: list[Written] = []
    for item in items:
        caption = str(ctx.caption(item.label))
        if item.kind == "figure":
            path = _source_data(ctx, item, folder / SOURCE_DATA)
            rows.append(Written(path.relative_to(folder).as_posix(), item.number, item.label,
                                f"Source data of {item.number}: {caption}"))
        if item.place != MAIN:
            continue
        result = item.artifact.build(ctx)
        if isinstance(result, ReportTable):
            written = _table_files(result.add_notes(ctx.data_note) if ctx.synthetic else result,
                                   item, caption, folder / MAIN)
        else:
            if ctx.synthetic:  # a figure file travels alone: it says so itself
                figures.add_footnote(result, ctx.data_note)
            written = _figure_files(result, item, folder / MAIN)
            plt.close(result)
        rows += [Written(p.relative_to(folder).as_posix(), item.number, item.label, caption) for p in written]
    note = appendix(items, folder)
    if note is None:
        rows += [Written(name, item.number, item.label, str(ctx.caption(item.label)))
                 for name in APPENDIX_FILES for item in items if item.place == "appendix"]
    return rows, note


#: What the export wrote before the journal layout: files named by report label, and their list.
_EARLIER_SUFFIXES = (".csv", ".xlsx", ".png", ".svg", ".pdf")


def _remove_earlier_layout(out: Path, labels: list[str]) -> None:
    """Remove the files an earlier version wrote to the same folder (`tbl-baseline.csv`,
    `fig-pfs.svg`, `captions.md`), so a reader never takes a stale file for a current one."""
    for path in [out / "captions.md"] + [out / f"{label}{suffix}" for label in labels for suffix in _EARLIER_SUFFIXES]:
        if path.is_file():
            path.unlink()


def export_supplement(ctx: ReportContext, out_dir: str | Path, plan: str | Path = PLAN_FILE,
                      quarto: Path | None = None) -> SupplementResult:
    """Write the supplement to `out_dir` (see the module docstring); the Supplementary Appendix
    only with `quarto`, else the result says why it is missing.

    supplement.yml is read before anything is written: a problem in it raises
    `supplement_plan.PlanError`. Tables follow the context's small-cell threshold
    (`ReportContext.open(..., small_cell_threshold=5)` or $TKI_SMALL_CELL_THRESHOLD).
    """
    items = read_plan(all_artifacts(), plan)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def appendix(planned: list[PlannedItem], folder: Path) -> str | None:
        if not any(item.place == "appendix" for item in planned):
            return "no table or figure is assigned to the appendix in supplement.yml"
        if quarto is None:
            return (f"{TITLE} not written: it is rendered by Quarto >= 1.9, which was not found "
                    "(`make quarto`, or see README: Quarto); everything else is written")
        title, author = book_title_and_author()
        documents = appendix_documents(planned, title, book_metadata(ctx.study)["subtitle_lines"], author)
        pdf, docx = render_appendix(documents, quarto, ctx.study.directory, ctx.small_cell_threshold)
        shutil.copyfile(pdf, folder / APPENDIX_FILES[0])
        shutil.copyfile(docx, folder / APPENDIX_FILES[1])
        return None

    _remove_earlier_layout(out, [item.label for item in items])
    with tempfile.TemporaryDirectory(dir=out, prefix=".supplement-") as building:
        folder = Path(building)
        rows, note = _build(ctx, items, folder, appendix)
        _write_manifest(rows, folder / MANIFEST)
        for name in OWNED:  # replace what an earlier run wrote, and only that
            old = out / name
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
            if (folder / name).exists():
                (folder / name).rename(old)
    files = sorted(p for name in OWNED for p in ([out / name] if (out / name).is_file()
                                                   else (out / name).rglob("*")) if p.is_file())
    return SupplementResult(files, note)
