#!/usr/bin/env python3
"""A stand-in for `quarto render` that starts the chapter kernels as Quarto does, without Pandoc.

Quarto is not installable on the machines this project is developed on, so the kernel side of a
render is measured with this stand-in instead. Like Quarto 1.9+ rendering this book without
keep-alive kernels (`execute: daemon: false`, quarto-cli src/execute/jupyter/jupyter-kernel.ts
and src/resources/jupyter/notebook.py), it:

- runs the project's `pre-render` command from the project folder first;
- renders each format of `_quarto.yml` in turn, and in each format each chapter that runs code,
  one after another, each in a new Python process (QUARTO_PYTHON, else this one) whose
  environment adds MPLBACKEND (matplotlib's inline backend), PYDEVD_DISABLE_FILE_VALIDATION,
  QUARTO_EXECUTE_INFO (a file naming the format) and QUARTO_PROJECT_ROOT/DOCUMENT_PATH/
  DOCUMENT_FILE to its own;
- in that process: moves to the chapter's folder, sets QUARTO_FIG_WIDTH/HEIGHT/DPI/FORMAT,
  starts the `python3` kernel through nbclient and jupyter_client (so the kernelspec found on
  JUPYTER_PATH is used, as Quarto's is), asks for kernel_info, then executes the code cells.

It does not insert Quarto's setup cell or run inline expressions, and converts nothing: it is a
measure of kernels, not a renderer. Before the chapter's cells it runs one cell of its own that
imports what the chapters import before their first line of work (`fork_server.PRELOAD`) and
says whether they were there already (a forked kernel). Each chapter prints one line:

    stand-in: 01-cohort.py html: Python ready after 3.41 s; kernel ready after 0.55 s, libraries imported at 0.56 s, done after 2.10 s (forked)

"Python ready" is the document's process from its start to starting the kernel (Quarto's
jupyter.py imports nbformat, nbclient and jupyter_client there too). The kernel's times count
from its start: "libraries imported at" is when the chapter can begin its own work (opening the
data comes next, in the chapter's first cell).

    benchmarks/quarto-stand-in.sh render [CHAPTER ...]     # as `quarto render`
    benchmarks/quarto-stand-in.sh --version

(`quarto-stand-in.sh` runs this program as Quarto's bash script runs Quarto, with its variables.)
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Prints as `quarto --version` does: the newest Quarto this stand-in was written against.
VERSION = "1.11.0 (stand-in: benchmarks/quarto_stand_in.py)"
#: What Quarto adds to the environment of the Python that starts a document's kernel.
KERNEL_PROCESS_VARIABLES = {"MPLBACKEND": "module://matplotlib_inline.backend_inline",
                            "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
#: Quarto's figure defaults for these formats (inches, dpi), set as QUARTO_FIG_* by its jupyter.py.
FIGURE = {"html": (7, 5, 96, "png"), "typst": (5.5, 3.5, 300, "png"), "docx": (5, 4, 96, "png")}
PROBE = """import importlib as _importlib, sys as _sys
_preloaded = 'analysis.report.sections.subgroups' in _sys.modules
for _name in {modules!r}:
    _importlib.import_module(_name)
print(_preloaded)"""
LAUNCHED = "STAND_IN_LAUNCHED"


def execute_document(path: Path, fmt: str) -> None:
    """In a document's own process: start its kernel as Quarto's jupyter.py does, run its code."""
    sys.path.insert(0, str(ROOT))
    import nbformat
    from nbclient import NotebookClient

    from analysis.book.chapters import read_chapter
    from analysis.book.fork_server import PRELOAD

    path = path.resolve()
    os.chdir(path.parent)
    width, height, dpi, figure_format = FIGURE[fmt]
    os.environ.update(QUARTO_FIG_WIDTH=str(width), QUARTO_FIG_HEIGHT=str(height),
                      QUARTO_FIG_DPI=str(dpi), QUARTO_FIG_FORMAT=figure_format)
    notebook = read_chapter(path)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(PROBE.format(modules=PRELOAD)))
    client = NotebookClient(notebook, resources={"metadata": {"input": str(path)}})
    client.allow_errors, client.record_timing = False, False
    client.create_kernel_manager()
    python = max(0.0, time.time() - float(os.environ.pop(LAUNCHED, time.time())))  # not the kernel's
    started = time.perf_counter()
    client.start_new_kernel()
    client.start_new_kernel_client()
    client.wait_for_reply(client.kc.kernel_info())
    ready = time.perf_counter() - started
    try:
        client.execute_cell(notebook.cells[0], 0, store_history=False)
        imported = time.perf_counter() - started
        for index, cell in enumerate(notebook.cells[1:], start=1):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
    finally:
        client._cleanup_kernel()
    done = time.perf_counter() - started
    forked = notebook.cells[0].outputs[0]["text"].strip() == "True"
    print(f"stand-in: {path.name} {fmt}: Python ready after {python:.2f} s; kernel ready after "
          f"{ready:.2f} s, libraries imported at {imported:.2f} s, done after {done:.2f} s "
          f"({'forked' if forked else 'fresh'})", flush=True)


def render(chapters: list[str]) -> int:
    """`quarto render [CHAPTER ...]`: pre-render, then every (chosen) code chapter in each format."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from analysis.book.chapters import QUARTO_YML
    from analysis.book.execute import book_chapters

    book = yaml.safe_load(QUARTO_YML.read_text(encoding="utf-8"))
    project, formats = book["project"], list(book["format"])  # html, typst, docx: as Quarto renders
    pre_render = project.get("pre-render")
    for command in [pre_render] if isinstance(pre_render, str) else pre_render or []:
        if subprocess.call(shlex.split(command), cwd=ROOT) != 0:
            return 1
    chosen = [(ROOT / name).resolve() for name in chapters] or [s.script for s in book_chapters()]
    python = os.environ.get("QUARTO_PYTHON") or sys.executable
    with tempfile.TemporaryDirectory() as folder:
        for fmt in formats:
            info = Path(folder) / f"execute-info-{fmt}.json"
            info.write_text(json.dumps({"format": {"pandoc": {"to": fmt}}}), encoding="utf-8")
            env = {**os.environ, **KERNEL_PROCESS_VARIABLES, "QUARTO_EXECUTE_INFO": str(info)}
            for path in chosen:
                # as quarto-cli src/execute/environment.ts sets them for each document
                env.update(QUARTO_PROJECT_ROOT=str(ROOT), QUARTO_DOCUMENT_PATH=str(path.parent),
                           QUARTO_DOCUMENT_FILE=path.name)
                env[LAUNCHED] = repr(time.time())
                code = subprocess.call([python, __file__, "--execute", str(path), fmt], env=env, cwd=ROOT)
                if code != 0:
                    return code
    return 0


def main(argv: list[str]) -> int:
    python = os.environ.get("QUARTO_PYTHON")
    if python and os.path.abspath(python) != os.path.abspath(sys.executable):
        os.execv(python, [python, __file__, *argv])  # Quarto runs its Python: QUARTO_PYTHON
    if argv[:1] == ["--version"]:
        print(VERSION)
        return 0
    if argv[:1] == ["--execute"]:
        execute_document(Path(argv[1]), argv[2])
        return 0
    if argv[:1] == ["render"]:
        return render(argv[1:])
    print("usage: quarto_stand_in.py render [CHAPTER ...] | --version", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
