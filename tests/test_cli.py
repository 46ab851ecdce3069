"""The command-line contract the report and external checks rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.__main__ import main
from analysis.config import BUNDLED_DATA


def test_derive_writes_the_per_patient_dataset(tmp_path: Path, capsys, dataset):
    out = tmp_path / "derived.csv"
    assert main(["derive", str(BUNDLED_DATA), "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    required = ["patient_id", "pfs_months", "pfs_event", "best_overall_response", "tdm1_benefit",
                "trastuzumab_resistance"]
    assert set(required) <= set(frame.columns)
    assert len(frame) == len(dataset)
    assert set(frame["pfs_event"]) <= {0, 1}
    assert np.allclose(frame["pfs_months"], dataset["pfs_months"], rtol=1e-15, atol=0)


def test_results_json_has_the_documented_shape(capsys, study):
    assert main(["results", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["data"]["synthetic"] is True
    assert Path(r["data"]["dir"]) == BUNDLED_DATA
    assert re.fullmatch(r"[0-9a-f]{64}", r["data"]["sha256"])
    assert r["n_patients"] == len(study.patients)
    pfs = r["pfs"]
    assert {"events", "median", "ci_symmetric", "ci_brookmeyer_crowley", "rate", "followup_median"} <= set(pfs)
    assert set(pfs["rate"]) == {"6", "12", "18", "24"}
    for rate in pfs["rate"].values():
        lo, hi = rate["ci"]
        assert 0 <= lo <= rate["estimate"] <= hi <= 100
    assert set(r["response"]["bor"]) == {"CR", "PR", "SD", "PD", "NE"}
    assert sum(r["response"]["bor"].values()) == r["n_patients"]
    for key in ("orr", "dcr", "cbr"):
        assert set(r["response"][key]) == {"n", "pct", "ci"}
    counts = [e["any_grade"] for e in r["adverse_events"]]
    assert counts == sorted(counts, reverse=True)
    assert {e["term"] for e in r["adverse_events"]} == set(study.adverse_events["ae_term"])
    sub = r["subgroups"]["trastuzumab_resistance"]
    assert (sub["level"], sub["reference"]) == ("acquired", "primary")
    assert set(sub) >= {"hr", "ci", "logrank_p", "median", "rmst_difference"}


def test_results_json_rmst_is_the_report_s(capsys, dataset):
    """RMST in results --json: the numbers of the report's RMST table (tested against R)."""
    from analysis.stats.rmst import rmst_table

    assert main(["results", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    by_level, differences = rmst_table(dataset, {"tdm1_benefit": "no", "trastuzumab_resistance": "primary"})
    overall = by_level[by_level["variable"] == "overall"]
    assert set(r["pfs"]["rmst"]) == {"12", "24"}
    for row in overall.itertuples():
        got = r["pfs"]["rmst"][f"{row.tau:g}"]
        assert got["estimate"] == pytest.approx(row.rmst, rel=1e-12)
        assert got["ci"] == pytest.approx([row.lower, row.upper], rel=1e-12)
    for row in differences.itertuples():
        got = r["subgroups"][row.variable]["rmst_difference"][f"{row.tau:g}"]
        assert got["difference"] == pytest.approx(row.difference, rel=1e-12)
        assert got["ci"] == pytest.approx([row.lower, row.upper], rel=1e-12)
        assert got["p"] == pytest.approx(row.p, rel=1e-9)


def test_results_json_uses_null_where_not_reached(tmp_path: Path, capsys, data_copy):
    """A cohort with almost no progression: the upper limits are not reached -> null."""
    frame = pd.read_csv(data_copy / "patients.csv", dtype=str, keep_default_na=False)
    keep = frame.index < 50
    frame.loc[keep, ["progression_date", "death_date"]] = ""
    frame.loc[keep & (frame["best_overall_response"] == "PD"), "best_overall_response"] = "SD"
    frame.to_csv(data_copy / "patients.csv", index=False)
    assert main(["results", str(data_copy), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["pfs"]["median"] is None
    assert r["pfs"]["ci_brookmeyer_crowley"][1] is None


def test_results_text_summary(capsys):
    assert main(["results"]) == 0
    assert "median PFS 10.1 months (95% CI 4.7-15.6)" in capsys.readouterr().out


def test_results_text_says_not_reached_for_immature_data(capsys, data_copy):
    frame = pd.read_csv(data_copy / "patients.csv", dtype=str, keep_default_na=False)
    keep = frame.index < 50
    frame.loc[keep, ["progression_date", "death_date"]] = ""
    frame.loc[keep & (frame["best_overall_response"] == "PD"), "best_overall_response"] = "SD"
    frame.to_csv(data_copy / "patients.csv", index=False)
    assert main(["results", str(data_copy)]) == 0
    out = capsys.readouterr().out
    assert "median PFS not reached (95% CI " in out and "-not reached)" in out
