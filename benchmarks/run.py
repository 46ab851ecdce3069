"""Scale benchmark (not a test): wall time and peak memory of each step at growing N.

For each N it writes a synthetic cohort with `simulate`, then times `validate`, `derive`,
`results` and the headless execution of each section notebook, each in its own process,
and prints a Markdown table. Peak memory is the largest resident set of the step's
processes (the CLI and, for sections, the notebook kernel), from the kernel's rusage.

When `Rscript` is on the PATH it also runs benchmarks/results.R (R doing the work of
`results --json` with readr and survival), checks that its output equals ours, then times
both alternately and prints the medians and the Python/R ratio per N.

The four sections run `--repeats` times in one `sections` command (each chapter in a fresh
kernel of its own, two at a time on two cores); the median is shown.

`--book` adds, at the smallest N and with Quarto (`quarto-path`), the renders a user runs: the
whole book in three formats as `make report` renders it (`_freeze/` cleared first, so every
chapter executes), and one section as `make section NAME=subgroups` renders it (its HTML page).
The last table checks issue 21's guards against what was measured.

    .venv/bin/python benchmarks/run.py              # N = 66, 1,000, 10,000, 100,000
    .venv/bin/python benchmarks/run.py --n 66 1000  # a quick run
    .venv/bin/python benchmarks/run.py --n 66 100000 --book   # every guard of issue 21
"""

from __future__ import annotations

import argparse
import os
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("cohort", "efficacy", "subgroups", "safety")
SECTION_LINE = r"executed (\S+?)\.(?:py|qmd) in ([0-9.]+) s: "
R_SCRIPT = ROOT / "benchmarks" / "results.R"
#: Relative tolerance of the Python/R agreement check (the outputs agree to ~1e-12 in practice).
R_AGREEMENT = 1e-9


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run `python -m analysis ARGS`; return (wall seconds, peak RSS in MiB, its output)."""
    return run_process([sys.executable, "-m", "analysis", *args], env)


def run_process(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS in MiB, its output) or raise on failure."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err,
                                   env=None if env is None else {**os.environ, **env})
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {err.read().decode()[-2000:]}")
        return elapsed, usage.ru_maxrss / 1024, out.read().decode()


def section_timings(output: str) -> list[tuple[str, float]]:
    """(chapter, start to end) of each chapter a `sections` run printed."""
    return [(name, float(total)) for name, total in re.findall(SECTION_LINE, output)]


def benchmark(n: int, workdir: Path, measured: dict, repeats: int = 1) -> list[tuple[str, float | str, float]]:
    """Each step at one N; the four sections run in one command, each chapter in a fresh kernel
    of its own, `repeats` times; medians are shown."""
    data = workdir / f"n{n}"
    rows = []
    for step, args in (("simulate", ["simulate", "--n", str(n), "--out", str(data)]),
                       ("validate", ["validate", str(data)]),
                       ("derive", ["derive", str(data), "--out", str(workdir / f"derived{n}.csv")]),
                       ("results", ["results", str(data), "--json"])):
        seconds, mib, _ = run(args)
        rows.append((step, seconds, mib))
    command = ["sections", *SECTIONS, "--data-dir", str(data), "--out", str(workdir / "out")]
    runs = [run(command) for _ in range(repeats)]
    timings = [t for _, _, output in runs for t in section_timings(output)]
    for name in SECTIONS:
        rows.append((f"section {name}: start to end",
                     _span([total for section, total in timings if section.endswith(name)]), float("nan")))
    seconds = statistics.median(s for s, _, _ in runs)
    every = ", ".join(f"{s:.1f}" for s, _, _ in runs)
    rows.append((f"all four sections (one command, validation included; median of {every})",
                 seconds, max(m for _, m, _ in runs)))
    measured.setdefault("sections", {})[n] = seconds
    return rows


def _span(values: list[float]) -> str:
    """'1.2' or '1.2–1.5': the range of a chapter's times over the repeats."""
    low, high = min(values), max(values)
    return f"{low:.1f}" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}–{high:.1f}"


