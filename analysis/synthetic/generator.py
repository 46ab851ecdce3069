"""Deterministic synthetic cohort that reproduces every published figure of the study.

The real patient data are not public. This generator writes a complete data folder of
the documented schema. Counts the paper reports (responses, clinical benefit, the three
commonest adverse events) are assigned exactly (round(proportion x N) patients, a seeded
random choice of which); PFS times come from a proportional-hazards model with the two
published subgroup effects and are then passed through one monotone time warp so that
the Kaplan-Meier median and its SPSS-style interval match the paper. A monotone warp
changes no ranks, so log-rank and Cox results are those of the model draw.
Every assumption is listed in `ASSUMPTIONS` and written to ASSUMPTIONS.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.stats.survival import kaplan_meier, median_symmetric_spss
from analysis.study import schema
from analysis.study.derive import CLINICAL_BENEFIT_DAYS, DAYS_PER_MONTH
from analysis.study.published import PUBLISHED, PUBLISHED_N

from .seed import DEFAULT_SEED

ENROLMENT_START = pd.Timestamp("2018-09-01")
ENROLMENT_END = pd.Timestamp("2022-12-31")
DATA_CUTOFF = pd.Timestamp("2023-06-30")
MINIMUM_PFS_DAYS = 7  # nothing is documented within a week of the first dose



#: Every assumption of the generator: (quantity, value used, source or reason).
ASSUMPTIONS: list[tuple[str, str, str]] = [
    ("Centres", "Nanjing 50%, Hangzhou (ZJCH) 30%, Hangzhou (SAHZU) 20%", "affiliations; split assumed"),
    ("Age at TKI start", "normal, mean 50, SD 9, limited to 28-75 years", "STUDY.md suggestion"),
    ("Hormone-receptor positive", "50%", "STUDY.md suggestion"),
    ("ECOG 0 / 1 / 2 / not recorded", "35% / 55% / 7% / 3%", "assumed; shows the Unknown row"),
    ("Visceral metastases", "70% (liver 55% and lung 50% of those)", "STUDY.md suggestion"),
    ("Bone metastases", "50%", "assumed"),
    ("Brain metastases", "30%", "STUDY.md suggestion"),
    ("Prior lines for MBC (1/2/3/4/5/6)", "25/35/20/12/5/3%; median 2", "STUDY.md suggestion"),
    ("T-DM1 line", "immediately before the TKI for 80%, one line earlier otherwise", "assumed"),
    ("Prior pertuzumab / prior lapatinib", "40% / 15%", "STUDY.md suggestion"),
    ("TKI agent", "pyrotinib 85%, lapatinib 10%, neratinib 5% (no lapatinib after prior lapatinib)",
     "STUDY.md suggestion"),
    ("Partner", "capecitabine 60%, other chemotherapy 25%, trastuzumab 10%, none 5%",
     "STUDY.md suggestion"),
    ("Prior T-DM1 benefit", "55% (T-DM1 PFS 6-24 months or CR/PR; otherwise 1.5-5.9 months)",
     "STUDY.md suggestion"),
    ("Acquired trastuzumab resistance", "70%; adjuvant setting in 35% of each type", "STUDY.md suggestion"),
    ("PFS model", "Weibull, shape 1.3; hazard ratio 0.45 for prior T-DM1 benefit and 0.45 for "
     "acquired resistance; no effect of other factors", "STUDY.md: HR 0.4-0.5, no other factor dominating"),
    ("PFS calibration", "one monotone piecewise-linear time warp: median 10.1 months, SPSS "
     "interval 4.7-15.6 (N = 66 only), exactly 44 patients with PFS >= 24 weeks", "published figures"),
    ("Censoring", "about 20% alive without progression at the last assessment", "assumed"),
    ("Deaths without progression", "about 5% of events", "assumed"),
    ("Best overall response", "CR 2, PR 10 (ORR 12/66); SD >= 24 weeks 32 (CBR 44/66); PD 14; NE 2; "
     "the rest SD < 24 weeks (scaled by N)", "published ORR and CBR; split assumed"),
    ("Adverse events (any grade / grade >= 3)", "diarrhoea 36/9, hand-foot syndrome 31/5, leucopenia "
     "30/4, and 11 further terms below 30 (scaled by N)", "published top three; others assumed"),
    ("Dose reduction / interruption / discontinuation for toxicity", "25% / 20% / 5%", "assumed"),
    ("Screening log", "about 90 screened for 66 included; six exclusion reasons", "STUDY.md suggestion"),
    ("Enrolment and cut-off", "first TKI dose 2018-09-01 to 2022-12-31; data cut-off 2023-06-30",
     "paper (enrolment); STUDY.md (cut-off)"),
]

# Adverse events: CTCAE term -> (share of patients with any grade, share with grade >= 3).
_AE_RATES = {
    "Diarrhea": (36 / 66, 9 / 66),
    "Palmar-plantar erythrodysesthesia syndrome": (31 / 66, 5 / 66),
    "White blood cell decreased": (30 / 66, 4 / 66),
    "Neutrophil count decreased": (24 / 66, 6 / 66),
    "Anemia": (21 / 66, 2 / 66),
    "Nausea": (18 / 66, 1 / 66),
    "Alanine aminotransferase increased": (15 / 66, 1 / 66),
    "Aspartate aminotransferase increased": (13 / 66, 1 / 66),
    "Vomiting": (12 / 66, 1 / 66),
    "Fatigue": (11 / 66, 0),
    "Anorexia": (9 / 66, 0),
    "Platelet count decreased": (7 / 66, 1 / 66),
    "Mucositis oral": (5 / 66, 0),
    "Hypokalemia": (4 / 66, 1 / 66),
}

_EXCLUSIONS = {  # reason -> count per 66 included
    "no_tdm1_progression": 7, "tki_not_after_tdm1": 5, "tki_in_clinical_trial": 4,
    "outside_enrolment_window": 4, "her2_not_confirmed": 2, "incomplete_records": 2,
}


def _count(share: float, n: int) -> int:
    return int(round(share * n))


def _exactly(rng: np.random.Generator, n: int, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """A 0/1 vector with exactly k ones at seeded random positions (optionally weighted)."""
    flags = np.zeros(n, dtype=int)
    if k > 0:
        p = None if weights is None else weights / weights.sum()
        flags[rng.choice(n, size=k, replace=False, p=p)] = 1
    return flags


def _categories(rng: np.random.Generator, n: int, shares: dict[str, float]) -> np.ndarray:
    """Exact category counts (largest remainders), shuffled."""
    raw = np.array(list(shares.values())) * n
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]] += 1
    values = np.repeat(np.array(list(shares.keys()), dtype=object), counts)
    return rng.permutation(values)


def _days(values: np.ndarray) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.round(values).astype(int), unit="D")


# ------------------------------------------------------------------ baseline
def _baseline(rng: np.random.Generator, n: int) -> pd.DataFrame:
    b = pd.DataFrame(index=pd.RangeIndex(n))
    b["centre"] = _categories(rng, n, dict(zip(schema.CENTRES, (0.5, 0.3, 0.2))))
    b["age_years"] = np.clip(np.round(rng.normal(50, 9, n)), 28, 75).astype(int)
    b["hormone_receptor"] = np.where(_exactly(rng, n, _count(0.5, n)) == 1, "positive", "negative")
    ecog = _categories(rng, n, {"0": 0.35, "1": 0.55, "2": 0.07, "": 0.03})
    b["ecog"] = ecog
    visceral = _exactly(rng, n, _count(0.7, n))
    b["visceral_metastasis"] = visceral
    b["liver_metastasis"] = visceral * (rng.random(n) < 0.55)
    b["lung_metastasis"] = visceral * (rng.random(n) < 0.5)
    b["bone_metastasis"] = _exactly(rng, n, _count(0.5, n))
    b["brain_metastasis"] = _exactly(rng, n, _count(0.3, n))
    prior = _categories(rng, n, {1: 0.25, 2: 0.35, 3: 0.20, 4: 0.12, 5: 0.05, 6: 0.03}).astype(int)
    b["tki_line"] = prior + 1
    earlier = (rng.random(n) < 0.2) & (prior >= 2)
    b["tdm1_line"] = prior - earlier.astype(int)
    b["prior_pertuzumab"] = _exactly(rng, n, _count(0.4, n))
    b["prior_lapatinib"] = _exactly(rng, n, _count(0.15, n))
    agent = _categories(rng, n, {"pyrotinib": 0.85, "lapatinib": 0.10, "neratinib": 0.05})
    swap = (agent == "lapatinib") & (b["prior_lapatinib"].to_numpy() == 1)
    agent[swap] = "pyrotinib"
    b["tki_agent"] = agent
    b["tki_partner"] = _categories(rng, n, {"capecitabine": 0.60, "other_chemotherapy": 0.25,
                                            "trastuzumab": 0.10, "none": 0.05})
    b["tdm1_benefit"] = _exactly(rng, n, _count(0.55, n))
    b["acquired"] = _exactly(rng, n, _count(0.70, n))
    return b


# ------------------------------------------------------------------ PFS times
def _model_times(rng: np.random.Generator, b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw PFS times (days, continuous), event flags and death-without-progression flags."""
    n = len(b)
    linear = np.log(0.45) * b["tdm1_benefit"].to_numpy() + np.log(0.45) * b["acquired"].to_numpy()
    shape, scale = 1.3, 420.0  # Weibull in days, before calibration
    event_time = scale * (-np.log(rng.random(n)) / np.exp(linear)) ** (1 / shape)
    censor_time = rng.uniform(90, 3000, n)
    censored = (censor_time < event_time) | (rng.random(n) < 0.05)
    censor_time = np.minimum(censor_time, event_time * rng.uniform(0.3, 0.99, n))
    time = np.where(censored, censor_time, event_time)
    event = (~censored).astype(int)
    death_only = (event == 1) & (rng.random(n) < 0.05)
    return time, event, death_only


