"""`quarto render` with the project's Python and data folder (what `make report` runs).

Quarto starts its own chapter kernels, as it always does; this only sets the environment a plain
`quarto render` would need by hand: QUARTO_PYTHON (the Python running this, so Quarto's Jupyter
engine and the pre-render script use the project's environment), that Python's `bin/` first on
PATH (as an activated environment has it), TKI_DATA_DIR (the data folder every chapter reads)
and QUARTO_VERSION (for the reproducibility appendix).
quarto.org/docs/advanced/environment-vars.html
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis.book.quarto import quarto_version
from analysis.config import PROJECT_ROOT, environment_with_data_dir


def render_environment(data_dir: str | Path, quarto: Path) -> dict[str, str]:
    """This environment with the data folder, the project's Python and its `bin/` first on PATH,
    and Quarto's version."""
    env = environment_with_data_dir(data_dir)
    env["QUARTO_PYTHON"] = sys.executable
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]).rstrip(os.pathsep)
    version = quarto_version(quarto)
    if version:
        env["QUARTO_VERSION"] = version
    return env


def render(quarto: Path, arguments: Sequence[str], data_dir: str | Path) -> int:
    """Run `quarto render ARGUMENTS` from the project folder; Quarto's exit code (128 + N when a
    signal N stopped it, as a shell says)."""
    env = render_environment(data_dir, quarto)
    try:
        code = subprocess.call([str(quarto), "render", *arguments], env=env, cwd=PROJECT_ROOT)
    except OSError as error:
        print(f"render: cannot run Quarto at {quarto}: {error}", file=sys.stderr)
        return 127
    return code if code >= 0 else 128 - code
