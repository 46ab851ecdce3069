"""Quarto's pre-render step (`_quarto.yml`, `project: pre-render`): `python -m analysis freeze-guard`.

Quarto runs a `.py` script with the Python it renders with (QUARTO_PYTHON, else `python3` on the
PATH: quarto-cli src/core/run/python.ts), the one its Jupyter engine runs the chapters with; a
`python` command need not exist (Debian has only `python3`) and may be another Python. Before
every render the command validates the data in use, clears frozen results of other data,
settings or code, and writes the title page's metadata and the synthetic-data banner of the
pages that compute nothing (analysis/book/freeze.py, title_page.py, analysis/report/banner.py).
Outside the project's environment it says so in one line.
"""

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]
sys.exit(subprocess.call([sys.executable, "-m", "analysis", "freeze-guard"], cwd=PROJECT))
