"""Tumour response: best overall response distribution and ORR, DCR, CBR with exact intervals."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy.stats import binomtest

from analysis.study.schema import RESPONSE_CODES

RESPONSE_LABELS = {
    "CR": "Complete response", "PR": "Partial response", "SD": "Stable disease",
    "PD": "Progressive disease", "NE": "Not evaluable",
}

#: Endpoint -> (flag column of the analysis dataset, definition as the report states it).
RATE_DEFINITIONS = {
    "ORR": ("objective_response", "CR + PR"),
    "DCR": ("disease_control", "CR + PR + SD"),
    "CBR": ("clinical_benefit", "CR + PR + SD lasting ≥ 24 weeks"),
}
RATE_NAMES = {"ORR": "Objective response rate", "DCR": "Disease control rate",
              "CBR": "Clinical benefit rate"}


@dataclass(frozen=True)
class Proportion:
    """k of n with its exact (Clopper–Pearson) confidence interval, as percentages."""

    count: int
    total: int
    pct: float
    lower: float
    upper: float
    conf_level: float = 0.95


def exact_proportion(count: int, total: int, conf_level: float = 0.95) -> Proportion:
    """Proportion with the Clopper–Pearson interval: SciPy's ``binomtest(k, n).proportion_ci(method="exact")``,
    the interval of R's ``binom.test``."""
    if total <= 0:
        raise ValueError("a proportion needs at least one patient")
    k, n = int(count), int(total)
    interval = binomtest(k, n).proportion_ci(confidence_level=conf_level, method="exact")
    return Proportion(k, n, 100 * k / n, 100 * float(interval.low), 100 * float(interval.high),
                      conf_level)


def best_response_table(dataset: pd.DataFrame) -> pd.DataFrame:
    """Patients by best overall response (every RECIST category, zeros included), n and %."""
    total = len(dataset)
    counts = dataset["best_overall_response"].value_counts().reindex(list(RESPONSE_CODES), fill_value=0)
    return pd.DataFrame({
        "code": list(RESPONSE_CODES),
        "response": [RESPONSE_LABELS[c] for c in RESPONSE_CODES],
        "n": counts.to_numpy().astype(int),
        "pct": 100 * counts.to_numpy() / total,
    })


def response_rates(dataset: pd.DataFrame, conf_level: float = 0.95) -> pd.DataFrame:
    """ORR, DCR and CBR over all treated patients (NE counted as non-responders), exact CIs."""
    rows = []
    for key, (column, definition) in RATE_DEFINITIONS.items():
        p = exact_proportion(int(dataset[column].sum()), len(dataset), conf_level)
        rows.append({"endpoint": key, "name": RATE_NAMES[key], "definition": definition,
                     "n": p.count, "total": p.total, "pct": p.pct, "lower": p.lower,
                     "upper": p.upper})
    return pd.DataFrame(rows)
