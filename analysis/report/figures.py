"""The report's figures: Kaplan–Meier with numbers at risk, swimmer, forest, adverse events, study flow.

Every function takes plain data and options and returns a ``matplotlib.figure.Figure`` drawn in the
project style (analysis/report/style.py); none shows or saves it. No statistic is computed here beyond what
analysis/stats/survival.py provides: curves, bands, medians, numbers at risk and the log-rank test all come
from there, so a figure always agrees with the tables. Patients are shown by their pseudonymous
``sequence`` number, never by a source id. Call ``style.apply_style()`` once in a notebook so that
figures saved later (by Quarto) keep editable vector text.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.ticker import FixedLocator, MultipleLocator, NullLocator
from numpy.typing import ArrayLike

from analysis.stats.response import RESPONSE_LABELS
from analysis.stats.survival import (
    kaplan_meier,
    logrank_test,
    median_brookmeyer_crowley,
    numbers_at_risk,
    survival_data,
)
from analysis.study.schema import CTCAE_TERMS, RESPONSE_CODES

from . import style
from .tables import (
    fmt_p_phrase as format_p,  # one p-value format for text, tables and figures
)
from .tables import plural

MONTHS_LABEL = "Months since first TKI dose"
ALL_PATIENTS = "All patients"
RISK_AXES_LABEL = "numbers at risk"  # Axes.get_label() of the risk table, for tests and callers
FOREST_COLUMNS = ["variable", "level", "reference", "n", "events", "hr", "lower", "upper", "p"]
FLOW_STAGES = ("screened", "excluded", "analysed")
#: Figures at least this wide (inches) put the KM legend in two columns; narrower ones in one.
WIDE_FIGURE_INCHES = 5.0
#: Kaplan–Meier tails: a curve and its band stop where fewer than this fraction of the group's
#: patients remain at risk (estimates there rest on a handful of patients; Pocock et al. 2002).
KM_MIN_AT_RISK_FRACTION = 0.10
_FRACTION_WORDS = {0.05: "one in twenty", 0.1: "one in ten", 0.2: "one in five", 0.25: "one in four"}
#: The rule in words, for captions and alt text (words, so captions type no number).
KM_TAIL_RULE = (f"Each curve and its band stop at the last time at which at least "
                f"{_FRACTION_WORDS.get(KM_MIN_AT_RISK_FRACTION, f'{KM_MIN_AT_RISK_FRACTION:.0%}')} "
                f"of the group's patients remain at risk, so no curve runs on over a handful of patients.")


def km_alt_text(groups: str | None = None) -> str:
    """Alt text of a Kaplan–Meier figure (what it shows; the values are in the text and tables)."""
    curves = (f"one step curve per level of {groups}, each in its own colour" if groups
              else "one step curve for all patients")
    return (f"Kaplan–Meier plot of progression-free survival in percent against months since the "
            f"first TKI dose: {curves}, with a shaded 95% confidence band, tick marks at censored "
            f"times and dashed guides at the median; the legend gives patients, events and the "
            f"median{' of each group and the log-rank p' if groups else ''}. Below the plot, the "
            f"numbers at risk at each tick of the time axis. {KM_TAIL_RULE}")


def km_tail_cutoff(time: ArrayLike, fraction: float = KM_MIN_AT_RISK_FRACTION) -> float:
    """The last time at which at least ``fraction`` of the patients are still at risk (observed
    time >= t): where a curve drawn under the tail rule stops."""
    t = np.sort(np.asarray(time, dtype=float))
    if t.size == 0:
        return 0.0
    keep = max(int(math.ceil(fraction * t.size - 1e-9)), 1)
    return float(t[t.size - keep])


# ------------------------------------------------------------------------------ shared helpers
def _months(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.1f} mo"


def _new_figure(width: float, height: float) -> Figure:
    """A Figure (not registered with pyplot, so nothing leaks between cells) with constrained layout."""
    with style.figure_style():
        return Figure(figsize=(width, height), layout="constrained")


def _add_note(fig: Figure, note: str | None) -> None:
    """A left-aligned note under the figure (kept inside the figure by the constrained layout).

    A figure has one such note; a second call adds its lines under the first, so a note added
    later (e.g. the data note of an exported file) never lies over the figure's own.
    """
    if not note:
        return
    width_chars = int(fig.get_figwidth() * 72 / (style.SMALL_FONT_SIZE * 0.52))
    wrapped = "\n".join(textwrap.fill(part, width_chars) for part in note.split("\n"))
    existing = fig.get_supxlabel()
    if existing:
        wrapped = f"{existing}\n{wrapped}"
    fig.supxlabel(wrapped, x=0.005, ha="left", fontsize=style.SMALL_FONT_SIZE,
                  color="#333333", linespacing=1.3)


def add_footnote(fig: Figure, note: str) -> None:
    """Add a note under a finished figure, below any note it has (the layout makes room)."""
    _add_note(fig, note)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {missing}")


# ------------------------------------------------------------------------------ Kaplan–Meier
def _as_groups(groups: ArrayLike | None, n: int) -> tuple[pd.Series, str | None]:
    """Group labels by position (missing kept as NA) and the factor name (Series name) if any."""
    if groups is None:
        return pd.Series([ALL_PATIENTS] * n, dtype=object), None
    variable = getattr(groups, "name", None)
    values = pd.Series(np.asarray(groups, dtype=object).ravel())
    if values.size != n:
        raise ValueError(f"groups ({values.size}) and time ({n}) differ in length")
    return values.where(values.notna(), None), (str(variable) if variable is not None else None)


def _group_levels(groups: ArrayLike | None, values: pd.Series, variable: str | None) -> list:
    """Levels in drawing order: categorical order, else the style's subgroup order, else sorted."""
    present = set(values.dropna())
    dtype = getattr(groups, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        return [level for level in dtype.categories if level in present]
    known = [level for level in style.SUBGROUP_LEVELS.get(variable or "", {}) if level in present]
    return known + sorted(present - set(known), key=str)


def km_ticks(time: ArrayLike, ticks_every: float = 3, xmax: float | None = None) -> np.ndarray:
    """x ticks of a Kaplan–Meier plot: 0 and every ``ticks_every`` months, to xmax or past the last time."""
    if ticks_every <= 0:
        raise ValueError("ticks_every must be positive")
    if xmax is None:
        last = float(np.max(np.asarray(time, dtype=float)))
        end = ticks_every * max(1, math.ceil(last / ticks_every - 1e-9))
    else:
        end = ticks_every * math.floor(float(xmax) / ticks_every + 1e-9)
    return np.round(np.arange(0.0, end + ticks_every / 2, ticks_every), 10)


def risk_table(time: ArrayLike, event: ArrayLike, groups: ArrayLike | None, ticks: ArrayLike) -> pd.DataFrame:
    """Numbers at risk (R's risk set: observed time >= tick) per group and tick, as drawn under a KM plot.

    One row per group in drawing order (index = group level, or 'All patients'), one column per
    tick. Patients with a missing group are left out, as in the curves.
    """
    t, _ = survival_data(time, event)
    values, variable = _as_groups(groups, t.size)
    ticks = np.asarray(ticks, dtype=float)
    levels = _group_levels(groups, values, variable)
    rows = [numbers_at_risk(t[(values == level).to_numpy()], ticks) for level in levels]
    table = pd.DataFrame(np.vstack(rows).astype(int), index=pd.Index(levels, name="group"),
                         columns=pd.Index(ticks, name="months"))
    return table


def _risk_font_size(table: pd.DataFrame, axes_width_in: float) -> float:
    """Largest font (<= the small size, >= 5 pt) at which the widest count fits between two ticks."""
    spacing_pt = axes_width_in * 72 / max(len(table.columns) - 1, 1)
    widest = max(len(str(int(v))) for v in table.to_numpy().ravel())
    return float(np.clip(0.85 * spacing_pt / (0.6 * widest), style.MIN_FONT_SIZE, style.SMALL_FONT_SIZE))


def _steps_post(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Corner points of a right-continuous step function, so a band keeps the step before a missing limit."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return np.repeat(x, 2)[1:], np.repeat(y, 2)[:-1]


def _legend_above(ax, curves: list, aux: list, title: str | None, two_columns: bool) -> None:
    """Legend above the plot (never over a curve): curves first, then marks and the test.

    With ``two_columns`` the curves fill the first column and the rest the second; narrow figures
    (single journal column) get one column.
    """
    if two_columns:
        rows = max(len(curves), len(aux))
        blank = [Line2D([], [], linestyle="none", label=" ")]
        entries = curves + blank * (rows - len(curves)) + aux + blank * (rows - len(aux))
    else:
        entries = curves + aux
    ax.legend(handles=entries, loc="lower left", bbox_to_anchor=(0.0, 1.02), ncols=2 if two_columns else 1,
              handlelength=1.6, borderaxespad=0.0, columnspacing=2.0, title=title, alignment="left")


def _draw_risk_table(ax, table: pd.DataFrame, labels: list[str], colours: list[str],
                     font_size: float) -> None:
    """Numbers at risk as text under the plot, one row per group in its colour darkened to a
    readable contrast (style.text_colour), at the plot's ticks."""
    ticks = table.columns.to_numpy(dtype=float)
    colours = [style.text_colour(c) for c in colours]
    for row, (counts, colour) in enumerate(zip(table.to_numpy(), colours)):
        for tick, count in zip(ticks, counts):
            ax.text(tick, row, str(int(count)), ha="center", va="center", color=colour,
                    fontsize=font_size)
    ax.set_label(RISK_AXES_LABEL)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.yaxis.set_major_locator(FixedLocator(np.arange(len(table))))
    ax.set_yticklabels(labels)
    for tick_label, colour in zip(ax.get_yticklabels(), colours):
        tick_label.set_color(colour)
        tick_label.set_fontweight("bold")
    first_width_pt = 0.6 * font_size * len(str(int(table.iloc[:, 0].max())))
    ax.tick_params(axis="both", length=0, labelbottom=False)
    ax.tick_params(axis="y", pad=first_width_pt / 2 + 5)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("Number at risk", loc="left", fontsize=style.SMALL_FONT_SIZE, fontweight="bold", pad=3)


def km_figure(
    time: ArrayLike,
    event: ArrayLike,
    groups: ArrayLike | None = None,
    *,
    ticks_every: float = 3,
    xmax: float | None = None,
    title: str | None = None,
    note: str | None = None,
    show_median: bool = True,
    test_label: bool = True,
    ylabel: str = "Progression-free survival (%)",
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Kaplan–Meier curve(s) with 95% log band, censor marks, medians, log-rank p and numbers at risk.

    Everything is computed by analysis.stats.survival (R's survfit, quantile.survfit and survdiff rules);
    the risk table counts patients with observed time >= tick (R), see ``risk_table``. With
    ``groups`` (a Series named after its factor gets the project's labels and colours), patients
    with a missing group are left out and the note says how many.
    """
    t, e = survival_data(time, event)
    values, variable = _as_groups(groups, t.size)
    levels = _group_levels(groups, values, variable)
    if not levels:
        raise ValueError("no patient has a recorded group")
    ticks = km_ticks(t, ticks_every, xmax)
    end = float(ticks[-1]) if xmax is None else float(xmax)
    table = risk_table(t, e, groups, ticks)
    colours_by_level = ({ALL_PATIENTS: style.OVERALL_COLOUR} if groups is None
                        else style.group_colours(variable, levels))
    labels = [level if groups is None else style.level_label(variable, level) for level in levels]
    colours = [colours_by_level[level] for level in levels]

    width = figsize[0] if figsize else style.REPORT_WIDTH_INCHES
    table_height = 0.17 * (len(levels) + 1.4)
    wide = width >= WIDE_FIGURE_INCHES
    legend_rows = (max(len(levels), 2 if groups is None else 3) if wide
                   else 2 * len(levels) + (2 if groups is None else 3))
    legend_height = 0.16 * (legend_rows + (groups is not None)) + 0.1
    height = figsize[1] if figsize else (3.0 + legend_height + table_height + (0.3 if note else 0)
                                         + (0.25 if title else 0))
    fig = _new_figure(width, height)
    with style.figure_style():
        grid = fig.add_gridspec(2, 1, height_ratios=[height - table_height, table_height])
        ax = fig.add_subplot(grid[0])
        ax_risk = fig.add_subplot(grid[1], sharex=ax)
        ax.set_label("survival")

        handles: list = []
        medians: list[tuple[float, str]] = []
        for level, label, colour in zip(levels, labels, colours):
            mask = (values == level).to_numpy()
            km = kaplan_meier(t[mask], e[mask])
            cutoff = km_tail_cutoff(t[mask])
            steps = km.step_frame()
            steps = steps[steps["time"] <= cutoff]
            band_x, band_lower = _steps_post(steps["time"], steps["lower"])
            _, band_upper = _steps_post(steps["time"], steps["upper"])
            ax.fill_between(band_x, 100 * band_lower, 100 * band_upper, color=colour,
                            alpha=0.15 if len(levels) > 1 else 0.18, linewidth=0)
            (line,) = ax.step(steps["time"], 100 * steps["survival"], where="post", color=colour,
                              linewidth=1.3)
            censored = km.censor_times()
            censored = censored[censored["time"] <= cutoff]
            ax.plot(censored["time"], 100 * censored["survival"], linestyle="none", marker="|",
                    markersize=4.5, markeredgewidth=0.9, color=colour)
            median = median_brookmeyer_crowley(t[mask], e[mask]).estimate
            if median is not None and median <= cutoff:
                medians.append((median, colour))
            prefix = "N" if groups is None else "n"
            summary = f"{prefix} = {km.n:,}, {km.events:,} events, median {_months(median)}"
            line.set_label(f"{label}: {summary}" if wide else f"{label}\n{summary}")
            handles.append(line)

        if show_median and medians:
            guide = dict(color="#555555", linestyle=(0, (3, 2)), linewidth=0.7, zorder=1)
            ax.plot([0, max(m for m, _ in medians)], [50, 50], **guide)
            for m, colour in medians:
                ax.plot([m, m], [0, 50], **{**guide, "color": colour if len(levels) > 1 else "#555555"})

        aux = [Line2D([], [], linestyle="none", marker="|", markersize=5, markeredgewidth=0.9,
                      color="#333333", label="Censored"),
               Patch(facecolor="#333333", alpha=0.18, linewidth=0, label="95% pointwise CI (log)")]
        if groups is not None and test_label and len(levels) > 1:
            test = logrank_test(t, e, values)
            aux.append(Line2D([], [], linestyle="none", label=f"Log-rank {format_p(test.p)}"))
        _legend_above(ax, handles, aux, title=style.factor_label(variable) if variable else None,
                      two_columns=wide)

        ax.set_xlim(0, end)
        ax.set_ylim(0, 102)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_major_locator(FixedLocator([0, 25, 50, 75, 100]))
        ax.set_xlabel(MONTHS_LABEL)
        ax.set_ylabel(ylabel)
        if title:
            fig.suptitle(title, x=0.005, ha="left", fontsize=style.BASE_FONT_SIZE + 1, fontweight="bold")

        plot_width = width - 1.0 - 0.06 * max(len(label) for label in labels)
        _draw_risk_table(ax_risk, table, labels, colours, _risk_font_size(table, plot_width))

        missing = int(values.isna().sum())
        notes = [note] if note else []
        if groups is not None and len(levels) == 1:
            factor = style.lower_first(style.factor_label(variable or "group"))
            notes.append(f"All {plural(len(values) - missing, 'patient')} with a recorded {factor} are "
                         f"in one level ({labels[0]}): there is no comparison, and the log-rank test "
                         "is not estimable.")
        if missing:
            factor = style.lower_first(style.factor_label(variable or "group"))
            notes.append(f"{plural(missing, 'patient')} with no recorded {factor} not shown.")
        _add_note(fig, "\n".join(notes) or None)
    return fig


# ------------------------------------------------------------------------------ swimmer plot
SWIMMER_COLUMNS = ["sequence", "treatment_months", "best_overall_response", "pfs_months", "progressed",
                   "on_treatment_at_cutoff", "treatment_end_reason"]
#: How the swimmer plot marks why each treatment ended (analysis.study.derive.treatment_end_reason):
#: reason -> (marker, filled, legend label). Every bar ends in exactly one of these.
END_MARKERS: dict[str, tuple[str, bool, str]] = {
    "progression": ("|", True, "Stopped: progression"),
    "toxicity": ("X", True, "Stopped: toxicity"),
    "death": ("s", True, "Stopped: death"),
    "other": ("o", False, "Stopped: other reason"),
    "ongoing": (">", True, "Ongoing at data cut-off"),
}
SWIMMER_PROGRESSION_NOTE = ("A diamond marks documented progression (RECIST 1.1). A diamond past "
                            "the end of its bar is progression found at a later assessment, after "
                            "the TKI had been stopped for another reason.")


def swimmer_sample(dataset: pd.DataFrame, max_patients: int = 100) -> pd.DataFrame:
    """The patients a swimmer plot shows, shortest to longest time on treatment (ties by sequence).

    All patients when there are at most ``max_patients``; otherwise ``max_patients`` patients at
    evenly spaced ranks of time on treatment (always the shortest and the longest), so the plot
    keeps the shape of the whole distribution and the same data always give the same sample.
    """
    if max_patients < 1:
        raise ValueError("max_patients must be at least 1")
    order = np.lexsort((dataset["sequence"].to_numpy(), dataset["treatment_months"].to_numpy()))
    ranked = dataset.iloc[order]
    if len(ranked) > max_patients:
        ranks = np.unique(np.round(np.linspace(0, len(ranked) - 1, max_patients)).astype(int))
        ranked = ranked.iloc[ranks]
    return ranked.reset_index(drop=True)


def swimmer_figure(
    dataset: pd.DataFrame,
    *,
    max_patients: int = 100,
    ticks_every: float = 3,
    note: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Time on TKI per patient (bar, coloured by best overall response), why it ended, and progression.

    One bar per patient labelled by ``sequence``, longest at the top. Every bar ends in a marker
    for why the TKI ended (END_MARKERS: progression, toxicity, death, other reason, or an arrow
    when ongoing at the cut-off); a black diamond marks progression (at ``pfs_months`` when
    ``progressed`` = 1), which can lie past the bar when it was found after the TKI was stopped.
    Above ``max_patients`` patients a deterministic sample is shown (``swimmer_sample``) and the
    note says so. Sequence labels are at least style.MIN_FONT_SIZE; when rows are too close for
    that, every second (third, ...) patient is labelled.
    """
    _require(dataset, SWIMMER_COLUMNS, "swimmer_figure")
    shown = swimmer_sample(dataset, max_patients)
    total, count = len(dataset), len(shown)
    y = np.arange(count)
    months = shown["treatment_months"].to_numpy(dtype=float)
    response = shown["best_overall_response"].astype(str).to_numpy()
    bar_colours = pd.Series(response).map(style.RESPONSE_COLOURS).fillna(style.LIGHT_GREY).to_numpy()
    reasons = shown["treatment_end_reason"].astype(str).to_numpy()
    unknown = sorted(set(reasons) - set(END_MARKERS))
    if unknown:
        raise ValueError(f"swimmer_figure: unknown treatment_end_reason {unknown}; expected {list(END_MARKERS)}")

    width = figsize[0] if figsize else style.REPORT_WIDTH_INCHES
    height = figsize[1] if figsize else float(np.clip(1.9 + 0.115 * count, 3.0, style.MAX_FIGURE_HEIGHT_INCHES))
    row_pt = (height - 1.9) * 72 / max(count, 1)
    label_every = max(1, int(math.ceil(style.MIN_FONT_SIZE / (0.9 * row_pt))))
    label_size = float(np.clip(0.9 * row_pt * label_every, style.MIN_FONT_SIZE, style.SMALL_FONT_SIZE))
    end = max(float(np.nanmax(np.r_[months, shown["pfs_months"].to_numpy(dtype=float)])), ticks_every)
    xmax = ticks_every * math.ceil(end * 1.06 / ticks_every)

    fig = _new_figure(width, height)
    with style.figure_style():
        ax = fig.add_subplot()
        ax.barh(y, months, height=0.72, color=bar_colours, linewidth=0)
        marker_pt = float(np.clip(row_pt * 0.6, 2.5, 5.5))
        progressed = shown["progressed"].to_numpy() == 1
        ax.scatter(shown["pfs_months"].to_numpy(dtype=float)[progressed], y[progressed], marker="D",
                   s=(marker_pt * 0.9) ** 2, color="black", linewidths=0, zorder=4)
        for reason, (marker, filled, _) in END_MARKERS.items():
            at = reasons == reason
            if not at.any():
                continue
            offset = 0.012 * xmax if reason == "ongoing" else 0.0
            colours = ({"color": "#222222"} if marker == "|" else
                       {"facecolors": "#222222" if filled else "white", "edgecolors": "#222222"})
            ax.scatter(months[at] + offset, y[at], marker=marker, s=(marker_pt * 1.1) ** 2, zorder=3,
                       linewidths=1.2 if marker == "|" else 0.7, **colours)

        ax.set_ylim(-0.7, count - 0.3)
        labelled = y[::label_every]
        ax.yaxis.set_major_locator(FixedLocator(labelled))
        ax.set_yticklabels(shown["sequence"].astype(int).astype(str).to_numpy()[::label_every],
                           fontsize=label_size)
        ax.tick_params(axis="y", length=0, pad=2)
        ax.spines["left"].set_visible(False)
        ax.set_xlim(0, xmax)
        step = ticks_every if xmax / ticks_every <= 16 else 2 * ticks_every
        ax.xaxis.set_major_locator(MultipleLocator(step))
        ax.set_xlabel(MONTHS_LABEL)
        ax.set_ylabel("Patient (study sequence number)")
        ax.grid(axis="x", color="#EBEBEB", linewidth=0.5, zorder=0)
        ax.set_axisbelow(True)

        present = [code for code in RESPONSE_CODES if code in set(response)]
        handles = [Patch(facecolor=style.RESPONSE_COLOURS[c], label=f"{RESPONSE_LABELS[c]} ({c})")
                   for c in present]
        if progressed.any():
            handles.append(Line2D([], [], linestyle="none", marker="D", markersize=4, color="black",
                                  markeredgewidth=0, label="Progression (RECIST 1.1)"))
        for reason, (marker, filled, label) in END_MARKERS.items():
            if (reasons == reason).any():
                handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=5,
                                      markerfacecolor="#222222" if filled else "white",
                                      markeredgecolor="#222222",
                                      markeredgewidth=1.2 if marker == "|" else 0.7, label=label))
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.005), ncols=3,
                  title="Bar: best overall response. Marker at the end of the bar: why the TKI ended",
                  alignment="left", borderaxespad=0.0, handlelength=1.2, columnspacing=1.2)

        notes = []
        if progressed.any():
            notes.append(SWIMMER_PROGRESSION_NOTE)
        if label_every > 1:
            notes.append(f"Every {_ordinal(label_every)} patient is labelled.")
        if count < total:
            notes.append(f"Showing {count:,} of {total:,} patients, sampled at evenly spaced ranks of time "
                         f"on treatment (1 in about {total / count:,.0f}; shortest and longest included).")
        if note:
            notes.append(note)
        _add_note(fig, "\n".join(notes) or None)
    return fig


def _ordinal(n: int) -> str:
    """2 -> 'second', 3 -> 'third', ...; digits with a suffix beyond ten."""
    words = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh",
             8: "eighth", 9: "ninth", 10: "tenth"}
    return words.get(n, f"{n}th")


