"""Front and back matter of the book: the summary's numbers, published versus reproduced,
data provenance and software versions.

Everything here is computed from the data in use (`key_results(study)` and the validated
study), so the summary and the reproducibility appendix read correctly for the bundled
synthetic cohort and for a real extract alike. Narrative values are `Phrase`s for Quarto
inline expressions; tables are `ReportTable`s (HTML in HTML output, pipe tables in Typst
and Word).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Mapping

import pandas as pd

from analysis.config import PROJECT_ROOT
from analysis.stats.key_results import LANDMARK_MONTHS
from analysis.study.derive import (
    ADJUVANT_PRIMARY_MONTHS,
    CLINICAL_BENEFIT_DAYS,
    DAYS_PER_MONTH,
    METASTATIC_PRIMARY_MONTHS,
    TDM1_BENEFIT_MONTHS,
)
from analysis.study.fingerprint import data_fingerprint
from analysis.study.published import PUBLISHED, PUBLISHED_N
from analysis.study.schema import CTCAE_TERMS
from analysis.study.study_data import StudyData

from .context import Phrase
from .project_record import git_commit
from .report_table import ReportTable
from .tables import (
    fmt_bc_interval,
    fmt_ci,
    fmt_months,
    fmt_n_pct_prose,
    fmt_number,
    fmt_p_phrase,
    fmt_pct,
)

#: Python packages whose versions the reproducibility appendix lists (distribution names).
SOFTWARE_PACKAGES = ("pandas", "numpy", "scipy", "lifelines", "matplotlib", "seaborn", "jupytext")
PROJECT_DISTRIBUTION = "tki-after-tdm1"
NOT_RENDERED = "not rendered with Quarto"

#: The three adverse events the abstract names, as CTCAE v5.0 terms -> published count.
PUBLISHED_ADVERSE_EVENTS = {
    "Diarrhea": PUBLISHED.diarrhoea,
    "Palmar-plantar erythrodysesthesia syndrome": PUBLISHED.hand_foot,
    "White blood cell decreased": PUBLISHED.leucopenia,
}

#: The two subgroup findings of the abstract: key_results subgroup -> (quantity, comparison).
PUBLISHED_DIRECTIONS = {
    "tdm1_benefit": ("Longer PFS with prior T-DM1 benefit", "those without"),
    "trastuzumab_resistance": ("Longer PFS with acquired (vs primary) trastuzumab resistance",
                               "those with primary resistance"),
}

MATCH_RULES = (
    "Match: counts exactly; months and percentages to one decimal, as printed; the two subgroup "
    "findings by direction (hazard ratio below 1), since the abstract reports no estimate for them.",
    "Median PFS and its interval: Kaplan–Meier median with the symmetric standard-error interval "
    "as SPSS prints it, the method the published interval implies.",
    f"Published: the abstract of the paper; percentages are of its {PUBLISHED_N} patients. "
    "Computed: the same quantity from the data in use. With the bundled synthetic cohort a match "
    "holds by construction (the generator was calibrated to these figures) and is no reproduction.",
)


# ----------------------------------------------------------------------------- formatting
def _whole(value: float) -> str:
    """A definitional constant without a needless decimal: 6.0 -> "6", 30.4375 stays."""
    return f"{value:g}"


def _rate(rate: Mapping[str, Any], total: int) -> Phrase:
    """'18.2% (12/66; 95% CI 9.8–29.6%)' from a key_results response entry."""
    return Phrase(f"{fmt_pct(rate['pct'])}% ({rate['n']}/{total}; 95% CI "
                  f"{fmt_ci(*rate['ci'])}%)")


def _hr(entry: Mapping[str, Any]) -> str:
    return f"HR {fmt_number(entry['hr'], 2)}, 95% CI {fmt_ci(*entry['ci'], digits=2)}"


def _ae_label(term: str) -> str:
    return CTCAE_TERMS.get(term, term)


def _ae_count(results: Mapping[str, Any], term: str) -> int:
    return next((int(a["any_grade"]) for a in results["adverse_events"] if a["term"] == term), 0)


def _subgroup_finding(entry: Mapping[str, Any], comparison: str) -> Phrase:
    """'longer PFS than those without (median 15.2 versus 5.9 months; HR 0.33, 95% CI ...; p < 0.001)'."""
    hr = entry.get("hr")
    if hr is None or entry.get("estimable") is False:
        reason = entry.get("reason") or "hazard ratio not estimable"
        return Phrase(f"no comparison with {comparison}: it is not estimable in these data ({reason})")
    direction = "longer PFS than" if hr < 1 else "shorter PFS than" if hr > 1 else "the same PFS as"
    level, reference = entry["level"], entry["reference"]
    medians = (f"median {fmt_months(entry['median'][level])} versus "
               f"{fmt_months(entry['median'][reference])} months")
    return Phrase(f"{direction} {comparison} ({medians}; {_hr(entry)}; log-rank "
                  f"{fmt_p_phrase(entry['logrank_p'])})")


def reproduction_claim(matched: int, total: int, synthetic: bool) -> Phrase:
    """What the published-versus-computed comparison shows, as a sentence. On the synthetic cohort
    agreement holds by construction (the generator was calibrated to the published figures), so
    it is no reproduction; only a real extract can reproduce the study."""
    count = f"all {total}" if matched == total else f"{matched} of {total}"
    if synthetic:
        return Phrase(
            f"The bundled synthetic cohort was generated to match the figures published in the "
            f"abstract, so their agreement ({count} match) holds by construction: it checks that "
            f"the analysis code recovers what the generator built in, and is not a reproduction "
            f"of the study. Reproduction can be claimed only when the report runs on the study's "
            f"own extract")
    return Phrase(f"Of the figures published in the abstract, {count} are reproduced by the "
                  f"study extract")


# -------------------------------------------------------------------------------- summary
def summary_facts(results: Mapping[str, Any]) -> SimpleNamespace:
    """Every number of the summary, as Phrases, from `key_results(study)`."""
    n = int(results["n_patients"])
    pfs, response, subgroups = results["pfs"], results["response"], results["subgroups"]
    top = results["adverse_events"][:3]
    top_text = [f"{_ae_label(a['term']).lower()} in {fmt_n_pct_prose(a['any_grade'], n)}" for a in top]
    table = published_versus_reproduced(results)
    matched = int((table["match"] == "yes").sum())
    return SimpleNamespace(
        n=Phrase(f"{n:,}"),
        events=Phrase(fmt_n_pct_prose(pfs["events"], n)),
        median=Phrase(fmt_months(pfs["median"])),
        ci_symmetric=Phrase(fmt_ci(*pfs["ci_symmetric"])),
        ci_bc=Phrase(fmt_bc_interval(pfs["median"], pfs["median_brookmeyer_crowley"],
                                     *pfs["ci_brookmeyer_crowley"])),
        followup=Phrase(fmt_months(pfs["followup_median"])),
        orr=_rate(response["orr"], n),
        dcr=_rate(response["dcr"], n),
        cbr=_rate(response["cbr"], n),
        top_three=Phrase(", ".join(top_text[:-1]) + " and " + top_text[-1] if len(top_text) > 1
                         else "".join(top_text) or "none recorded"),
        tdm1_finding=_subgroup_finding(subgroups["tdm1_benefit"],
                                       PUBLISHED_DIRECTIONS["tdm1_benefit"][1]),
        resistance_finding=_subgroup_finding(subgroups["trastuzumab_resistance"],
                                             PUBLISHED_DIRECTIONS["trastuzumab_resistance"][1]),
        reproduced=Phrase(f"all {len(table)}" if matched == len(table) else f"{matched} of {len(table)}"),
        reproduction=reproduction_claim(matched, len(table), bool(results["data"]["synthetic"])),
    )


def study_facts(study: StudyData) -> SimpleNamespace:
    """Design facts of the data in use (centres, treatment window, cut-off, data source) and the
    definitional constants the code applies, and the versions of the libraries that compute the
    statistics (as the software table lists them), as Phrases for the summary and methods."""
    from analysis.stats.cox import (
        EPV_MINIMUM,  # the events-per-parameter minimum flagged in the Cox table
    )
    from analysis.stats.rmst import RMST_HORIZONS
    from analysis.study.derive import END_OF_TREATMENT_WINDOW_DAYS
    from analysis.study.model_design import (
        COVARIATE_RATIONALE,
        PRESPECIFIED_COVARIATES,
        SELECTION_THRESHOLD,  # the screened (sensitivity) model's entry rule
    )

    from .figures import KM_TAIL_RULE
    from .style import factor_label

    patients = study.patients
    start = pd.to_datetime(patients["tki_start_date"])
    source = ("the bundled synthetic cohort, generated to reproduce the published figures "
              "(not patient data)" if study.synthetic else
              "the de-identified study extract named by the data setting")
    return SimpleNamespace(
        centres=Phrase(str(patients["centre"].nunique())),
        first_start=Phrase(start.min().strftime("%B %Y")),
        last_start=Phrase(start.max().strftime("%B %Y")),
        cutoff=Phrase(study.data_cutoff.strftime("%-d %B %Y")),
        source=Phrase(source),
        files=Phrase(", ".join(sorted(study.files))),
        landmarks=Phrase(", ".join(str(m) for m in LANDMARK_MONTHS[:-1]) + f" and {LANDMARK_MONTHS[-1]}"),
        days_per_month=Phrase(_whole(DAYS_PER_MONTH)),
        cbr_weeks=Phrase(_whole(CLINICAL_BENEFIT_DAYS / 7)),
        tdm1_months=Phrase(_whole(TDM1_BENEFIT_MONTHS)),
        metastatic_primary_months=Phrase(_whole(METASTATIC_PRIMARY_MONTHS)),
        adjuvant_primary_months=Phrase(_whole(ADJUVANT_PRIMARY_MONTHS)),
        selection_threshold=Phrase(_whole(SELECTION_THRESHOLD)),
        covariates=Phrase(" and ".join(factor_label(v).lower() for v in PRESPECIFIED_COVARIATES)),
        covariate_rationale=Phrase(COVARIATE_RATIONALE),
        rmst_horizons=Phrase(" and ".join(_whole(t) for t in RMST_HORIZONS)),
        km_tail_rule=Phrase(KM_TAIL_RULE[0].lower() + KM_TAIL_RULE[1:].rstrip(".")),
        end_window_days=Phrase(_whole(END_OF_TREATMENT_WINDOW_DAYS)),
        epv_minimum=Phrase(_whole(EPV_MINIMUM)),
        lifelines_version=Phrase(_package_version("lifelines")),
        scipy_version=Phrase(_package_version("scipy")),
    )


# ----------------------------------------------------------------- published vs reproduced
def published_versus_reproduced(results: Mapping[str, Any]) -> pd.DataFrame:
    """Each published figure (STUDY.md) beside the value computed from the data in use.

    Columns: quantity, published, reproduced, match ("yes"/"no"). Counts must agree exactly;
    months and percentages as printed to one decimal; the subgroup findings by direction.
    """
    n = int(results["n_patients"])
    pfs, response = results["pfs"], results["response"]
    rows: list[tuple[str, str, str, bool]] = []

    rows.append(("Patients", str(PUBLISHED_N), str(n), n == PUBLISHED_N))
    rows.append(("Median PFS, months", fmt_months(PUBLISHED.median_pfs), fmt_months(pfs["median"]),
                 fmt_months(pfs["median"]) == fmt_months(PUBLISHED.median_pfs)))
    published_ci = fmt_ci(PUBLISHED.ci_low, PUBLISHED.ci_high)
    reproduced_ci = fmt_ci(*pfs["ci_symmetric"])
    rows.append(("95% CI of median PFS (symmetric, SPSS), months", published_ci, reproduced_ci,
                 reproduced_ci == published_ci))

    for key, label, count in (("orr", "Objective response rate", PUBLISHED.responders),
                              ("cbr", "Clinical benefit rate", PUBLISHED.clinical_benefit)):
        published = f"{fmt_pct(100 * count / PUBLISHED_N)}% ({count}/{PUBLISHED_N})"
        rate = response[key]
        reproduced = f"{fmt_pct(rate['pct'])}% ({rate['n']}/{n})"
        rows.append((label, published, reproduced,
                     rate["n"] == count and fmt_pct(rate["pct"]) == fmt_pct(100 * count / PUBLISHED_N)))

    for term, count in PUBLISHED_ADVERSE_EVENTS.items():
        found = _ae_count(results, term)
        published = fmt_n_pct_prose(count, PUBLISHED_N)
        reproduced = fmt_n_pct_prose(found, n)
        rows.append((f"{_ae_label(term)}, any grade", published, reproduced,
                     found == count and reproduced.split(" ", 1)[1] == published.split(" ", 1)[1]))

    events = results["adverse_events"]
    top = [a["term"] for a in events[:3]]
    separated = len(events) <= 3 or events[2]["any_grade"] > events[3]["any_grade"]
    expected = list(PUBLISHED_ADVERSE_EVENTS)
    rows.append(("Three most common adverse events",
                 ", ".join(_ae_label(t).lower() for t in expected),
                 ", ".join(_ae_label(t).lower() for t in top) + ("" if separated else " (tied with the next)"),
                 set(top) == set(expected) and separated))

    for key, (label, _) in PUBLISHED_DIRECTIONS.items():
        entry = results["subgroups"][key]
        hr = entry.get("hr")
        better = hr is not None and hr < 1
        reproduced = (f"{'yes' if better else 'no'} ({_hr(entry)})" if hr is not None
                      else "no (hazard ratio not estimable)")
        rows.append((label, "yes (direction only)", reproduced, better))

    frame = pd.DataFrame(rows, columns=["quantity", "published", "reproduced", "match"])
    frame["match"] = frame["match"].map({True: "yes", False: "no"})
    return frame


def published_table(results: Mapping[str, Any]) -> ReportTable:
    """The published-versus-reproduced comparison as a report table."""
    frame = published_versus_reproduced(results).rename(columns={
        "quantity": "Quantity", "published": "Published", "reproduced": "Computed", "match": "Match"})
    return ReportTable(frame, notes=MATCH_RULES,
                       align={"Published": "left", "Computed": "left", "Match": "center"})


# ------------------------------------------------------------------------------ provenance
def _folder_label(directory: Path) -> str:
    directory = Path(directory).resolve()
    try:
        return str(directory.relative_to(PROJECT_ROOT))
    except ValueError:
        return f"{directory.name} (outside the project, set by TKI_DATA_DIR)"


def provenance(study: StudyData) -> pd.DataFrame:
    """The data in use: folder, synthetic or not, cut-off, fingerprint, then each input file
    with its rows and SHA-256 (part, item, rows, detail)."""
    title = str(study.metadata.get("title", "")).strip()
    rows = [
        ("Data set", "Data folder", "", _folder_label(study.directory)),
        ("Data set", "Synthetic data", "",
         "yes: generated cohort, not patient data" if study.synthetic else "no: study data"),
        ("Data set", "Data cut-off", "", study.data_cutoff.strftime("%Y-%m-%d")),
    ]
    if title:
        rows.append(("Data set", "Title", "", title))
    rows.append(("Data set", "Fingerprint of all inputs (SHA-256)", "", data_fingerprint(study)))
    for name in sorted(study.files):
        info = study.files[name]
        rows.append(("Input files (SHA-256)", name, f"{int(info['rows']):,}", info["sha256"]))
    return pd.DataFrame(rows, columns=["part", "item", "rows", "detail"])


def grouped_checksum(text: str, size: int = 16) -> str:
    """A SHA-256 shown in groups of 16 hex digits, as key fingerprints are, so that it can wrap
    inside a table column on the printed page (the CSV export and --json keep it whole)."""
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return " ".join(text[i:i + size] for i in range(0, len(text), size))
    return text


def provenance_table(study: StudyData) -> ReportTable:
    """Data provenance as a report table (grouped: the data set, then each input file)."""
    frame = provenance(study).rename(columns={"item": "Item", "rows": "Rows", "detail": "Value or SHA-256"})
    frame["Value or SHA-256"] = frame["Value or SHA-256"].map(grouped_checksum)
    return ReportTable(frame, groups="part", notes=(
        "Rows: data rows of each file (header excluded); a file's checksum can be checked with "
        "sha256sum (printed here in groups of 16 hexadecimal digits).",
        "Fingerprint: SHA-256 over the files' own checksums in file-name order, as printed by "
        "'python -m analysis results --json'.",
    ), align={"Value or SHA-256": "left"})


# -------------------------------------------------------------------------------- software
def quarto_version(environ: Mapping[str, str] | None = None) -> str:
    """Quarto's version: `QUARTO_VERSION` if set (the Makefile exports it before rendering); else,
    when running inside a Quarto render (QUARTO_PROJECT_ROOT, QUARTO_DOCUMENT_PATH or
    QUARTO_EXECUTE_INFO set), `quarto --version`; else "not rendered with Quarto"."""
    env = os.environ if environ is None else environ
    if env.get("QUARTO_VERSION", "").strip():
        return env["QUARTO_VERSION"].strip()
    if not any(env.get(v) for v in ("QUARTO_PROJECT_ROOT", "QUARTO_DOCUMENT_PATH", "QUARTO_EXECUTE_INFO")):
        return NOT_RENDERED
    candidates = []
    if env.get("QUARTO_BIN_PATH"):
        candidates.append(str(Path(env["QUARTO_BIN_PATH"]) / "quarto"))
    if found := shutil.which("quarto", path=env.get("PATH")):
        candidates.append(found)
    for executable in candidates:
        try:
            done = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip().splitlines()[0]
    return "rendered with Quarto (version not reported)"


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def software_versions(environ: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Python, the analysis libraries, this project, Quarto and the git commit (software, version)."""
    rows = [("Python", platform.python_version())]
    rows += [(name, _package_version(name)) for name in SOFTWARE_PACKAGES]
    rows += [(f"{PROJECT_DISTRIBUTION} (this project)", _package_version(PROJECT_DISTRIBUTION)),
             ("Quarto", quarto_version(environ)),
             ("Git commit", git_commit())]
    return pd.DataFrame(rows, columns=["software", "version"])


def software_table(environ: Mapping[str, str] | None = None) -> ReportTable:
    """Software versions as a report table."""
    frame = software_versions(environ).rename(columns={"software": "Software", "version": "Version"})
    return ReportTable(frame, align={"Version": "left"}, notes=(
        "Versions of the environment that executed this chapter; with Quarto's freeze, a frozen "
        "chapter shows the environment of its last execution.",
    ))
