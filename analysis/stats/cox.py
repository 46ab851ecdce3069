"""Cox proportional-hazards models for categorical factors, with explicit reference levels.

Fitting is lifelines' ``CoxPHFitter`` (Efron ties, its only method; no penalty) on a dummy coding
built here, so the reference level of every factor is stated by the caller. Results reproduce R's
``coxph(..., ties = "efron")`` (hazard ratios, Wald intervals and p-values, likelihood-ratio
test, concordance) and ``cox.zph(fit, transform = "km")``; tests/test_cox.py checks this against
R fixtures. Our code adds what lifelines lacks: the per-level table with reference rows, the
report of levels whose hazard ratio is not estimable (separation), and R's current cox.zph.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from lifelines.utils import concordance_index
from scipy import special

from .survival import kaplan_meier, normal_two_sided_p, z_value

TABLE_COLUMNS = ["variable", "level", "reference", "n", "events", "hr", "lower", "upper", "p"]

# |log HR| beyond this means the likelihood is still rising (monotone likelihood), not an estimate.
MONOTONE_LIKELIHOOD_LOG_HR = 10.0

#: lifelines' Newton–Raphson stops far tighter than its defaults, so that estimates sit at the
#: maximum to rounding, as R's fixtures (eps 1e-11): a step or Newton decrement (half the squared
#: step in the information's metric) below 1e-20, never on a relative change of the
#: log-likelihood (its default r_precision 1e-9 stops with steps of ~1e-5, p-values off by ~1e-6).
FIT_OPTIONS = {"precision": 1e-20, "r_precision": 0.0, "max_steps": 200}

EPV_MINIMUM = 10.0  # Peduzzi et al. 1995: at least 10 events per estimated parameter

OVERALL_TEST = "likelihood-ratio test (R: anova(coxph) / summary(coxph)$logtest)"

ZPH_METHOD = (
    "Grambsch–Therneau score test of the scaled Schoenfeld residuals against the Kaplan–Meier "
    "time transform, one row per factor (all its dummy terms jointly) and a global test; "
    "identical to R survival >= 3.0 cox.zph(fit, transform = 'km')"
)


@dataclass
class CoxResult:
    """A fitted Cox model: one table row per factor level (reference rows with HR 1), plus model facts.

    ``warnings`` lists, in words, everything a reader must know: excluded patients, levels whose
    hazard ratio is not estimable (reported as NaN), a low events-per-variable ratio. ``lr_*`` is
    the likelihood-ratio test against the null model; ``fit`` is the fitted lifelines
    ``CoxPHFitter`` (None without a model; its ``params_`` follow ``columns``);
    ``concordance`` (Harrell's C, as R's) is
    computed when asked for, since no output of the report shows it; ``design``/``terms`` hold the dummy coding
    (factor -> its columns) used by proportional_hazards_test; ``selected``, ``selection`` and
    ``events_per_variable`` are filled by prespecified_cox and screened_cox.
    """

    table: pd.DataFrame
    n: int
    events: int
    excluded: int
    fit: CoxPHFitter | None
    warnings: list[str]
    factors: dict[str, str] = field(default_factory=dict)
    lr_chisq: float = np.nan
    lr_df: int = 0
    lr_p: float = np.nan
    design: pd.DataFrame | None = field(default=None, repr=False)
    duration: str = "pfs_months"
    event: str = "pfs_event"
    terms: dict[str, list[str]] = field(default_factory=dict)
    selected: list[str] | None = None
    events_per_variable: float | None = None
    selection: pd.DataFrame | None = None

    @property
    def columns(self) -> list[str]:
        """The design's dummy columns, in the order of ``fit``'s arrays."""
        return [column for columns in self.terms.values() for column in columns]

    @property
    def concordance(self) -> float:
        """Harrell's C of the linear predictor (NaN without a fitted model), as R's coxph reports it."""
        if self.fit is None or self.design is None or not self.terms:
            return np.nan
        coefficients = self.fit.params_.reindex(self.columns).to_numpy()
        if np.isnan(coefficients).any():  # the limit fit of a level without events
            return np.nan
        return _concordance(self.design, self.columns, self.duration, self.event, coefficients)


# ---------------------------------------------------------------------------------------------
# Data preparation


def level_labels(values: pd.Series) -> pd.Series:
    """Factor values as strings (missing stays missing), so '1' and 1 name the same level."""
    return values.astype(str).astype(object).where(values.notna(), None)


def level_order(values: pd.Series, reference: str | None = None) -> list[str]:
    """Levels present: the reference first (if present), then categorical order if any, else sorted."""
    present = {str(value) for value in pd.unique(values.dropna())}
    if isinstance(values.dtype, pd.CategoricalDtype):
        ordered = [str(c) for c in values.cat.categories if str(c) in present]
    else:
        ordered = sorted(present)
    if reference is None or reference not in present:
        return ordered
    return [reference] + [level for level in ordered if level != reference]


def dummy_column(variable: str, level: str) -> str:
    """Name of the 0/1 column for one non-reference level, e.g. 'ecog: ≥2'."""
    return f"{variable}: {level}"


class _LevelCodes:
    """A factor's levels as integers: ``codes`` per row (-1 where missing) index ``names``.

    Levels are named by their text, so '1' and 1 are one level (as `level_labels`); comparing
    integers instead of strings keeps a model of 100,000 patients cheap.
    """

    def __init__(self, values: pd.Series) -> None:
        codes, uniques = pd.factorize(values)
        names = [str(value) for value in uniques]
        self.names = list(dict.fromkeys(names))
        position = {name: i for i, name in enumerate(self.names)}
        remap = np.array([position[name] for name in names] + [-1], dtype=np.int64)
        self.codes = remap[codes]  # code -1 (missing) picks the appended -1

    def member(self, level: str) -> np.ndarray:
        """True for the rows in ``level``."""
        return self.codes == self.names.index(level)


def _dummy_coding(
    analysed: pd.DataFrame, factors: dict[str, str], duration: str, event: str
) -> tuple[dict[str, _LevelCodes], dict[str, list[str]], pd.DataFrame, list[str]]:
    """Level codes, ordered levels (reference first), the 0/1 design with duration/event, and notes.

    A factor with a single observed level gets no column and a note; a reference level absent from
    the analysed patients raises ValueError.
    """
    labels = {v: _LevelCodes(analysed[v]) for v in factors}
    levels: dict[str, list[str]] = {}
    notes: list[str] = []
    for variable, reference in factors.items():
        present = sorted(labels[variable].names)
        levels[variable] = level_order(analysed[variable], reference)
        if len(present) < 2:
            only = present[0] if present else "none"
            notes.append(f"{variable}: every analysed patient is in one level ({only!r}), so it has "
                         "no comparison; factor omitted (hazard ratio not estimable)")
            continue
        if reference not in present:
            raise ValueError(
                f"reference level {reference!r} of {variable!r} not among analysed values {present}"
            )
    columns = {
        dummy_column(v, level): labels[v].member(level).astype(float)
        for v, levs in levels.items() if len(levs) > 1
        for level in levs[1:]
    }
    design = pd.DataFrame(columns, index=analysed.index)
    design[duration] = analysed[duration].astype(float)
    design[event] = analysed[event].astype(float)
    if not design[event].isin((0.0, 1.0)).all():
        raise ValueError(f"{event} must be 0 (censored) or 1 (event)")
    return labels, levels, design, notes


def _complete_cases(
    data: pd.DataFrame, columns: list[str]
) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Rows with every used column present, the number excluded and the missing count per column."""
    missing = data[columns].isna()
    by_column = {c: int(n) for c, n in missing.sum().items() if n > 0}
    keep = ~missing.any(axis=1)
    return data.loc[keep], int((~keep).sum()), by_column


