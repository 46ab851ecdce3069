"""What readers see: tables, figures, their style and captions, the section modules, the appendix.

Presentation only; every number comes from `stats` and `study`. Notebooks open `ReportContext`.
"""

__all__ = ["Phrase", "ReportContext"]


def __getattr__(name: str):
    """`Phrase` and `ReportContext` are imported on first use, so that a light module of this
    package can be imported without pandas."""
    if name in __all__:
        from . import context

        return getattr(context, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
