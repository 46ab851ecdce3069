"""Privacy: no source patient id and no per-patient date reaches the report or the supplement."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis.book.section_files import book_chapters
from analysis.book.supplement import export_supplement
from analysis.report.report_table import read_saved
from analysis.config import BUNDLED_DATA
from analysis.report.context import ReportContext

DATE_COLUMNS_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d %B %Y", "%B %d, %Y", "%Y%m%d")


def _forbidden_strings(study) -> set[str]:
    """Source ids and every per-patient date (in common spellings), but not the study cut-off."""
    ids = set(study.patients["patient_id"]) | set(study.screening["screening_id"])
    dates = pd.concat([study.patients[c] for c in study.patients.columns if c.endswith("_date")])
    dates = set(dates.dropna()) - {study.data_cutoff}
    spelled = {d.strftime(f) for d in dates for f in DATE_COLUMNS_FORMATS}
    return ids | spelled


def _supplement_text(folder: Path) -> dict[str, str]:
    """The text of every file of the supplement (CSV, the XML inside Word and Excel files, the
    words of the PDF figures)."""
    from pdfminer.high_level import extract_text

    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if path.suffix in (".csv", ".md", ".svg"):
            texts[name] = path.read_text(encoding="utf-8")
        elif path.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(path) as book:
                texts[name] = "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
        elif path.suffix == ".pdf":
            texts[name] = extract_text(str(path))
    return texts


def _leaks(texts: dict[str, str], forbidden: set[str]) -> list[tuple[str, str]]:
    return [(name, item) for name, text in texts.items() for item in forbidden if item in text]


def test_executed_chapters_contain_no_source_id_or_patient_date(study, executed):
    """Every chapter that runs code: summary, methods, the four sections, the appendices."""
    forbidden = _forbidden_strings(study)
    texts = {}
    for chapter in book_chapters():
        texts[chapter.name] = nbformat.writes(executed(chapter.name))
    assert {"cohort", "efficacy", "subgroups", "safety", "index", "methods", "reproducibility"} <= set(texts)
    assert _leaks(texts, forbidden) == []


def test_supplement_contains_no_source_id_or_patient_date(study, tmp_path: Path):
    export_supplement(ReportContext.open(BUNDLED_DATA), tmp_path)
    texts = _supplement_text(tmp_path)
    assert {Path(name).suffix for name in texts} >= {".docx", ".xlsx", ".pdf", ".csv"}
    assert _leaks(texts, _forbidden_strings(study)) == []


def test_the_scan_would_catch_a_leak(study):
    """The scanner itself works: a planted id and a planted date are both found."""
    row = study.patients.iloc[0]
    planted = {"a.csv": f"x,{row['patient_id']}", "b.md": row["tki_start_date"].strftime("%d %B %Y")}
    assert len(_leaks(planted, _forbidden_strings(study))) == 2


def test_small_cell_threshold_suppresses_counts_in_the_export(tmp_path: Path):
    export_supplement(ReportContext.open(BUNDLED_DATA, small_cell_threshold=5), tmp_path)
    baseline = read_saved(tmp_path / "main" / "Table 1.xlsx")
    cells = baseline.iloc[:, -1]
    assert cells.str.startswith("<5").any()
    counts = pd.to_numeric(cells.str.extract(r"^(\d+) \(\d+\.\d\)$")[0], errors="coerce").dropna()  # n (%) cells
    assert not counts.between(1, 4).any()


def test_small_cell_setting_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TKI_SMALL_CELL_THRESHOLD", "5")
    assert ReportContext.open(BUNDLED_DATA).small_cell_threshold == 5
    monkeypatch.setenv("TKI_SMALL_CELL_THRESHOLD", "one")
    with pytest.raises(ValueError, match="TKI_SMALL_CELL_THRESHOLD"):
        ReportContext.open(BUNDLED_DATA)


def test_fatal_events_are_listed_by_sequence_number_not_source_id(data_copy: Path):
    from analysis.report.sections import safety

    events = pd.read_csv(data_copy / "adverse_events.csv", dtype=str)
    events.loc[len(events)] = ["SYN000005", "Sepsis", "5"]
    events.to_csv(data_copy / "adverse_events.csv", index=False)
    ctx = ReportContext.open(data_copy)
    text = safety.facts(ctx).fatal
    sequence = int(ctx.data.loc[ctx.data["patient_id"] == "SYN000005", "sequence"].iloc[0])
    assert text.endswith(f"patient {sequence} (sepsis)") and "SYN" not in text
