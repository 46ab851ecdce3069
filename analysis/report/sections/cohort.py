"""Section 1, the cohort: study flow, baseline characteristics, treatment history, TKI regimens."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
from matplotlib.figure import Figure

from .. import figures, tables
from ..artifacts import artifact
from ..context import Phrase, ReportContext
from ..report_table import ReportTable
from ..source_data import masked_counts, source_data
from ..tables import (
    TKI_AGENT_LABELS,
    TKI_PARTNER_LABELS,
    fmt_median_range,
    fmt_n_pct_prose,
)


def flow_for_figure(screening: pd.DataFrame) -> pd.DataFrame:
    """The study-flow counts in the shape the flow diagram draws (stage, reason, n)."""
    flow = tables.study_flow_counts(screening)
    flow = flow[flow["stage"] != "excluded"].replace({"stage": {"reason": "excluded"}})
    return pd.DataFrame({"stage": flow["stage"], "reason": flow["label"].where(flow["stage"] == "excluded"),
                         "n": flow["n"]}).reset_index(drop=True)


@artifact("fig-flow", "Study flow: patients screened at the three centres, excluded with reasons, "
          "and analysed.",
          alt=("Flow diagram: a box with the number of patients screened, an arrow down to a "
               "box with the number analysed, and a side box listing each reason for exclusion "
               "with its number of patients; the same numbers are given in the text."))
def study_flow(ctx: ReportContext) -> Figure:
    return figures.flow_figure(flow_for_figure(ctx.study.screening))


@source_data("fig-flow")
def study_flow_data(ctx: ReportContext) -> pd.DataFrame:
    return masked_counts(flow_for_figure(ctx.study.screening), ["n"], ctx.small_cell_threshold)


@artifact("tbl-baseline", "Baseline characteristics at the first TKI dose.")
def baseline_table(ctx: ReportContext) -> ReportTable:
    return tables.baseline_characteristics(ctx.data, ctx.small_cell_threshold)


@artifact("tbl-history", "Treatment history before the TKI: prior lines, HER2-directed agents, "
          "T-DM1 and trastuzumab resistance.")
def history_table(ctx: ReportContext) -> ReportTable:
    return tables.treatment_history(ctx.data, ctx.small_cell_threshold)


@artifact("tbl-regimens", "TKI-based regimens: TKI agent by partner drug.")
def regimen_table(ctx: ReportContext) -> ReportTable:
    return tables.tki_regimens(ctx.data, ctx.small_cell_threshold)


def _median_range(values: pd.Series, unit: str) -> Phrase:
    """'49 years (range 28–75)' from the table format '49 (28–75)'."""
    median, spread = fmt_median_range(values.astype(float)).split(" ", 1)
    return Phrase(f"{median} {unit} (range {spread.strip('()')})")


def facts(ctx: ReportContext) -> SimpleNamespace:
    """The cohort numbers the narrative quotes, as formatted phrases."""
    data, n = ctx.data, ctx.n
    flow = tables.study_flow_counts(ctx.study.screening).set_index("stage")["n"]
    regimen = (data.groupby(["tki_agent", "tki_partner"]).size().sort_values(ascending=False, kind="stable"))
    (agent, partner), top_count = regimen.index[0], int(regimen.iloc[0])
    partner_text = "alone" if partner == "none" else f"with {TKI_PARTNER_LABELS[partner].lower()}"

    def count(column: str, value: str) -> Phrase:
        return Phrase(fmt_n_pct_prose(int((data[column] == value).sum()), n))

    return SimpleNamespace(
        n=Phrase(f"{n:,}"),
        screened=Phrase(f"{int(flow['screened']):,}"),
        excluded=Phrase(f"{int(flow['excluded']):,}"),
        centres=Phrase(str(data["centre"].nunique())),
        cutoff=Phrase(ctx.study.data_cutoff.strftime("%-d %B %Y")),
        age=_median_range(data["age_years"], "years"),
        hormone_positive=count("hormone_receptor", "positive"),
        visceral=count("visceral_metastasis", "yes"),
        brain=count("brain_metastasis", "yes"),
        prior_lines=_median_range(data["prior_lines"], "lines"),
        tdm1_benefit=count("tdm1_benefit", "yes"),
        acquired=count("trastuzumab_resistance", "acquired"),
        top_regimen=Phrase(f"{TKI_AGENT_LABELS[agent].lower()} {partner_text}"),
        top_regimen_n=Phrase(fmt_n_pct_prose(top_count, n)),
        pyrotinib=count("tki_agent", "pyrotinib"),
    )
