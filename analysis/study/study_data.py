"""A validated data folder as the rest of the package sees it (typed tables, metadata, provenance).

Kept apart from validation so that loading a cached, already validated study imports no
validation machinery (pandera).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: How every output (title page, banners, captions) describes a synthetic data folder.
SYNTHETIC_NOTE = "Synthetic data: generated to reproduce the published figures, not patient data."


@dataclass
class StudyData:
    """A validated data folder: typed tables, study metadata, provenance and warnings."""

    directory: Path
    metadata: dict
    patients: pd.DataFrame
    adverse_events: pd.DataFrame
    screening: pd.DataFrame
    files: dict[str, dict] = field(default_factory=dict)  # file -> {"rows", "sha256"}
    warnings: list[str] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        return bool(self.metadata["synthetic"])

    @property
    def data_cutoff(self) -> pd.Timestamp:
        return pd.Timestamp(self.metadata["data_cutoff"])
