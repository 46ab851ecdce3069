"""Write the Cox model specification of the synthetic cohort for make_reference.R.

The factors, their reference levels and their role in the models come from the one declaration
in the package (analysis.study.model_design and analysis.stats.subgroup_analysis.FACTORS): key
(always in the model), prespecified (the primary model's clinical covariates) or candidate
(screened on univariable p in the sensitivity model). R reads this file, so R fits the very
models the report fits. Run from the repository root (`make references` does):
.venv/bin/python tests/reference/export_model_spec.py
"""

from pathlib import Path

import pandas as pd

from analysis.stats.rmst import RMST_HORIZONS
from analysis.stats.subgroup_analysis import FACTORS
from analysis.study.model_design import KEY_FACTORS, PRESPECIFIED_COVARIATES, SELECTION_THRESHOLD

OUT = Path(__file__).with_name("synthetic_model_spec.csv")


def model_spec() -> pd.DataFrame:
    """variable, reference, role for every factor, in table order; threshold and RMST horizons."""
    role = {**dict.fromkeys(FACTORS, "candidate"), **dict.fromkeys(PRESPECIFIED_COVARIATES, "prespecified"),
            **dict.fromkeys(KEY_FACTORS, "key")}
    return pd.DataFrame({"variable": list(FACTORS), "reference": list(FACTORS.values()),
                         "role": [role[v] for v in FACTORS], "threshold": SELECTION_THRESHOLD,
                         "rmst_horizons": ";".join(f"{t:g}" for t in RMST_HORIZONS)})


if __name__ == "__main__":
    model_spec().to_csv(OUT, index=False, lineterminator="\n", encoding="utf-8")
    print(f"wrote {OUT}")
