"""Adverse events (CTCAE v5.0): incidence by term at the worst grade, and toxicity actions."""

from __future__ import annotations

import pandas as pd

from analysis.study.derive import worst_grade_per_term
from analysis.study.schema import CTCAE_TERMS


def adverse_event_table(adverse_events: pd.DataFrame, n_patients: int) -> pd.DataFrame:
    """Patients with each term, any grade and grade ≥ 3, counted once at the worst grade.

    Sorted by any-grade count (largest first), then grade ≥ 3 count, then term, so the
    order is stable. Percentages use every treated patient as the denominator.
    """
    worst = worst_grade_per_term(adverse_events)
    severe = (worst["grade"] >= 3).fillna(False).astype(int)
    grouped = severe.groupby(worst["ae_term"], observed=True)
    table = pd.DataFrame({
        "any_grade": grouped.size(),
        "grade_3_plus": grouped.sum(),
    }).reset_index(names="term")
    table["any_grade"] = table["any_grade"].astype(int)
    table["grade_3_plus"] = table["grade_3_plus"].astype(int)
    table.insert(1, "label", table["term"].map(CTCAE_TERMS))
    table["any_grade_pct"] = 100 * table["any_grade"] / n_patients
    table["grade_3_plus_pct"] = 100 * table["grade_3_plus"] / n_patients
    table = table.sort_values(["any_grade", "grade_3_plus", "term"], ascending=[False, False, True],
                              kind="stable")
    return table[["term", "label", "any_grade", "any_grade_pct", "grade_3_plus",
                  "grade_3_plus_pct"]].reset_index(drop=True)


def grade_distribution(adverse_events: pd.DataFrame) -> pd.DataFrame:
    """Patients per term and worst grade (1–5): the data behind the stacked-bar figure."""
    worst = worst_grade_per_term(adverse_events)
    counts = pd.crosstab(worst["ae_term"], worst["grade"]).reindex(columns=range(1, 6), fill_value=0)
    counts.columns = [f"grade_{g}" for g in counts.columns]
    return counts.reset_index(names="term")


def any_event_summary(adverse_events: pd.DataFrame, n_patients: int) -> pd.DataFrame:
    """Patients with any adverse event, any grade ≥ 3 and any grade 5 (fatal) event."""
    worst_per_patient = adverse_events.groupby("patient_id")["grade"].max()
    rows = [("Any adverse event", int(worst_per_patient.size)),
            ("Any grade ≥ 3 adverse event", int((worst_per_patient >= 3).sum())),
            ("Any grade 5 (fatal) adverse event", int((worst_per_patient >= 5).sum()))]
    return pd.DataFrame([{"category": c, "n": k, "pct": 100 * k / n_patients} for c, k in rows])


def toxicity_actions(dataset: pd.DataFrame) -> pd.DataFrame:
    """Dose reductions, interruptions and permanent discontinuations for toxicity, n (%)."""
    labels = {"dose_reduction": "Dose reduction", "dose_interruption": "Dose interruption",
              "discontinued_for_toxicity": "Discontinuation for toxicity"}
    n = len(dataset)
    return pd.DataFrame([{"action": label, "n": int(dataset[col].sum()),
                          "pct": 100 * dataset[col].sum() / n} for col, label in labels.items()])


def fatal_events(adverse_events: pd.DataFrame, sequence: pd.Series) -> pd.DataFrame:
    """Grade 5 events, shown by pseudonymous sequence number (never the source id)."""
    fatal = adverse_events[adverse_events["grade"] >= 5]
    return pd.DataFrame({"patient": fatal["patient_id"].map(sequence).to_numpy(),
                         "term": fatal["ae_term"].map(CTCAE_TERMS).to_numpy()})