# ---------------------------------------------------------------------------------------------
# Fitting


def _fit(design: pd.DataFrame, columns: list[str], duration: str, event: str
         ) -> tuple[CoxPHFitter | None, float, list[str]]:
    """lifelines' Efron Cox fit on the dummy ``columns``, the null log-likelihood, and problems in words.

    lifelines' ConvergenceWarnings are caught and returned as messages. When lifelines stops with
    a ConvergenceError (information not invertible: a level without events drives its
    coefficient to minus infinity), the fit is the model's limit instead (`_limit_fit`).
    """
    fitter, messages = _lifelines_fit(design, columns, duration, event)
    if fitter is not None:  # lifelines' test compares with its own first iterate, b = 0
        null_log_likelihood = fitter.log_likelihood_ - fitter.log_likelihood_ratio_test().test_statistic / 2
        return fitter, float(null_log_likelihood), messages
    null = _lifelines_fit(design, [], duration, event)[0]
    null_log_likelihood = null.log_likelihood_ if null is not None else np.nan
    limit, limit_messages = _limit_fit(design, columns, duration, event)
    if limit is not None:
        return limit, null_log_likelihood, limit_messages
    return None, null_log_likelihood, messages


def _lifelines_fit(design: pd.DataFrame, columns: list[str], duration: str, event: str
                   ) -> tuple[CoxPHFitter | None, list[str]]:
    """One CoxPHFitter fit (FIT_OPTIONS) with its ConvergenceWarnings as messages; None on ConvergenceError.

    Always lifelines' batch mode (sums per distinct time): its own choice took the row-by-row
    loop for month-rounded times at N = 100,000, 1.9 s per fit instead of 0.24 s; same estimates.
    """
    fitter = CoxPHFitter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            fitter.fit(design[[*columns, duration, event]], duration, event, fit_options=FIT_OPTIONS,
                       batch_mode=True)
        except ConvergenceError as error:
            first_line = str(error).strip().splitlines()[0]
            return None, [f"lifelines could not fit the Cox model ({first_line})"]
    messages = [f"lifelines: {str(w.message).strip().splitlines()[0]}" for w in caught
                if issubclass(w.category, ConvergenceWarning)]
    return fitter, list(dict.fromkeys(messages))


