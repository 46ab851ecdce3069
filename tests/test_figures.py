"""Figures: structure, labels, ticks, legends, texts, numbers at risk, pseudonymity, vector output."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from analysis.report import (
    figures,  # noqa: E402
    style,
)
from analysis.stats.adverse_events import adverse_event_table, grade_distribution  # noqa: E402
from analysis.stats.cox import univariable_cox  # noqa: E402
from analysis.stats.survival import kaplan_meier, logrank_test, numbers_at_risk  # noqa: E402
from analysis.study.schema import CTCAE_TERMS, RESPONSE_CODES, SCREENING_OUTCOMES  # noqa: E402

FACTORS = {"tdm1_benefit": "no", "trastuzumab_resistance": "primary", "ecog": "0",
           "brain_metastasis": "no", "tki_partner": "capecitabine"}


# ------------------------------------------------------------------------------ helpers
def all_texts(fig: Figure) -> list[str]:
    """Every text drawn in the figure (titles, labels, tick labels, legends, annotations)."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def axes_by_label(fig: Figure, label: str):
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


def drawn_risk_table(fig: Figure) -> dict[str, dict[float, int]]:
    """Numbers drawn under the KM plot: row label -> {tick: number}."""
    ax = axes_by_label(fig, figures.RISK_AXES_LABEL)
    fig.canvas.draw()  # tick labels are resolved at draw time
    rows = {int(round(t.get_position()[1])): t.get_text() for t in ax.get_yticklabels()}
    table: dict[str, dict[float, int]] = {label: {} for label in rows.values()}
    for text in ax.texts:
        x, y = text.get_position()
        table[rows[int(round(y))]][float(x)] = int(text.get_text())
    return table


def render(fig: Figure) -> dict[str, bytes]:
    """The figure saved as SVG and PDF in memory (with the project style, as the report does)."""
    out = {}
    with style.figure_style():
        for fmt in ("svg", "pdf"):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt)
            out[fmt] = buffer.getvalue()
    return out


@pytest.fixture
def no_leaked_figures():
    """Figures are built outside pyplot: nothing may stay registered (notebook memory at N = 100,000)."""
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before


@pytest.fixture(scope="module")
def flow_counts(study) -> pd.DataFrame:
    """The tidy flow frame (stage, reason, n) made from the screening log, as analysis.report.tables will."""
    outcome = study.screening["outcome"].astype(str)
    excluded = outcome[outcome != "included"].value_counts()
    return pd.DataFrame(
        [{"stage": "screened", "reason": None, "n": len(outcome)}]
        + [{"stage": "excluded", "reason": SCREENING_OUTCOMES[code], "n": int(n)}
           for code, n in excluded.items()]
        + [{"stage": "analysed", "reason": None, "n": int((outcome == "included").sum())}]
    )


@pytest.fixture(scope="module")
def cox_table(dataset) -> pd.DataFrame:
    return univariable_cox(dataset, FACTORS)


def big_dataset(n: int, seed: int = 1) -> pd.DataFrame:
    """A large swimmer input (vectorised), with source-like ids that must never be shown."""
    rng = np.random.default_rng(seed)
    months = rng.exponential(10, n)
    return pd.DataFrame({
        "patient_id": [f"SYN{i:06d}" for i in range(1, n + 1)],
        "sequence": np.arange(1, n + 1),
        "treatment_months": months,
        "best_overall_response": rng.choice(list(RESPONSE_CODES), n),
        "pfs_months": months * rng.uniform(0.8, 1.2, n),
        "progressed": rng.integers(0, 2, n),
        "on_treatment_at_cutoff": rng.integers(0, 2, n),
    }).assign(treatment_end_reason=lambda d: np.where(
        d["on_treatment_at_cutoff"] == 1, "ongoing",
        rng.choice(["progression", "toxicity", "death", "other"], n)))


# ------------------------------------------------------------------------------ style
def test_style_is_colour_blind_safe_and_vector_friendly():
    assert set(style.RESPONSE_COLOURS) == set(RESPONSE_CODES)
    assert len(set(style.RESPONSE_COLOURS.values())) == len(RESPONSE_CODES)
    okabe_ito = set(style.OKABE_ITO.values())
    assert {c for k, c in style.RESPONSE_COLOURS.items() if k != "NE"} <= okabe_ito
    rc = style.project_rc()
    assert rc["svg.fonttype"] == "none" and rc["pdf.fonttype"] == 42
    with matplotlib.rc_context():
        style.apply_style()
        assert matplotlib.rcParams["svg.fonttype"] == "none"
        assert matplotlib.rcParams["pdf.fonttype"] == 42
        assert matplotlib.rcParams["font.size"] == style.BASE_FONT_SIZE
    assert list(style.GRADE_COLOURS) == [1, 2, 3, 4, 5]


