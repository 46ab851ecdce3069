"""`quarto render` with the chapter kernels forked from a fork server (what `make report` runs).

A whole-book render starts a kernel for every chapter that runs code, once per output format,
one after another, and each fresh kernel spends about 2 s importing the libraries before the
chapter does any work. `render` pays for the imports once:

1. it starts the fork server (`fork_server`) in the kernels' environment, so the libraries are
   imported while Quarto starts and runs its pre-render step;
2. it writes a `python3` kernelspec whose command is `kernel_launcher` (ask the server for the
   kernel, else start ipykernel as usual) into this command's private folder, and puts that
   folder first on JUPYTER_PATH, where jupyter_client (and Quarto) look for kernelspecs;
3. it runs `quarto render ARGS` with the project's Python (QUARTO_PYTHON), the environment's
   `bin/` first on PATH (for the pre-render step's `python`) and TKI_DATA_DIR;
4. it stops the server (which ends any kernel left) and says how many kernels were forked, and
   why any were not.

Each kernel is still a separate process of its own (see `fork_server` for why a forked kernel is
a fresh kernel). `_quarto.yml` turns Quarto's keep-alive kernels off (`execute: daemon: false`):
a kept kernel would outlive the server it was forked from, and would run the next format with
the state the last one left; without them each format runs in a fresh kernel, in a terminal as
in CI. Where kernels cannot be forked (`fork_server.SUPPORTED`) Quarto starts
them as usual.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from analysis.book import fork_server
from analysis.book.quarto import quarto_version
from analysis.config import NOTEBOOKS, PROJECT_ROOT

#: What Quarto adds to the environment of the Python that starts its kernels
#: (quarto-cli src/execute/jupyter/jupyter-kernel.ts); the server runs with the same values.
QUARTO_KERNEL_VARIABLES = {
    "MPLBACKEND": fork_server.INLINE_BACKEND,
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def render_environment(data_dir: str | Path, quarto: Path, jupyter_path: str | None) -> dict[str, str]:
    """The environment of `quarto render`: this one, with the data folder, the project's Python
    and its `bin/` first on PATH, Quarto's version (for the reproducibility appendix) and
    `jupyter_path` first on JUPYTER_PATH."""
    env = fork_server.kernel_environment(data_dir)  # this one, with the data folder
    env["QUARTO_PYTHON"] = sys.executable
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]).rstrip(os.pathsep)
    version = quarto_version(quarto)
    if version:
        env["QUARTO_VERSION"] = version
    if jupyter_path:
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (jupyter_path, env.get("JUPYTER_PATH")) if p)
    return env


def write_kernelspec(folder: Path, server_socket: str) -> Path:
    """A `python3` kernelspec under `folder` (a Jupyter data folder): ipykernel's own, except that
    its command asks the fork server at `server_socket` for the kernel; the folder is returned."""
    from ipykernel.kernelspec import get_kernel_dict

    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    kernel = get_kernel_dict()
    kernel["argv"] = [sys.executable, "-m", "analysis.book.kernel_launcher", server_socket, "--",
                      *kernel["argv"]]
    kernel["interrupt_mode"] = "signal"  # jupyter_client's default for it, said outright
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1), encoding="utf-8")
    return folder


def launcher_fallbacks(server_socket: str) -> list[str]:
    """Why launchers started the usual kernel without asking the server (kernel_launcher's notes)."""
    try:
        return Path(f"{server_socket}.fallbacks").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def kernel_summary(status: Mapping | None, launcher_notes: Sequence[str] = ()) -> str:
    """One line on how Quarto's kernels were started, from the server's status and the launchers'
    own notes."""
    if status is None:
        return "chapter kernels: the fork server did not report (kernels may have started the usual way)"
    forked = int(status.get("forked", 0))
    fallbacks = [*status.get("fallbacks", []), *launcher_notes]
    if not forked and not fallbacks:
        return "chapter kernels: none started"
    line = f"chapter kernels: {forked} forked from the fork server"
    if fallbacks:
        reasons = "; ".join(f"{reason} ({count}×)" for reason, count in Counter(fallbacks).most_common())
        line += f"; {len(fallbacks)} started the usual way: {reasons}"
    return line


def render(quarto: Path, arguments: Sequence[str], data_dir: str | Path) -> int:
    """Run `quarto render ARGUMENTS` from the project folder with forked chapter kernels; its exit code."""
    server = None
    if fork_server.SUPPORTED:
        folder = Path(fork_server.private_folder())
        env = render_environment(data_dir, quarto, str(folder / "jupyter"))
        server = fork_server.ForkServer(folder, {**env, **QUARTO_KERNEL_VARIABLES}, cwd=NOTEBOOKS)
        write_kernelspec(folder / "jupyter", server.path)
        # A few hundredths of a second; then it imports while Quarto starts.
        if not server.wait_listening():
            print("render: the fork server did not start; kernels start the usual way", file=sys.stderr)
    else:
        env = render_environment(data_dir, quarto, None)
    try:
        code = subprocess.call([str(quarto), "render", *arguments], env=env, cwd=PROJECT_ROOT)
    except OSError as error:
        print(f"render: cannot run Quarto at {quarto}: {error}", file=sys.stderr)
        code = 127
    finally:
        if server is not None:
            status = server.status()
            server.close()
            print(kernel_summary(status, launcher_fallbacks(server.path)), file=sys.stderr)
    return code if code >= 0 else 128 - code  # killed by signal N: 128 + N, as a shell says
