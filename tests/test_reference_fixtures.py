"""The committed R fixtures describe the cohort that ships: a stale fixture fails here."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tests_paths import FIXTURES

FACTORS = ["tdm1_benefit", "trastuzumab_resistance", "age_group", "hormone_receptor", "ecog",
           "visceral_metastasis", "brain_metastasis", "prior_lines_group", "prior_pertuzumab",
           "prior_lapatinib", "tki_agent", "tki_partner"]


def test_synthetic_fixtures_are_committed():
    for name in ("km_log", "median", "landmarks", "followup", "logrank", "cox_models", "cox_zph"):
        assert (FIXTURES / f"synthetic_{name}.csv").exists(), name


def test_fixture_data_equal_the_bundled_cohort(dataset):
    r_data = pd.read_csv(FIXTURES / "synthetic_analysis_data.csv", dtype=str, keep_default_na=False)
    assert r_data["patient_id"].tolist() == dataset["patient_id"].tolist()
    assert np.allclose(r_data["months"].astype(float), dataset["pfs_months"], atol=1e-12, rtol=0)
    assert r_data["event"].astype(int).tolist() == dataset["pfs_event"].tolist()
    for column in FACTORS:
        ours = dataset[column].fillna("").astype(str).tolist()
        theirs = r_data[column].replace("NA", "").tolist()
        assert ours == theirs, column
