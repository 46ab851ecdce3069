"""Per-patient derivations: PFS, response flags, prior T-DM1 benefit, trastuzumab resistance.

Each rule is one function, stated as in the study definitions (STUDY.md), so that it can
be tested on hand-made rows. `analysis_dataset` puts them together, one row per patient.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Days per month used everywhere: months = days / 30.4375 (365.25 / 12).
DAYS_PER_MONTH = 30.4375
#: Stable disease must last at least this long to count as clinical benefit (24 weeks).
CLINICAL_BENEFIT_DAYS = 24 * 7
#: Prior T-DM1 benefit: PFS on T-DM1 of at least this many months (or a CR/PR on T-DM1).
TDM1_BENEFIT_MONTHS = 6.0
#: Seed of the pseudonymous sequence numbers (a fixed permutation, so outputs are stable).
SEQUENCE_SEED = 20180901
#: Primary trastuzumab resistance windows (ESO-ESMO ABC): within 3 months of starting
#: first-line trastuzumab, or within 12 months after the last adjuvant dose.
METASTATIC_PRIMARY_MONTHS = 3.0
ADJUVANT_PRIMARY_MONTHS = 12.0

RESPONDERS = ("CR", "PR")
#: Progression or death within this many days after the last TKI dose counts as the reason the
#: TKI was stopped (the stop date is rarely the assessment date itself).
END_OF_TREATMENT_WINDOW_DAYS = 31
#: Why the TKI ended, in the order the rule tries them (first match wins).
END_REASONS = ("ongoing", "toxicity", "progression", "death", "other")


def months_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Elapsed months from `start` to `end` (days / 30.4375)."""
    return (end - start).dt.days / DAYS_PER_MONTH


def progression_free_survival(patients: pd.DataFrame) -> pd.DataFrame:
    """PFS from the first TKI dose to progression or death (the earlier), else censored.

    A patient alive without progression is censored at her last tumour assessment
    (`last_assessment_date`); a patient who died before any assessment has her event at
    death. Returns `pfs_months`, `pfs_event` (1 = event),
    `pfs_days` and `pfs_end_date`.
    """
    event_date = patients[["progression_date", "death_date"]].min(axis=1)
    has_event = event_date.notna()
    end = event_date.where(has_event, patients["last_assessment_date"])
    days = (end - patients["tki_start_date"]).dt.days
    return pd.DataFrame({
        "pfs_days": days.astype("int64"),
        "pfs_months": days / DAYS_PER_MONTH,
        "pfs_event": has_event.astype("int64"),
        "pfs_end_date": end,
    }, index=patients.index)


def objective_response(best_response: pd.Series) -> pd.Series:
    """1 when the best overall response is CR or PR (NE, e.g. death before any tumour
    assessment, counts as a non-responder)."""
    return best_response.isin(RESPONDERS).astype("int64")


def disease_control(best_response: pd.Series) -> pd.Series:
    """1 when the best overall response is CR, PR or SD."""
    return best_response.isin(RESPONDERS + ("SD",)).astype("int64")


def clinical_benefit(best_response: pd.Series, pfs_days: pd.Series) -> pd.Series:
    """1 for CR or PR, or SD lasting at least 24 weeks.

    Stable disease is measured from the first TKI dose until progression, death or the
    last tumour assessment (the PFS time), as RECIST 1.1 measures the duration of SD.
    NE (e.g. death before any tumour assessment) is never clinical benefit.
    """
    lasting_sd = (best_response == "SD") & (pfs_days >= CLINICAL_BENEFIT_DAYS)
    return (best_response.isin(RESPONDERS) | lasting_sd).astype("int64")


def prior_tdm1_benefit(patients: pd.DataFrame) -> pd.Series:
    """'yes' when PFS on T-DM1 was at least 6 months or the best response on T-DM1 was CR/PR.

    This is the project's stated assumption (the paper's full definition is not public);
    otherwise 'no' (primary T-DM1 resistance).
    """
    months = months_between(patients["tdm1_start_date"], patients["tdm1_progression_date"])
    benefit = (months >= TDM1_BENEFIT_MONTHS) | patients["tdm1_best_response"].isin(RESPONDERS)
    return _labelled(benefit.to_numpy(bool), ("no", "yes"), patients.index)