def _limit_fit(design: pd.DataFrame, columns: list[str], duration: str, event: str
               ) -> tuple[CoxPHFitter | None, list[str]]:
    """The limit of the fit when levels without events send their coefficients to minus infinity.

    Their patients' risk weights tend to zero, so the partial likelihood tends to that of the
    other patients with the other columns: fitted here (the same maximum R's coxph approaches).
    The levels' own hazard ratios are reported as not estimable (`_not_estimable`).
    """
    events = design[event].to_numpy()
    empty = [c for c in columns if events[design[c].to_numpy() == 1].sum() == 0]
    if not empty:
        return None, []
    kept = design[(design[empty] == 0).all(axis=1)]
    others = [c for c in columns if c not in empty and kept[c].nunique() > 1]
    return _lifelines_fit(kept, others, duration, event)


def _not_estimable(
    design: pd.DataFrame, levels: dict[str, list[str]], event: str, fit: CoxPHFitter | None,
    columns_fitted: list[str]
) -> dict[str, str]:
    """Dummy columns whose hazard ratio is infinite or zero (monotone likelihood), with the reason.

    Detected from the events per level before looking at the fit (lifelines only warns of
    separation), then from a diverging or unusable estimate.
    """
    reasons: dict[str, str] = {}
    events = design[event].to_numpy()
    coefficients = (np.full(len(columns_fitted), np.inf) if fit is None
                    else fit.params_.reindex(columns_fitted).to_numpy())
    standard_errors = (np.full(len(columns_fitted), np.nan) if fit is None
                       else fit.standard_errors_.reindex(columns_fitted).to_numpy())
    for variable, level_list in levels.items():
        if len(level_list) < 2:
            continue
        reference, *others = level_list
        columns = [dummy_column(variable, level) for level in others]
        in_reference = (design[columns].to_numpy() == 0).all(axis=1)
        reference_has_events = events[in_reference].sum() > 0
        for level, column in zip(others, columns):
            in_level = design[column].to_numpy() == 1
            if not reference_has_events:
                reasons[column] = (
                    f"{variable}: reference level '{reference}' has no events, so no hazard ratio "
                    f"against it is estimable; reported as NaN"
                )
            elif events[in_level].sum() == 0:
                reasons[column] = (
                    f"{variable} = {level}: no events among its {int(in_level.sum())} patients, so "
                    f"the hazard ratio is not estimable (monotone likelihood); reported as NaN"
                )
            elif abs(coefficients[columns_fitted.index(column)]) > MONOTONE_LIKELIHOOD_LOG_HR \
                    or not np.isfinite(standard_errors[columns_fitted.index(column)]):
                reasons[column] = (
                    f"{variable} = {level}: the likelihood has no finite maximum (monotone "
                    f"likelihood, a form of separation); hazard ratio not estimable, reported as NaN"
                )
    return reasons


