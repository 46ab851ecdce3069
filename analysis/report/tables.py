"""The report's tables: tidy results in, display-ready `ReportTable`s out (one call per table).

Also the number formats every table and the narrative share (`fmt_*`): one decimal for
percentages and months, an en dash in ranges and intervals, "NR" for a limit not reached,
p-values as "<0.001" or three decimals. Rounding is half away from zero on the number as
printed (12.25 -> 12.3), as readers round by hand, not Python's binary round-half-even.

Privacy: builders that show patient counts take `small_cell_threshold` (None = show all).
With a threshold t, counts 1 to t−1 are shown as "<t" (no percentage). This is primary
suppression only: totals, complements and ranges (an extreme value is one patient's) can
still reveal a suppressed count; check before sharing a table publicly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from analysis.stats import response, survival
from analysis.stats.adverse_events import (
    adverse_event_table,
    any_event_summary,
    toxicity_actions,
)
from analysis.study.schema import (
    CENTRES,
    CTCAE_TERMS,
    RESPONSE_CODES,
    SCREENING_OUTCOMES,
    TKI_AGENTS,
    TKI_PARTNERS,
)

from .report_table import ReportTable

EN_DASH = "–"
MINUS = "−"
NOT_REACHED = "NR"

CENTRE_LABELS = {
    "nanjing_fahnmu": "First Affiliated Hospital of Nanjing Medical University",
    "hangzhou_zjch": "Zhejiang Cancer Hospital (Cancer Hospital of UCAS), Hangzhou",
    "hangzhou_sahzu": "Second Affiliated Hospital of Zhejiang University, Hangzhou",
}
TKI_AGENT_LABELS = {"pyrotinib": "Pyrotinib", "lapatinib": "Lapatinib", "neratinib": "Neratinib",
                    "tucatinib": "Tucatinib"}
TKI_PARTNER_LABELS = {"capecitabine": "Capecitabine", "other_chemotherapy": "Other chemotherapy",
                      "trastuzumab": "Trastuzumab", "none": "TKI alone"}
RESPONSE_ROW_LABELS = {code: f"{label} ({code})" for code, label in response.RESPONSE_LABELS.items()}

STATISTICS_NOTE = ("n (%); median (range). Percentages are of patients with a known value; "
                   "Unknown = not recorded (count only).")
VISCERAL_NOTE = "¹ Visceral: liver, lung, pleura, peritoneum or adrenal metastases."
TDM1_BENEFIT_NOTE = ("¹ Prior T-DM1 benefit: PFS on T-DM1 ≥ 6 months or a complete or partial "
                     "response on T-DM1; otherwise primary T-DM1 resistance (the project's "
                     "assumption; the paper's definition is not public).")
RESISTANCE_NOTE = ("² Trastuzumab resistance (ESO-ESMO ABC consensus): primary = progression at the "
                   "first assessment (8–12 weeks) or within 3 months of first-line trastuzumab for "
                   "metastatic disease, or recurrence during or within 12 months after adjuvant "
                   "trastuzumab; acquired = progression after initial response or stabilisation, or "
                   "recurrence more than 12 months after adjuvant trastuzumab.")
AE_NOTE = "Patients counted once per term at the worst grade, CTCAE v5.0."


# ============================================================================ number formats
def _is_missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def fmt_number(value: float | None, digits: int = 1, missing: str = NOT_REACHED) -> str:
    """A number rounded half away from zero to `digits` decimals, with a true minus sign."""
    if _is_missing(value) or not np.isfinite(float(value)):
        return missing
    text = str(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP))
    if text.startswith("-"):
        text = text[1:] if Decimal(text) == 0 else MINUS + text[1:]
    return text


def fmt_months(value: float | None) -> str:
    """Months to one decimal ("NR" when not reached)."""
    return fmt_number(value, 1)


def fmt_pct(value: float, digits: int = 1) -> str:
    """A percentage value (already ×100) to one decimal, without the % sign: 54.545 -> "54.5"."""
    return fmt_number(value, digits, missing="NA")


def fmt_count(n: int, small_cell_threshold: int | None = None) -> str:
    """A patient count, or "<t" for counts 1 to t−1 when a small-cell threshold t is set."""
    n = int(n)
    if small_cell_threshold is not None and 0 < n < small_cell_threshold:
        return f"<{small_cell_threshold}"
    return str(n)


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    """'1 patient', '2 patients', '1,234 patients': a count with its noun in the right number."""
    return f"{int(n):,} {word if int(n) == 1 else (plural_form or word + 's')}"


def fmt_patients(n: int, small_cell_threshold: int | None = None) -> str:
    """A patient count for table notes: '1 patient', '3 patients', '<5 patients' when suppressed."""
    count = fmt_count(n, small_cell_threshold)
    if count.startswith("<"):
        return f"{count} patients"
    return plural(int(n), "patient")


def fmt_n_pct(n: int, total: int, digits: int = 1, small_cell_threshold: int | None = None) -> str:
    """Count and percentage of `total`: (36, 66) -> "36 (54.5)"; a suppressed count shows no %."""
    if total <= 0:
        raise ValueError("a percentage needs a total of at least one patient")
    count = fmt_count(n, small_cell_threshold)
    if count.startswith("<"):
        return count
    return f"{count} ({fmt_pct(100 * int(n) / total, digits)})"


def fmt_n_pct_prose(n: int, total: int, digits: int = 1) -> str:
    """Count and percentage for running text: (36, 66) -> "36 (54.5%)"."""
    return f"{fmt_n_pct(n, total, digits)[:-1]}%)"


def fmt_ci(lower: float | None, upper: float | None, digits: int = 1, missing: str = NOT_REACHED) -> str:
    """An interval with an en dash, "4.7–15.6"; " to " when a limit is negative; `missing` for None."""
    lo, hi = fmt_number(lower, digits, missing), fmt_number(upper, digits, missing)
    negative = any(not _is_missing(v) and float(v) < 0 for v in (lower, upper))
    return f"{lo} to {hi}" if negative else f"{lo}{EN_DASH}{hi}"


def fmt_estimate_ci(estimate: float | None, lower: float | None, upper: float | None,
                    digits: int = 1) -> str:
    """Estimate with its interval: "10.1 (4.7–15.6)"; "NR" for anything not reached."""
    return f"{fmt_number(estimate, digits)} ({fmt_ci(lower, upper, digits)})"


def fmt_median_range(values: Iterable[float], digits: int | None = None) -> str:
    """Median (minimum–maximum) of the non-missing values: "49 (28–75)"; "NA" if none.

    digits=None suits counts and ages: whole numbers are shown whole, a median between two
    whole numbers with one decimal ("2.5 (1–6)"), other data with one decimal.
    """
    series = pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce").dropna().astype(float)
    if series.empty:
        return "NA"
    median = float(series.median())
    if digits is None:
        whole = bool((series % 1 == 0).all())
        range_digits = 0 if whole else 1
        median_digits = 0 if whole and median.is_integer() else 1
    else:
        range_digits = median_digits = digits
    return f"{fmt_number(median, median_digits)} ({fmt_ci(series.min(), series.max(), range_digits)})"


def fmt_p(p: float | None) -> str:
    """A p-value: "<0.001" below 0.001, else three decimals ("NA" when not computable)."""
    if _is_missing(p):
        return "NA"
    if not 0 <= float(p) <= 1:
        raise ValueError(f"p-value outside [0, 1]: {p}")
    return "<0.001" if float(p) < 0.001 else fmt_number(p, 3)


def fmt_p_phrase(p: float | None, prefix: str = "p") -> str:
    """A p-value for text and figures: 'p = 0.015', 'p < 0.001', 'p not computed' (as `fmt_p`)."""
    text = fmt_p(p)
    if text == "NA":
        return f"{prefix} not computed".strip()
    if not prefix:
        return text
    return f"{prefix} < 0.001" if text.startswith("<") else f"{prefix} = {text}"


def fmt_bc_interval(quoted_median: float | None, bc_median: float | None,
                    lower: float | None, upper: float | None) -> str:
    """A Brookmeyer–Crowley interval for text, naming R's median when it differs from the one quoted.

    The text quotes the median as SPSS reports it (first time S ≤ 0.5); R takes the midpoint
    where the curve sits at exactly 0.5, so the two can differ and the interval belongs to R's.
    """
    interval = fmt_ci(lower, upper)
    if fmt_months(quoted_median) == fmt_months(bc_median):
        return interval
    return f"{interval} (around R's median of {fmt_months(bc_median)})"


def suppression_note(small_cell_threshold: int | None) -> list[str]:
    """The footnote that states a small-cell threshold (empty list when none is set)."""
    if small_cell_threshold is None:
        return []
    if small_cell_threshold < 2:
        raise ValueError("small_cell_threshold must be at least 2")
    return [f"Counts from 1 to {small_cell_threshold - 1} are shown as <{small_cell_threshold} "
            "(small-cell suppression for public sharing)."]


# ======================================================================= summary rows (gtsummary)
class _SummaryRows:
    """Rows of a characteristics table: a variable label, its levels indented under it."""

    def __init__(self, small_cell_threshold: int | None) -> None:
        self.rows: list[tuple[str, str, int]] = []
        self.threshold = small_cell_threshold

    def _unknown(self, values: pd.Series) -> None:
        missing = int(values.isna().sum())
        if missing:
            self.rows.append(("Unknown", fmt_count(missing, self.threshold), 1))

    def continuous(self, label: str, values: pd.Series, levels: pd.Series | None = None,
                   order: Mapping[str, str] | None = None, digits: int | None = None) -> None:
        """Median (range) on the label row; optional grouped levels of the same variable below it."""
        self.rows.append((label, fmt_median_range(values, digits), 0))
        if levels is not None and order is not None:
            self._levels(levels, order)
        self._unknown(values)

    def categorical(self, label: str, values: pd.Series, order: Mapping[str, str]) -> None:
        """The label row, then n (%) for every level (zeros included), then Unknown if any missing."""
        self.rows.append((label, "", 0))
        self._levels(values, order)
        self._unknown(values)

    def _levels(self, values: pd.Series, order: Mapping[str, str]) -> None:
        known = values.dropna()
        unexpected = set(known) - set(order)
        if unexpected:
            raise ValueError(f"values without a display label: {sorted(map(str, unexpected))}")
        for code, text in order.items():
            self.rows.append((text, fmt_n_pct((known == code).sum(), len(known),
                                              small_cell_threshold=self.threshold), 1))

    def dichotomous(self, label: str, values: pd.Series, yes: str = "yes", level: int = 0) -> None:
        """One row: patients with the characteristic, n (%)."""
        known = values.dropna()
        self.rows.append((label, fmt_n_pct((known == yes).sum(), len(known),
                                           small_cell_threshold=self.threshold), level))
        if values.isna().any():
            self._unknown(values)

    def table(self, n: int, notes: list[str]) -> ReportTable:
        frame = pd.DataFrame([(label, value) for label, value, _ in self.rows],
                             columns=["Characteristic", f"N = {n}"])
        return ReportTable(frame, notes=notes, indent=[level for _, _, level in self.rows])


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype(float)


def _banded(values: pd.Series, top: int) -> pd.Series:
    """Whole numbers 1..top−1 as text, top and above as "≥top" (missing stays missing)."""
    numbers = _numbers(values)
    text = numbers.map(lambda v: f"≥{top}" if v >= top else f"{int(v)}", na_action="ignore")
    return text.astype("object").where(numbers.notna())


# ============================================================================ cohort tables
def baseline_characteristics(dataset: pd.DataFrame, small_cell_threshold: int | None = None) -> ReportTable:
    """Table 1: patient and disease characteristics at TKI start (gtsummary layout)."""
    rows = _SummaryRows(small_cell_threshold)
    rows.continuous("Age, years", _numbers(dataset["age_years"]), dataset["age_group"],
                    {"<50": "<50", "≥50": "≥50"})
    rows.categorical("Centre", dataset["centre"], {c: CENTRE_LABELS[c] for c in CENTRES})
    rows.categorical("Hormone-receptor status", dataset["hormone_receptor"],
                     {"positive": "Positive", "negative": "Negative"})
    rows.categorical("ECOG performance status", dataset["ecog"], {"0": "0", "1": "1", "≥2": "≥2"})
    rows.rows.append(("Metastatic sites", "", 0))
    for column, label in [("visceral_metastasis", "Visceral¹"), ("liver_metastasis", "Liver"),
                          ("lung_metastasis", "Lung"), ("bone_metastasis", "Bone"),
                          ("brain_metastasis", "Brain")]:
        rows.dichotomous(label, dataset[column], level=1)
    rows.continuous("Prior lines for metastatic disease", _numbers(dataset["prior_lines"]),
                    dataset["prior_lines_group"], {"≤2": "≤2", "≥3": "≥3"})
    notes = [STATISTICS_NOTE, VISCERAL_NOTE, "Metastatic sites are not mutually exclusive."]
    return rows.table(len(dataset), notes + suppression_note(small_cell_threshold))


def treatment_history(dataset: pd.DataFrame, small_cell_threshold: int | None = None) -> ReportTable:
    """Treatment before the TKI: prior lines and agents, T-DM1 line, response, duration and benefit."""
    rows = _SummaryRows(small_cell_threshold)
    rows.continuous("Prior lines for metastatic disease", _numbers(dataset["prior_lines"]),
                    dataset["prior_lines_group"], {"≤2": "≤2", "≥3": "≥3"})
    rows.dichotomous("Prior pertuzumab", dataset["prior_pertuzumab"])
    rows.dichotomous("Prior lapatinib", dataset["prior_lapatinib"])
    rows.continuous("Line of T-DM1 for metastatic disease", _numbers(dataset["tdm1_line"]),
                    _banded(dataset["tdm1_line"], 3), {"1": "1", "2": "2", "≥3": "≥3"})
    rows.categorical("Best response on T-DM1", dataset["tdm1_best_response"],
                     {c: RESPONSE_ROW_LABELS[c] for c in RESPONSE_CODES})
    rows.continuous("Duration of T-DM1 (to progression), months", dataset["tdm1_months"], digits=1)
    rows.categorical("Prior T-DM1 benefit¹", dataset["tdm1_benefit"],
                     {"yes": "Yes", "no": "No (primary T-DM1 resistance)"})
    rows.categorical("Trastuzumab setting", dataset["trastuzumab_setting"],
                     {"adjuvant": "Adjuvant", "metastatic": "Metastatic (first line)"})
    rows.categorical("Trastuzumab resistance²", dataset["trastuzumab_resistance"],
                     {"primary": "Primary", "acquired": "Acquired"})
    notes = [STATISTICS_NOTE, "T-DM1 duration: months from the first T-DM1 dose to documented "
             "progression on T-DM1.", TDM1_BENEFIT_NOTE, RESISTANCE_NOTE]
    return rows.table(len(dataset), notes + suppression_note(small_cell_threshold))


def tki_regimens(dataset: pd.DataFrame, small_cell_threshold: int | None = None) -> ReportTable:
    """TKI agent by partner drug, n (% of all patients), with row and column totals."""
    n = len(dataset)
    counts = (pd.crosstab(dataset["tki_agent"], dataset["tki_partner"])
              .reindex(index=list(TKI_AGENTS), columns=list(TKI_PARTNERS), fill_value=0))
    counts["Total"] = counts.sum(axis=1)
    counts.loc["Total"] = counts.sum(axis=0)

    def cell(k: int) -> str:
        return fmt_n_pct(int(k), n, small_cell_threshold=small_cell_threshold)

    frame = counts.map(cell)
    frame.columns = [TKI_PARTNER_LABELS.get(c, c) for c in frame.columns]
    frame.insert(0, "TKI agent", [TKI_AGENT_LABELS.get(a, a) for a in frame.index])
    notes = [f"n (% of all {n} patients). Columns: the drug combined with the TKI."]
    notes += suppression_note(small_cell_threshold)
    return ReportTable(frame.reset_index(drop=True), notes=notes)


def study_flow_counts(screening: pd.DataFrame) -> pd.DataFrame:
    """Patients screened, excluded (total, then each reason, largest first) and analysed.

    Columns: stage ("screened", "excluded", "reason", "analysed"), code, label, n. Reasons with
    no patient are left out; the total excluded equals the sum of the reasons.
    """
    outcomes = screening["outcome"]
    reasons = (outcomes[outcomes != "included"].value_counts()
               .rename_axis("code").reset_index(name="n"))
    reasons["label"] = reasons["code"].map(SCREENING_OUTCOMES)
    reasons = reasons.sort_values(["n", "label"], ascending=[False, True], kind="stable")
    reasons.insert(0, "stage", "reason")
    head = pd.DataFrame([
        {"stage": "screened", "code": "screened", "label": "Screened", "n": len(screening)},
        {"stage": "excluded", "code": "excluded", "label": "Excluded", "n": int(reasons["n"].sum())},
    ])
    tail = pd.DataFrame([{"stage": "analysed", "code": "included", "label": "Analysed",
                          "n": int((outcomes == "included").sum())}])
    flow = pd.concat([head, reasons[["stage", "code", "label", "n"]], tail], ignore_index=True)
    flow["n"] = flow["n"].astype(int)
    return flow


# ============================================================================ efficacy tables
def response_table(dataset: pd.DataFrame, conf_level: float = 0.95,
                   small_cell_threshold: int | None = None) -> ReportTable:
    """Best overall response (every RECIST category) and ORR, DCR, CBR with exact intervals."""
    n = len(dataset)
    ci_label = f"{conf_level:.0%} CI, %"
    best = response.best_response_table(dataset)
    rates = response.response_rates(dataset, conf_level)
    rows = [{"section": "Best overall response", "Response": RESPONSE_ROW_LABELS[r.code],
             f"N = {n}": fmt_n_pct(r.n, n, small_cell_threshold=small_cell_threshold), ci_label: ""}
            for r in best.itertuples()]
    rows += [{"section": "Response rates", "Response": f"{r.name} ({r.definition})",
              f"N = {n}": fmt_n_pct(r.n, r.total, small_cell_threshold=small_cell_threshold),
              ci_label: fmt_ci(r.lower, r.upper)}
             for r in rates.itertuples()]
    notes = ["n (%). N = all treated patients; not evaluable (NE) counts as non-response.",
             "Response by RECIST 1.1. ORR = CR + PR; DCR = CR + PR + SD; CBR = CR + PR + SD "
             "lasting at least 24 weeks, from the first TKI dose.",
             f"{conf_level:.0%} CI: exact (Clopper–Pearson) interval."]
    return ReportTable(pd.DataFrame(rows), notes=notes + suppression_note(small_cell_threshold),
                       groups="section")


def median_table(time: Iterable[float], event: Iterable[int], conf_level: float = 0.95,
                 endpoint: str = "PFS") -> ReportTable:
    """Kaplan–Meier median with both intervals: the SPSS symmetric one (the paper's) and R's default."""
    t, e = survival.survival_data(list(time), list(event))
    spss = survival.median_symmetric_spss(t, e, conf_level)
    bc = survival.median_brookmeyer_crowley(t, e, conf_level, "log")
    median, ci = f"Median {endpoint}, months", f"{conf_level:.0%} CI, months"
    frame = pd.DataFrame([
        {"Interval method": "Symmetric SE-based (SPSS)", median: fmt_months(spss.estimate),
         ci: fmt_ci(spss.lower, spss.upper)},
        {"Interval method": "Brookmeyer–Crowley, log transform (R survival default)",
         median: fmt_months(bc.estimate), ci: fmt_ci(bc.lower, bc.upper)},
    ])
    follow = survival.median_followup(t, e, conf_level)
    notes = [f"N = {t.size}, events = {int(e.sum())}. NR = not reached.",
             f"Median follow-up (reverse Kaplan–Meier): {fmt_months(follow.estimate)} months "
             f"({conf_level:.0%} CI {fmt_ci(follow.lower, follow.upper)}).",
             "Symmetric: median ± z·SE, SE from the Greenwood SE of S(median) over a crude density "
             "(Klein & Moeschberger); Brookmeyer–Crowley: times where the log-transform pointwise "
             "band crosses 0.5."]
    return ReportTable(frame, notes=notes)


def landmark_table(landmark_frame: pd.DataFrame, endpoint: str = "PFS",
                   conf_level: float = 0.95, small_cell_threshold: int | None = None) -> ReportTable:
    """Kaplan–Meier rates at landmark times (from survival.landmark_survival), 95% CI and at risk.

    `conf_level` only labels the column: give the level the frame was computed with.
    """
    rows = []
    for r in landmark_frame.itertuples():
        beyond_data = r.n_risk == 0 and r.estimate > 0  # no one followed that long: not estimable
        when = fmt_number(r.time, 0) if float(r.time).is_integer() else fmt_months(r.time)
        rows.append({
            "Landmark": f"{when} months",
            f"{endpoint}, %": "NE" if beyond_data else fmt_pct(100 * r.estimate),
            f"{conf_level:.0%} CI, %": "NE" if beyond_data else fmt_ci(100 * r.lower, 100 * r.upper,
                                                                      missing="NA"),
            "At risk": fmt_count(int(r.n_risk), small_cell_threshold),
        })
    notes = ["Kaplan–Meier estimates with log-transform pointwise intervals (R survival default). "
             "At risk: patients still under observation at the landmark (R's risk set)."]
    if any(row["At risk"] == "0" and row[f"{endpoint}, %"] == "NE" for row in rows):
        notes.append("NE = not estimable (no patient followed that long).")
    return ReportTable(pd.DataFrame(rows), notes=notes + suppression_note(small_cell_threshold),
                       align={"Landmark": "left"})


# ============================================================================== safety tables
def adverse_event_report(adverse_events: pd.DataFrame, n_patients: int,
                         small_cell_threshold: int | None = None,
                         include_unobserved: bool = False) -> ReportTable:
    """Adverse events by term, any grade and grade ≥ 3, most frequent first, after an overall row.

    The overall row "Any adverse event" gives patients with any event (any grade column) and with
    any grade ≥ 3 event (grade ≥ 3 column), from `any_event_summary`. Terms: every term
    observed (every CTCAE term of the schema with include_unobserved=True).
    """
    def cell(k: int) -> str:
        return fmt_n_pct(k, n_patients, small_cell_threshold=small_cell_threshold)

    summary = any_event_summary(adverse_events, n_patients).set_index("category")["n"]
    terms = adverse_event_table(adverse_events, n_patients)
    if include_unobserved:
        missing = [t for t in CTCAE_TERMS if t not in set(terms["term"])]
        zeros = pd.DataFrame({"term": missing, "label": [CTCAE_TERMS[t] for t in missing],
                              "any_grade": 0, "grade_3_plus": 0})
        terms = pd.concat([terms, zeros.sort_values("label")], ignore_index=True)
    rows = [{"section": "Overall", "Adverse event": "Any adverse event", "CTCAE v5.0 term": "",
             "Any grade": cell(summary["Any adverse event"]),
             "Grade ≥ 3": cell(summary["Any grade ≥ 3 adverse event"])}]
    rows += [{"section": "By term", "Adverse event": r.label, "CTCAE v5.0 term": r.term,
              "Any grade": cell(r.any_grade), "Grade ≥ 3": cell(r.grade_3_plus)}
             for r in terms.itertuples()]
    fatal = int(summary["Any grade 5 (fatal) adverse event"])
    notes = [f"n (%) of all {n_patients} treated patients. {AE_NOTE}",
             "Terms ordered by any-grade frequency, then grade ≥ 3 frequency.",
             f"Fatal (grade 5) adverse events: {cell(fatal) if fatal else 'none'}."]
    return ReportTable(pd.DataFrame(rows), notes=notes + suppression_note(small_cell_threshold),
                       groups="section")


def toxicity_action_table(dataset: pd.DataFrame, small_cell_threshold: int | None = None) -> ReportTable:
    """Dose reductions, interruptions and permanent discontinuations for toxicity, n (%)."""
    n = len(dataset)
    actions = toxicity_actions(dataset)
    frame = pd.DataFrame({"Action for toxicity": actions["action"],
                          f"N = {n}": [fmt_n_pct(k, n, small_cell_threshold=small_cell_threshold)
                                       for k in actions["n"]]})
    notes = ["n (%) of all treated patients; a patient may have more than one action."]
    return ReportTable(frame, notes=notes + suppression_note(small_cell_threshold))
