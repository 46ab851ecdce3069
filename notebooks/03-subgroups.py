# %% [markdown]
# ---
# jupyter: python3
# ---
#
# # Subgroups {#sec-subgroups}
#
# These analyses are exploratory. The study was not powered to compare subgroups, the
# subgroups other than the two the paper reports were not pre-specified, and the p-values are
# not adjusted for multiplicity: read them as descriptions of this cohort, not as evidence of
# effect modification. Progression-free survival (PFS) is shown by prior T-DM1 benefit
# (@fig-pfs-tdm1) and by type of trastuzumab resistance (@fig-pfs-resistance), with medians by
# subgroup in @tbl-subgroup-medians and restricted mean PFS in @tbl-rmst; hazard ratios from
# univariable Cox models and the pre-specified multivariable model are in @tbl-cox and
# @fig-forest, the proportional-hazards check in @tbl-ph, a model with screened covariates as a
# sensitivity analysis in @tbl-cox-sensitivity, and response by subgroup in
# @tbl-response-subgroups. Each p-value names its test: log-rank for the Kaplan–Meier curves,
# likelihood ratio for the Cox models, Fisher's exact test for response. Methods are in
# @sec-methods-statistics.

# %%
#| include: false
from analysis.report import ReportContext
from analysis.report.sections import subgroups

ctx = ReportContext.open()  # validates the data folder named by TKI_DATA_DIR (default: bundled)
facts = subgroups.facts(ctx)

# %%
#| echo: false
#| output: asis
ctx.banner()

# %% [markdown]
# ## Prior T-DM1 benefit and trastuzumab resistance {#sec-subgroups-key}
#
# Median PFS was `{python} facts.tdm1_medians` (log-rank `{python} facts.tdm1_logrank`;
# @fig-pfs-tdm1); the univariable hazard ratio for prior T-DM1 benefit was
# `{python} facts.tdm1_hr`. By type of trastuzumab resistance, median PFS was
# `{python} facts.resistance_medians` (log-rank `{python} facts.resistance_logrank`;
# @fig-pfs-resistance), a univariable hazard ratio for acquired resistance of
# `{python} facts.resistance_hr`.
#
# ::: {#fig-pfs-tdm1}

# %%
#| fig-alt: "Kaplan–Meier plot of progression-free survival in percent against months since the first TKI dose: one step curve per level of prior T-DM1 benefit (no benefit, benefit), each in its own colour, with a shaded 95% confidence band, tick marks at censored times and dashed guides at the median; the legend gives patients, events and the median of each group and the log-rank p. Below the plot, the numbers at risk at each tick of the time axis. Each curve and its band stop at the last time at which at least one in ten of the group's patients remain at risk, so no curve runs on over a handful of patients."
subgroups.pfs_by_tdm1_benefit(ctx)

# %% [markdown]
# `{python} ctx.caption("fig-pfs-tdm1")`
#
# :::
#
# ::: {#fig-pfs-resistance}

# %%
#| fig-alt: "Kaplan–Meier plot of progression-free survival in percent against months since the first TKI dose: one step curve per level of type of trastuzumab resistance (primary, acquired), each in its own colour, with a shaded 95% confidence band, tick marks at censored times and dashed guides at the median; the legend gives patients, events and the median of each group and the log-rank p. Below the plot, the numbers at risk at each tick of the time axis. Each curve and its band stop at the last time at which at least one in ten of the group's patients remain at risk, so no curve runs on over a handful of patients."
subgroups.pfs_by_resistance(ctx)

# %% [markdown]
# `{python} ctx.caption("fig-pfs-resistance")`
#
# :::
#
# ::: {#tbl-subgroup-medians}

# %%
subgroups.subgroup_medians(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-subgroup-medians")`
#
# :::
#
# ## Restricted mean PFS {#sec-rmst}
#
# Hazard ratios assume that the hazards stay proportional over follow-up; the restricted mean
# survival time (RMST), the mean progression-free time over a fixed horizon, does not. Over the
# first `{python} facts.rmst_horizons` months, the difference in restricted mean PFS between
# patients with and without prior T-DM1 benefit was `{python} facts.tdm1_rmst`, and between
# patients with acquired and primary trastuzumab resistance `{python} facts.resistance_rmst`
# (@tbl-rmst).
#
# ::: {#tbl-rmst}

# %%
subgroups.rmst(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-rmst")`
#
# :::
#
# ## Cox models {#sec-cox}
#
# The multivariable model was pre-specified (@sec-methods-statistics): the two key factors and
# the clinical covariates declared before any outcome was examined (`{python} facts.covariates`),
# with no selection on p-values. In the `{python} facts.n_model` patients it analysed, the
# adjusted hazard ratio was `{python} facts.tdm1_hr_adjusted` for prior T-DM1 benefit and
# `{python} facts.resistance_hr_adjusted` for acquired trastuzumab resistance. The model had
# `{python} facts.epv`, `{python} facts.epv_warning`. In the univariable and multivariable
# models `{python} facts.not_estimable`. The test of proportional hazards (@tbl-ph)
# `{python} facts.ph`. The likelihood-ratio p of a Cox model and the log-rank p of the
# Kaplan–Meier comparison answer the same question in different ways (a model's likelihood
# against a rank test), so for one factor they differ slightly.
#
# ::: {#tbl-cox}

# %%
subgroups.cox_models(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-cox")`
#
# :::
#
# ::: {#tbl-ph}

# %%
subgroups.proportional_hazards(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-ph")`
#
# :::
#
# As a sensitivity analysis only, @tbl-cox-sensitivity sets beside it a model that kept every
# other baseline factor with a univariable likelihood-ratio p below the threshold stated there
# (it selected `{python} facts.selected`); screening on univariable p biases the estimates, so
# this model does not replace the pre-specified one.
#
# ::: {#tbl-cox-sensitivity}

# %%
subgroups.cox_sensitivity(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-cox-sensitivity")`
#
# :::
#
# Hazard ratios across all baseline factors, each from its own univariable model, are drawn in
# @fig-forest, with the numbers of patients and events behind each estimate and the
# likelihood-ratio p of each factor, as in @tbl-cox.
#
# ::: {#fig-forest}

# %%
#| fig-alt: "Forest plot. One row per level of each baseline factor with the number of patients and events, the hazard ratio of progression or death against the reference level as a square with its 95% confidence interval on a logarithmic axis, a vertical line at a hazard ratio of 1, and the likelihood-ratio p-value of each factor; values are listed in the Cox model table."
subgroups.forest(ctx)

# %% [markdown]
# `{python} ctx.caption("fig-forest")`
#
# :::
#
# ## Response by subgroup {#sec-response-subgroups}
#
# Objective response and clinical benefit are compared between the two levels of each factor
# with Fisher's exact test (@tbl-response-subgroups); factors with more than two levels are
# split in two so that every test is the exact test on a two-by-two table.
#
# ::: {#tbl-response-subgroups}

# %%
subgroups.response_subgroups(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-response-subgroups")`
#
# :::