def test_subgroup_colours_are_named_and_stable():
    first = style.group_colours("tdm1_benefit", ["yes", "no"])
    assert first == style.group_colours("tdm1_benefit", ["no", "yes"])
    assert first["yes"] != first["no"]
    other = style.group_colours("some_factor", ["a", "b", "c"])
    assert len(set(other.values())) == 3
    assert style.level_label("tki_partner", "other_chemotherapy") == "Other chemotherapy"
    assert style.factor_label("tdm1_benefit") == "Prior T-DM1 benefit"


@pytest.mark.parametrize("p, expected", [
    (0.0004, "p < 0.001"), (0.001, "p = 0.001"), (0.0034, "p = 0.003"), (0.0496, "p = 0.050"),
    (0.0996, "p = 0.100"), (0.12, "p = 0.120"), (0.5, "p = 0.500"), (0.995, "p = 0.995"),
    (float("nan"), "p not computed"),
])
def test_format_p_reads_as_the_tables_print_p(p, expected):
    assert figures.format_p(p) == expected


# ------------------------------------------------------------------------------ Kaplan–Meier
def test_km_single_curve_axes_labels_ticks_and_text(dataset, no_leaked_figures):
    time, event = dataset["pfs_months"], dataset["pfs_event"]
    fig = figures.km_figure(time, event, note="Synthetic data.")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    ax = axes_by_label(fig, "survival")
    assert ax.get_xlabel() == "Months since first TKI dose"
    assert ax.get_ylabel() == "Progression-free survival (%)"
    ticks = ax.get_xticks()
    assert ticks[0] == 0 and np.allclose(np.diff(ticks), 3)
    assert ticks[-1] >= time.max() > ticks[-1] - 3
    texts = all_texts(fig)
    km = kaplan_meier(time, event)
    assert any(f"N = {len(time)}" in t and f"{km.events} events" in t for t in texts)
    assert "Synthetic data." in " ".join(texts)
    assert not any(t.startswith("Log-rank") for t in texts)
    render(fig)
    plt.close(fig)


def test_km_curve_and_band_come_from_survival_module(dataset):
    time, event = dataset["pfs_months"], dataset["pfs_event"]
    fig = figures.km_figure(time, event)
    ax = axes_by_label(fig, "survival")
    # The tail rule: the curve stops at the last time with at least 10% of patients at risk.
    cutoff = figures.km_tail_cutoff(time)
    assert (time >= cutoff).sum() >= 0.1 * len(time) > (time > cutoff).sum()
    steps = kaplan_meier(time, event).step_frame()
    steps = steps[steps["time"] <= cutoff]
    curve = [line for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]
    assert len(curve) == 1
    assert np.allclose(curve[0].get_xdata(), steps["time"])
    assert np.allclose(curve[0].get_ydata(), 100 * steps["survival"])
    assert curve[0].get_xdata().max() == cutoff < time.max()
    censored = kaplan_meier(time, event).censor_times()
    censored = censored[censored["time"] <= cutoff]
    marks = [line for line in ax.get_lines() if line.get_marker() == "|"]
    assert len(marks) == 1 and np.allclose(marks[0].get_xdata(), censored["time"])


def test_km_numbers_at_risk_match_r_risk_set_and_an_independent_count(dataset):
    time, event = dataset["pfs_months"].to_numpy(), dataset["pfs_event"].to_numpy()
    fig = figures.km_figure(time, event)
    ticks = axes_by_label(fig, "survival").get_xticks()
    drawn = drawn_risk_table(fig)
    assert list(drawn) == [figures.ALL_PATIENTS]
    row = drawn[figures.ALL_PATIENTS]
    assert sorted(row) == list(ticks)
    assert [row[t] for t in ticks] == list(numbers_at_risk(time, ticks))
    assert [row[t] for t in ticks] == [int((time >= t).sum()) for t in ticks]
    helper = figures.risk_table(time, event, None, ticks)
    assert helper.loc[figures.ALL_PATIENTS].tolist() == [row[t] for t in ticks]


