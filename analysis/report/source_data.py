"""The numbers behind each figure, as a table: what journals call a figure's source data.

A figure's source-data function is registered beside it with `@source_data("fig-…")` and takes
the same `ReportContext`; it returns what the figure draws, computed by the same functions, never
patient identifiers (the swimmer plot's rows carry the pseudonymous sequence number it shows).
Counts of patients below the context's small-cell threshold read '<N', as in the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analysis.stats.survival import kaplan_meier

from .tables import fmt_count

_SOURCE_DATA: dict[str, Callable] = {}


def source_data(label: str) -> Callable[[Callable], Callable]:
    """Register a function returning the source data of the figure `label`."""
    if not label.startswith("fig-"):
        raise ValueError(f"source data belong to a figure (fig-…), not {label!r}")

    def register(function: Callable) -> Callable:
        _SOURCE_DATA[label] = function
        return function
    return register


def source_data_of(label: str) -> Callable:
    """The source-data function of the figure `label` (its section module must be imported)."""
    if label not in _SOURCE_DATA:
        raise KeyError(f"figure {label!r} has no source data registered (@source_data)")
    return _SOURCE_DATA[label]


def masked_counts(frame: pd.DataFrame, columns: Sequence[str], small_cell_threshold: int | None) -> pd.DataFrame:
    """A copy with the patient counts in `columns` as text, those from 1 to threshold - 1 as '<N'."""
    out = frame.copy()
    for column in columns:
        out[column] = [fmt_count(int(n), small_cell_threshold) for n in out[column]]
    return out


def kaplan_meier_steps(time: ArrayLike, event: ArrayLike, groups: ArrayLike | None = None,
                       small_cell_threshold: int | None = None) -> pd.DataFrame:
    """The Kaplan–Meier estimate at each event or censoring time, per group (as the figure draws
    it: R's log-transformed 95% band), in percent."""
    time, event = pd.Series(np.asarray(time, dtype=float)), pd.Series(np.asarray(event))
    group = pd.Series(["All patients"] * len(time)) if groups is None else pd.Series(np.asarray(groups, dtype=object))
    parts = []
    for level in pd.unique(group.dropna()):
        chosen = (group == level).to_numpy()
        steps = kaplan_meier(time[chosen], event[chosen]).table
        parts.append(pd.DataFrame({
            "group": level, "months": steps["time"], "at_risk": steps["n_risk"], "events": steps["n_event"],
            "censored": steps["n_censor"], "survival_pct": 100 * steps["survival"],
            "lower_95_pct": 100 * steps["lower"], "upper_95_pct": 100 * steps["upper"]}))
    table = pd.concat(parts, ignore_index=True)
    return masked_counts(table, ["at_risk", "events", "censored"], small_cell_threshold)