def trastuzumab_resistance(patients: pd.DataFrame) -> pd.Series:
    """'primary' or 'acquired' trastuzumab resistance by the ESO-ESMO ABC consensus.

    Adjuvant: recurrence during or within 12 months after the last adjuvant dose is
    primary. Metastatic (first line): progression at the first assessment (best response
    PD) or within 3 months of starting trastuzumab is primary. Everything else is acquired.
    """
    adjuvant = patients["trastuzumab_setting"] == "adjuvant"
    after_end = months_between(patients["trastuzumab_end_date"],
                               patients["trastuzumab_progression_date"])
    on_treatment = months_between(patients["trastuzumab_start_date"],
                                  patients["trastuzumab_progression_date"])
    primary_adjuvant = adjuvant & (after_end <= ADJUVANT_PRIMARY_MONTHS)
    primary_metastatic = ~adjuvant & ((on_treatment <= METASTATIC_PRIMARY_MONTHS)
                                      | (patients["trastuzumab_best_response"] == "PD"))
    primary = (primary_adjuvant | primary_metastatic).fillna(False).astype(bool)
    return _labelled(primary.to_numpy(bool), ("acquired", "primary"), patients.index)


def treatment_end_reason(patients: pd.DataFrame) -> pd.Series:
    """Why the TKI ended: 'ongoing' at the cut-off (no end date); 'toxicity' when it was
    discontinued for toxicity; 'progression' or 'death' when that happened on or within
    END_OF_TREATMENT_WINDOW_DAYS after the last dose; otherwise 'other' (e.g. patient choice)."""
    end = pd.to_datetime(patients["tki_end_date"])
    window = pd.Timedelta(days=END_OF_TREATMENT_WINDOW_DAYS)

    def by_end(column: str) -> pd.Series:
        return (pd.to_datetime(patients[column]) <= end + window).fillna(False).to_numpy(bool)

    reason = np.select(
        [end.isna().to_numpy(), (patients["discontinued_for_toxicity"] == 1).to_numpy(bool),
         by_end("progression_date"), by_end("death_date")],
        range(4), 4)
    return _labelled(reason, END_REASONS, patients.index)


