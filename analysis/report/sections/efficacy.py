"""Section 2, efficacy: PFS (Kaplan–Meier, median with both intervals, landmarks), follow-up,
best overall response with ORR, DCR and CBR, and time on treatment."""

from __future__ import annotations

from types import SimpleNamespace

from matplotlib.figure import Figure

from analysis.stats.key_results import (
    LANDMARK_MONTHS as LANDMARKS,  # one list of landmark times for the report
)
from analysis.stats.response import response_rates
from analysis.stats.survival import (
    landmark_survival,
    median_brookmeyer_crowley,
    median_followup,
    median_symmetric_spss,
)

from .. import figures, tables
from ..artifacts import artifact
from ..context import Phrase, ReportContext
from ..report_table import ReportTable
from ..source_data import kaplan_meier_steps, source_data
from ..tables import fmt_bc_interval, fmt_ci, fmt_months, fmt_n_pct_prose, fmt_pct

SWIMMER_MAX_PATIENTS = 100


@artifact("fig-pfs", "Progression-free survival from the first TKI dose: Kaplan–Meier estimate with "
          "95% pointwise confidence band (log transform), censoring ticks, the median, and "
          "the numbers at risk at each tick of the time axis. " + figures.KM_TAIL_RULE,
          alt=figures.km_alt_text())
def pfs_curve(ctx: ReportContext) -> Figure:
    return figures.km_figure(ctx.data["pfs_months"], ctx.data["pfs_event"])


@source_data("fig-pfs")
def pfs_curve_data(ctx: ReportContext):
    return kaplan_meier_steps(ctx.data["pfs_months"], ctx.data["pfs_event"],
                              small_cell_threshold=ctx.small_cell_threshold)


@artifact("tbl-median", "Median progression-free survival with two 95% intervals, each with its "
          "method.")
def median_pfs_table(ctx: ReportContext) -> ReportTable:
    return tables.median_table(ctx.data["pfs_months"], ctx.data["pfs_event"])


@artifact("tbl-landmarks", "Progression-free survival rates at "
          f"{', '.join(str(m) for m in LANDMARKS[:-1])} and {LANDMARKS[-1]} months.")
def landmark_pfs_table(ctx: ReportContext) -> ReportTable:
    rates = landmark_survival(ctx.data["pfs_months"], ctx.data["pfs_event"], LANDMARKS)
    return tables.landmark_table(rates, small_cell_threshold=ctx.small_cell_threshold)


@artifact("tbl-response", "Best overall response (RECIST 1.1) and response rates with exact 95% "
          "confidence intervals.")
def response_summary(ctx: ReportContext) -> ReportTable:
    return tables.response_table(ctx.data, small_cell_threshold=ctx.small_cell_threshold)


@artifact("fig-swimmer", "Time on TKI-based therapy per patient (pseudonymous sequence numbers), "
          "coloured by best overall response. The marker at the end of each bar gives why the TKI "
          "ended: progression, toxicity, death or another reason, or an arrow when treatment was "
          "ongoing at the data cut-off. " + figures.SWIMMER_PROGRESSION_NOTE,
          alt=("Swimmer plot: one horizontal bar per patient, longest time on treatment at the "
               "top, bar length the months on the TKI-based regimen and bar colour the best "
               "overall response. A symbol at the end of each bar shows why treatment ended "
               "(progression, toxicity, death, other reason, or an arrow for treatment ongoing at "
               "the cut-off); black diamonds mark documented progression, some after the end of "
               "the bar. Response counts are in the response table."))
def swimmer_plot(ctx: ReportContext) -> Figure:
    return figures.swimmer_figure(ctx.data, max_patients=SWIMMER_MAX_PATIENTS)


@source_data("fig-swimmer")
def swimmer_plot_data(ctx: ReportContext):
    """One row per patient drawn, by the pseudonymous sequence number the figure shows."""
    shown = figures.swimmer_sample(ctx.data, SWIMMER_MAX_PATIENTS)
    return shown[figures.SWIMMER_COLUMNS].sort_values("sequence").reset_index(drop=True)


def facts(ctx: ReportContext) -> SimpleNamespace:
    """The efficacy numbers the narrative quotes, as formatted phrases."""
    time, event = ctx.data["pfs_months"], ctx.data["pfs_event"]
    spss = median_symmetric_spss(time, event)
    bc = median_brookmeyer_crowley(time, event)
    follow = median_followup(time, event)
    landmark = landmark_survival(time, event, LANDMARKS).set_index("time")
    rates = response_rates(ctx.data).set_index("endpoint")

    def rate(key: str) -> Phrase:
        r = rates.loc[key]
        return Phrase(f"{fmt_pct(r.pct)}% ({int(r.n)}/{int(r.total)}; 95% CI {fmt_ci(r.lower, r.upper)}%)")

    def at(month: int) -> str:
        r = landmark.loc[month]
        return f"{fmt_pct(100 * r.estimate)}% (95% CI {fmt_ci(100 * r.lower, 100 * r.upper)}%) at {month} months"

    landmark_text = [at(month) for month in LANDMARKS]

    progressed = int(ctx.data["progressed"].sum())
    return SimpleNamespace(
        n=Phrase(f"{ctx.n:,}"),
        events=Phrase(fmt_n_pct_prose(int(event.sum()), ctx.n)),
        progressions=Phrase(f"{progressed:,}"),
        deaths_without_progression=Phrase(f"{int(event.sum()) - progressed:,}"),
        censored=Phrase(fmt_n_pct_prose(int((event == 0).sum()), ctx.n)),
        median=Phrase(fmt_months(spss.estimate)),
        ci_symmetric=Phrase(fmt_ci(spss.lower, spss.upper)),
        ci_bc=Phrase(fmt_bc_interval(spss.estimate, bc.estimate, bc.lower, bc.upper)),
        followup=Phrase(fmt_months(follow.estimate)),
        followup_ci=Phrase(fmt_ci(follow.lower, follow.upper)),
        landmarks=Phrase(", ".join(landmark_text[:-1]) + " and " + landmark_text[-1]),
        orr=rate("ORR"), dcr=rate("DCR"), cbr=rate("CBR"),
        on_treatment=Phrase(fmt_n_pct_prose(int(ctx.data["on_treatment_at_cutoff"].sum()), ctx.n)),
    )
