"""Section 4, safety: adverse events by CTCAE term and grade, and dose modifications."""

from __future__ import annotations

from types import SimpleNamespace

from matplotlib.figure import Figure

from analysis.stats.adverse_events import (
    adverse_event_table,
    any_event_summary,
    fatal_events,
    grade_distribution,
    toxicity_actions,
)

from .. import figures, tables
from ..artifacts import artifact
from ..context import Phrase, ReportContext
from ..report_table import ReportTable
from ..source_data import masked_counts, source_data
from ..tables import fmt_n_pct_prose


@artifact("tbl-ae", "Adverse events on TKI-based therapy by CTCAE v5.0 term: patients with any "
          "grade and with grade 3 or higher, counted once per term at the worst grade.")
def adverse_event_table_report(ctx: ReportContext) -> ReportTable:
    return tables.adverse_event_report(ctx.study.adverse_events, ctx.n, ctx.small_cell_threshold)


@artifact("fig-ae", "Adverse events by worst CTCAE grade: percentage of patients with each term, "
          "stacked by grade, commonest term on top.",
          alt=("Horizontal stacked bar chart: one bar per adverse event term, commonest at the "
               "top, bar length the percentage of patients with the event, segments coloured "
               "from light to dark by worst CTCAE grade, and the number and percentage of "
               "patients written at the end of each bar; the values are in the adverse event "
               "table."))
def adverse_event_plot(ctx: ReportContext) -> Figure:
    return figures.adverse_event_figure(grade_distribution(ctx.study.adverse_events), ctx.n)


@source_data("fig-ae")
def adverse_event_plot_data(ctx: ReportContext):
    """Patients per term at each worst grade, of the `patients` treated."""
    grades = grade_distribution(ctx.study.adverse_events)
    counts = [c for c in grades.columns if c.startswith("grade_")]
    grades = grades.assign(any_grade=grades[counts].sum(axis=1), patients=ctx.n)
    return masked_counts(grades.reset_index(drop=True), [*counts, "any_grade"], ctx.small_cell_threshold)


@artifact("tbl-actions", "Dose reductions, interruptions and discontinuations of the TKI for "
          "toxicity.")
def toxicity_table(ctx: ReportContext) -> ReportTable:
    return tables.toxicity_action_table(ctx.data, ctx.small_cell_threshold)


def facts(ctx: ReportContext) -> SimpleNamespace:
    """The safety numbers the narrative quotes, as formatted phrases."""
    n = ctx.n
    terms = adverse_event_table(ctx.study.adverse_events, n)
    overall = any_event_summary(ctx.study.adverse_events, n).set_index("category")["n"]
    top = terms.head(3)
    parts = [f"{r.label.lower()} in {fmt_n_pct_prose(r.any_grade, n)}" for r in top.itertuples()]
    top_text = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else "".join(parts)
    severe = terms.sort_values(["grade_3_plus", "any_grade"], ascending=False, kind="stable").iloc[0]
    fatal = fatal_events(ctx.study.adverse_events, ctx.data.set_index("patient_id")["sequence"])
    actions = toxicity_actions(ctx.data).set_index("action")["n"]
    return SimpleNamespace(
        any_event=Phrase(fmt_n_pct_prose(int(overall["Any adverse event"]), n)),
        grade_3=Phrase(fmt_n_pct_prose(int(overall["Any grade ≥ 3 adverse event"]), n)),
        top_three=Phrase(top_text),
        commonest_severe=Phrase(f"{severe.label.lower()} in {fmt_n_pct_prose(int(severe.grade_3_plus), n)}"),
        terms=Phrase(f"{len(terms):,}"),
        fatal=Phrase("no grade 5 (fatal) adverse event was recorded" if fatal.empty else
                     ("1 grade 5 (fatal) adverse event was" if len(fatal) == 1 else
                      f"{len(fatal):,} grade 5 (fatal) adverse events were") + " recorded: "
                     + "; ".join(f"patient {r.patient} ({r.term.lower()})" for r in fatal.itertuples())),
        reductions=Phrase(fmt_n_pct_prose(int(actions["Dose reduction"]), n)),
        interruptions=Phrase(fmt_n_pct_prose(int(actions["Dose interruption"]), n)),
        discontinuations=Phrase(fmt_n_pct_prose(int(actions["Discontinuation for toxicity"]), n)),
    )
