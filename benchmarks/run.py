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
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("cohort", "efficacy", "subgroups", "safety")


def run(args: list[str]) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS in MiB, its output) or raise on failure."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen([sys.executable, "-m", "analysis", *args], cwd=ROOT,
                                   stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {err.read().decode()[-2000:]}")
        return elapsed, usage.ru_maxrss / 1024, out.read().decode()


def benchmark(n: int, workdir: Path) -> list[tuple[str, float, float]]:
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
    for name, section_seconds in re.findall(r"executed \d\d-(\w+)\.py in ([0-9.]+) s", output):
        rows.append((f"section {name} (kernel start to end)", float(section_seconds), float("nan")))
    rows.append(("all four sections (one command, validation included)", seconds, mib))
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
                memory = "–" if mib != mib else f"{mib:.0f}"
                print(f"| {n:,} | {step} | {seconds:.1f} | {memory} |", flush=True)


if __name__ == "__main__":
    main()
