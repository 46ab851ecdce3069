# %% [markdown]
# ---
# jupyter: python3
# ---
#
# # Efficacy {#sec-efficacy}
#
# Progression-free survival (PFS), the primary endpoint, is shown as a Kaplan–Meier curve
# (@fig-pfs) with its median under two interval methods (@tbl-median) and landmark rates
# (@tbl-landmarks); tumour response in @tbl-response and time on treatment per patient in
# @fig-swimmer. Methods are in @sec-methods-statistics.

# %%
#| include: false
from analysis.report import ReportContext
from analysis.report.sections import efficacy

ctx = ReportContext.open()  # validates the data folder named by TKI_DATA_DIR (default: bundled)
facts = efficacy.facts(ctx)

# %%
#| echo: false
#| output: asis
ctx.banner()

# %% [markdown]
# ## Progression-free survival {#sec-pfs}
#
# Among `{python} facts.n` patients, `{python} facts.events` had a PFS event
# (`{python} facts.progressions` progressions and `{python} facts.deaths_without_progression`
# deaths without progression); `{python} facts.censored` were censored at their last assessment.
# The median PFS was `{python} facts.median` months, with a 95% confidence interval of
# `{python} facts.ci_symmetric` months by the symmetric standard-error method the paper used
# (SPSS) and `{python} facts.ci_bc` months by the Brookmeyer–Crowley method with log transform
# (R's default) (@tbl-median). The median follow-up, by reverse Kaplan–Meier, was
# `{python} facts.followup` months (95% CI `{python} facts.followup_ci`).
#
# ::: {#fig-pfs}

# %%
#| fig-alt: "Kaplan–Meier plot of progression-free survival in percent against months since the first TKI dose: one step curve for all patients, with a shaded 95% confidence band, tick marks at censored times and dashed guides at the median; the legend gives patients, events and the median. Below the plot, the numbers at risk at each tick of the time axis. Each curve and its band stop at the last time at which at least one in ten of the group's patients remain at risk, so no curve runs on over a handful of patients."
efficacy.pfs_curve(ctx)

# %% [markdown]
# `{python} ctx.caption("fig-pfs")`
#
# :::
#
# ::: {#tbl-median}

# %%
efficacy.median_pfs_table(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-median")`
#
# :::
#
# The estimated PFS rates were `{python} facts.landmarks` (@tbl-landmarks).
#
# ::: {#tbl-landmarks}

# %%
efficacy.landmark_pfs_table(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-landmarks")`
#
# :::
#
# ## Tumour response {#sec-response}
#
# The objective response rate was `{python} facts.orr`, the disease control rate
# `{python} facts.dcr` and the clinical benefit rate `{python} facts.cbr` (@tbl-response).
#
# ::: {#tbl-response}

# %%
efficacy.response_summary(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-response")`
#
# :::
#
# ## Time on treatment {#sec-swimmer}
#
# At the data cut-off `{python} facts.on_treatment` patients were still on their TKI-based
# regimen (@fig-swimmer).
#
# ::: {#fig-swimmer}

# %%
#| fig-alt: "Swimmer plot: one horizontal bar per patient, longest time on treatment at the top, bar length the months on the TKI-based regimen and bar colour the best overall response. A symbol at the end of each bar shows why treatment ended (progression, toxicity, death, other reason, or an arrow for treatment ongoing at the cut-off); black diamonds mark documented progression, some after the end of the bar. Response counts are in the response table."
efficacy.swimmer_plot(ctx)

# %% [markdown]
# `{python} ctx.caption("fig-swimmer")`
#
# :::
