"""Write lifelines' copy of the GBSG2 breast-cancer data set to tests/reference/gbsg2.csv.

The R script make_reference.R reads this file, so R and Python analyse byte-identical data.
Run from the repository root: .venv/bin/python tests/reference/export_gbsg2.py
"""

from pathlib import Path

from lifelines.datasets import load_gbsg2

OUT = Path(__file__).with_name("gbsg2.csv")

if __name__ == "__main__":
    load_gbsg2().to_csv(OUT, index=False)
    print(f"wrote {OUT}")
