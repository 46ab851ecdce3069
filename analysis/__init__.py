"""Analysis package for the TKI-after-T-DM1 real-world study report.

Every statistic shown in the report is computed here; the notebooks only call
these functions and display their results.
"""

__version__ = "0.1.0"
