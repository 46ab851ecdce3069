"""Each derivation rule, on hand-made rows whose answer is worked out in the test."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.study import derive


def _dates(**columns):
    return pd.DataFrame({k: pd.to_datetime(pd.Series(v)) for k, v in columns.items()})


def test_pfs_uses_the_earlier_of_progression_and_death_else_censors_at_last_assessment():
    p = _dates(tki_start_date=["2020-01-01"] * 4,
               progression_date=["2020-04-10", None, "2020-06-01", None],
               death_date=[None, "2020-03-01", "2020-07-01", None],
               last_assessment_date=["2020-05-01", "2020-03-01", "2020-07-01", "2020-12-31"])
    pfs = derive.progression_free_survival(p)
    assert pfs["pfs_days"].tolist() == [100, 60, 152, 365]
    assert pfs["pfs_event"].tolist() == [1, 1, 1, 0]
    assert pfs["pfs_months"].iloc[3] == pytest.approx(365 / 30.4375)


def test_response_flags_follow_recist_definitions():
    bor = pd.Series(["CR", "PR", "SD", "SD", "PD", "NE"])
    days = pd.Series([400, 100, 168, 167, 50, 30])
    assert derive.objective_response(bor).tolist() == [1, 1, 0, 0, 0, 0]
    assert derive.disease_control(bor).tolist() == [1, 1, 1, 1, 0, 0]
    # SD counts as clinical benefit only when it lasts at least 24 weeks (168 days)
    assert derive.clinical_benefit(bor, days).tolist() == [1, 1, 1, 0, 0, 0]


def test_prior_tdm1_benefit_is_six_months_or_a_response():
    p = _dates(tdm1_start_date=["2019-01-01"] * 4,
               tdm1_progression_date=["2019-07-03", "2019-07-01", "2019-03-01", "2019-03-01"])
    p["tdm1_best_response"] = ["SD", "SD", "PR", "PD"]
    # 183 days = 6.01 months -> yes; 181 days = 5.95 months -> no; PR -> yes whatever the time
    assert derive.prior_tdm1_benefit(p).tolist() == ["yes", "no", "yes", "no"]


def test_trastuzumab_resistance_follows_eso_esmo_windows():
    p = _dates(trastuzumab_start_date=["2015-01-01", "2015-01-01", "2018-01-01", "2018-01-01", "2018-01-01"],
               trastuzumab_end_date=["2016-01-01", "2016-01-01", None, None, None],
               trastuzumab_progression_date=["2016-12-31", "2017-03-01", "2018-03-15", "2018-08-01",
                                             "2018-08-01"])
    p["trastuzumab_setting"] = ["adjuvant", "adjuvant", "metastatic", "metastatic", "metastatic"]
    p["trastuzumab_best_response"] = [None, None, "SD", "PR", "PD"]
    # adjuvant: 365 days after the end -> within 12 months -> primary; 425 days -> acquired
    # metastatic: progression at 73 days -> primary; at 7 months after PR -> acquired;
    # best response PD (progression at first assessment) -> primary
    assert derive.trastuzumab_resistance(p).tolist() == ["primary", "acquired", "primary",
                                                         "acquired", "primary"]


def test_worst_grade_is_kept_once_per_patient_and_term():
    ae = pd.DataFrame({"patient_id": ["a", "a", "a", "b"],
                       "ae_term": ["Diarrhea", "Diarrhea", "Nausea", "Diarrhea"],
                       "grade": [1, 3, 2, 2]})
    worst = derive.worst_grade_per_term(ae)
    assert worst.to_dict("records") == [
        {"patient_id": "a", "ae_term": "Diarrhea", "grade": 3},
        {"patient_id": "a", "ae_term": "Nausea", "grade": 2},
        {"patient_id": "b", "ae_term": "Diarrhea", "grade": 2}]


def test_analysis_dataset_has_one_row_per_patient_and_pseudonymous_sequence(study, dataset):
    assert len(dataset) == len(study.patients)
    assert sorted(dataset["sequence"]) == list(range(1, len(dataset) + 1))
    # not the row order, and not the number inside the source id
    assert dataset["sequence"].tolist() != list(range(1, len(dataset) + 1))
    id_numbers = dataset["patient_id"].str.extract(r"(\d+)$")[0].astype(int)
    assert (dataset["sequence"] == id_numbers).mean() < 0.1
    required = {"patient_id", "pfs_months", "pfs_event", "best_overall_response",
                "tdm1_benefit", "trastuzumab_resistance"}
    assert required <= set(dataset.columns)
    assert dataset["prior_lines"].equals(study.patients["tki_line"] - 1)


def test_sequence_does_not_depend_on_row_order(study):
    from analysis.study.derive import analysis_dataset

    shuffled = study.patients.sample(frac=1, random_state=3).reset_index(drop=True)
    before = analysis_dataset(study.patients).set_index("patient_id")["sequence"]
    after = analysis_dataset(shuffled).set_index("patient_id")["sequence"]
    assert after.sort_index().equals(before.sort_index())


def test_death_before_any_tumour_assessment_is_an_event_and_ne():
    """last_assessment_date empty, death_date given: PFS ends at death (an event); the best
    response is NE, which is no response, no disease control and no clinical benefit."""
    p = _dates(tki_start_date=["2020-01-01"], progression_date=[None], death_date=["2020-01-21"],
               last_assessment_date=[None], tki_end_date=[None])
    pfs = derive.progression_free_survival(p)
    assert pfs["pfs_days"].tolist() == [20] and pfs["pfs_event"].tolist() == [1]
    bor = pd.Series(["NE"])
    assert derive.objective_response(bor).tolist() == [0]
    assert derive.disease_control(bor).tolist() == [0]
    assert derive.clinical_benefit(bor, pfs["pfs_days"]).tolist() == [0]


def test_a_patient_who_died_before_assessment_is_valid_and_analysed(data_copy):
    from conftest import read_text_table, write_text_table

    from analysis.study.validation import load_study

    frame = read_text_table(data_copy / "patients.csv")
    row = frame.index[(frame["progression_date"] == "") & (frame["death_date"] == "")][0]
    start = pd.Timestamp(frame.at[row, "tki_start_date"])
    frame.loc[row, ["last_assessment_date", "tki_end_date"]] = ""
    frame.loc[row, "death_date"] = (start + pd.Timedelta(days=20)).date().isoformat()
    frame.loc[row, "best_overall_response"] = "NE"
    frame.loc[row, "discontinued_for_toxicity"] = "0"
    write_text_table(frame, data_copy / "patients.csv")
    study = load_study(data_copy)
    data = derive.analysis_dataset(study.patients)
    patient = data.loc[data["patient_id"] == frame.at[row, "patient_id"]].iloc[0]
    assert patient["pfs_event"] == 1 and patient["pfs_months"] == pytest.approx(20 / 30.4375)
    assert patient["best_overall_response"] == "NE"
    assert (patient["objective_response"], patient["disease_control"], patient["clinical_benefit"]) == (0, 0, 0)
    assert patient["treatment_months"] == pytest.approx(20 / 30.4375)
