"""Scale benchmark (not a test): wall time and peak memory of each step at growing N.

For each N it writes a synthetic cohort with `simulate`, then times `validate`, `derive`,
`results` and the headless execution of each section notebook, each in its own process,
and prints a Markdown table. Peak memory is the largest resident set of the step's
processes (the CLI and, for sections, the notebook kernel), from the kernel's rusage.

When `Rscript` is on the PATH it also runs benchmarks/results.R (R doing the work of
`results --json` with readr and survival), checks that its output equals ours, then times
both alternately and prints the medians and the Python/R ratio per N.

The four sections run `--repeats` times, alternately with kernels forked from the fork server
(the default of `sections`) and with `--fresh-kernels`.

`--book` adds, at the smallest N, the kernel work of a whole-book render: every chapter that
runs code, once per output format (HTML, Typst, Word: 27 kernels, one after another), started
as Quarto starts them by benchmarks/quarto_stand_in.py (no Pandoc or Typst): once as a plain
`quarto render` (fresh kernels) and once through `python -m analysis render`, as `make report`
renders (kernels forked from the fork server). With `quarto` on the PATH it also times
`make report`'s render with Quarto itself. The last table checks issue 12's targets against
what was measured.

    .venv/bin/python benchmarks/run.py              # N = 66, 1,000, 10,000, 100,000
    .venv/bin/python benchmarks/run.py --n 66 1000  # a quick run
    .venv/bin/python benchmarks/run.py --n 66 100000 --book   # every target of issue 12
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
SECTION_LINE = (r"executed (\S+?)\.(?:py|qmd) in ([0-9.]+) s \(kernel ready after ([0-9.]+) s, "
                r"first cell ([0-9.]+) s[;)]")
#: Quarto's `quarto` is a bash script that runs the program; this one runs the stand-in.
STAND_IN = ROOT / "benchmarks" / "quarto-stand-in.sh"
STAND_IN_LINE = (r"stand-in: (\S+) (\w+): Python ready after ([0-9.]+) s; kernel ready after ([0-9.]+) s, "
                 r"libraries imported at ([0-9.]+) s, done after [0-9.]+ s \((forked|fresh)\)")
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


def section_timings(output: str) -> list[tuple[str, float, float, float]]:
    """(chapter, start to end, kernel ready, first cell) of each chapter a `sections` run printed."""
    return [(name, float(total), float(ready), float(first))
            for name, total, ready, first in re.findall(SECTION_LINE, output)]


def benchmark(n: int, workdir: Path, measured: dict, repeats: int = 1) -> list[tuple[str, float | str, float]]:
    """Each step at one N; the four sections run in one command, each chapter in a kernel of its
    own, `repeats` times alternately with kernels forked from the fork server (the default) and
    started from nothing (`--fresh-kernels`); medians are shown."""
    data = workdir / f"n{n}"
    rows = []
    for step, args in (("simulate", ["simulate", "--n", str(n), "--out", str(data)]),
                       ("validate", ["validate", str(data)]),
                       ("derive", ["derive", str(data), "--out", str(workdir / f"derived{n}.csv")]),
                       ("results", ["results", str(data), "--json"])):
        seconds, mib, _ = run(args)
        rows.append((step, seconds, mib))
    command = ["sections", *SECTIONS, "--data-dir", str(data), "--out", str(workdir / "out")]
    runs: dict[str, list[tuple[float, float, str]]] = {"forked": [], "fresh": []}
    for _ in range(repeats):
        runs["forked"].append(run(command))
        runs["fresh"].append(run([*command, "--fresh-kernels"]))
    for kind in ("forked", "fresh"):
        seconds = statistics.median(s for s, _, _ in runs[kind])
        mib = max(m for _, m, _ in runs[kind])
        timings = [t for _, _, output in runs[kind] for t in section_timings(output)]
        for name in SECTIONS:
            ready = [r for section, _, r, _ in timings if section.endswith(name)]
            first = [f for section, _, _, f in timings if section.endswith(name)]
            total = [t for section, t, _, _ in timings if section.endswith(name)]
            rows.append((f"section {name}, {kind} kernels: kernel ready / first cell / start to end",
                         f"{_span(ready)} / {_span(first)} / {_span(total)}", float("nan")))
        every = ", ".join(f"{s:.1f}" for s, _, _ in runs[kind])
        rows.append((f"all four sections, {kind} kernels (one command, validation included; "
                     f"median of {every})", seconds, mib))
        if kind == "forked":
            measured.setdefault("sections", {})[n] = seconds
            measured.setdefault("kernel_ready", []).extend(r for _, _, r, _ in timings)
        else:
            measured.setdefault("sections_fresh", {})[n] = seconds
    return rows


def _range(values: list[float]) -> str:
    """'0.54–0.63': the smallest and largest of `values`, to the hundredth."""
    return f"{min(values):.2f}–{max(values):.2f}"


def _span(values: list[float]) -> str:
    """'1.2' or '1.2–1.5': the range of a chapter's times over the repeats."""
    low, high = min(values), max(values)
    return f"{low:.1f}" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}–{high:.1f}"


