"""Command line of the study report: validate, derive, results, simulate, template, sections, export, check-render.

`python -m analysis COMMAND --help` for each. Data problems print every problem found
(file, line, patient, column, rule, value) and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from analysis.book.section_files import UnknownSection
from analysis.config import PROJECT_ROOT, data_dir

EXIT_DATA_PROBLEM = 2
EXIT_ENVIRONMENT = 3
EXIT_USAGE = 2  # a name the command does not know, as argparse exits for a bad command line


def missing_package_message(err: ModuleNotFoundError) -> str:
    """One line for a Python without the project's packages: which, and what to do instead."""
    return (f"analysis: {sys.executable} has no '{err.name}': this is not the project's Python. "
            "Activate its environment (`source .venv/bin/activate`, after `make setup`; or "
            "`conda activate` the environment of environment.yml) and render again, or run "
            "`make report`.")


def _load(path: str | None):
    from analysis.study.fast_loading import load_study_fast

    study = load_study_fast(Path(path) if path else data_dir())
    for note in study.warnings:
        print(f"warning: {note}", file=sys.stderr)
    return study


def _load_once_per_render(path: str | None):
    """Validate (or load the render's cache of the validated data) for the chapters to reuse."""
    from analysis.study.cache import load_validated

    study, _ = load_validated(Path(path) if path else data_dir())
    for note in study.warnings:
        print(f"warning: {note}", file=sys.stderr)
    return study


def _already_prepared(path: str | None) -> list[str] | None:
    """The validation warnings when this render's validated cache of the data folder is current
    (it matches its inputs, code and settings), else None; read without pandas."""
    from analysis.study.cache import current_warnings

    return current_warnings(Path(path) if path else data_dir())


def _validate(args: argparse.Namespace) -> int:
    study = _load(args.data_dir)
    kind = "synthetic" if study.synthetic else "real"
    rows = ", ".join(f"{name} {info['rows']} rows" for name, info in study.files.items())
    print(f"valid: {study.directory} ({kind} data, cut-off {study.metadata['data_cutoff']}): {rows}")
    return 0


def _derive(args: argparse.Namespace) -> int:
    from analysis.study.derive import analysis_dataset

    study = _load(args.data_dir)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    analysis_dataset(study.patients).to_csv(out, index=False, lineterminator="\n")
    print(f"wrote {out} ({len(study.patients)} patients)")
    return 0


def _results(args: argparse.Namespace) -> int:
    from analysis.stats.key_results import key_results

    results = key_results(_load(args.data_dir))
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        print(results_summary(results))
    return 0


def _months(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.1f}"


def results_summary(results: dict) -> str:
    """One line of key results; a median or limit not reached (immature data) says so."""
    pfs, resp = results["pfs"], results["response"]
    low, high = pfs["ci_symmetric"]
    median = "not reached" if pfs["median"] is None else f"{pfs['median']:.1f} months"
    return (f"patients {results['n_patients']}, PFS events {pfs['events']}, median PFS "
            f"{median} (95% CI {_months(low)}-{_months(high)}), ORR {resp['orr']['pct']:.1f}%, "
            f"CBR {resp['cbr']['pct']:.1f}%")


def _simulate(args: argparse.Namespace) -> int:
    from analysis.synthetic.generator import write_cohort

    out = write_cohort(args.out, seed=args.seed, n=args.n)
    print(f"wrote synthetic cohort (seed {args.seed}, N = {args.n}) to {out}")
    return 0