def find_quarto() -> str | None:
    """The Quarto `make report` would use (`quarto-path`), or None."""
    found = subprocess.run([sys.executable, "-m", "analysis", "quarto-path"], cwd=ROOT,
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else None


def book_benchmark(n: int, workdir: Path, measured: dict) -> list[tuple[str, float | str, float]]:
    """The renders a user runs, with Quarto: the whole book in three formats with every chapter
    executed (`_freeze/` cleared, as after a change of data or code), and one section's HTML page
    (`make section NAME=subgroups`: validate, then render that chapter)."""
    quarto = find_quarto()
    if quarto is None:
        return [("renders with Quarto: no Quarto found (`quarto-path`), not measured", "–", float("nan"))]
    data = str(workdir / f"n{n}")
    shutil.rmtree(ROOT / "_freeze", ignore_errors=True)
    book = run(["render", "--quarto", quarto, "--data-dir", data])
    section = run_process(["make", "--no-print-directory", "section", "NAME=subgroups", f"DATA={data}"])
    measured["book"], measured["section"] = book[0], section[0]
    return [("whole book, three formats, every chapter executed (`make report`'s render)", *book[:2]),
            ("one section, `make section NAME=subgroups` (validate, render its HTML page)", *section[:2])]


def assert_same_results(python: dict, r: dict, path: str = "") -> None:
    """Raise unless R's results equal ours (numbers to R_AGREEMENT, everything else exactly)."""
    if isinstance(python, dict):
        if set(python) != set(r):
            raise AssertionError(f"{path}: keys differ: {sorted(set(python) ^ set(r))}")
        for key in python:
            assert_same_results(python[key], r[key], f"{path}.{key}")
    elif isinstance(python, list):
        if len(python) != len(r):
            raise AssertionError(f"{path}: {len(python)} items in Python, {len(r)} in R")
        for i, (a, b) in enumerate(zip(python, r)):
            assert_same_results(a, b, f"{path}[{i}]")
    elif isinstance(python, float) or isinstance(r, float):
        if python is None or r is None or abs(python - r) > R_AGREEMENT * max(1.0, abs(python)):
            raise AssertionError(f"{path}: Python {python!r}, R {r!r}")
    elif python != r:
        raise AssertionError(f"{path}: Python {python!r}, R {r!r}")


def compare_with_r(data: Path, repeats: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (seconds, MiB) of `results --json` and of the R script, run alternately."""
    python_command = [sys.executable, "-m", "analysis", "results", str(data), "--json"]
    r_command = ["Rscript", str(R_SCRIPT), str(data)]
    ours = json.loads(run_process(python_command)[2])
    ours.pop("data")  # folder and checksums: not computed by the R script
    assert_same_results(ours, json.loads(run_process(r_command)[2]))
    python_runs, r_runs = [], []
    for _ in range(repeats):
        python_runs.append(run_process(python_command)[:2])
        r_runs.append(run_process(r_command)[:2])
    return tuple(tuple(statistics.median(x) for x in zip(*runs))  # type: ignore[return-value]
                 for runs in (python_runs, r_runs))


#: Issue 21's guards (2-core machine): whole-book render and one section in seconds; `results
#: --json` at N = 100,000 in seconds and MiB.
BOOK_LIMIT_S, SECTION_LIMIT_S, RESULTS_LIMIT_S, RESULTS_LIMIT_MIB = 150.0, 15.0, 10.0, 1024.0


def targets(measured: dict, comparisons: list) -> list[tuple[str, str, str]]:
    """Issue 21's guards, each with what was measured here and whether it holds."""
    rows = []
    for n, (py_s, py_mib), (r_s, _) in comparisons:
        if n == 100_000:
            rows.append((f"`results --json` at N = 100,000 under {RESULTS_LIMIT_S:.0f} s and 1 GiB",
                         f"{py_s:.2f} s, {py_mib:.0f} MiB (R: {r_s:.2f} s)",
                         "yes" if py_s < RESULTS_LIMIT_S and py_mib < RESULTS_LIMIT_MIB else "no"))
    if "book" in measured:
        rows.append((f"whole three-format render at N = 66 under {BOOK_LIMIT_S:.0f} s",
                     f"{measured['book']:.1f} s", "yes" if measured["book"] < BOOK_LIMIT_S else "no"))
    if "section" in measured:
        rows.append((f"`make section NAME=subgroups` under {SECTION_LIMIT_S:.0f} s",
                     f"{measured['section']:.1f} s", "yes" if measured["section"] < SECTION_LIMIT_S else "no"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[66, 1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3,
                        help="alternating runs of `results` and R per N (medians are shown)")
    parser.add_argument("--r-only", action="store_true", help="only the comparison with R")
    parser.add_argument("--book", action="store_true",
                        help="also the whole-book render and `make section` with Quarto, at "
                             "the smallest N")
    args = parser.parse_args()
    with_r = shutil.which("Rscript") is not None
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    if not args.r_only:
        print("| N | step | wall time (s) | peak memory (MiB) |")
        print("|---:|---|---:|---:|")
    comparisons, measured = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            if args.r_only:
                run(["simulate", "--n", str(n), "--out", str(Path(tmp) / f"n{n}")])
            else:
                rows = benchmark(n, Path(tmp), measured, args.repeats)
                if args.book and n == min(args.n):
                    rows += book_benchmark(n, Path(tmp), measured)
                for step, seconds, mib in rows:
                    memory = "–" if mib != mib else f"{mib:.0f}"
                    shown = seconds if isinstance(seconds, str) else f"{seconds:.1f}"
                    print(f"| {n:,} | {step} | {shown} | {memory} |", flush=True)
            if with_r:
                comparisons.append((n, *compare_with_r(Path(tmp) / f"n{n}", args.repeats)))
    if not with_r:
        print("\nRscript not found: no comparison with R (apt-get install -y r-cran-survival r-cran-readr)")
    else:
        print(f"\n`results --json` against benchmarks/results.R (same output checked first; medians of "
              f"{args.repeats} alternating runs)\n")
        print("| N | Python (s) | R (s) | Python/R | Python (MiB) | R (MiB) |")
        print("|---:|---:|---:|---:|---:|---:|")
        for n, (py_s, py_mib), (r_s, r_mib) in comparisons:
            print(f"| {n:,} | {py_s:.2f} | {r_s:.2f} | {py_s / r_s:.2f} | {py_mib:.0f} | {r_mib:.0f} |")
    rows = targets(measured, comparisons)
    if rows:
        print("\nIssue 21's guards on this machine\n")
        print("| target | measured | met |")
        print("|---|---|---|")
        for target, value, met in rows:
            print(f"| {target} | {value} | {met} |")


if __name__ == "__main__":
    main()
