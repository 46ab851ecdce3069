"""Write the data dictionary (data/README.md) from the schema, so documentation and checks agree."""

from __future__ import annotations

from . import schema
from .identifiers import IDENTIFIER_WORDS

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
- Column names are matched exactly. A near miss (`Patient_ID`, `centre ` with a trailing
  space) is reported once, naming the name found and the name expected; rules that
  depend on a missing column wait until the header is right.
- A column not listed here is ignored with a warning, except one whose name looks like a
  direct identifier, which is refused. Names are compared after folding case and width and
  removing spaces and punctuation, against the identifier words of the centres' languages
  ({patterns}). Patient names, contact details, national ID or medical-record numbers,
  addresses and birth dates must never enter a data folder.
- A value shaped like a Chinese resident ID number (18 characters with a valid check
  digit), a mainland mobile number (11 digits, 1[3-9]...) or an e-mail address is refused
  in every column, `patient_id` and `screening_id` included: these are pseudonymous study
  numbers, and the report shows sequence numbers 1..N instead of them.
- A file that is not a readable regular file (a folder, a pipe, no read permission), not
  UTF-8 (UTF-16, GBK), with a cell over 128 KiB, or whose header cannot be this file's is
  refused with a message saying so; reading stops early on such junk.

## `{meta}`
Study-level facts, YAML:

| field | meaning |
|---|---|
{meta_rows}

## The Excel workbook (in place of the folder)
`python -m analysis template --out extract.xlsx` writes a data-entry workbook made from
this page: one sheet per file, named as the file without `.csv` (`patients`,
`adverse_events`, `screening_log`), its columns in order with their meaning and rule as
header comments, drop-down lists for every code and 0/1 flag, date-typed date columns;
a `dataset` sheet holding the fields of `{meta}`, one per row (column `field`: `title`,
`synthetic`, `data_cutoff`; column `value`: text, TRUE/FALSE, a date); a `rules` sheet
with this page's rules, and a `codes` sheet feeding the drop-downs. Give the `.xlsx`
file wherever a data folder is accepted (`validate`, `results`, `export`,
`TKI_DATA_DIR=extract.xlsx`): the same rules apply, and messages name the sheet, row and
column. Date-typed cells are read as dates; a date typed as text must still be ISO
`YYYY-MM-DD`. The workbook is only read.
"""


#: The rules that span columns or files, in words (the dictionary and the workbook's rules sheet).
CROSS_RULES = (
    "T-DM1 started on or after the first trastuzumab and progressed after it started; "
    "the TKI started on or after T-DM1 progression; `tdm1_line` < `tki_line`.",
    "`progression_date` after `tki_start_date`; `death_date` and "
    "`last_assessment_date` not before it; `death_date` not before `progression_date`; "
    "`last_assessment_date` not before `progression_date` and not after `death_date`.",
    "Death before any tumour assessment: `last_assessment_date` may be empty only "
    "when `death_date` is given; then `progression_date` is empty, "
    "`best_overall_response` is NE, PFS ends at death (an event), and the patient is "
    "counted in every response rate as a non-responder without disease control or "
    "clinical benefit.",
    "Adjuvant trastuzumab needs `trastuzumab_end_date` and no "
    "`trastuzumab_best_response`; metastatic the reverse.",
    "Best overall response PD needs a `progression_date`; "
    "`discontinued_for_toxicity` = 1 needs a `tki_end_date`; liver or lung "
    "metastases imply `visceral_metastasis` = 1.",
    "Every adverse event belongs to a patient of `patients.csv`; one row per "
    "patient, term and grade.",
    "The screening log lists every patient of `patients.csv` exactly once as "
    "`included` (with `patient_id`); excluded rows carry a reason and no `patient_id`.",
)


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
                           patterns="; ".join(f"{language}: {', '.join(words)}"
                                              for language, words in IDENTIFIER_WORDS.items()))]
    parts += [_table_markdown(t) for t in schema.TABLES]
    rules = ["## Rules across columns and files"]
    rules += [f"- {rule}" for rule in CROSS_RULES]
    rules += ["", "## CTCAE v5.0 terms and report labels",
             "", "| CTCAE v5.0 term | label in the report |", "|---|---|"]
    rules += [f"| {term} | {label} |" for term, label in schema.CTCAE_TERMS.items()]
    rules += ["", "## Screening outcomes", "", "| code | meaning |", "|---|---|"]
    rules += [f"| `{code}` | {text} |" for code, text in schema.SCREENING_OUTCOMES.items()]
    parts.append("\n".join(rules))
    return "\n\n".join(parts) + "\n"
