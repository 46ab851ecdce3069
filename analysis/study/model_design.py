"""The pre-specified analysis model of the subgroup chapter, declared once, before any outcome.

The primary multivariable Cox model of PFS holds the two factors the paper reports and a fixed
set of clinical covariates chosen on prior knowledge, never on this cohort's outcomes (screening
covariates on their univariable p biases the estimates and narrows the intervals; Sun, Shook &
Kay 1996; Harrell, *Regression Modeling Strategies*, 2015). The statistics, the reference
script tests/reference/make_reference.R (through tests/reference/export_model_spec.py) and the
Methods chapter all read these names from here.
"""

from __future__ import annotations

#: The two subgroups the paper reports (direction of effect only): always in the model.
KEY_FACTORS: tuple[str, ...] = ("tdm1_benefit", "trastuzumab_resistance")

#: Clinical covariates of the primary multivariable model, fixed in advance: visceral and brain
#: metastasis are the established adverse prognostic factors of HER2-positive metastatic breast
#: cancer treated with HER2-directed TKIs. Two, so that the model keeps about 10 or more events
#: per estimated parameter in a cohort of this size (4 parameters for about 50 events).
PRESPECIFIED_COVARIATES: tuple[str, ...] = ("visceral_metastasis", "brain_metastasis")

#: Why these covariates, in words for the Methods chapter.
COVARIATE_RATIONALE = (
    "established adverse prognostic factors in HER2-positive metastatic breast cancer treated "
    "with HER2-directed tyrosine kinase inhibitors, limited to two so that the model keeps about "
    "ten events per estimated parameter")

#: The screened model (sensitivity analysis only): other factors enter when their univariable
#: likelihood-ratio p is below this.
SELECTION_THRESHOLD = 0.10
