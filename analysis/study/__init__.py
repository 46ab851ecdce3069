"""The study's data: the data dictionary, reading and validating the input files, derived variables.

The rules of the data live here and nowhere else. Imports nothing of ours but `analysis.config`.
"""