def _concordance(
    design: pd.DataFrame, columns: list[str], duration: str, event: str, coefficients: np.ndarray
) -> float:
    """Harrell's C of the linear predictor, as R's coxph concordance (ties in risk count 1/2).

    lifelines' concordance_index on X·beta of the lifelines fit, rounded: not the fitter's own
    concordance_index_, which ranks unrounded partial hazards, so patients with the same
    covariates can differ in the last bit and count as ranked (off R's value by ~1e-4).
    """
    linear_predictor = design[columns].to_numpy(float) @ np.asarray(coefficients, float)
    # Sums of the same coefficients in another order can differ in the last bit: such values
    # are ties, not a ranking (round to 10 decimals before ranking).
    linear_predictor = np.round(linear_predictor, 10)

    return float(concordance_index(design[duration], -linear_predictor, design[event]))


def _level_table(
    data: pd.DataFrame, labels: dict[str, _LevelCodes], levels: dict[str, list[str]],
    event: str, fit: CoxPHFitter | None, columns_fitted: list[str], not_estimable: dict[str, str],
    conf_level: float,
) -> pd.DataFrame:
    """One row per level: counts, and HR with Wald interval and p (NaN for reference/not estimable)."""
    z = z_value(conf_level)
    rows = []
    events = data[event].to_numpy()
    for variable, level_list in levels.items():
        single = len(level_list) < 2  # omitted from the model: no comparison, no reference row
        for i, level in enumerate(level_list):
            in_level = labels[variable].member(level)
            reference = i == 0 and not single
            row = {
                "variable": variable, "level": level, "reference": reference,
                "n": int(in_level.sum()), "events": int(events[in_level].sum()),
                "hr": 1.0 if reference else np.nan, "lower": np.nan, "upper": np.nan, "p": np.nan,
            }
            column = dummy_column(variable, level)
            if i > 0 and fit is not None and column not in not_estimable:
                coef = float(fit.params_[column])
                se = float(fit.standard_errors_[column])
                row.update(
                    hr=np.exp(coef), lower=np.exp(coef - z * se), upper=np.exp(coef + z * se),
                    p=normal_two_sided_p(coef / se),
                )
            rows.append(row)
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def cox_model(
    data: pd.DataFrame,
    factors: dict[str, str],
    duration: str = "pfs_months",
    event: str = "pfs_event",
    conf_level: float = 0.95,
) -> CoxResult:
    """Cox model (Efron ties) of ``duration``/``event`` on categorical factors {column: reference level}.

    Rows missing any used column are excluded and counted (``excluded`` and a warning). A factor
    with fewer than two observed levels is left out with a warning. Per-level p-values are Wald
    tests and intervals are Wald intervals on log HR (as R's summary(coxph)); ``lr_*`` is the
    likelihood-ratio test of the whole model against the null model.
    """
    columns = [duration, event, *factors]
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise KeyError(f"columns not in data: {absent}")
    analysed, excluded, missing_by_column = _complete_cases(data, columns)
    notes: list[str] = []
    if excluded:
        detail = ", ".join(f"{c}: {n}" for c, n in missing_by_column.items())
        patients = "1 patient" if excluded == 1 else f"{excluded} patients"
        notes.append(f"{patients} excluded for missing values ({detail})")

    labels, levels, design, level_notes = _dummy_coding(analysed, factors, duration, event)
    notes.extend(level_notes)
    terms = {v: [dummy_column(v, lev) for lev in levs[1:]] for v, levs in levels.items() if len(levs) > 1}

    columns_fitted = [c for cols in terms.values() for c in cols]
    n, n_events = len(design), int(design[event].sum())
    fit, not_estimable = None, {}
    lr_chisq, lr_df, lr_p = np.nan, 0, np.nan
    if terms:
        fit, null_log_likelihood, messages = _fit(design, columns_fitted, duration, event)
        not_estimable = _not_estimable(design, levels, event, fit, columns_fitted)
        notes.extend(dict.fromkeys(not_estimable.values()))  # unique, in order
        if not not_estimable:  # otherwise the convergence message only restates the same problem
            notes.extend(messages)
        lr_df = len(columns_fitted)
        if fit is not None:
            lr_chisq = max(2.0 * (fit.log_likelihood_ - null_log_likelihood), 0.0)
            lr_p = float(special.chdtrc(lr_df, lr_chisq))

    table = _level_table(analysed, labels, levels, event, fit, columns_fitted, not_estimable, conf_level)
    return CoxResult(
        table=table, n=n, events=n_events, excluded=excluded,
        fit=fit, warnings=notes, factors=dict(factors), lr_chisq=lr_chisq, lr_df=lr_df,
        lr_p=lr_p, design=design, duration=duration, event=event, terms=terms,
    )


