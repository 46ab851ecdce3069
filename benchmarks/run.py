"""Scale benchmark (not a test): wall time and peak memory of each step at growing N.

For each N it writes a synthetic cohort with `simulate`, then times `validate`, `derive`,
`results` and the headless execution of each section notebook, each in its own process,
and prints a Markdown table. Peak memory is the largest resident set of the step's
processes (the CLI and, for sections, the notebook kernel), from the kernel's rusage.

    .venv/bin/python benchmarks/run.py              # N = 66, 1,000, 10,000, 100,000
    .venv/bin/python benchmarks/run.py --n 66 1000  # a quick run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("cohort", "efficacy", "subgroups", "safety")
TARGETS = {  # step -> (N, seconds, MiB) the issue sets; None = no target
    "results": (100_000, 10, 1024),
}


def run(args: list[str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak RSS in MiB) or raise on failure."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "analysis", *args], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def benchmark(n: int, workdir: Path) -> list[tuple[str, float, float]]:
    data = workdir / f"n{n}"
    rows = [("simulate", *run(["simulate", "--n", str(n), "--out", str(data)]))]
    rows.append(("validate", *run(["validate", str(data)])))
    rows.append(("derive", *run(["derive", str(data), "--out", str(workdir / f"derived{n}.csv")])))
    rows.append(("results", *run(["results", str(data), "--json"])))
    total = 0.0
    for section in SECTIONS:
        seconds, mib = run(["sections", section, "--data-dir", str(data), "--out", str(workdir / "out")])
        rows.append((f"section {section}", seconds, mib))
        total += seconds
    rows.append(("all four sections", total, max(r[2] for r in rows if r[0].startswith("section"))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[66, 1_000, 10_000, 100_000])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    print("| N | step | wall time (s) | peak memory (MiB) |")
    print("|---:|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            for step, seconds, mib in benchmark(n, Path(tmp)):
                print(f"| {n:,} | {step} | {seconds:.1f} | {mib:.0f} |", flush=True)


if __name__ == "__main__":
    main()
