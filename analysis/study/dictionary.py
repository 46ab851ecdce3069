"""Write the data dictionary (data/README.md) from the schema, so documentation and checks agree."""

from __future__ import annotations

from . import schema

_KIND_TYPES = {"id": "text (identifier)", "category": "text (code)", "integer": "integer",
               "flag": "integer 0/1", "date": "date"}

_INTRO = """# Data dictionary

Every data folder (the bundled `data/synthetic/`, or a real extract pointed to by
`TKI_DATA_DIR`) holds the four files below. `python -m analysis validate DIR` checks every
rule on this page and lists every problem (file, line, patient, column, rule, value) with
a non-zero exit; the report does not render on data that fail. Input files are only read,
never modified.

This page is generated from `analysis/study/schema.py` by `python -m analysis dictionary`; a
test fails if the two disagree.

## General rules
- Files are UTF-8, comma-separated, with one header row; column order is free.
- Missing values are empty cells. A column marked *required* may not have them.
- Dates are ISO `YYYY-MM-DD` (Excel serial numbers and day/month forms are refused) and
  may not be later than the data cut-off in `dataset.yml`. Durations (PFS and the
  others) are derived from the dates, never stored: months = days / 30.4375.
- Codes are matched exactly, case and spelling included. A value with leading or
  trailing spaces, or in another case (`cr` for `CR`), is refused with a message saying
  so, never silently normalised or misread.
- A column not listed here is ignored with a warning, except one whose name looks like a
  direct identifier (containing any of: {patterns}), which is refused. Patient names,
  contact details, national ID or medical-record numbers, addresses and birth dates must
  never enter a data folder; `patient_id` is a pseudonymous study number, and the report
  shows sequence numbers 1..N instead of it.

## `{meta}`
Study-level facts, YAML:

| field | meaning |
|---|---|
{meta_rows}
"""


def _table_markdown(table: schema.Table) -> str:
    lines = [f"## `{table.file}`", "", f"One row: {table.row_meaning}. "
             f"Key: {', '.join('`' + k + '`' for k in table.key)}.", "",
             "| column | type | unit | allowed values or range | missing | meaning |",
             "|---|---|---|---|---|---|"]
    for c in table.columns:
        lines.append(f"| `{c.name}` | {_KIND_TYPES[c.kind]} | {c.unit or '–'} | "
                     f"{c.rule_text()} | {'allowed' if c.nullable else 'required'} | {c.meaning} |")
    return "\n".join(lines)


def dictionary_markdown() -> str:
    """The full data dictionary as Markdown."""
    meta_rows = "\n".join(f"| `{k}` | {v} |" for k, v in schema.METADATA_FIELDS.items())
    parts = [_INTRO.format(meta=schema.METADATA_FILE, meta_rows=meta_rows,
                           patterns=", ".join(schema.IDENTIFIER_NAME_PATTERNS))]
    parts += [_table_markdown(t) for t in schema.TABLES]
    rules = ["## Rules across columns and files",
             "- T-DM1 started on or after the first trastuzumab and progressed after it started; "
             "the TKI started on or after T-DM1 progression; `tdm1_line` < `tki_line`.",
             "- `progression_date` after `tki_start_date`; `death_date` and "
             "`last_assessment_date` not before it; `death_date` not before `progression_date`; "
             "`last_assessment_date` not before `progression_date` and not after `death_date`.",
             "- Adjuvant trastuzumab needs `trastuzumab_end_date` and no "
             "`trastuzumab_best_response`; metastatic the reverse.",
             "- Best overall response PD needs a `progression_date`; "
             "`discontinued_for_toxicity` = 1 needs a `tki_end_date`; liver or lung "
             "metastases imply `visceral_metastasis` = 1.",
             "- Every adverse event belongs to a patient of `patients.csv`; one row per "
             "patient, term and grade.",
             "- The screening log lists every patient of `patients.csv` exactly once as "
             "`included` (with `patient_id`); excluded rows carry a reason and no `patient_id`.",
             "",
             "## CTCAE v5.0 terms and report labels",
             "", "| CTCAE v5.0 term | label in the report |", "|---|---|"]
    rules += [f"| {term} | {label} |" for term, label in schema.CTCAE_TERMS.items()]
    rules += ["", "## Screening outcomes", "", "| code | meaning |", "|---|---|"]
    rules += [f"| `{code}` | {text} |" for code, text in schema.SCREENING_OUTCOMES.items()]
    parts.append("\n".join(rules))
    return "\n\n".join(parts) + "\n"
