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
# subgroup in @tbl-subgroup-medians; hazard ratios from univariable and multivariable Cox models
# are in @tbl-cox and @fig-forest, the proportional-hazards check in @tbl-ph, and response by
# subgroup in @tbl-response-subgroups. Methods are in @sec-methods-statistics.

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
subgroups.pfs_by_tdm1_benefit(ctx)

# %% [markdown]
# `{python} ctx.caption("fig-pfs-tdm1")`
#
# :::
#
# ::: {#fig-pfs-resistance}

# %%
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
# ## Cox models {#sec-cox}
#
# The multivariable model held the two key factors and every other baseline factor with a
# univariable likelihood-ratio p below the selection threshold stated under @tbl-cox; besides
# the key factors it selected `{python} facts.selected`. In the `{python} facts.n_model` patients
# it analysed, the adjusted hazard ratio was `{python} facts.tdm1_hr_adjusted` for prior T-DM1
# benefit and `{python} facts.resistance_hr_adjusted` for acquired trastuzumab resistance. The
# model had `{python} facts.epv`.`{python} facts.epv_warning` In
# the univariable and multivariable models `{python} facts.not_estimable`. The test of
# proportional hazards (@tbl-ph) `{python} facts.ph`.
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
# Hazard ratios across all baseline factors, each from its own univariable model, are drawn in
# @fig-forest, with the numbers of patients and events behind each estimate.
#
# ::: {#fig-forest}

# %%
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