def _dictionary(args: argparse.Namespace) -> int:
    from analysis.study.dictionary import dictionary_markdown

    text = dictionary_markdown()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def _sections(args: argparse.Namespace) -> int:
    from analysis.book.execute import execute_sections, write_executed
    from analysis.book.section_files import book_chapters, find_section

    chosen = [find_section(name) for name in args.names] if args.names else book_chapters()
    jobs = args.jobs if args.jobs else min(os.cpu_count() or 1, len(chosen))
    # The data are validated (or the render's cache of them is current) before any chapter runs:
    # a data problem stops the command with its list of problems, before any kernel starts.
    warnings = _already_prepared(args.data_dir)
    if warnings is None:
        _load_once_per_render(args.data_dir)
    for note in warnings or []:
        print(f"warning: {note}", file=sys.stderr)
    for done in execute_sections(chosen, data_dir=args.data_dir, jobs=jobs):
        files = write_executed(done.notebook, Path(args.out), done.section.script.stem)
        print(f"executed {done.section.script.name} in {done.seconds:.1f} s: "
              + ", ".join(str(f) for f in files), flush=True)
    return 0


def _export(args: argparse.Namespace) -> int:
    from analysis.book.quarto import find_quarto
    from analysis.book.supplement import export_supplement
    from analysis.book.supplement_plan import PlanError, read_plan
    from analysis.report.context import ReportContext
    from analysis.report.sections import all_artifacts

    try:
        planned = read_plan(all_artifacts(), args.plan)  # before the data: nothing written on an error
    except PlanError as problem:
        print(f"supplement: {problem}", file=sys.stderr)
        return EXIT_DATA_PROBLEM
    if args.list:
        for item in planned:
            print(f"{item.number:<11} {item.label:<24} {item.artifact.caption}")
        return 0
    _load_once_per_render(args.data_dir)
    context = ReportContext.open(args.data_dir, small_cell_threshold=args.small_cell_threshold)
    quarto = None if args.no_appendix else find_quarto(Path(sys.prefix), report=False)
    result = export_supplement(context, args.out, plan=args.plan, quarto=quarto)
    print(f"wrote {len(result.files)} files to {args.out}")
    if result.appendix_note:
        print(f"supplement: {result.appendix_note}", file=sys.stderr)
    return 0


def _template(args: argparse.Namespace) -> int:
    from analysis.study.template import write_template

    if Path(args.out).exists():
        # A filled workbook may already carry that name: never overwrite a study team's data.
        print(f"{args.out} already exists: choose another name (the template never overwrites "
              "a file)", file=sys.stderr)
        return EXIT_DATA_PROBLEM
    out = write_template(args.out)
    print(f"wrote {out}: fill its sheets, then `python -m analysis validate {out}`")
    return 0


def _section_path(args: argparse.Namespace) -> int:
    from analysis.book.section_files import find_section

    print(find_section(args.name).script.relative_to(Path.cwd().resolve()))
    return 0


def _freeze_guard(args: argparse.Namespace) -> int:
    from analysis.book.freeze import guard_freeze
    from analysis.book.title_page import write_book_metadata

    study = _load_once_per_render(args.data_dir)
    print(guard_freeze(study))
    write_book_metadata(study)
    return 0


def _quarto_path(args: argparse.Namespace) -> int:
    from analysis.book import quarto

    venv = Path(args.venv) if args.venv else quarto.current_venv()
    if venv is None:
        found = quarto.find_quarto(Path(sys.prefix))
        if found is None:
            print("Quarto >= 1.9 not found (not installed automatically outside a virtual "
                  "environment; with conda see environment.yml).", file=sys.stderr)
    else:
        timeout = quarto.INSTALL_TIMEOUT_S if args.timeout is None else args.timeout
        found = quarto.usable_quarto(venv, retry=args.retry, timeout=timeout)
    if found is None:
        return 1
    print(found)
    return 0


def _render(args: argparse.Namespace) -> int:
    from analysis.book.render import render

    arguments = list(args.quarto_arguments)
    if "--" in arguments:  # the separator before Quarto's options is ours, not Quarto's
        arguments.remove("--")
    return render(Path(args.quarto), arguments, args.data_dir or data_dir())


def _word_reference(args: argparse.Namespace) -> int:
    from analysis.book.word_reference import write_reference_docx

    print(f"wrote {write_reference_docx()}")
    return 0


