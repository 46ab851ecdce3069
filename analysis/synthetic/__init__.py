"""The bundled synthetic cohort: a seeded generator that reproduces every published figure.

Calibrated with the project's own statistics, so it uses `study` and `stats`; the report never imports it.
"""
