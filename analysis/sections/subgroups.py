"""Section 3, subgroups (exploratory): PFS by prior T-DM1 benefit and trastuzumab resistance,
Cox models with a proportional-hazards check, a forest plot, and response by subgroup."""

from __future__ import annotations