def worst_grade_per_term(adverse_events: pd.DataFrame) -> pd.DataFrame:
    """One row per patient and term, at the worst grade recorded (CTCAE counting rule).

    Sorted by patient_id, then term. Grouped on one integer per (patient, term) pair, made
    from the two columns' sorted codes, rather than on the text (a fifth of the time at
    100,000 patients); rows missing either are left out, as a groupby leaves them.
    """
    patient_codes, patient_ids = pd.factorize(adverse_events["patient_id"], sort=True)
    term_codes, terms = pd.factorize(adverse_events["ae_term"], sort=True)
    known = (patient_codes >= 0) & (term_codes >= 0)
    pair = patient_codes[known].astype(np.int64) * len(terms) + term_codes[known]
    worst = adverse_events["grade"][known].groupby(pair).max()  # sorted by pair
    pairs = worst.index.to_numpy()
    return pd.DataFrame({"patient_id": patient_ids.take(pairs // len(terms)),
                         "ae_term": terms.take(pairs % len(terms)),
                         "grade": worst.array})


def pseudonymous_sequence(patient_id: pd.Series) -> np.ndarray:
    """Numbers 1..N assigned by a fixed seeded permutation of the patients sorted by source id."""
    n = len(patient_id)
    by_id = np.argsort(patient_id.to_numpy(dtype=str), kind="stable")
    numbers = np.empty(n, dtype=np.int64)
    numbers[by_id] = np.random.default_rng(SEQUENCE_SEED).permutation(n) + 1
    return numbers


def _labelled(codes: np.ndarray, labels: tuple[str, ...], index: pd.Index) -> pd.Series:
    """`labels[code]` for each code, as text; every cell of one label shares one string
    object (a column of 100,000 labels then holds a few strings, not 100,000)."""
    return pd.Series(np.array(labels, dtype=object)[np.asarray(codes, dtype=np.intp)], index=index,
                     dtype="string")


def _yes_no(flag: pd.Series) -> pd.Series:
    return _labelled((flag == 1).to_numpy(bool, na_value=False), ("no", "yes"), flag.index)


def _grouped(values: pd.Series, cut: int, low: str, high: str) -> pd.Series:
    values = values.astype("float")
    out = _labelled((values >= cut).to_numpy(int), (low, high), values.index)
    return out.where(values.notna())


def analysis_dataset(patients: pd.DataFrame) -> pd.DataFrame:
    """The per-patient analysis dataset: derived endpoints and the grouped baseline factors.

    Rows keep the input order; `sequence` is a pseudonymous 1..N number used in every
    output in place of the source patient id: a seeded random permutation of the rows,
    ordered by source id first so that it depends neither on the file's row order nor,
    visibly, on the id itself.
    """
    pfs = progression_free_survival(patients)
    bor = patients["best_overall_response"]
    ongoing = patients["tki_end_date"].isna()
    # On treatment at the cut-off: treated until the last assessment (or death, for a
    # patient who died before any tumour assessment).
    last_seen = patients["last_assessment_date"].fillna(patients["death_date"])
    treatment_end = patients["tki_end_date"].where(~ongoing, last_seen)
    ecog = patients["ecog"].astype("float")
    ecog_group = _labelled(np.select([ecog == 0, ecog == 1], [0, 1], 2), ("0", "1", "≥2"),
                           patients.index).where(ecog.notna())
    prior_lines = patients["tki_line"] - 1
    data = pd.DataFrame({
        "patient_id": patients["patient_id"],
        "sequence": pseudonymous_sequence(patients["patient_id"]),
        "centre": patients["centre"],
        "age_years": patients["age_years"],
        "age_group": _grouped(patients["age_years"], 50, "<50", "≥50"),
        "hormone_receptor": patients["hormone_receptor"],
        "ecog": ecog_group,
        "visceral_metastasis": _yes_no(patients["visceral_metastasis"]),
        "liver_metastasis": _yes_no(patients["liver_metastasis"]),
        "lung_metastasis": _yes_no(patients["lung_metastasis"]),
        "bone_metastasis": _yes_no(patients["bone_metastasis"]),
        "brain_metastasis": _yes_no(patients["brain_metastasis"]),
        "prior_lines": prior_lines,
        "prior_lines_group": _grouped(prior_lines, 3, "≤2", "≥3"),
        "prior_pertuzumab": _yes_no(patients["prior_pertuzumab"]),
        "prior_lapatinib": _yes_no(patients["prior_lapatinib"]),
        "trastuzumab_setting": patients["trastuzumab_setting"],
        "trastuzumab_resistance": trastuzumab_resistance(patients),
        "tdm1_line": patients["tdm1_line"],
        "tdm1_months": months_between(patients["tdm1_start_date"],
                                      patients["tdm1_progression_date"]),
        "tdm1_best_response": patients["tdm1_best_response"],
        "tdm1_benefit": prior_tdm1_benefit(patients),
        "tki_agent": patients["tki_agent"],
        "tki_partner": patients["tki_partner"],
        "tki_line": patients["tki_line"],
        "pfs_months": pfs["pfs_months"],
        "pfs_event": pfs["pfs_event"],
        "progressed": patients["progression_date"].notna().astype("int64"),
        "died": patients["death_date"].notna().astype("int64"),
        "best_overall_response": bor,
        "objective_response": objective_response(bor),
        "disease_control": disease_control(bor),
        "clinical_benefit": clinical_benefit(bor, pfs["pfs_days"]),
        "treatment_months": months_between(patients["tki_start_date"], treatment_end),
        "on_treatment_at_cutoff": ongoing.astype("int64"),
        "treatment_end_reason": treatment_end_reason(patients),
        "dose_reduction": patients["dose_reduction"].astype("int64"),
        "dose_interruption": patients["dose_interruption"].astype("int64"),
        "discontinued_for_toxicity": patients["discontinued_for_toxicity"].astype("int64"),
    })
    return data.reset_index(drop=True)
