"""What readers see: tables, figures, their style and captions, the section modules, the appendix.

Presentation only; every number comes from `stats` and `study`. Notebooks open `ReportContext`.
"""

from .context import Phrase, ReportContext

__all__ = ["Phrase", "ReportContext"]
