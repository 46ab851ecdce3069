"""The data dictionary, as code.

One declaration per column drives three things: validation (pandera checks built from
it), type conversion after validation, and the published dictionary `data/README.md`
(written by `python -m analysis dictionary`), so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "category", "integer", "flag", "date"]

RESPONSE_CODES = ("CR", "PR", "SD", "PD", "NE")
TKI_AGENTS = ("pyrotinib", "lapatinib", "neratinib", "tucatinib")
TKI_PARTNERS = ("capecitabine", "other_chemotherapy", "trastuzumab", "none")
CENTRES = ("nanjing_fahnmu", "hangzhou_zjch", "hangzhou_sahzu")

#: CTCAE v5.0 terms accepted in the adverse-event table, with the display name used in
#: the report. The list covers the events expected with HER2-directed TKIs and
#: chemotherapy partners; a study team extends it here (and the dictionary follows).
CTCAE_TERMS: dict[str, str] = {
    "Diarrhea": "Diarrhoea",
    "Palmar-plantar erythrodysesthesia syndrome": "Hand-foot syndrome",
    "White blood cell decreased": "Leucopenia",
    "Neutrophil count decreased": "Neutropenia",
    "Anemia": "Anaemia",
    "Platelet count decreased": "Thrombocytopenia",
    "Nausea": "Nausea",
    "Vomiting": "Vomiting",
    "Fatigue": "Fatigue",
    "Anorexia": "Anorexia",
    "Mucositis oral": "Oral mucositis",
    "Alanine aminotransferase increased": "ALT increased",
    "Aspartate aminotransferase increased": "AST increased",
    "Blood bilirubin increased": "Bilirubin increased",
    "Rash acneiform": "Acneiform rash",
    "Paronychia": "Paronychia",
    "Hypokalemia": "Hypokalaemia",
    "Weight loss": "Weight loss",
    "Abdominal pain": "Abdominal pain",
    "Alopecia": "Alopecia",
    "Peripheral sensory neuropathy": "Peripheral sensory neuropathy",
    "Electrocardiogram QT corrected interval prolonged": "QTc prolonged",
    "Ejection fraction decreased": "Ejection fraction decreased",
    "Febrile neutropenia": "Febrile neutropenia",
    "Sepsis": "Sepsis",
}

#: Screening-log outcomes: `included` or one exclusion reason (code -> display text). Every
#: treated patient who meets the criteria is analysed: a patient with no evaluable response
#: is included and counted as NE (a non-responder), never excluded.
SCREENING_OUTCOMES: dict[str, str] = {
    "included": "Included in the analysis",
    "her2_not_confirmed": "HER2 positivity not confirmed",
    "no_tdm1_progression": "No documented progression on T-DM1",
    "tki_not_after_tdm1": "TKI not started after T-DM1 failure",
    "tki_in_clinical_trial": "TKI given within a clinical trial",
    "outside_enrolment_window": "First TKI dose outside the enrolment period",
    "incomplete_records": "Incomplete treatment records",
}

@dataclass(frozen=True)
class Column:
    """One column of an input table: what it holds and the rules a value must follow."""

    name: str
    kind: Kind
    meaning: str
    unit: str = ""
    allowed: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    nullable: bool = False
    unique: bool = False

    def rule_text(self) -> str:
        """The column's rule in words, as the dictionary and error messages state it."""
        if self.kind == "id":
            text = "letters, digits, '-' or '_' (1-32 characters)"
        elif self.kind == "date":
            text = "ISO date YYYY-MM-DD, on or before the data cut-off"
        elif self.kind == "flag":
            text = "0 (no) or 1 (yes)"
        elif self.kind == "integer":
            text = f"whole number {self.minimum} to {self.maximum}"
        else:
            text = "one of " + ", ".join(self.allowed)
        if self.unique:
            text += "; unique"
        return text


@dataclass(frozen=True)
class Table:
    """One input file: its columns, its key and what one row means."""

    name: str
    file: str
    row_meaning: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        """The declared column called `name`."""
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _flag(name: str, meaning: str) -> Column:
    return Column(name, "flag", meaning)


def _date(name: str, meaning: str, nullable: bool = False) -> Column:
    return Column(name, "date", meaning, unit="date", nullable=nullable)


