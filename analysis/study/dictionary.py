"""Write the data dictionary (data/README.md) from the schema, so documentation and checks agree."""

from __future__ import annotations

from . import schema
from .derive import (
    ADJUVANT_PRIMARY_MONTHS,
    CLINICAL_BENEFIT_DAYS,
    DAYS_PER_MONTH,
    END_OF_TREATMENT_WINDOW_DAYS,
    METASTATIC_PRIMARY_MONTHS,
    TDM1_BENEFIT_MONTHS,
)
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


_AS_INPUT = "as in `patients.csv`"
_YES_NO = "`yes`/`no` from the 0/1 flag of the same name in `patients.csv`"

#: Every column of the analysis dataset (`python -m analysis derive`, analysis/study/derive.py)
#: and how it is derived; a test checks that this list and the dataset's columns agree.
DERIVED_COLUMNS = {
    "patient_id": f"{_AS_INPUT}; never shown in the report",
    "sequence": "pseudonymous number 1..N shown in the report in place of `patient_id` (a fixed "
                "seeded permutation of the patients sorted by `patient_id`)",
    "centre": _AS_INPUT,
    "age_years": _AS_INPUT,
    "age_group": "`<50` or `≥50` years",
    "hormone_receptor": _AS_INPUT,
    "ecog": "ECOG performance status grouped `0`, `1`, `≥2`",
    "visceral_metastasis": _YES_NO,
    "liver_metastasis": _YES_NO,
    "lung_metastasis": _YES_NO,
    "bone_metastasis": _YES_NO,
    "brain_metastasis": _YES_NO,
    "prior_lines": "lines of therapy for metastatic disease before the TKI: `tki_line` − 1",
    "prior_lines_group": "`prior_lines` grouped `≤2`, `≥3`",
    "prior_pertuzumab": _YES_NO,
    "prior_lapatinib": _YES_NO,
    "trastuzumab_setting": _AS_INPUT,
    "trastuzumab_resistance": "`primary` or `acquired` (ESO-ESMO ABC): adjuvant — recurrence within "
                              f"{ADJUVANT_PRIMARY_MONTHS:g} months after the last adjuvant dose is "
                              "primary; metastatic — progression within "
                              f"{METASTATIC_PRIMARY_MONTHS:g} months of starting trastuzumab or "
                              "best response PD is primary; otherwise acquired",
    "tdm1_line": _AS_INPUT,
    "tdm1_months": "months from `tdm1_start_date` to `tdm1_progression_date`",
    "tdm1_best_response": _AS_INPUT,
    "tdm1_benefit": f"`yes` when `tdm1_months` ≥ {TDM1_BENEFIT_MONTHS:g} or `tdm1_best_response` is "
                    "CR or PR (the project's stated assumption), else `no`",
    "tki_agent": _AS_INPUT,
    "tki_partner": _AS_INPUT,
    "tki_line": _AS_INPUT,
    "pfs_months": "progression-free survival: months from `tki_start_date` to the earlier of "
                  "`progression_date` and `death_date`, else to `last_assessment_date` (censored)",
    "pfs_event": "1 when PFS ended in progression or death, 0 when censored",
    "progressed": "1 when `progression_date` is given",
    "died": "1 when `death_date` is given",
    "best_overall_response": _AS_INPUT,
    "objective_response": "1 when `best_overall_response` is CR or PR (NE counts as 0)",
    "disease_control": "1 when `best_overall_response` is CR, PR or SD",
    "clinical_benefit": "1 for CR or PR, or SD lasting at least "
                        f"{CLINICAL_BENEFIT_DAYS // 7} weeks (measured as the PFS time)",
    "treatment_months": "months on the TKI: `tki_start_date` to `tki_end_date`; for a patient on "
                        "treatment at the cut-off, to `last_assessment_date` (or `death_date` "
                        "when she died before any assessment)",
    "on_treatment_at_cutoff": "1 when `tki_end_date` is empty",
    "treatment_end_reason": "why the TKI ended, first match wins: `ongoing` (no `tki_end_date`), "
                            "`toxicity` (`discontinued_for_toxicity` = 1), `progression` or "
                            f"`death` (on or within {END_OF_TREATMENT_WINDOW_DAYS} days after "
                            "`tki_end_date`), else `other`",
    "dose_reduction": _AS_INPUT,
    "dose_interruption": _AS_INPUT,
    "discontinued_for_toxicity": _AS_INPUT,
}


def _derived_markdown() -> str:
    lines = ["## The analysis dataset (derived)", "",
             "`python -m analysis derive DIR --out FILE` writes one row per patient with these "
             "columns, derived from the files above (`analysis/study/derive.py`); every patient-level "
             f"table and figure of the report is computed from them (adverse events and screening "
             f"from their own files). Months = days / {DAYS_PER_MONTH}.",
             "", "| column | derivation |", "|---|---|"]
    lines += [f"| `{column}` | {text} |" for column, text in DERIVED_COLUMNS.items()]
    return "\n".join(lines)


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
    parts.append(_derived_markdown())
    return "\n\n".join(parts) + "\n"
