"""What the paper published (its abstract): the figures a bundled cohort must reproduce.

The generator calibrates the synthetic cohort to these; the reproducibility appendix sets them
beside the values computed from the data in use.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLISHED_N = 66


@dataclass(frozen=True)
class Published:
    """The published figures (abstract) the default cohort must reproduce."""

    median_pfs: float = 10.1
    ci_low: float = 4.7
    ci_high: float = 15.6
    responders: int = 12          # ORR 18.2% of 66
    complete_responses: int = 2   # assumption: split of the 12 responders
    clinical_benefit: int = 44    # CBR 66.7% of 66
    diarrhoea: int = 36
    hand_foot: int = 31
    leucopenia: int = 30


PUBLISHED = Published()
