"""Scale benchmark (not a test): wall time and peak memory of each step at growing N.

For each N it writes a synthetic cohort with `simulate`, then times `validate`, `derive`,
`results` and the headless execution of each section notebook, each in its own process,
and prints a Markdown table. Peak memory is the largest resident set of the step's
processes (the CLI and, for sections, the notebook kernel), from the kernel's rusage.

When `Rscript` is on the PATH it also runs benchmarks/results.R (R doing the work of
`results --json` with readr and survival), checks that its output equals ours, then times
both alternately and prints the medians and the Python/R ratio per N.

    .venv/bin/python benchmarks/run.py              # N = 66, 1,000, 10,000, 100,000
    .venv/bin/python benchmarks/run.py --n 66 1000  # a quick run
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
R_SCRIPT = ROOT / "benchmarks" / "results.R"
#: Relative tolerance of the Python/R agreement check (the outputs agree to ~1e-12 in practice).
R_AGREEMENT = 1e-9


def run(args: list[str]) -> tuple[float, float, str]:
    """Run `python -m analysis ARGS`; return (wall seconds, peak RSS in MiB, its output)."""
    return run_process([sys.executable, "-m", "analysis", *args])


def run_process(command: list[str]) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS in MiB, its output) or raise on failure."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {err.read().decode()[-2000:]}")
        return elapsed, usage.ru_maxrss / 1024, out.read().decode()


def benchmark(n: int, workdir: Path) -> list[tuple[str, float | str, float]]:
    """Each step at one N; the sections run in one command, each in its own fresh kernel."""
    data = workdir / f"n{n}"
    rows = []
    for step, args in (("simulate", ["simulate", "--n", str(n), "--out", str(data)]),
                       ("validate", ["validate", str(data)]),
                       ("derive", ["derive", str(data), "--out", str(workdir / f"derived{n}.csv")]),
                       ("results", ["results", str(data), "--json"])):
        seconds, mib, _ = run(args)
        rows.append((step, seconds, mib))
    seconds, mib, output = run(["sections", *SECTIONS, "--data-dir", str(data), "--out", str(workdir / "out")])
    pattern = (r"executed \d\d-(\w+)\.py in ([0-9.]+) s \(kernel ready after ([0-9.]+) s, "
               r"first cell ([0-9.]+) s[;)]")
    for name, total, ready, first in re.findall(pattern, output):
        rows.append((f"section {name}: kernel ready / first cell / start to end",
                     f"{float(ready):.1f} / {float(first):.1f} / {float(total):.1f}", float("nan")))
    rows.append(("all four sections (one command, two kernels at a time, validation included)",
                 seconds, mib))
    return rows


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[66, 1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3,
                        help="alternating runs of `results` and R per N (medians are shown)")
    parser.add_argument("--r-only", action="store_true", help="only the comparison with R")
    args = parser.parse_args()
    with_r = shutil.which("Rscript") is not None
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    if not args.r_only:
        print("| N | step | wall time (s) | peak memory (MiB) |")
        print("|---:|---|---:|---:|")
    comparisons = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            if args.r_only:
                run(["simulate", "--n", str(n), "--out", str(Path(tmp) / f"n{n}")])
            else:
                for step, seconds, mib in benchmark(n, Path(tmp)):
                    memory = "–" if mib != mib else f"{mib:.0f}"
                    shown = seconds if isinstance(seconds, str) else f"{seconds:.1f}"
                    print(f"| {n:,} | {step} | {shown} | {memory} |", flush=True)
            if with_r:
                comparisons.append((n, *compare_with_r(Path(tmp) / f"n{n}", args.repeats)))
    if not with_r:
        print("\nRscript not found: no comparison with R (apt-get install -y r-cran-survival r-cran-readr)")
        return
    print(f"\n`results --json` against benchmarks/results.R (same output checked first; medians of "
          f"{args.repeats} alternating runs)\n")
    print("| N | Python (s) | R (s) | Python/R | Python (MiB) | R (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, (py_s, py_mib), (r_s, r_mib) in comparisons:
        print(f"| {n:,} | {py_s:.2f} | {r_s:.2f} | {py_s / r_s:.2f} | {py_mib:.0f} | {r_mib:.0f} |")


if __name__ == "__main__":
    main()
