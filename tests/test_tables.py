"""Every table builder against counts taken directly from the data, and the shared number formats."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from analysis.report import tables
from analysis.report.report_table import ReportTable
from analysis.stats.survival import (
    landmark_survival,
    median_brookmeyer_crowley,
    median_followup,
    median_symmetric_spss,
)
from analysis.study.schema import CTCAE_TERMS, RESPONSE_CODES, SCREENING_OUTCOMES

N_PCT = re.compile(r"^(\d+) \((\d+\.\d)\)$")
MEDIAN_RANGE = re.compile(r"^([\d.]+) \(([\d.]+)–([\d.]+)\)$")


# ------------------------------------------------------------------------------------ helpers
def n_pct(cell: str) -> tuple[int, float]:
    match = N_PCT.match(cell)
    assert match, f"not an 'n (%)' cell: {cell!r}"
    return int(match[1]), float(match[2])


def assert_n_pct(cell: str, count: int, total: int) -> None:
    """The cell shows `count` and its percentage of `total`, to one decimal."""
    n, pct = n_pct(cell)
    assert n == count
    assert abs(pct - 100 * count / total) <= 0.05 + 1e-9


def interval(cell: str) -> tuple[float, float]:
    lo, hi = cell.split("–")
    return float(lo), float(hi)


def rows_under(table: ReportTable, label: str) -> dict[str, str]:
    """The indented rows below the variable label `label` (level label -> value)."""
    frame = table.to_frame()
    stub, value = table.columns[0], table.columns[1]
    start = frame.index[frame[stub] == label]
    assert len(start) == 1, f"{label!r} not found once"
    out = {}
    for i in range(start[0] + 1, len(frame)):
        if table.indent[i] == 0:
            break
        out[frame.at[i, stub]] = frame.at[i, value]
    return out


def value_of(table: ReportTable, label: str, column: int = 1) -> str:
    frame = table.to_frame()
    stub = table.columns[0]
    hits = frame.loc[frame[stub] == label, table.columns[column]]
    assert len(hits) == 1, f"{label!r} not found once"
    return hits.iloc[0]


# ---------------------------------------------------------------------------- number formats
def test_fmt_n_pct_and_pct_round_to_one_decimal():
    assert tables.fmt_n_pct(36, 66) == "36 (54.5)"  # 54.545...
    assert tables.fmt_n_pct(0, 66) == "0 (0.0)"
    assert tables.fmt_pct(100 * 31 / 66) == "47.0"  # 46.969...
    with pytest.raises(ValueError):
        tables.fmt_n_pct(1, 0)


def test_fmt_number_rounds_half_away_from_zero_as_printed():
    assert tables.fmt_number(12.25, 1) == "12.3"    # Python's round gives 12.2
    assert tables.fmt_number(2.675, 2) == "2.68"    # binary 2.67499... would give 2.67
    assert tables.fmt_number(-1.25, 1) == "−1.3"    # true minus sign
    assert tables.fmt_number(-0.04, 1) == "0.0"     # no negative zero
    assert tables.fmt_number(None) == "NR" and tables.fmt_number(np.nan) == "NR"
    assert tables.fmt_number(float("inf")) == "NR"
    assert tables.fmt_months(10.149) == "10.1"


def test_fmt_ci_uses_an_en_dash_or_to_for_negative_limits():
    assert tables.fmt_ci(4.66, 15.55) == "4.7–15.6"
    assert tables.fmt_ci(-1.04, 5) == "−1.0 to 5.0"
    assert tables.fmt_ci(6.6, None) == "6.6–NR"
    assert tables.fmt_estimate_ci(10.1, 4.7, 15.6) == "10.1 (4.7–15.6)"


def test_fmt_median_range_keeps_whole_numbers_whole():
    assert tables.fmt_median_range([28, 49, 75]) == "49 (28–75)"
    assert tables.fmt_median_range([1, 2, 3, 6]) == "2.5 (1–6)"      # median between two
    assert tables.fmt_median_range([1.72, 7.8, 19.1]) == "7.8 (1.7–19.1)"
    assert tables.fmt_median_range([1, None, 3]) == "2 (1–3)"       # missing values ignored
    assert tables.fmt_median_range([None]) == "NA"
    assert tables.fmt_median_range([1, 2, 3], digits=1) == "2.0 (1.0–3.0)"


def test_fmt_p():
    assert tables.fmt_p(0.0004) == "<0.001"
    assert tables.fmt_p(0.001) == "0.001"
    assert tables.fmt_p(0.0235) == "0.024"
    assert tables.fmt_p(1.0) == "1.000"
    assert tables.fmt_p(np.nan) == "NA"
    with pytest.raises(ValueError):
        tables.fmt_p(1.5)


def test_small_cells_are_shown_as_less_than_the_threshold():
    assert tables.fmt_count(3, 5) == "<5"
    assert tables.fmt_count(0, 5) == "0"        # zero discloses no one
    assert tables.fmt_count(5, 5) == "5"
    assert tables.fmt_n_pct(4, 66, small_cell_threshold=5) == "<5"  # no % either
    assert tables.fmt_n_pct(5, 66, small_cell_threshold=5) == tables.fmt_n_pct(5, 66)
    assert tables.suppression_note(None) == []
    with pytest.raises(ValueError):
        tables.suppression_note(1)


# ------------------------------------------------------------------------------------ Table 1
def test_baseline_header_has_n_and_counts_equal_the_data(dataset):
    table = tables.baseline_characteristics(dataset)
    n = len(dataset)
    assert table.columns == ["Characteristic", f"N = {n}"]
    hr = rows_under(table, "Hormone-receptor status")
    assert_n_pct(hr["Positive"], int((dataset.hormone_receptor == "positive").sum()), n)
    assert_n_pct(hr["Negative"], int((dataset.hormone_receptor == "negative").sum()), n)
    centres = rows_under(table, "Centre")
    for code, label in tables.CENTRE_LABELS.items():
        assert_n_pct(centres[label], int((dataset.centre == code).sum()), n)
    sites = rows_under(table, "Metastatic sites")
    for column, label in [("visceral_metastasis", "Visceral¹"), ("liver_metastasis", "Liver"),
                          ("lung_metastasis", "Lung"), ("bone_metastasis", "Bone"),
                          ("brain_metastasis", "Brain")]:
        assert_n_pct(sites[label], int((dataset[column] == "yes").sum()), n)
    groups = rows_under(table, "Prior lines for metastatic disease")
    assert_n_pct(groups["≤2"], int((dataset.prior_lines <= 2).sum()), n)


def test_baseline_ecog_unknown_row_and_known_denominator(dataset):
    ecog = rows_under(tables.baseline_characteristics(dataset), "ECOG performance status")
    missing = int(dataset.ecog.isna().sum())
    assert missing > 0  # the bundled data have missing ECOG, so the row must be there
    assert ecog["Unknown"] == str(missing)
    known = len(dataset) - missing
    for level in ("0", "1", "≥2"):
        assert_n_pct(ecog[level], int((dataset.ecog == level).sum()), known)


def test_baseline_has_no_unknown_row_without_missing_values(dataset):
    table = tables.baseline_characteristics(dataset[dataset.ecog.notna()])
    assert "Unknown" not in table.to_frame()["Characteristic"].tolist()


def test_baseline_age_is_median_and_range(dataset):
    table = tables.baseline_characteristics(dataset)
    median, low, high = (float(x) for x in MEDIAN_RANGE.match(value_of(table, "Age, years")).groups())
    ages = dataset.age_years.astype(float)
    assert abs(median - ages.median()) <= 0.5 and (low, high) == (ages.min(), ages.max())
    age_groups = rows_under(table, "Age, years")
    assert_n_pct(age_groups["<50"], int((ages < 50).sum()), len(dataset))


def test_baseline_notes_name_statistics_and_visceral_definition(dataset):
    notes = " ".join(tables.baseline_characteristics(dataset).notes)
    assert "n (%); median (range)" in notes
    for organ in ("liver", "lung", "pleura", "peritoneum", "adrenal"):
        assert organ in notes


def shown_count(cell: str) -> int | None:
    """The patient count an 'n (%)' or bare-count cell shows (None for other cells)."""
    match = N_PCT.match(cell) or re.fullmatch(r"(\d+)", cell)
    return int(match[1]) if match else None


@pytest.mark.parametrize("builder", [tables.baseline_characteristics, tables.treatment_history])
def test_small_cell_threshold_hides_only_counts_below_it(dataset, builder):
    plain = builder(dataset)
    value = plain.columns[1]
    before = plain.to_frame()[value].tolist()
    counts = [shown_count(cell) for cell in before]
    threshold = min(c for c in counts if c) + 1  # from the data: at least one cell is suppressed
    after = builder(dataset, small_cell_threshold=threshold).to_frame()[value].tolist()
    suppressed = 0
    for cell_before, count, cell_after in zip(before, counts, after):
        if count is not None and 0 < count < threshold:
            assert cell_after == f"<{threshold}"
            suppressed += 1
        else:
            assert cell_after == cell_before
    assert suppressed >= 1
    assert any(f"<{threshold}" in note for note in builder(dataset, small_cell_threshold=threshold).notes)


# ---------------------------------------------------------------------------- treatment history
def test_treatment_history_counts_equal_the_data(dataset):
    table = tables.treatment_history(dataset)
    n = len(dataset)
    assert_n_pct(value_of(table, "Prior pertuzumab"), int((dataset.prior_pertuzumab == "yes").sum()), n)
    assert_n_pct(value_of(table, "Prior lapatinib"), int((dataset.prior_lapatinib == "yes").sum()), n)
    benefit = rows_under(table, "Prior T-DM1 benefit¹")
    assert_n_pct(benefit["Yes"], int((dataset.tdm1_benefit == "yes").sum()), n)
    resistance = rows_under(table, "Trastuzumab resistance²")
    assert_n_pct(resistance["Acquired"], int((dataset.trastuzumab_resistance == "acquired").sum()), n)
    assert_n_pct(resistance["Primary"], int((dataset.trastuzumab_resistance == "primary").sum()), n)
    setting = rows_under(table, "Trastuzumab setting")
    assert_n_pct(setting["Adjuvant"], int((dataset.trastuzumab_setting == "adjuvant").sum()), n)
    line = rows_under(table, "Line of T-DM1 for metastatic disease")
    assert_n_pct(line["≥3"], int((dataset.tdm1_line >= 3).sum()), n)
    response = rows_under(table, "Best response on T-DM1")
    assert len(response) == len(RESPONSE_CODES)  # every category, zeros included
    for code in RESPONSE_CODES:
        assert_n_pct(response[tables.RESPONSE_ROW_LABELS[code]],
                     int((dataset.tdm1_best_response == code).sum()), n)


def test_treatment_history_tdm1_duration_and_definitions(dataset):
    table = tables.treatment_history(dataset)
    cell = value_of(table, "Duration of T-DM1 (to progression), months")
    median, low, high = (float(x) for x in MEDIAN_RANGE.match(cell).groups())
    months = dataset.tdm1_months
    assert abs(median - months.median()) <= 0.05 + 1e-9
    assert abs(low - months.min()) <= 0.05 + 1e-9 and abs(high - months.max()) <= 0.05 + 1e-9
    notes = " ".join(table.notes)
    assert "≥ 6 months" in notes and "ESO-ESMO ABC" in notes


# ---------------------------------------------------------------------------------- regimens
def test_regimen_cross_table_cells_and_totals_equal_the_data(dataset):
    table = tables.tki_regimens(dataset)
    frame = table.to_frame().set_index("TKI agent")
    n = len(dataset)
    for (agent, partner), count in dataset.groupby(["tki_agent", "tki_partner"]).size().items():
        cell = frame.at[tables.TKI_AGENT_LABELS[agent], tables.TKI_PARTNER_LABELS[partner]]
        assert_n_pct(cell, int(count), n)
    assert_n_pct(frame.at["Total", "Total"], n, n)
    for partner, count in dataset.tki_partner.value_counts().items():
        assert_n_pct(frame.at["Total", tables.TKI_PARTNER_LABELS[partner]], int(count), n)
    for agent, count in dataset.tki_agent.value_counts().items():
        assert_n_pct(frame.at[tables.TKI_AGENT_LABELS[agent], "Total"], int(count), n)
    assert {"Pyrotinib", "Capecitabine", "Other chemotherapy", "Trastuzumab", "TKI alone"} <= (
        set(frame.index) | set(frame.columns))


# -------------------------------------------------------------------------------- study flow
def test_study_flow_counts_equal_the_screening_log(study):
    flow = tables.study_flow_counts(study.screening)
    outcomes = study.screening["outcome"]
    by_stage = flow.set_index("stage")
    assert by_stage.at["screened", "n"] == len(study.screening)
    assert by_stage.at["analysed", "n"] == (outcomes == "included").sum() == len(study.patients)
    reasons = flow[flow.stage == "reason"]
    assert by_stage.at["excluded", "n"] == reasons["n"].sum() == (outcomes != "included").sum()
    expected = outcomes[outcomes != "included"].value_counts()
    assert dict(zip(reasons.code, reasons.n)) == expected.to_dict()
    assert reasons.label.tolist() == [SCREENING_OUTCOMES[c] for c in reasons.code]
    order = list(zip(-reasons.n, reasons.label))
    assert order == sorted(order)  # largest first, ties by name
    assert flow.stage.tolist()[:2] == ["screened", "excluded"] and flow.stage.iloc[-1] == "analysed"


# ---------------------------------------------------------------------------------- response
def test_response_table_counts_and_exact_intervals(dataset):
    table = tables.response_table(dataset)
    frame = table.to_frame().set_index("Response")
    n = len(dataset)
    count_column, ci_column = table.columns[1], table.columns[2]
    assert count_column == f"N = {n}"
    for code in RESPONSE_CODES:  # every category, even at zero
        assert_n_pct(frame.at[tables.RESPONSE_ROW_LABELS[code], count_column],
                     int((dataset.best_overall_response == code).sum()), n)
    direct = {
        "Objective response rate": dataset.best_overall_response.isin(["CR", "PR"]).sum(),
        "Disease control rate": dataset.best_overall_response.isin(["CR", "PR", "SD"]).sum(),
        "Clinical benefit rate": dataset.clinical_benefit.sum(),
    }
    for name, count in direct.items():
        row = frame.loc[[i for i in frame.index if i.startswith(name)][0]]
        assert_n_pct(row[count_column], int(count), n)
        exact = binomtest(int(count), n).proportion_ci(method="exact")
        low, high = interval(row[ci_column])
        assert abs(low - 100 * exact.low) <= 0.05 + 1e-9 and abs(high - 100 * exact.high) <= 0.05 + 1e-9
    notes = " ".join(table.notes)
    assert "NE" in notes and "non-response" in notes and "Clopper–Pearson" in notes


# ----------------------------------------------------------------------------- survival tables
def test_median_table_shows_both_intervals(dataset):
    time, event = dataset.pfs_months, dataset.pfs_event
    table = tables.median_table(time, event)
    frame = table.to_frame().set_index("Interval method")
    for label, result in [("Symmetric SE-based (SPSS)", median_symmetric_spss(time, event)),
                          ("Brookmeyer–Crowley, log transform (R survival default)",
                           median_brookmeyer_crowley(time, event))]:
        row = frame.loc[label]
        assert abs(float(row.iloc[0]) - result.estimate) <= 0.05 + 1e-9
        low, high = interval(row.iloc[1])
        assert abs(low - result.lower) <= 0.05 + 1e-9 and abs(high - result.upper) <= 0.05 + 1e-9
    assert f"events = {int(event.sum())}" in table.notes[0]


def test_median_table_says_not_reached():
    time = [1, 2, 3, 4, 5, 6]
    event = [1, 0, 0, 0, 0, 0]  # the curve never falls to 0.5
    frame = tables.median_table(time, event).to_frame()
    assert (frame.iloc[:, 1] == "NR").all()


def test_landmark_table_rates_and_numbers_at_risk(dataset):
    time, event = dataset.pfs_months.to_numpy(), dataset.pfs_event.to_numpy()
    landmarks = landmark_survival(time, event, at=(6, 12, 18, 24))
    table = tables.landmark_table(landmarks)
    frame = table.to_frame()
    assert frame["Landmark"].tolist() == ["6 months", "12 months", "18 months", "24 months"]
    for month, row, rate in zip((6, 12, 18, 24), frame.itertuples(index=False), landmarks.itertuples()):
        assert int(row[3]) == int((time >= month).sum())  # R's risk set, counted directly
        assert abs(float(row[1]) - 100 * rate.estimate) <= 0.05 + 1e-9
        low, high = interval(row[2])
        assert low <= float(row[1]) <= high


def test_landmark_beyond_follow_up_is_not_estimable(dataset):
    beyond = float(dataset.pfs_months.max()) + 12
    landmarks = landmark_survival(dataset.pfs_months, dataset.pfs_event, at=(beyond,))
    row = tables.landmark_table(landmarks).to_frame().iloc[0]
    assert row["At risk"] == "0" and row["PFS, %"] == "NE"
    assert any("not estimable" in note for note in tables.landmark_table(landmarks).notes)


# -------------------------------------------------------------------------------------- safety
def _worst_grade_counts(adverse_events: pd.DataFrame) -> pd.DataFrame:
    """Independent count: each patient once per term at her worst grade."""
    worst = adverse_events.groupby(["patient_id", "ae_term"])["grade"].max().reset_index()
    return pd.DataFrame({
        "any": worst.groupby("ae_term").size(),
        "g3": worst[worst.grade >= 3].groupby("ae_term").size(),
    }).fillna(0).astype(int)


def test_adverse_event_counts_equal_worst_grade_counts(study):
    ae, n = study.adverse_events, len(study.patients)
    table = tables.adverse_event_report(ae, n)
    frame = table.to_frame()
    expected = _worst_grade_counts(ae)
    terms = frame[frame.section == "By term"]
    assert sorted(terms["CTCAE v5.0 term"]) == sorted(expected.index)
    for row in terms.itertuples(index=False):
        assert row[1] == CTCAE_TERMS[row[2]]
        assert_n_pct(row[3], int(expected.at[row[2], "any"]), n)
        assert_n_pct(row[4], int(expected.at[row[2], "g3"]), n)
    any_counts = [n_pct(c)[0] for c in terms["Any grade"]]
    assert any_counts == sorted(any_counts, reverse=True)


def test_adverse_event_overall_row_comes_first(study):
    ae, n = study.adverse_events, len(study.patients)
    first = tables.adverse_event_report(ae, n).to_frame().iloc[0]
    worst = ae.groupby("patient_id")["grade"].max()
    assert first["Adverse event"] == "Any adverse event"
    assert_n_pct(first["Any grade"], int(worst.size), n)
    assert_n_pct(first["Grade ≥ 3"], int((worst >= 3).sum()), n)
    assert "worst grade" in " ".join(tables.adverse_event_report(ae, n).notes)


def test_adverse_event_report_can_list_every_ctcae_term(study):
    table = tables.adverse_event_report(study.adverse_events, len(study.patients),
                                        include_unobserved=True)
    terms = table.to_frame().query("section == 'By term'")
    assert sorted(terms["CTCAE v5.0 term"]) == sorted(CTCAE_TERMS)


def test_toxicity_actions_equal_the_data(dataset):
    table = tables.toxicity_action_table(dataset)
    n = len(dataset)
    for label, column in [("Dose reduction", "dose_reduction"), ("Dose interruption", "dose_interruption"),
                          ("Discontinuation for toxicity", "discontinued_for_toxicity")]:
        assert_n_pct(value_of(table, label), int(dataset[column].sum()), n)


def test_every_builder_returns_a_report_table(study, dataset):
    built = [tables.baseline_characteristics(dataset), tables.treatment_history(dataset),
             tables.tki_regimens(dataset),
             tables.response_table(dataset), tables.median_table(dataset.pfs_months, dataset.pfs_event),
             tables.landmark_table(landmark_survival(dataset.pfs_months, dataset.pfs_event)),
             tables.adverse_event_report(study.adverse_events, len(dataset)),
             tables.toxicity_action_table(dataset)]
    for table in built:
        assert isinstance(table, ReportTable) and len(table) > 0 and table.notes
        assert "<caption" not in table._repr_html_()


def test_median_table_states_the_reverse_km_follow_up(dataset):
    follow = median_followup(dataset.pfs_months, dataset.pfs_event)
    table = tables.median_table(dataset.pfs_months, dataset.pfs_event)
    expected = f"Median follow-up (reverse Kaplan–Meier): {tables.fmt_months(follow.estimate)} months"
    assert any(note.startswith(expected) for note in table.notes)
