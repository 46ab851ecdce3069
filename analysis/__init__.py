"""Analysis package for the TKI-after-T-DM1 real-world study report, in layers (each uses only those above it):

    config     settings: the data folder, the small-cell threshold
    study      data dictionary, reading, validation, derived variables, the published figures
    stats      survival, Cox, response, adverse events, subgroups: matched to R `survival`
    synthetic  the seeded generator of the bundled cohort
    report     tables, figures, captions, the sections and the reproducibility appendix
    book       chapters, headless execution, freeze guard, supplement export
    __main__   the command line

Every statistic shown in the report is computed here; the notebooks only call these functions
and display their results.
"""

__version__ = "0.1.0"