PATIENTS = Table(
    name="patients",
    file="patients.csv",
    row_meaning="one row per treated patient (the analysis population)",
    key=("patient_id",),
    columns=(
        Column("patient_id", "id", "Pseudonymous study number assigned by the centre; never "
               "shown in the report or the supplement (they use sequence numbers); only the "
               "study team's analysis dataset (`derive --out`) carries it.", unique=True),
        Column("centre", "category", "Treating centre.", allowed=CENTRES),
        Column("age_years", "integer", "Age at the first TKI dose.", unit="years",
               minimum=18, maximum=100),
        Column("hormone_receptor", "category", "Oestrogen and/or progesterone receptor status "
               "of the most recent biopsy.", allowed=("positive", "negative")),
        Column("ecog", "integer", "ECOG performance status at TKI start; empty if not recorded.",
               minimum=0, maximum=4, nullable=True),
        _flag("visceral_metastasis", "Visceral metastases (any of liver, lung, pleura, "
              "peritoneum, adrenal) at TKI start."),
        _flag("liver_metastasis", "Liver metastases at TKI start."),
        _flag("lung_metastasis", "Lung metastases at TKI start."),
        _flag("bone_metastasis", "Bone metastases at TKI start."),
        _flag("brain_metastasis", "Brain metastases at TKI start."),
        _flag("prior_pertuzumab", "Pertuzumab received before the TKI (any setting)."),
        _flag("prior_lapatinib", "Lapatinib received before the study TKI (any setting)."),
        Column("trastuzumab_setting", "category", "Setting of the first trastuzumab exposure "
               "that defines resistance: adjuvant (early disease) or metastatic (first line).",
               allowed=("adjuvant", "metastatic")),
        _date("trastuzumab_start_date", "Start of that trastuzumab exposure."),
        _date("trastuzumab_end_date", "Last adjuvant trastuzumab dose; required when the "
              "setting is adjuvant, empty otherwise.", nullable=True),
        _date("trastuzumab_progression_date", "Recurrence (adjuvant) or progression on "
              "first-line trastuzumab (metastatic)."),
        Column("trastuzumab_best_response", "category", "Best response on first-line "
               "trastuzumab (RECIST 1.1); required when the setting is metastatic, empty "
               "otherwise.", allowed=RESPONSE_CODES, nullable=True),
        Column("tdm1_line", "integer", "Line of therapy for metastatic disease in which T-DM1 "
               "was given.", minimum=1, maximum=15),
        _date("tdm1_start_date", "First T-DM1 dose."),
        _date("tdm1_progression_date", "Documented progression on T-DM1 (T-DM1 failure)."),
        Column("tdm1_best_response", "category", "Best response on T-DM1 (RECIST 1.1).",
               allowed=RESPONSE_CODES),
        Column("tki_agent", "category", "Study tyrosine kinase inhibitor.", allowed=TKI_AGENTS),
        Column("tki_partner", "category", "Drug combined with the TKI ('none' for TKI alone).",
               allowed=TKI_PARTNERS),
        Column("tki_line", "integer", "Line of therapy for metastatic disease of the TKI "
               "regimen; prior lines = tki_line - 1.", minimum=2, maximum=15),
        _date("tki_start_date", "First TKI dose (time zero for PFS)."),
        _date("tki_end_date", "Last TKI dose; empty if still on treatment at the cut-off.",
              nullable=True),
        _date("progression_date", "Documented progression on the TKI regimen (RECIST 1.1); "
              "empty if none.", nullable=True),
        _date("death_date", "Death from any cause; empty if alive at last contact.",
              nullable=True),
        _date("last_assessment_date", "Last tumour assessment (RECIST 1.1): the PFS censoring "
              "date for a patient alive without progression, and where stable disease ends for "
              "the 24-week clinical-benefit rule when there was no progression; for a patient who "
              "progressed, the last assessment (on or after progression). Empty only for a "
              "patient who died before any tumour assessment (death_date given): PFS is then "
              "the time to death (an event), best_overall_response must be NE, and she counts "
              "as a non-responder without disease control or clinical benefit.", nullable=True),
        Column("best_overall_response", "category", "Best overall response on the TKI regimen "
               "(RECIST 1.1; NE = not evaluable, e.g. death before any tumour assessment; NE "
               "counts as no response, no disease control and no clinical benefit).",
               allowed=RESPONSE_CODES),
        _flag("dose_reduction", "TKI dose reduced for toxicity."),
        _flag("dose_interruption", "TKI interrupted for toxicity."),
        _flag("discontinued_for_toxicity", "TKI permanently stopped for toxicity."),
    ),
)

ADVERSE_EVENTS = Table(
    name="adverse_events",
    file="adverse_events.csv",
    row_meaning="one row per patient, adverse-event term and grade observed on the TKI",
    key=("patient_id", "ae_term", "grade"),
    columns=(
        Column("patient_id", "id", "Patient (must exist in patients.csv)."),
        Column("ae_term", "category", "CTCAE v5.0 term (exact spelling).",
               allowed=tuple(CTCAE_TERMS)),
        Column("grade", "integer", "CTCAE v5.0 grade.", minimum=1, maximum=5),
    ),
)

SCREENING = Table(
    name="screening",
    file="screening_log.csv",
    row_meaning="one row per screened patient",
    key=("screening_id",),
    columns=(
        Column("screening_id", "id", "Screening-log number.", unique=True),
        Column("centre", "category", "Screening centre.", allowed=CENTRES),
        Column("outcome", "category", "'included' or the exclusion reason.",
               allowed=tuple(SCREENING_OUTCOMES)),
        Column("patient_id", "id", "Study number when included (must match patients.csv); "
               "empty when excluded.", nullable=True),
    ),
)

TABLES: tuple[Table, ...] = (PATIENTS, ADVERSE_EVENTS, SCREENING)

#: The study-level metadata file every data folder carries beside the CSV files.
METADATA_FILE = "dataset.yml"
METADATA_FIELDS = {
    "title": "Short description of the data set.",
    "synthetic": "true for generated data (the report then says so on every page), false "
                 "for a real extract.",
    "data_cutoff": "Data cut-off date (YYYY-MM-DD); no date in the tables may be later.",
}