# ------------------------------------------------------------------------------ forest plot
def _forest_rows(frame: pd.DataFrame, labels: Mapping[str, str] | None) -> pd.DataFrame:
    """One display row per factor (header) and per level, in the order of the table, with its texts."""
    labels = dict(labels or {})
    rows = []
    for variable in pd.unique(frame["variable"]):
        rows.append({"label": labels.get(variable, style.factor_label(variable)), "header": True,
                     "variable": variable})
        for record in frame[frame["variable"] == variable].to_dict("records"):
            rows.append({**record, "label": style.level_label(variable, record["level"]), "header": False})
    out = pd.DataFrame(rows)
    out["reference"] = out["reference"].astype("boolean").fillna(False).astype(bool)
    hr, lower, upper, p = (out[c].astype(float).to_numpy() for c in ("hr", "lower", "upper", "p"))
    level = ~out["header"].to_numpy()
    out["estimable"] = level & ~out["reference"].to_numpy() & np.isfinite(hr)
    out["n_text"] = [f"{int(v):,}" if ok else "" for v, ok in zip(out["n"], level)]
    out["events_text"] = [f"{int(v):,}" if ok else "" for v, ok in zip(out["events"], level)]
    out["hr_text"] = np.select(
        [out["header"], out["reference"], ~out["estimable"]], ["", "Reference", "not estimable"],
        [f"{h:.2f} ({lo:.2f}–{up:.2f})" for h, lo, up in zip(hr, lower, upper)])
    if "p_overall" in out:  # one test per factor (likelihood ratio), on the factor's row
        by_factor = frame.groupby("variable", sort=False)["p_overall"].first()
        single = frame.groupby("variable", sort=False)["level"].count() < 2
        out["p_text"] = [
            ("—" if single.get(v, False) else format_p(by_factor.get(v, np.nan), prefix=""))
            if header else "" for v, header in zip(out["variable"].fillna(out["label"]), out["header"])]
    else:  # per-level Wald p, when the caller has no factor test
        out["p_text"] = [format_p(v, prefix="") if ok and np.isfinite(v) else ""
                         for v, ok in zip(p, out["estimable"])]
    return out