@pytest.mark.parametrize("factor", ["tdm1_benefit", "trastuzumab_resistance"])
def test_km_by_group_risk_table_legend_and_logrank(dataset, factor, no_leaked_figures):
    time, event, group = dataset["pfs_months"], dataset["pfs_event"], dataset[factor]
    fig = figures.km_figure(time, event, group)
    assert len(fig.axes) == 2
    ax = axes_by_label(fig, "survival")
    ticks = ax.get_xticks()
    assert np.allclose(np.diff(ticks), 3)

    drawn = drawn_risk_table(fig)
    levels = list(style.SUBGROUP_LEVELS[factor])
    assert list(drawn) == [style.level_label(factor, level) for level in levels]
    for level in levels:
        in_group = (group == level).to_numpy()
        row = drawn[style.level_label(factor, level)]
        assert [row[t] for t in ticks] == list(numbers_at_risk(time[in_group], ticks))
        assert [row[t] for t in ticks] == [int((time[in_group] >= t).sum()) for t in ticks]

    # each group's curve has the group's named colour; its risk-table row the same hue darkened
    # to a readable contrast on white (WCAG AA, 4.5:1), numbers and label alike
    colours = style.group_colours(factor, levels)
    risk_ax = axes_by_label(fig, figures.RISK_AXES_LABEL)
    for label in risk_ax.get_yticklabels():
        level = next(lv for lv in levels if style.level_label(factor, lv) == label.get_text())
        assert to_hex(label.get_color()) == to_hex(style.text_colour(colours[level]))
    for text in [*risk_ax.texts, *risk_ax.get_yticklabels()]:
        assert style.contrast_ratio(to_hex(text.get_color())) >= 4.5, text.get_text()
    curves = [line for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]
    assert [to_hex(c.get_color()) for c in curves] == [to_hex(colours[lv]) for lv in levels]

    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for level in levels:
        in_group = (group == level).to_numpy()
        n, events = int(in_group.sum()), int(event[in_group].sum())
        assert any(t.startswith(style.level_label(factor, level)) and f"n = {n}, {events} events" in t
                   for t in legend)
    p = logrank_test(time, event, group).p
    assert f"Log-rank {figures.format_p(p)}" in legend
    assert ax.get_legend().get_title().get_text() == style.factor_label(factor)
    render(fig)
    plt.close(fig)


def test_km_risk_table_counts_times_on_a_tick_as_at_risk():
    """R counts a patient whose time equals the tick (lifelines' add_at_risk_counts does not)."""
    time = np.array([1.0, 3.0, 3.0, 3.0, 6.0, 6.0, 7.5, 9.0])
    event = np.array([1, 1, 0, 1, 1, 0, 1, 0])
    fig = figures.km_figure(time, event)
    row = drawn_risk_table(fig)[figures.ALL_PATIENTS]
    assert row == {0.0: 8, 3.0: 7, 6.0: 4, 9.0: 1}
    plt.close(fig)


def test_km_groups_with_missing_values_and_xmax(dataset):
    group = dataset["trastuzumab_resistance"].astype(object).copy()
    group.iloc[:3] = None
    fig = figures.km_figure(dataset["pfs_months"], dataset["pfs_event"], group, xmax=24,
                            title="PFS", show_median=False, test_label=False)
    ax = axes_by_label(fig, "survival")
    assert list(ax.get_xticks()) == [0, 3, 6, 9, 12, 15, 18, 21, 24]
    assert ax.get_xlim() == (0, 24)
    texts = all_texts(fig)
    assert any("3 patients with no recorded trastuzumab resistance" in t for t in texts)
    assert not any(t.startswith("Log-rank") for t in texts)
    assert "PFS" in texts
    drawn = drawn_risk_table(fig)
    assert sum(row[0.0] for row in drawn.values()) == len(dataset) - 3
    plt.close(fig)


def test_km_median_guides_end_at_the_median(dataset):
    from analysis.stats.survival import median_brookmeyer_crowley

    fig = figures.km_figure(dataset["pfs_months"], dataset["pfs_event"])
    ax = axes_by_label(fig, "survival")
    median = median_brookmeyer_crowley(dataset["pfs_months"], dataset["pfs_event"]).estimate
    dashed = [line for line in ax.get_lines() if line.get_linestyle() not in ("-", "None", "none")]
    assert any(np.allclose(line.get_xdata(), [median, median]) and np.allclose(line.get_ydata(), [0, 50])
               for line in dashed)
    assert any(np.allclose(line.get_ydata(), [50, 50]) for line in dashed)
    plt.close(fig)


# ------------------------------------------------------------------------------ swimmer
def _bars(ax):
    return [p for p in ax.patches if p.get_width() > 0 or p.get_height() > 0]