def _check_render(args: argparse.Namespace) -> int:
    from analysis.book.render_audit import audit_book

    book = Path(args.book_dir)
    if not book.is_dir() or not any(book.glob("*.pdf")) and not any(book.glob("*.docx")):
        print(f"{book}: no rendered book here (render it first: make report, with Quarto >= 1.9)",
              file=sys.stderr)
        return 2
    results = audit_book(book)
    found = 0
    for name, problems in results.items():
        print(f"{name}: {'no problems' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"  - {problem}")
        found += len(problems)
    print("render audit: " + ("clean" if not found else f"{found} problem(s) found"))
    return 0 if not found else 1


def _alt_text(args: argparse.Namespace) -> int:
    from analysis.book.alt_text import sync_alt_text
    from analysis.book.execute import NOTEBOOKS
    from analysis.report.sections import all_artifacts

    all_artifacts()  # fill the register
    scripts = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py"))
    stale = sync_alt_text(scripts, check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'updated'}: {path.name}")
    return 1 if stale and args.check else 0


def _quarto_missing(args: argparse.Namespace) -> int:
    print(QUARTO_MISSING, file=sys.stderr)
    return 0


QUARTO_MISSING = """
==============================================================================
Quarto was not found, so the book (HTML, PDF, DOCX) was NOT rendered.
The analysis itself ran: every section was executed headless into
_build/sections/ (.ipynb and .html per section). `make supplement` writes the
manuscript's tables and figures to supplement/ (all but the Supplementary
Appendix, which Quarto renders).
To render the report, install Quarto 1.9 or newer, then run `make report` again:
  conda install -c conda-forge "quarto>=1.9"    (see environment.yml), or
  the installer from https://quarto.org/docs/get-started/
No TeX is needed: the PDF is typeset by Typst, which ships with Quarto.
==============================================================================
"""


def build_parser() -> argparse.ArgumentParser:
    from analysis.study.published import PUBLISHED_N
    from analysis.synthetic.seed import DEFAULT_SEED

    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    data_help = ("data folder or .xlsx workbook made with `template` (default: $TKI_DATA_DIR, "
                 "else data/synthetic)")

    p = sub.add_parser("validate", help="check a data folder against the data dictionary")
    p.add_argument("data_dir", nargs="?", help=data_help)
    p.set_defaults(run=_validate)

    p = sub.add_parser("derive", help="write the per-patient analysis dataset (for the study team: "
                       "it carries the source patient_id)",
                       description="Write the per-patient analysis dataset, one row per patient. "
                       "It is for the study team and carries the source patient_id (pseudonymous "
                       "study number) beside the sequence number, so keep it with the source data: "
                       "it is never part of the report or the supplement.")
    p.add_argument("data_dir", nargs="?", help=data_help)
    p.add_argument("--out", required=True, help="output CSV file (contains patient_id)")
    p.set_defaults(run=_derive)

    p = sub.add_parser("results", help="print the key results")
    p.add_argument("data_dir", nargs="?", help=data_help)
    p.add_argument("--json", action="store_true", help="machine-readable JSON")
    p.set_defaults(run=_results)

    p = sub.add_parser("simulate", help="write a synthetic data folder")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--n", type=int, default=PUBLISHED_N)
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(run=_simulate)

    p = sub.add_parser("sections", help="execute the book's chapters headless (no Quarto needed)")
    p.add_argument("names", nargs="*", help="chapters to run (default: every chapter with code), "
                   "e.g. efficacy")
    p.add_argument("--data-dir", help=data_help)
    p.add_argument("--out", default="_build/sections", help="folder for executed .ipynb and .html")
    p.add_argument("--jobs", type=int, default=None, help="sections run at once, each in its own "
                   "kernel (default: one per CPU core)")
    p.set_defaults(run=_sections)

    p = sub.add_parser("export", help="write the manuscript's tables and figures and the Supplementary "
                       "Appendix (supplement.yml says which go where)")
    p.add_argument("data_dir", nargs="?", help=data_help)
    p.add_argument("--out", default="supplement", help="output folder (default: supplement)")
    p.add_argument("--plan", default=str(PROJECT_ROOT / "supplement.yml"),
                   help="which tables and figures are the manuscript's (default: supplement.yml)")
    p.add_argument("--list", action="store_true", help="print each table and figure with its number "
                   "and label, and write nothing")
    p.add_argument("--no-appendix", action="store_true", help="write everything but the Supplementary "
                   "Appendix (which needs Quarto)")
    p.add_argument("--small-cell-threshold", type=int, default=None,
                   help="show counts below this as '<N' in tables, for public sharing "
                   "(default: $TKI_SMALL_CELL_THRESHOLD, else every count)")
    p.set_defaults(run=_export)

    p = sub.add_parser("section-path", help="the notebook file of a section (for make section)")
    p.add_argument("name")
    p.set_defaults(run=_section_path)

    p = sub.add_parser("freeze-guard", help="Quarto's pre-render step: validate, clear _freeze/ "
                       "when the data, settings or code changed, write the title page's metadata and the "
                       "banner of the pages that compute nothing")
    p.add_argument("data_dir", nargs="?", help=data_help)
    p.set_defaults(run=_freeze_guard)

    p = sub.add_parser("quarto-path", help="print the Quarto (>= 1.9) to render with; without one, "
                       "try once to pip-install quarto-cli into the virtual environment (exit 1 if none)")
    p.add_argument("--retry", action="store_true", help="try the install even if an earlier attempt failed")
    p.add_argument("--timeout", type=float, default=None, help="time limit of the install in seconds")
    p.add_argument("--venv", help="virtual environment to install into (default: the one running this)")
    p.set_defaults(run=_quarto_path)
    p = sub.add_parser("render", help="`quarto render` with the project's Python and data folder "
                       "(what make report runs)")
    p.add_argument("--quarto", required=True, help="the Quarto to run (make report passes `quarto-path`'s)")
    p.add_argument("--data-dir", help=data_help)
    p.add_argument("quarto_arguments", nargs=argparse.REMAINDER,
                   help="passed on to `quarto render`: a chapter file, and options after `--` "
                        "(render --quarto Q -- --to html)")
    p.set_defaults(run=_render)

    p = sub.add_parser("word-reference", help="rewrite the Word styles file (analysis/book/quarto/word-reference.docx)")
    p.set_defaults(run=_word_reference)

    p = sub.add_parser("check-render", help="audit the rendered book (PDF, Word, HTML) for reader-visible defects")
    p.add_argument("book_dir", nargs="?", default="_book", help="the rendered book folder (default: _book)")
    p.set_defaults(run=_check_render)
    p = sub.add_parser("alt-text", help="write each figure's alt text (fig-alt) into the section scripts")
    p.add_argument("--check", action="store_true", help="only report scripts out of date (exit 1)")
    p.set_defaults(run=_alt_text)

    p = sub.add_parser("quarto-missing", help="say how to install Quarto")
    p.set_defaults(run=_quarto_missing)

    p = sub.add_parser("template", help="write the Excel data-entry workbook (one sheet per file)")
    p.add_argument("--out", required=True, help="workbook to write, e.g. extract.xlsx")
    p.set_defaults(run=_template)

    p = sub.add_parser("dictionary", help="print or write the data dictionary (Markdown)")
    p.add_argument("--out", help="file to write (e.g. data/README.md)")
    p.set_defaults(run=_dictionary)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ModuleNotFoundError as err:
        # e.g. Quarto's pre-render step run by a `python` outside the project's environment
        print(missing_package_message(err), file=sys.stderr)
        return EXIT_ENVIRONMENT
    except UnknownSection as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:
        # Imported here: reading the data pulls in pandas, which `sections` starts without.
        from analysis.study.problems import DataValidationError

        if not isinstance(err, DataValidationError):
            raise
        print(str(err), file=sys.stderr)
        return EXIT_DATA_PROBLEM


if __name__ == "__main__":
    sys.exit(main())