def _outline_width(path: Path) -> float:
    """Width of a glyph outline: the x extent of its lines and Bézier curves, as Path.get_extents.

    The same extremes as matplotlib's `Path.get_extents` (segment ends plus each curve's interior
    extremum), computed with plain floats: `get_extents` builds a BezierSegment per curve, about
    20 ms per text, and a forest plot measures a hundred texts.
    """
    xs, codes = path.vertices[:, 0].tolist(), path.codes.tolist()
    low, high = math.inf, -math.inf
    start = last = None
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == Path.MOVETO:
            start = last = xs[i]
            points, i = [last], i + 1
        elif code == Path.LINETO:
            last, points, i = xs[i], [xs[i]], i + 1
        elif code == Path.CURVE3:
            p0, p1, p2 = last, xs[i], xs[i + 1]
            points, last, i = [p0, p2], p2, i + 2
            denominator = p0 - 2 * p1 + p2
            if denominator != 0 and 0 < (t := (p0 - p1) / denominator) < 1:
                points.append((1 - t) ** 2 * p0 + 2 * t * (1 - t) * p1 + t ** 2 * p2)
        elif code == Path.CURVE4:
            p0, p1, p2, p3 = last, xs[i], xs[i + 1], xs[i + 2]
            points, last, i = [p0, p3], p3, i + 3
            a, b, c = -p0 + 3 * p1 - 3 * p2 + p3, 2 * (p0 - 2 * p1 + p2), p1 - p0  # B'(t) / 3
            roots = ([-c / b] if b else []) if a == 0 else (
                [(-b + sign * math.sqrt(b * b - 4 * a * c)) / (2 * a) for sign in (1, -1)]
                if b * b - 4 * a * c >= 0 else [])
            points += [(1 - t) ** 3 * p0 + 3 * t * (1 - t) ** 2 * p1 + 3 * t ** 2 * (1 - t) * p2
                       + t ** 3 * p3 for t in roots if 0 < t < 1]
        else:  # CLOSEPOLY (its vertex is ignored) or STOP
            points, last, i = [start] if start is not None else [], start, i + 1
        if points:
            low, high = min(low, *points), max(high, *points)
    return high - low if high >= low else 0.0