def test_swimmer_bars_labels_legend_and_markers(dataset, no_leaked_figures):
    fig = figures.swimmer_figure(dataset)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    bars = _bars(ax)
    assert len(bars) == len(dataset)
    widths = [b.get_width() for b in sorted(bars, key=lambda b: b.get_y())]
    assert widths == sorted(widths)  # longest at the top
    assert ax.get_xlabel() == "Months since first TKI dose"
    assert "sequence" in ax.get_ylabel()
    fig.canvas.draw()
    # The plot is as tall as a page allows with its caption; where rows are then closer than
    # 7 pt type needs, every k-th patient (from the shortest bar) is labelled, and a note says so.
    assert fig.get_figheight() <= style.MAX_FIGURE_HEIGHT_INCHES
    labels = [t.get_text() for t in ax.get_yticklabels()]
    in_order = dataset.sort_values(["treatment_months", "sequence"])["sequence"].astype(str).tolist()
    every = len(in_order) // len(labels)
    assert labels == in_order[::every]
    if every > 1:
        assert any(f"Every {figures._ordinal(every)} patient is labelled." in t for t in all_texts(fig))

    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    present = set(dataset["best_overall_response"])
    for code in RESPONSE_CODES:
        assert any(f"({code})" in t for t in legend) == (code in present)
    assert "Progression (RECIST 1.1)" in legend and "Ongoing at data cut-off" in legend
    reasons = dataset["treatment_end_reason"]
    for reason, (_, _, label) in figures.END_MARKERS.items():
        assert (label in legend) == (reason in set(reasons)), reason

    # bar colours follow the response palette
    by_length = dataset.sort_values(["treatment_months", "sequence"])
    expected = [to_hex(style.RESPONSE_COLOURS[c]) for c in by_length["best_overall_response"]]
    assert [to_hex(b.get_facecolor()) for b in sorted(bars, key=lambda b: b.get_y())] == expected

    # one progression marker per progressed patient; every bar ends in exactly one marker for
    # why the TKI ended, at the end of the bar (the arrow of ongoing treatment just past it)
    progression, *ends = ax.collections
    assert len(progression.get_offsets()) == int(dataset["progressed"].sum())
    present = [r for r in figures.END_MARKERS if r in set(reasons)]
    assert len(ends) == len(present)
    assert sum(len(c.get_offsets()) for c in ends) == len(dataset)
    for reason, markers in zip(present, ends):
        assert len(markers.get_offsets()) == int((reasons == reason).sum()), reason
    assert int((reasons == "ongoing").sum()) == int(dataset["on_treatment_at_cutoff"].sum())
    texts = " ".join(" ".join(all_texts(fig)).split())  # the note is wrapped
    assert figures.SWIMMER_PROGRESSION_NOTE in texts
    assert not any("Showing" in t for t in all_texts(fig))
    render(fig)
    plt.close(fig)


def test_swimmer_never_shows_a_source_patient_id(dataset):
    fig = figures.swimmer_figure(dataset)
    assert not any("SYN" in t for t in all_texts(fig))
    output = render(fig)
    assert b"SYN" not in output["svg"]
    plt.close(fig)


@pytest.mark.parametrize("n, max_patients", [(66, 20), (5_000, 100)])
def test_swimmer_samples_deterministically_above_max_patients(dataset, n, max_patients):
    data = dataset if n == len(dataset) else big_dataset(n)
    fig = figures.swimmer_figure(data, max_patients=max_patients)
    ax = fig.axes[0]
    assert len(_bars(ax)) == max_patients
    note = " ".join(all_texts(fig))
    assert f"Showing {max_patients:,} of {n:,} patients" in note
    assert not any("SYN" in t for t in all_texts(fig))
    sample = figures.swimmer_sample(data, max_patients)
    assert sample["sequence"].tolist() == figures.swimmer_sample(data, max_patients)["sequence"].tolist()
    assert sample["treatment_months"].iloc[0] == data["treatment_months"].min()
    assert sample["treatment_months"].iloc[-1] == data["treatment_months"].max()
    plt.close(fig)


