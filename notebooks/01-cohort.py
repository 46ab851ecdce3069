# %% [markdown]
# ---
# jupyter: python3
# ---
#
# # Cohort {#sec-cohort}
#
# Who was treated: how the cohort was assembled from the screening logs of the participating
# centres (@fig-flow), the patients' characteristics when the TKI started (@tbl-baseline), the
# treatment they had received before it (@tbl-history), and the TKI-based regimens they were
# given (@tbl-regimens).

# %%
#| include: false
from analysis.report import ReportContext
from analysis.report.sections import cohort

ctx = ReportContext.open()  # validates the data folder named by TKI_DATA_DIR (default: bundled)
facts = cohort.facts(ctx)

# %%
#| echo: false
#| output: asis
ctx.banner()

# %% [markdown]
# ## Study flow {#sec-flow}
#
# The screening logs list `{python} facts.screened` patients with HER2-positive metastatic breast
# cancer who received a TKI-based regimen after T-DM1; `{python} facts.excluded` were excluded,
# each for one recorded reason, leaving `{python} facts.n` patients from
# `{python} facts.centres` centres for the analysis (data cut-off `{python} facts.cutoff`).
#
# ::: {#fig-flow}

# %%
#| fig-alt: "Flow diagram: a box with the number of patients screened, an arrow down to a box with the number analysed, and a side box listing each reason for exclusion with its number of patients; the same numbers are given in the text."
cohort.study_flow(ctx)

# %% [markdown]
# `{python} ctx.caption("fig-flow")`
#
# :::
#
# ## Baseline characteristics {#sec-baseline}
#
# The median age at the first TKI dose was `{python} facts.age`. Hormone receptors were
# positive in `{python} facts.hormone_positive` patients, visceral metastases were present in
# `{python} facts.visceral` and brain metastases in `{python} facts.brain` (@tbl-baseline).
#
# ::: {#tbl-baseline}

# %%
cohort.baseline_table(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-baseline")`
#
# :::
#
# ## Treatment history {#sec-history}
#
# Before the TKI, patients had received a median of `{python} facts.prior_lines` of therapy
# for metastatic disease. By the definitions in @sec-methods-definitions,
# `{python} facts.tdm1_benefit` had derived benefit from T-DM1 and
# `{python} facts.acquired` had acquired rather than primary trastuzumab resistance
# (@tbl-history).
#
# ::: {#tbl-history}

# %%
cohort.history_table(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-history")`
#
# :::
#
# ## TKI-based regimens {#sec-regimens}
#
# Pyrotinib was the TKI of `{python} facts.pyrotinib` patients; the commonest regimen was
# `{python} facts.top_regimen`, given to `{python} facts.top_regimen_n` (@tbl-regimens).
#
# ::: {#tbl-regimens}

# %%
cohort.regimen_table(ctx)

# %% [markdown]
# `{python} ctx.caption("tbl-regimens")`
#
# :::