def _text_width_pt(texts: Sequence[str], size: float, bold: bool = False) -> float:
    """Widest of the texts in points at the given font size (measured from the glyph outlines)."""
    font = FontProperties(weight="bold" if bold else "normal")
    widths = [_outline_width(TextPath((0, 0), text, size=size, prop=font)) for text in texts if text]
    return max(widths, default=0.0)


def _forest_limits(lower: np.ndarray, upper: np.ndarray) -> tuple[float, float]:
    """x limits of a forest plot: all finite intervals and 1, within 0.01–100."""
    finite = np.r_[lower[np.isfinite(lower) & (lower > 0)], upper[np.isfinite(upper)], 1.0]
    return max(float(finite.min()) / 1.15, 0.01), min(float(finite.max()) * 1.15, 100.0)


def forest_figure(
    frame: pd.DataFrame,
    *,
    xlabel: str = "Hazard ratio (95% CI)",
    labels: Mapping[str, str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Forest plot of a Cox table (variable, level, reference, n, events, hr, lower, upper, p).

    Text columns on the left (factor and level, n, events, HR with 95% CI), the estimates on a log
    axis with a line at 1 and squares sized by events, p on the right: with a ``p_overall``
    column (analysis.stats.cox.univariable_cox) the likelihood-ratio p of each factor on its
    factor row, headed "LR p", else the Wald p per level, headed "Wald p". Reference levels read
    'Reference' without a marker; a NaN hazard ratio reads 'not estimable'. Intervals running past
    the axis end in an arrow. ``labels`` renames factors (default: style.FACTOR_LABELS). Drawn at
    the report width (style.REPORT_WIDTH_INCHES) with every text at style.SMALL_FONT_SIZE.
    """
    _require(frame, FOREST_COLUMNS, "forest_figure")
    rows = _forest_rows(frame, labels)
    count = len(rows)
    y = np.arange(count, dtype=float)
    size = style.SMALL_FONT_SIZE
    gap = 10.0  # points between text columns

    # Column widths measured from the texts, so nothing overlaps whatever the labels.
    label_width = max(_text_width_pt(rows.loc[rows["header"], "label"], size, bold=True),
                      _text_width_pt(rows.loc[~rows["header"], "label"], size) + 8, 30)
    widths = [label_width,
              _text_width_pt([*rows["n_text"], "n"], size, bold=True),
              _text_width_pt([*rows["events_text"], "Events"], size, bold=True),
              _text_width_pt([*rows["hr_text"], "HR (95% CI)"], size, bold=True)]
    right_edges = np.cumsum(widths) + gap * np.arange(4)
    text_in = (right_edges[-1] + 4) / 72
    p_heading = "LR p" if "p_overall" in frame else "Wald p"
    p_in = (_text_width_pt([*rows["p_text"], p_heading], size, bold=True) + gap) / 72
    width = figsize[0] if figsize else style.REPORT_WIDTH_INCHES
    plot_in = max(width - text_in - p_in - 0.25, 1.5)
    height = figsize[1] if figsize else min(0.75 + 0.19 * (count + 1), style.MAX_FIGURE_HEIGHT_INCHES)
    positions = right_edges / right_edges[-1] * (1 - 4 / 72 / text_in)

    fig = _new_figure(width, height)
    with style.figure_style():
        ax_text, ax, ax_p = fig.subplots(1, 3, sharey=True,
                                         gridspec_kw={"width_ratios": [text_in, plot_in, p_in]})
        fig.get_layout_engine().set(wspace=0.0, w_pad=0.02)
        ax.set_label("forest")
        for axis in (ax_text, ax_p):
            axis.set_axis_off()
            axis.set_xlim(0, 1)
        ax.set_ylim(count - 0.4, -1.6)

        heading = dict(fontsize=size, fontweight="bold", va="center")
        ax_text.text(0.0, -1, "Factor", ha="left", **heading)
        for x, text in zip(positions[1:], ("n", "Events", "HR (95% CI)")):
            ax_text.text(x, -1, text, ha="right", **heading)
        ax_p.text(0.1, -1, p_heading, ha="left", **heading)
        for axis in (ax_text, ax, ax_p):
            axis.axhline(-0.5, color="#222222", linewidth=0.6, clip_on=False)

        for row_y, row in zip(y, rows.itertuples(index=False)):
            if row.header:
                ax_text.text(0.0, row_y, row.label, ha="left", va="center", fontsize=size, fontweight="bold")
                ax_p.text(0.1, row_y, row.p_text, ha="left", va="center", fontsize=size)
                continue
            ax_text.text(8 / 72 / text_in, row_y, row.label, ha="left", va="center", fontsize=size)
            ax_text.text(positions[1], row_y, row.n_text, ha="right", va="center", fontsize=size)
            ax_text.text(positions[2], row_y, row.events_text, ha="right", va="center", fontsize=size)
            ax_text.text(positions[3], row_y, row.hr_text, ha="right", va="center", fontsize=size,
                         color="#000000" if row.estimable else "#555555",
                         style="italic" if row.hr_text == "not estimable" else "normal")
            ax_p.text(0.1, row_y, row.p_text, ha="left", va="center", fontsize=size)

        shown = rows[rows["estimable"]]
        shown_y = y[rows["estimable"].to_numpy()]
        hr, lower, upper = (shown[c].to_numpy(dtype=float) for c in ("hr", "lower", "upper"))
        low, high = _forest_limits(lower, upper)
        ax.set_xscale("log")
        ax.set_xlim(low, high)
        ax.axvline(1.0, color="#555555", linewidth=0.7, zorder=1)
        ax.hlines(shown_y, np.clip(np.nan_to_num(lower, nan=low), low, high),
                  np.clip(np.nan_to_num(upper, nan=high, posinf=high), low, high),
                  color="black", linewidth=0.9, zorder=2)
        beyond_low, beyond_high = ~(lower > low), ~(upper < high)
        ax.scatter(np.full(beyond_low.sum(), low), shown_y[beyond_low], marker="<", s=14, color="black",
                   zorder=3)
        ax.scatter(np.full(beyond_high.sum(), high), shown_y[beyond_high], marker=">", s=14, color="black",
                   zorder=3)
        most_events = max(float(rows.loc[~rows["header"], "events"].max()), 1.0)
        marker_area = 10 + 60 * np.sqrt(shown["events"].to_numpy(dtype=float) / most_events)
        ax.scatter(np.clip(hr, low, high), shown_y, marker="s", s=marker_area, color="black",
                   linewidths=0, zorder=4)

        candidates = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
        ticks = candidates[(candidates >= low) & (candidates <= high)]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{v:g}" for v in ticks])
        ax.tick_params(axis="y", left=False, labelleft=False)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(xlabel)
        side = dict(transform=ax.get_yaxis_transform(), va="center", fontsize=size, color="#555555")
        ax.text(0.02, -1, "← lower", ha="left", **side)
        ax.text(0.98, -1, "higher →", ha="right", **side)
    return fig


# ------------------------------------------------------------------------------ adverse events
def adverse_event_figure(
    grade_frame: pd.DataFrame,
    n_patients: int,
    *,
    top: int | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Patients (%) with each adverse event, stacked by worst CTCAE grade, commonest term on top.

    Input is ``safety.grade_distribution`` (term, grade_1 ... grade_5: patients per worst grade);
    each patient counts once per term. Terms are sorted by any-grade count, then grade >= 3 count,
    then name (as ``safety.adverse_event_table``); ``top`` keeps the most frequent terms only.
    The any-grade n (%) is written at the end of each bar. Drawn by seaborn (``histplot``,
    weighted, stacked by grade), which puts the highest grade at the axis, so the grade >= 3
    share of each term is read from zero.
    """
    _require(grade_frame, ["term"], "adverse_event_figure")
    if n_patients <= 0:
        raise ValueError("n_patients must be positive")
    grades = list(range(1, 6))
    counts = grade_frame.reindex(columns=[f"grade_{g}" for g in grades], fill_value=0).fillna(0)
    counts = counts.to_numpy(dtype=float)
    order = pd.DataFrame({"term": grade_frame["term"].astype(str).to_numpy(), "any": counts.sum(axis=1),
                          "severe": counts[:, 2:].sum(axis=1)})
    order = order.sort_values(["any", "severe", "term"], ascending=[False, False, True], kind="stable")
    if top is not None:
        order = order.head(top)
    counts = counts[order.index.to_numpy()]
    percent = 100 * counts / n_patients
    terms = [CTCAE_TERMS.get(term, term) for term in order["term"]]
    count = len(terms)
    y = np.arange(count)

    width = figsize[0] if figsize else style.REPORT_WIDTH_INCHES
    height = figsize[1] if figsize else 1.2 + 0.21 * max(count, 3)
    present = [g for g in grades if counts[:, g - 1].sum() > 0]
    # One row per term and grade: seaborn stacks the grades' percentages along each term's bar.
    long = pd.DataFrame({
        "term": pd.Categorical(np.repeat(terms, len(present)), categories=terms, ordered=True),
        "grade": np.tile([f"Grade {g}" for g in present], count),
        "percent": percent[:, [g - 1 for g in present]].ravel(),
    })
    fig = _new_figure(width, height)
    with style.figure_style():
        ax = fig.add_subplot()
        sns.histplot(data=long, y="term", hue="grade", weights="percent", multiple="stack",
                     discrete=True, shrink=0.68, hue_order=[f"Grade {g}" for g in present],
                     palette={f"Grade {g}": style.GRADE_COLOURS[g] for g in present},
                     edgecolor="white", linewidth=0.4, alpha=1.0, ax=ax)
        left = percent.sum(axis=1)
        total = counts.sum(axis=1)
        for row, (n, pct) in enumerate(zip(total, left)):
            ax.text(pct + 0.8, row, f"{int(n):,} ({pct:.1f}%)", va="center", ha="left",
                    fontsize=style.SMALL_FONT_SIZE)
        ax.set_ylim(count - 0.5, -0.5)
        ax.yaxis.set_major_locator(FixedLocator(y))
        ax.set_yticklabels(terms)
        ax.set_ylabel("")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        xmax = min(100.0, 10 * math.ceil((float(left.max()) if count else 10) * 1.25 / 10))
        ax.set_xlim(0, max(xmax, 10))
        ax.xaxis.set_major_locator(MultipleLocator(10 if xmax <= 60 else 20))
        ax.set_xlabel(f"Patients (%), N = {n_patients:,}")
        ax.grid(axis="x", color="#EBEBEB", linewidth=0.5)
        ax.set_axisbelow(True)
        sns.move_legend(ax, "lower left", bbox_to_anchor=(0.0, 1.01), ncols=5, title="Worst grade (CTCAE v5.0)",
                        alignment="left", borderaxespad=0.0, handlelength=1.2, columnspacing=1.2,
                        frameon=False)
    return fig


# ------------------------------------------------------------------------------ study flow
def _flow_counts(flow_counts: pd.DataFrame) -> tuple[int, pd.DataFrame, int]:
    """Screened n, exclusion rows (reason, n) and analysed n, checked to add up."""
    _require(flow_counts, ["stage", "reason", "n"], "flow_figure")
    stages = flow_counts["stage"].astype(str)
    unknown = sorted(set(stages) - set(FLOW_STAGES))
    if unknown:
        raise ValueError(f"unknown flow stages {unknown}; expected {FLOW_STAGES}")
    for stage in ("screened", "analysed"):
        if (stages == stage).sum() != 1:
            raise ValueError(f"flow_counts needs exactly one '{stage}' row")
    screened = int(flow_counts.loc[stages == "screened", "n"].iloc[0])
    analysed = int(flow_counts.loc[stages == "analysed", "n"].iloc[0])
    excluded = flow_counts.loc[stages == "excluded", ["reason", "n"]].reset_index(drop=True)
    if screened != analysed + int(excluded["n"].sum()):
        raise ValueError(f"flow does not add up: screened {screened} != analysed {analysed} + "
                         f"excluded {int(excluded['n'].sum())}")
    return screened, excluded, analysed


def flow_figure(flow_counts: pd.DataFrame, *, figsize: tuple[float, float] | None = None) -> Figure:
    """STROBE-style study flow: patients screened, exclusions with reasons and n, patients analysed.

    Input: one row per stage ('screened', 'excluded' with its ``reason``, 'analysed') and ``n``;
    the numbers must add up (screened = analysed + all excluded), else ValueError.
    """
    screened, excluded, analysed = _flow_counts(flow_counts)
    width = figsize[0] if figsize else style.REPORT_WIDTH_INCHES
    reason_lines = [textwrap.fill(f"{reason} (n = {int(n):,})", 46, initial_indent="• ",
                                  subsequent_indent="   ")
                    for reason, n in zip(excluded["reason"].astype(str), excluded["n"])]
    excluded_text = "\n".join([f"Excluded (n = {int(excluded['n'].sum()):,})", *reason_lines])
    lines = excluded_text.count("\n") + 1
    height = figsize[1] if figsize else max(2.6, 1.2 + 0.2 * lines)

    fig = _new_figure(width, height)
    with style.figure_style():
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        box = dict(boxstyle="square,pad=0.7", facecolor="white", edgecolor="#222222", linewidth=0.8)
        text = dict(fontsize=style.BASE_FONT_SIZE, va="center", linespacing=1.35, bbox=box)
        column_x = 0.24
        top = ax.text(column_x, 0.86, f"Patients screened\n(n = {screened:,})", ha="center", **text)
        bottom = ax.text(column_x, 0.14, f"Patients analysed\n(n = {analysed:,})", ha="center", **text)
        side = ax.text(0.5, 0.5, excluded_text, ha="left",
                       **{**text, "fontsize": style.SMALL_FONT_SIZE + 0.5})
        arrow = dict(arrowstyle="-|>", color="#222222", linewidth=0.8, mutation_scale=9, shrinkA=0, shrinkB=0)
        ax.annotate("", xy=(column_x, 0.14), xytext=(column_x, 0.86),
                    arrowprops={**arrow, "patchA": top.get_bbox_patch(), "patchB": bottom.get_bbox_patch()})
        ax.annotate("", xy=(0.5, 0.5), xytext=(column_x, 0.5),
                    arrowprops={**arrow, "patchB": side.get_bbox_patch()})
    return fig