# ------------------------------------------------------------------------------ forest
def test_forest_log_axis_reference_line_and_rows(cox_table, no_leaked_figures):
    fig = figures.forest_figure(cox_table)
    assert len(fig.axes) == 3
    ax = axes_by_label(fig, "forest")
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "Hazard ratio (95% CI)"
    assert any(np.allclose(line.get_xdata(), [1, 1]) for line in ax.get_lines())
    texts = all_texts(fig)
    assert texts.count("Reference") == int(cox_table["reference"].sum())
    for header in ("Factor", "n", "Events", "HR (95% CI)"):
        assert header in texts
    for variable in FACTORS:
        assert style.factor_label(variable) in texts
    row = cox_table[(cox_table["variable"] == "tdm1_benefit") & ~cox_table["reference"]].iloc[0]
    assert f"{row.hr:.2f} ({row.lower:.2f}–{row.upper:.2f})" in texts
    squares = ax.collections[-1]
    assert len(squares.get_offsets()) == int((~cox_table["reference"]).sum())
    sizes = squares.get_sizes()
    events = cox_table.loc[~cox_table["reference"], "events"].to_numpy()
    assert np.array_equal(np.argsort(sizes, kind="stable"), np.argsort(events, kind="stable"))
    render(fig)
    plt.close(fig)


def test_forest_shows_not_estimable_without_a_marker(cox_table):
    frame = cox_table.copy()
    target = (frame["variable"] == "tki_partner") & (frame["level"] == "none")
    frame.loc[target, ["hr", "lower", "upper", "p"]] = np.nan
    fig = figures.forest_figure(frame, xlabel="HR")
    ax = axes_by_label(fig, "forest")
    assert "not estimable" in all_texts(fig)
    assert len(ax.collections[-1].get_offsets()) == int((~frame["reference"]).sum()) - 1
    assert ax.get_xlabel() == "HR"
    plt.close(fig)


# ------------------------------------------------------------------------------ adverse events
def test_adverse_event_bars_sorted_stacked_by_grade(study, dataset, no_leaked_figures):
    grades = grade_distribution(study.adverse_events)
    n = len(dataset)
    fig = figures.adverse_event_figure(grades, n)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Patients (%)")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ticks = list(ax.get_yticks())
    order = [labels[ticks.index(y)] for y in sorted(ticks)]  # top to bottom (y axis inverted)
    expected = adverse_event_table(study.adverse_events, n)
    assert order == [CTCAE_TERMS[t] for t in expected["term"]]
    assert order[:3] == ["Diarrhoea", "Hand-foot syndrome", "Leucopenia"]

    # stacked segments add up to the any-grade percentage of each term
    totals: dict[int, float] = {}
    for bar in ax.patches:
        row = int(round(bar.get_y() + bar.get_height() / 2))
        totals[row] = totals.get(row, 0.0) + bar.get_width()
    assert np.allclose([totals[r] for r in range(len(order))], expected["any_grade_pct"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    present = [g for g in range(1, 6) if grades[f"grade_{g}"].sum() > 0]
    assert legend == [f"Grade {g}" for g in present]
    assert "36 (54.5%)" in all_texts(fig)
    render(fig)
    plt.close(fig)


def test_adverse_event_top_terms_only(study, dataset):
    fig = figures.adverse_event_figure(grade_distribution(study.adverse_events), len(dataset), top=3)
    fig.canvas.draw()
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        "Diarrhoea", "Hand-foot syndrome", "Leucopenia"]
    plt.close(fig)


# ------------------------------------------------------------------------------ study flow
def test_flow_diagram_boxes_and_counts(flow_counts, study, no_leaked_figures):
    fig = figures.flow_figure(flow_counts)
    assert len(fig.axes) == 1
    texts = all_texts(fig)
    screened = len(study.screening)
    analysed = int((study.screening["outcome"] == "included").sum())
    assert f"Patients screened\n(n = {screened})" in texts
    assert f"Patients analysed\n(n = {analysed})" in texts
    (excluded,) = [t for t in texts if t.startswith("Excluded")]
    assert excluded.startswith(f"Excluded (n = {screened - analysed})")
    for row in flow_counts[flow_counts["stage"] == "excluded"].itertuples():
        assert f"{row.reason} (n = {row.n})" in excluded.replace("\n   ", " ")
    assert len(fig.axes[0].texts) == 3 + 2  # three boxes, two arrows
    render(fig)
    plt.close(fig)


def test_flow_refuses_counts_that_do_not_add_up(flow_counts):
    broken = flow_counts.copy()
    broken.loc[broken["stage"] == "analysed", "n"] += 1
    with pytest.raises(ValueError, match="does not add up"):
        figures.flow_figure(broken)


# ------------------------------------------------------------------------------ vector output
def test_svg_keeps_text_as_text(dataset):
    fig = figures.km_figure(dataset["pfs_months"], dataset["pfs_event"], dataset["tdm1_benefit"])
    svg = render(fig)["svg"].decode()
    assert "<text" in svg and "Months since first TKI dose" in svg
    plt.close(fig)
