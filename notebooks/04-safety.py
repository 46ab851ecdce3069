# %% [markdown]
# ---
# jupyter: python3
# ---
#
# # Safety {#sec-safety}
#
# Adverse events recorded on TKI-based therapy, graded by CTCAE v5.0 and counted once per
# patient and term at the worst grade (@tbl-ae, @fig-ae), and the dose modifications made for
# toxicity (@tbl-actions).

# %%
#| include: false
from analysis.report import ReportContext
from analysis.report.sections import safety

ctx = ReportContext.open()  # validates the data folder named by TKI_DATA_DIR (default: bundled)
facts = safety.facts(ctx)

# %%
#| echo: false
#| output: asis
ctx.banner()

# %% [markdown]
# ## Adverse events {#sec-adverse-events}
#
# Adverse events of any grade were recorded in `{python} facts.any_event` patients and events
# of grade 3 or higher in `{python} facts.grade_3`, across `{python} facts.terms` CTCAE terms.
# The commonest were `{python} facts.top_three`; the commonest event of grade 3 or higher was
# `{python} facts.commonest_severe`. During follow-up `{python} facts.fatal`.
#
# ::: {#tbl-ae}

# %%
safety.adverse_event_table_report(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-ae")`
#
# :::
#
# ::: {#fig-ae}

# %%
#| fig-alt: "Horizontal stacked bar chart: one bar per adverse event term, commonest at the top, bar length the percentage of patients with the event, segments coloured from light to dark by worst CTCAE grade, and the number and percentage of patients written at the end of each bar; the values are in the adverse event table."
safety.adverse_event_plot(ctx)

# %% [markdown]
# `{python} ctx.caption("fig-ae")`
#
# :::
#
# ## Dose modifications {#sec-dose-modifications}
#
# The TKI dose was reduced for toxicity in `{python} facts.reductions` patients and interrupted
# in `{python} facts.interruptions`; `{python} facts.discontinuations` stopped the TKI
# permanently because of toxicity (@tbl-actions).
#
# ::: {#tbl-actions}

# %%
safety.toxicity_table(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-actions")`
#
# :::