def _warp(raw: np.ndarray, knots_from: list[float], knots_to: list[float]) -> np.ndarray:
    """Monotone piecewise-linear map of raw times to whole days (order kept, ties allowed)."""
    days = np.round(np.interp(raw, knots_from, knots_to)).astype(int)
    return np.maximum(days, MINIMUM_PFS_DAYS)


def _calibrate(raw: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Warp raw times so the published median, SPSS interval and 24-week count hold."""
    n = len(raw)
    order = np.sort(raw)
    n_long = _count(PUBLISHED.clinical_benefit / PUBLISHED_N, n)
    short_edge, long_edge = order[n - n_long - 1], order[n - n_long]
    km = kaplan_meier(raw / DAYS_PER_MONTH, event).table
    events = km[km["n_event"] > 0]
    u_raw = events.loc[events["survival"] >= 0.55, "time"].max() * DAYS_PER_MONTH
    m_raw = events.loc[events["survival"] <= 0.5, "time"].min() * DAYS_PER_MONTH
    l_raw = events.loc[events["survival"] <= 0.45, "time"].min() * DAYS_PER_MONTH
    last = order[-1]
    # Only the median knot and the distance between the knots u and l set the SPSS
    # estimate and half-width (the ranks, hence the Greenwood SE and the survival drop,
    # are fixed): search those. 307 and 308 days are the medians that round to 10.1.
    grid = [(m, m - gap // 2, m - gap // 2 + gap) for m in (307, 308) for gap in range(60, 400)]
    best, best_score = None, np.inf
    for target_median, u, l in grid if n == PUBLISHED_N else [(308, 236, 404)]:
        if u <= 176 or l <= target_median:
            continue
        to = [0, 150, 175, u, target_median, l, max(l + 200, 1150)]
        frm = [0, short_edge, long_edge, u_raw, m_raw, l_raw, last]
        if not np.all(np.diff(frm) > 0):
            continue
        days = _warp(raw, frm, to)
        if n != PUBLISHED_N:
            return days
        est = median_symmetric_spss(days / DAYS_PER_MONTH, event)
        if est.lower is None:
            continue
        got = np.array([est.estimate, est.lower, est.upper])
        want = np.array([PUBLISHED.median_pfs, PUBLISHED.ci_low, PUBLISHED.ci_high])
        if np.all(np.round(got, 1) == want):
            score = np.abs(got - want).sum()
            if score < best_score:
                best, best_score = days, score
    if best is None:
        raise RuntimeError("calibration failed: no warp reproduces the published median and "
                           "interval for this seed; choose another seed")
    return best


# ------------------------------------------------------------------ responses
def _best_response(rng: np.random.Generator, days: np.ndarray, event: np.ndarray,
                   death_only: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Best overall response consistent with each patient's PFS and the published counts."""
    n = len(days)
    bor = np.full(n, "SD", dtype=object)
    long = days >= CLINICAL_BENEFIT_DAYS
    n_resp = _count(PUBLISHED.responders / PUBLISHED_N, n)
    n_cr = _count(PUBLISHED.complete_responses / PUBLISHED_N, n)
    weights = np.where(long, 1.0, 0.0) * np.where(benefit == 1, 2.0, 1.0)
    responders = np.flatnonzero(_exactly(rng, n, n_resp, weights))
    bor[responders] = "PR"
    bor[rng.choice(responders, size=n_cr, replace=False)] = "CR"
    short_progressed = np.flatnonzero(~long & (event == 1) & ~death_only)
    n_pd = min(_count(14 / 66, n), len(short_progressed))
    pd_idx = short_progressed[np.argsort(days[short_progressed], kind="stable")[:n_pd]]
    bor[pd_idx] = "PD"
    short_other = np.flatnonzero(~long & (bor == "SD"))
    n_ne = min(_count(2 / 66, n), len(short_other))
    bor[short_other[np.argsort(days[short_other], kind="stable")[:n_ne]]] = "NE"
    return bor


# ------------------------------------------------------------------ dates
def _treatment_dates(rng: np.random.Generator, b: pd.DataFrame, days: np.ndarray,
                     event: np.ndarray, death_only: np.ndarray) -> pd.DataFrame:
    n = len(b)
    latest_start = np.minimum((ENROLMENT_END - ENROLMENT_START).days,
                              (DATA_CUTOFF - ENROLMENT_START).days - days - 1)
    if np.any(latest_start < 0):
        raise RuntimeError("a PFS time is longer than the study window allows")
    admin = (event == 0) & (rng.random(n) < 0.7)  # censored because still followed at cut-off
    offset = np.where(admin, latest_start - rng.integers(0, 20, n).clip(max=latest_start),
                      np.floor(rng.random(n) * (latest_start + 1)))
    start = ENROLMENT_START + _days(offset)
    end_pfs = start + _days(days)
    progression = pd.Series(end_pfs).where((event == 1) & ~death_only)
    death_early = pd.Series(end_pfs).where(death_only)
    # some progressing patients later die, before the cut-off
    after = _days(rng.uniform(30, 600, n))
    late_death = (pd.Series(end_pfs) + after).where((event == 1) & ~death_only & (rng.random(n) < 0.35))
    late_death = late_death.where(late_death <= DATA_CUTOFF)
    death = death_early.fillna(late_death)
    last = pd.Series(end_pfs)
    follow_up = pd.Series(end_pfs) + _days(rng.uniform(0, 200, n))
    last = last.where(event == 0, follow_up.clip(upper=DATA_CUTOFF))
    last = last.where(death.isna() | (last <= death), death)
    ongoing = admin & (rng.random(n) < 0.8)
    # the TKI stops within three weeks after progression, or a few days before death
    stop_days = np.where(death_only, np.maximum(days - rng.uniform(3, 20, n), 1), days + rng.uniform(0, 21, n))
    stop = pd.Series(start + _days(stop_days))
    stop = stop.where(stop <= DATA_CUTOFF, DATA_CUTOFF).where(~ongoing)
    return pd.DataFrame({"tki_start_date": start, "progression_date": progression,
                         "death_date": death, "last_assessment_date": last,
                         "tki_end_date": stop})


def _history_dates(rng: np.random.Generator, b: pd.DataFrame, start: pd.Series) -> pd.DataFrame:
    """Trastuzumab and T-DM1 history, working backwards from the TKI start."""
    n = len(b)
    benefit = b["tdm1_benefit"].to_numpy() == 1
    tdm1_progression = start - _days(rng.uniform(7, 45, n))
    tdm1_months = np.where(benefit, rng.uniform(6.2, 20, n), rng.uniform(1.5, 5.6, n))
    tdm1_start = tdm1_progression - _days(tdm1_months * DAYS_PER_MONTH)
    tdm1_bor = np.where(benefit, rng.choice(["CR", "PR", "SD"], n, p=[0.1, 0.4, 0.5]),
                        rng.choice(["SD", "PD"], n, p=[0.4, 0.6]))
    acquired = b["acquired"].to_numpy() == 1
    adjuvant = rng.random(n) < 0.35
    lines_before = (b["tdm1_line"].to_numpy() - 1).clip(min=0)
    first_line_end = tdm1_start - _days(lines_before * rng.uniform(150, 300, n) + 14)
    # metastatic first-line trastuzumab: acquired -> progression after 4-24 months
    met_months = np.where(acquired, rng.uniform(4, 24, n), rng.uniform(1.2, 2.9, n))
    met_progression = first_line_end
    met_start = met_progression - _days(met_months * DAYS_PER_MONTH)
    met_bor = np.where(acquired, rng.choice(["CR", "PR", "SD"], n, p=[0.1, 0.6, 0.3]), "PD")
    # adjuvant: 12 months of trastuzumab, recurrence <=12 (primary) or 14-60 (acquired) months later
    recurrence = first_line_end - _days(rng.uniform(30, 200, n))
    gap_months = np.where(acquired, rng.uniform(14, 60, n), rng.uniform(0, 11, n))
    adj_end = recurrence - _days(gap_months * DAYS_PER_MONTH)
    adj_start = adj_end - _days(np.full(n, 365.0))
    return pd.DataFrame({
        "trastuzumab_setting": np.where(adjuvant, "adjuvant", "metastatic"),
        "trastuzumab_start_date": np.where(adjuvant, adj_start, met_start),
        "trastuzumab_end_date": pd.Series(adj_end).where(adjuvant),
        "trastuzumab_progression_date": np.where(adjuvant, recurrence, met_progression),
        "trastuzumab_best_response": pd.Series(met_bor).where(~adjuvant),
        "tdm1_start_date": tdm1_start, "tdm1_progression_date": tdm1_progression,
        "tdm1_best_response": tdm1_bor,
    })


# ------------------------------------------------------------------ toxicity
def _adverse_events(rng: np.random.Generator, ids: np.ndarray) -> pd.DataFrame:
    n = len(ids)
    rows = []
    for term, (any_share, severe_share) in _AE_RATES.items():
        affected = np.flatnonzero(_exactly(rng, n, _count(any_share, n)))
        severe = np.zeros(n, dtype=bool)
        severe[rng.choice(affected, size=min(_count(severe_share, n), len(affected)), replace=False)] = True
        grade = rng.choice([1, 2], size=len(affected), p=[0.6, 0.4])
        grade[severe[affected]] = 3
        rows.append(pd.DataFrame({"patient_id": ids[affected], "ae_term": term, "grade": grade}))
        earlier = (grade >= 2) & (rng.random(len(affected)) < 0.3)  # an earlier milder episode
        rows.append(pd.DataFrame({"patient_id": ids[affected[earlier]], "ae_term": term,
                                  "grade": grade[earlier] - 1}))
    events = pd.concat(rows, ignore_index=True)
    order = pd.Categorical(events["ae_term"], categories=list(_AE_RATES), ordered=True)
    return (events.assign(_term=order).sort_values(["patient_id", "_term", "grade"], kind="stable")
            .drop(columns="_term").reset_index(drop=True))


def _toxicity_actions(rng: np.random.Generator, ids: np.ndarray, events: pd.DataFrame,
                      dates: pd.DataFrame) -> pd.DataFrame:
    n = len(ids)
    severe = pd.Series(ids).isin(set(events.loc[events["grade"] >= 3, "patient_id"])).to_numpy()
    weights = np.where(severe, 4.0, 1.0)
    reduction = _exactly(rng, n, _count(0.25, n), weights)
    interruption = _exactly(rng, n, _count(0.20, n), weights)
    stopped = dates["tki_end_date"].notna().to_numpy()
    discontinued = _exactly(rng, n, _count(0.05, n), weights * stopped)
    return pd.DataFrame({"dose_reduction": reduction, "dose_interruption": interruption,
                         "discontinued_for_toxicity": discontinued})


def _screening_log(rng: np.random.Generator, ids: np.ndarray, centres: np.ndarray) -> pd.DataFrame:
    n = len(ids)
    reasons = np.repeat(list(_EXCLUSIONS), [_count(c / PUBLISHED_N, n) for c in _EXCLUSIONS.values()])
    log = pd.DataFrame({
        "centre": np.concatenate([centres, rng.choice(schema.CENTRES, len(reasons), p=[0.5, 0.3, 0.2])]),
        "outcome": np.concatenate([np.full(n, "included"), reasons]),
        "patient_id": np.concatenate([ids, np.full(len(reasons), "")]),
    })
    log = log.iloc[rng.permutation(len(log))].reset_index(drop=True)
    log.insert(0, "screening_id", [f"SCR{i:06d}" for i in range(1, len(log) + 1)])
    return log


# ------------------------------------------------------------------ public
def simulate_cohort(seed: int = DEFAULT_SEED, n: int = PUBLISHED_N) -> dict[str, pd.DataFrame]:
    """Generate the three tables of a synthetic study (as text-ready DataFrames)."""
    if n < 20:
        raise ValueError("n must be at least 20 for the calibration to be defined")
    rng = np.random.default_rng(seed)
    b = _baseline(rng, n)
    raw, event, death_only = _model_times(rng, b)
    days = _calibrate(raw, event)
    bor = _best_response(rng, days, event, death_only, b["tdm1_benefit"].to_numpy())
    dates = _treatment_dates(rng, b, days, event, death_only)
    history = _history_dates(rng, b, dates["tki_start_date"])
    ids = np.array([f"SYN{i:06d}" for i in range(1, n + 1)])
    events = _adverse_events(rng, ids)
    actions = _toxicity_actions(rng, ids, events, dates)
    stopped_for_toxicity = actions["discontinued_for_toxicity"].to_numpy() == 1
    early_stop = dates["tki_start_date"] + _days(np.maximum(days * 0.6, 1))
    dates.loc[stopped_for_toxicity, "tki_end_date"] = early_stop[stopped_for_toxicity]
    patients = pd.concat([b.drop(columns=["tdm1_benefit", "acquired"]), history, dates, actions],
                         axis=1)
    patients.insert(0, "patient_id", ids)
    patients["best_overall_response"] = bor
    patients = patients[schema.PATIENTS.column_names]
    screening = _screening_log(rng, ids, b["centre"].to_numpy())
    return {"patients": patients, "adverse_events": events, "screening": screening}


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.fillna("")


def write_cohort(out_dir: str | Path, seed: int = DEFAULT_SEED, n: int = PUBLISHED_N) -> Path:
    """Write a complete synthetic data folder (three CSVs, dataset.yml, ASSUMPTIONS.md)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = simulate_cohort(seed, n)
    for table in schema.TABLES:
        _as_text(tables[table.name]).to_csv(out / table.file, index=False, lineterminator="\n")
    metadata = {"title": f"Synthetic cohort (seed {seed}, N = {n}); not patient data",
                "synthetic": True, "data_cutoff": DATA_CUTOFF.date().isoformat()}
    (out / schema.METADATA_FILE).write_text(yaml.safe_dump(metadata, sort_keys=False), encoding="utf-8")
    (out / "ASSUMPTIONS.md").write_text(assumptions_markdown(seed, n), encoding="utf-8")
    return out


def assumptions_markdown(seed: int, n: int) -> str:
    """ASSUMPTIONS.md: what the generator used, and where each value comes from."""
    lines = [
        "# Assumptions of the synthetic cohort",
        "",
        f"Generated by `python -m analysis simulate --seed {seed} --n {n}`. These data are "
        "synthetic: no row describes a real patient. They reproduce the published figures of "
        "the study (see STUDY.md); everything else below is an assumption.",
        "",
        "| Quantity | Value used | Source |",
        "|---|---|---|",
    ]
    lines += [f"| {q} | {v} | {s} |" for q, v, s in ASSUMPTIONS]
    return "\n".join(lines) + "\n"
