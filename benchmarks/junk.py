"""Refusing junk: wall time and peak memory of `validate` on hostile 200 MB inputs.

Not a test. Each junk file replaces patients.csv in a copy of the bundled folder; the
yardstick is `validate` on the bundled folder itself, measured in the same run: refusing
junk should cost about as much as validating 66 real patients, whatever the junk's size.

    .venv/bin/python benchmarks/junk.py            # 200 MB files (needs ~1 GB of /tmp)
    .venv/bin/python benchmarks/junk.py --mb 20
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "synthetic"


def _repeat(path: Path, piece: str, size: int) -> None:
    """Write `piece` repeatedly up to `size` characters, a megabyte at a time (the benchmark's
    own memory must stay small: the measured process is forked from it)."""
    block = piece * max(1, (1 << 20) // len(piece))
    with path.open("w") as out:
        for _ in range(size // len(block)):
            out.write(block)


def _text(path: Path, size: int) -> None:
    _repeat(path, "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\n", size)


def _commas(path: Path, size: int) -> None:
    _repeat(path, "0.8444218515250481,0.7579544029403025,0.420571580830845\n", size)


def _wide_header(path: Path, size: int) -> None:
    path.write_text(",".join(f"c{i}" for i in range(60_000)) + "\n" + "1,2\n" * 10)


def _one_line(path: Path, size: int) -> None:
    _repeat(path, "x", size)


JUNK = {"200 MB text": _text, "200 MB comma-separated": _commas,
        "60,000-column header": _wide_header, "one 200 MB line": _one_line}


def validate(folder: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit status of `python -m analysis validate folder`."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "analysis", "validate", str(folder)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of each junk file in MB")
    size = parser.parse_args().mb * 1_000_000
    rows = [("bundled folder (yardstick)", *validate(BUNDLED))]
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in JUNK.items():
            folder = Path(tmp) / "data"
            shutil.copytree(BUNDLED, folder)
            make(folder / "patients.csv", size)
            rows.append((name.replace("200 MB", f"{size // 1_000_000} MB"), *validate(folder)))
            shutil.rmtree(folder)
    print("| input | wall time (s) | peak memory (MiB) | exit |\n|---|---:|---:|---:|")
    for name, seconds, mib, status in rows:
        print(f"| {name} | {seconds:.1f} | {mib:.0f} | {status} |")


if __name__ == "__main__":
    main()
