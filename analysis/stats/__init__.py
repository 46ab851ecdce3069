"""The statistics: Kaplan–Meier and medians, Cox models, log-rank, response rates, adverse events.

Each is matched to R's `survival` (tests/reference). Tidy results out; no formatting. Uses `study`.
"""