# ---------------------------------------------------------------------------------------------
# Univariable and multivariable tables


def univariable_cox(
    data: pd.DataFrame,
    factors: dict[str, str],
    duration: str = "pfs_months",
    event: str = "pfs_event",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """One Cox model per factor, tables stacked, with ``p_overall`` for each factor as a whole.

    p_overall is the likelihood-ratio test of the factor (all its levels jointly) against the null
    model, R's ``anova(coxph(Surv ~ factor))`` / ``summary(fit)$logtest``; it is preferred to the
    Wald test because it stays valid when a small level makes the Wald SE unreliable. Each model
    uses the patients with that factor recorded (``n_analysed``); warnings are in ``.attrs``.
    """
    tables, notes = [], []
    for variable, reference in factors.items():
        result = cox_model(data, {variable: reference}, duration, event, conf_level)
        table = result.table.assign(p_overall=result.lr_p, n_analysed=result.n, excluded=result.excluded)
        tables.append(table)
        notes.extend(result.warnings)
    stacked = pd.concat(tables, ignore_index=True)
    stacked.attrs["p_overall_method"] = OVERALL_TEST
    stacked.attrs["warnings"] = notes
    return stacked


def _record_events_per_parameter(result: CoxResult, selected: list[str]) -> CoxResult:
    """Set ``selected`` and ``events_per_variable`` (events / estimated parameters) of a fitted
    multivariable model, with a warning when it is below EPV_MINIMUM."""
    n_parameters = sum(len(columns) for columns in result.terms.values())
    result.selected = selected
    result.events_per_variable = result.events / n_parameters if n_parameters else None
    if result.events_per_variable is not None and result.events_per_variable < EPV_MINIMUM:
        result.warnings.append(
            f"{result.events_per_variable:.1f} events per parameter ({result.events} events, "
            f"{n_parameters} parameters), below {EPV_MINIMUM:.0f}: the multivariable estimates may be "
            f"unstable and optimistic (Peduzzi et al. 1995)"
        )
    return result


def prespecified_cox(
    data: pd.DataFrame,
    factors: dict[str, str],
    duration: str = "pfs_months",
    event: str = "pfs_event",
    conf_level: float = 0.95,
) -> CoxResult:
    """The pre-specified multivariable Cox model: exactly ``factors`` {column: reference}, no selection.

    Complete cases over the factors; ``selected`` lists the factors and ``events_per_variable``
    the events per estimated parameter (warning below 10). A factor with one observed level is
    left out with a warning (cox_model), so the model still fits.
    """
    result = cox_model(data, dict(factors), duration, event, conf_level)
    return _record_events_per_parameter(result, list(factors))


def screened_cox(
    data: pd.DataFrame,
    key_factors: dict[str, str],
    candidate_factors: dict[str, str],
    threshold: float = 0.10,
    duration: str = "pfs_months",
    event: str = "pfs_event",
    conf_level: float = 0.95,
    univariable: pd.DataFrame | None = None,
) -> CoxResult:
    """Cox model with the key factors plus every candidate whose univariable p_overall < threshold.

    A sensitivity analysis only (selection on univariable p biases the estimates).
    ``univariable`` may pass the table of `univariable_cox` already computed on the same data
    (it must cover the candidates), so the selection does not refit those models. Records
    ``selected`` (factors in the model), ``selection`` (each candidate's univariable
    likelihood-ratio p and whether it entered) and ``events_per_variable`` (events / dummy
    parameters), with a warning when it is below 10. Uses complete cases over the selected factors.
    """
    candidates = {v: r for v, r in candidate_factors.items() if v not in key_factors}
    if univariable is None or not set(candidates) <= set(univariable["variable"]):
        univariable = univariable_cox(data, candidates, duration, event, conf_level)
    univariable = univariable[univariable["variable"].isin(list(candidates))]
    p_by_factor = univariable.groupby("variable", sort=False)["p_overall"].first()
    selection = pd.DataFrame(
        {"variable": p_by_factor.index, "p_overall": p_by_factor.to_numpy()}
    ).assign(selected=lambda d: d["p_overall"] < threshold)
    chosen = {v: candidates[v] for v in selection.loc[selection["selected"], "variable"]}
    result = cox_model(data, {**key_factors, **chosen}, duration, event, conf_level)
    result.selection = selection
    return _record_events_per_parameter(result, list(key_factors) + list(chosen))


# ---------------------------------------------------------------------------------------------
# Proportional-hazards test (R's cox.zph, transform = "km")


def _km_time_transform(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """1 − S(t−) of the pooled Kaplan–Meier curve for each patient, centred on its mean over events."""
    km = kaplan_meier(time, event).table
    before = np.searchsorted(km["time"].to_numpy(), time, side="left") - 1  # last time < t
    survival_before = np.where(before < 0, 1.0, km["survival"].to_numpy()[np.maximum(before, 0)])
    g = 1.0 - survival_before
    return g - g[event == 1].mean()


def _time_weighted_score(
    time: np.ndarray, event: np.ndarray, x: np.ndarray, beta: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Score for the time-by-covariate terms and the 2p x 2p information at beta (Efron ties).

    Vectorised transcription of R's C routine zph1: each death at a tied time gets one Efron
    step (fraction (k+1)/d of the tied deaths' risk added to the risk set).
    """
    x = x - x.mean(axis=0)
    eta = x @ beta
    risk = np.exp(eta - eta.max())
    order = np.argsort(time, kind="stable")
    t, d, xs, r, gs = time[order], event[order], x[order], risk[order], g[order]

    # Sums over the risk set {time >= t}: reverse cumulative sums over time-sorted patients.
    def from_here_on(values: np.ndarray) -> np.ndarray:
        return np.cumsum(values[::-1], axis=0)[::-1]

    rx = r[:, None] * xs
    rxx = rx[:, :, None] * xs[:, None, :]
    death_times, first_death = np.unique(t[d == 1], return_index=True)
    start = np.searchsorted(t, death_times, side="left")
    s0, s1, s2 = from_here_on(r)[start], from_here_on(rx)[start], from_here_on(rxx)[start]

    dead = d == 1
    which = np.searchsorted(death_times, t[dead])
    n_tied = np.bincount(which, minlength=death_times.size)

    def sum_over_deaths(values: np.ndarray) -> np.ndarray:
        out = np.zeros((death_times.size,) + values.shape[1:])
        np.add.at(out, which, values)
        return out

    d0, d1, d2 = sum_over_deaths(r[dead]), sum_over_deaths(rx[dead]), sum_over_deaths(rxx[dead])
    g_at = gs[dead][first_death]  # g(t) is the same for all deaths tied at t

    # One Efron step per death: risk set without the tied deaths plus fraction (k+1)/d of them.
    step_time = np.repeat(np.arange(death_times.size), n_tied)
    k = np.arange(step_time.size) - np.repeat(np.cumsum(n_tied) - n_tied, n_tied)
    fraction = (k + 1) / n_tied[step_time]
    denom = (s0 - d0)[step_time] + d0[step_time] * fraction
    a = (s1 - d1)[step_time] + d1[step_time] * fraction[:, None]
    c = (s2 - d2)[step_time] + d2[step_time] * fraction[:, None, None]
    mean_x = a / denom[:, None]
    variance = c / denom[:, None, None] - mean_x[:, :, None] * mean_x[:, None, :]
    g_step = g_at[step_time]

    score = (gs[dead][:, None] * xs[dead]).sum(axis=0) - (g_step[:, None] * mean_x).sum(axis=0)
    i11 = variance.sum(axis=0)
    i12 = (g_step[:, None, None] * variance).sum(axis=0)
    i22 = (g_step[:, None, None] ** 2 * variance).sum(axis=0)
    information = np.block([[i11, i12], [i12, i22]])
    return score, information


def proportional_hazards_test(result: CoxResult) -> pd.DataFrame:
    """Test of proportional hazards per factor and globally (``variable, chisq, df, p, method``).

    Reproduces R survival >= 3.0 ``cox.zph(fit, transform = "km")`` (terms = TRUE): a score test
    that the log hazard ratio is linear in g(t) = 1 − KM(t−), computed from the Schoenfeld-type
    score and the full information matrix at the fitted coefficients. Not lifelines'
    ``proportional_hazard_test(fit, df, time_transform="km")``: it tests each dummy column alone
    (no test per factor, no global test) with the older (pre-2019) approximation of cox.zph, a
    diagonal-variance shortcut; on the GBSG2 fixture's pre-specified model its hormone-therapy
    chi-square is 0.083 against R's 0.136. Not meaningful
    for a factor with a level reported as not estimable (see ``result.warnings``).
    """
    if result.fit is None or not result.terms:
        raise ValueError("the model was not fitted; no proportional-hazards test")
    design = result.design
    columns = result.columns
    time = design[result.duration].to_numpy(float)
    status = design[result.event].to_numpy(float)
    x = design[columns].to_numpy(float)
    beta = result.fit.params_.reindex(columns).to_numpy()

    g = _km_time_transform(time, status)
    score, information = _time_weighted_score(time, status, x, beta, g)
    p = len(columns)
    u = np.concatenate((np.zeros(p), score))

    def score_test(indices: list[int]) -> float:
        keep = list(range(p)) + [p + i for i in indices]
        sub_u = u[keep]
        return float(sub_u @ np.linalg.solve(information[np.ix_(keep, keep)], sub_u))

    rows = []
    for variable, cols in result.terms.items():
        indices = [columns.index(c) for c in cols]
        rows.append((variable, score_test(indices), len(indices)))
    rows.append(("GLOBAL", score_test(list(range(p))), p))
    table = pd.DataFrame(rows, columns=["variable", "chisq", "df"])
    table["p"] = special.chdtrc(table["df"], table["chisq"])
    table["method"] = ZPH_METHOD
    table.attrs["method"] = ZPH_METHOD
    return table
