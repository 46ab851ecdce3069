"""The key results of the study in one dictionary (the `results --json` contract)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.study.derive import analysis_dataset
from analysis.study.fingerprint import data_fingerprint
from analysis.study.study_data import StudyData

from .adverse_events import adverse_event_table
from .cox import cox_model
from .response import best_response_table, response_rates
from .rmst import RMST_HORIZONS, restricted_mean, rmst_difference
from .survival import (
    landmark_survival,
    logrank_test,
    median_brookmeyer_crowley,
    median_followup,
    median_symmetric_spss,
)

LANDMARK_MONTHS = (6, 12, 18, 24)

#: The two subgroup factors of the paper's findings: column -> (level compared, reference level).
KEY_SUBGROUPS = {
    "tdm1_benefit": ("yes", "no"),
    "trastuzumab_resistance": ("acquired", "primary"),
}


def _num(value: Any) -> float | None:
    """A JSON-safe float (None for missing or not reached)."""
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else value


def _rmst(time: pd.Series, event: pd.Series) -> dict:
    """RMST (months) with its 95% CI at each horizon, keyed by the horizon ('12', '24')."""
    means = (restricted_mean(time, event, tau) for tau in RMST_HORIZONS)
    return {f"{m.tau:g}": {"estimate": _num(m.estimate), "ci": [_num(m.lower), _num(m.upper)]}
            for m in means}


def _rmst_differences(dataset: pd.DataFrame, column: str, level: str, reference: str) -> dict:
    """RMST of ``level`` minus ``reference`` with its 95% CI and z-test p at each horizon."""
    parts = {value: dataset[dataset[column] == value] for value in (level, reference)}
    out = {}
    for tau in RMST_HORIZONS:
        a, b = (restricted_mean(parts[v]["pfs_months"], parts[v]["pfs_event"], tau) for v in (level, reference))
        difference, _, lower, upper, p = rmst_difference(a, b)
        out[f"{tau:g}"] = {"difference": _num(difference), "ci": [_num(lower), _num(upper)], "p": _num(p)}
    return out


def subgroup_result(dataset: pd.DataFrame, column: str, level: str, reference: str) -> dict:
    """HR (Cox, Efron), log-rank p, medians and RMST differences for one two-level subgroup factor.

    When the patients are not in both levels (e.g. every patient benefited from T-DM1), the
    comparison is not estimable: ``estimable`` is false, ``reason`` says why, and hr, ci and
    logrank_p are null; the medians of the levels present are still given.
    """
    recorded = dataset[column].dropna()
    counts = {value: int((recorded == value).sum()) for value in (level, reference)}
    medians = {}
    for value in (level, reference):
        part = dataset[dataset[column] == value]
        medians[value] = (_num(median_brookmeyer_crowley(part["pfs_months"], part["pfs_event"]).estimate)
                          if len(part) else None)
    result = {"level": level, "reference": reference, "n": counts, "median": medians,
              "estimable": True, "reason": None, "hr": None, "ci": [None, None], "logrank_p": None,
              "rmst_difference": None}
    empty = [value for value, n in counts.items() if n == 0]
    if empty:
        result.update(estimable=False,
                      reason=f"no patient in level {', '.join(repr(v) for v in empty)}: "
                             "nothing to compare")
        return result
    model = cox_model(dataset, {column: reference})
    row = model.table[(model.table["variable"] == column) & (model.table["level"] == level)].iloc[0]
    test = logrank_test(dataset["pfs_months"], dataset["pfs_event"], dataset[column])
    result.update(hr=_num(row["hr"]), ci=[_num(row["lower"]), _num(row["upper"])],
                  logrank_p=_num(test.p),
                  rmst_difference=_rmst_differences(dataset, column, level, reference))
    if result["hr"] is None:
        result.update(estimable=False, reason="; ".join(model.warnings) or "hazard ratio not estimable")
    return result


def key_results(study: StudyData) -> dict:
    """Every headline number of the report, computed from a validated study."""
    data = analysis_dataset(study.patients)
    time, event = data["pfs_months"], data["pfs_event"]
    spss = median_symmetric_spss(time, event)
    bc = median_brookmeyer_crowley(time, event)
    landmarks = landmark_survival(time, event, at=LANDMARK_MONTHS)
    rates = response_rates(data).set_index("endpoint")
    bor = best_response_table(data).set_index("code")["n"]
    ae = adverse_event_table(study.adverse_events, len(data))
    return {
        "data": {"dir": str(study.directory), "synthetic": study.synthetic,
                 "sha256": data_fingerprint(study)},
        "n_patients": int(len(data)),
        "pfs": {
            "events": int(event.sum()),
            "median": _num(spss.estimate),
            "ci_symmetric": [_num(spss.lower), _num(spss.upper)],
            "ci_brookmeyer_crowley": [_num(bc.lower), _num(bc.upper)],
            "median_brookmeyer_crowley": _num(bc.estimate),
            "rate": {str(int(r.time)): {"estimate": _num(100 * r.estimate),
                                        "ci": [_num(100 * r.lower), _num(100 * r.upper)]}
                     for r in landmarks.itertuples()},
            "followup_median": _num(median_followup(time, event).estimate),
            "rmst": _rmst(time, event),
        },
        "response": {
            "bor": {code: int(n) for code, n in bor.items()},
            **{key.lower(): {"n": int(rates.at[key, "n"]), "pct": _num(rates.at[key, "pct"]),
                             "ci": [_num(rates.at[key, "lower"]), _num(rates.at[key, "upper"])]}
               for key in ("ORR", "DCR", "CBR")},
        },
        "adverse_events": [{"term": r.term, "any_grade": int(r.any_grade),
                            "grade_3_plus": int(r.grade_3_plus)} for r in ae.itertuples()],
        "subgroups": {column: subgroup_result(data, column, level, reference)
                      for column, (level, reference) in KEY_SUBGROUPS.items()},
    }