def stand_in_timings(output: str) -> list[tuple[str, float, float, float, bool]]:
    """(chapter and format, its Python ready, kernel ready, libraries imported, forked) of each
    line the stand-in printed."""
    return [(f"{name} {fmt}", float(python), float(ready), float(imported), how == "forked")
            for name, fmt, python, ready, imported, how in re.findall(STAND_IN_LINE, output)]


def book_benchmark(n: int, workdir: Path, measured: dict) -> list[tuple[str, float | str, float]]:
    """The kernels of a whole-book render (every code chapter, once per format, one after another),
    started as Quarto starts them (benchmarks/quarto_stand_in.py, no Pandoc or Typst): by a plain
    `quarto render`, and by `make report`'s `render`, which forks them from the fork server."""
    data = str(workdir / f"n{n}")
    plain_env = {"TKI_DATA_DIR": data, "QUARTO_PYTHON": sys.executable,
                 "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    rows = []
    for kind, command, env in (
            ("plain `quarto render`: fresh kernels", [str(STAND_IN), "render"], plain_env),
            ("`make report` (`render`): forked kernels",
             [sys.executable, "-m", "analysis", "render", "--quarto", str(STAND_IN), "--data-dir", data], None)):
        seconds, mib, output = run_process(command, env)
        timings = stand_in_timings(output)
        python, ready, imported = ([t[i] for t in timings] for i in (1, 2, 3))
        forked = sum(t[4] for t in timings)
        rows.append(((f"book kernels, {kind}: {len(timings)} chapter runs ({forked} forked); kernel "
                      f"ready {_range(ready)} s and libraries imported {_range(imported)} s after its "
                      f"start; Quarto's Python per chapter {_range(python)} s before it"), seconds, mib))
        key = "book_forked" if "forked" in kind else "book_fresh"
        measured[key] = {"seconds": seconds, "imported": imported, "python": sum(python),
                         "runs": len(timings), "forked": forked}
    quarto = shutil.which("quarto")
    if quarto:
        seconds, mib, _ = run(["render", "--quarto", quarto, "--data-dir", data])
        rows.append(("`make report`'s render with Quarto (whole book, all formats)", seconds, mib))
        measured["quarto_render"] = seconds
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


def targets(measured: dict, comparisons: list) -> list[tuple[str, str, str]]:
    """Issue 12's targets, each with what was measured here and whether it is met."""
    rows = []
    ratios = {n: (py[0] / r[0], py[1]) for n, py, r in comparisons}
    for n, limit in ((66, 0.8), (100_000, 0.5)):
        if n in ratios:
            rows.append((f"`results` at most {limit} × R at N = {n:,}", f"{ratios[n][0]:.2f} × R",
                         "yes" if ratios[n][0] <= limit else "no"))
    if 100_000 in ratios:
        mib = ratios[100_000][1]
        rows.append(("`results` peak memory under 500 MiB at N = 100,000", f"{mib:.0f} MiB",
                     "yes" if mib < 500 else "no"))
    for n, limit in ((66, 10.0), (100_000, 30.0)):
        if n in measured.get("sections", {}):
            seconds = measured["sections"][n]
            fresh = measured.get("sections_fresh", {}).get(n)
            also = f" (fresh kernels: {fresh:.1f} s)" if fresh else ""
            rows.append((f"four sections under {limit:.0f} s at N = {n:,}", f"{seconds:.1f} s{also}",
                         "yes" if seconds < limit else "no"))
    if measured.get("kernel_ready"):  # not a target: `sections` starts its server with the command
        ready = measured["kernel_ready"]
        rows.append(("(for comparison) four sections, forked: kernel ready, the first ones waiting "
                     "for the server's imports", f"{_range(ready)} s", "–"))
    for key, how in (("book_forked", "`make report`, forked"), ("book_fresh", "plain `quarto render`")):
        if key in measured:
            book = measured[key]
            imported = book["imported"]
            rows.append((f"whole book at N = 66, {how}: each kernel starts work (libraries "
                         "imported) within 1.5 s",
                         (f"{_range(imported)} s over {book['runs']} chapter runs ({book['forked']} "
                          f"forked); total {book['seconds']:.1f} s, of which Quarto's Python "
                          f"{book['python']:.1f} s"), "yes" if max(imported) <= 1.5 else "no"))
    if "quarto_render" in measured:
        rows.append(("whole-book render at N = 66 with Quarto: total stated",
                     f"{measured['quarto_render']:.1f} s", "–"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[66, 1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3,
                        help="alternating runs of `results` and R per N (medians are shown)")
    parser.add_argument("--r-only", action="store_true", help="only the comparison with R")
    parser.add_argument("--book", action="store_true",
                        help="also the kernels of a whole-book render at the smallest N (and "
                             "`quarto render` when Quarto is on the PATH)")
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
        print("\nIssue 12's targets on this machine\n")
        print("| target | measured | met |")
        print("|---|---|---|")
        for target, value, met in rows:
            print(f"| {target} | {value} | {met} |")


if __name__ == "__main__":
    main()
