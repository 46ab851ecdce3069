"""Every figure of the report as it will be printed: width, resolution, text size, alt text.

Each registered figure is built on the bundled data and saved as Quarto and the supplement save
it (tight bounding box, style.RASTER_DPI). Rules (issue 10, item 5): no figure wider than the
text width (6.0 in); PNG at 300 dpi; no text under 7 pt at that size; numbers at risk readable
(contrast >= 4.5:1 on white); every figure has alt text, and the fig-alt cell options of the
section scripts are the register's (python -m analysis alt-text).
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.text import Text
from PIL import Image
from test_figures import big_dataset

from analysis.book.alt_text import sync_alt_text, with_alt_text
from analysis.book.execute import NOTEBOOKS
from analysis.report import figures, style
from analysis.report.context import ReportContext
from analysis.report.sections import all_artifacts

FIGURES = [a.label for a in all_artifacts() if a.kind == "figure"]


@pytest.fixture(scope="module")
def ctx() -> ReportContext:
    return ReportContext.open()


@pytest.fixture(scope="module")
def built(ctx):
    out = {a.label: a.build(ctx) for a in all_artifacts() if a.kind == "figure"}
    yield out
    for fig in out.values():
        plt.close(fig)


def visible_texts(fig) -> list[Text]:
    """Every piece of text drawn on the figure (tick labels, legends, notes, annotations)."""
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def smallest_font(fig) -> tuple[float, str]:
    texts = visible_texts(fig)
    smallest = min(texts, key=lambda t: t.get_fontsize())
    return smallest.get_fontsize(), smallest.get_text()


def saved_png(fig) -> Image.Image:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=style.RASTER_DPI, bbox_inches="tight")
    buffer.seek(0)
    return Image.open(buffer)


def test_every_figure_is_registered_with_alt_text():
    assert set(FIGURES) == {"fig-flow", "fig-pfs", "fig-swimmer", "fig-pfs-tdm1", "fig-pfs-resistance",
                            "fig-forest", "fig-ae"}
    for item in all_artifacts():
        if item.kind == "figure":
            assert len(item.alt) > 80 and item.alt != item.caption, item.label


@pytest.mark.parametrize("label", FIGURES)
def test_saved_figure_fits_the_text_width_at_300_dpi(built, label):
    fig = built[label]
    assert fig.get_figwidth() <= style.TEXT_WIDTH_INCHES
    image = saved_png(fig)
    dpi = image.info["dpi"]
    assert dpi == pytest.approx((style.RASTER_DPI, style.RASTER_DPI), abs=0.5)
    assert style.RASTER_DPI == 300
    assert image.width / dpi[0] <= style.TEXT_WIDTH_INCHES == 6.0, label


@pytest.mark.parametrize("label", FIGURES)
def test_figure_and_its_caption_fit_one_page(built, label):
    """No figure is taller than a page's text block less room for its caption (the swimmer plot
    was, and its caption ran off the PDF page)."""
    assert built[label].get_figheight() <= style.MAX_FIGURE_HEIGHT_INCHES


@pytest.mark.parametrize("label", FIGURES)
def test_no_text_under_7_pt_at_the_printed_size(built, label):
    size, text = smallest_font(built[label])
    assert size >= style.MIN_FONT_SIZE == 7.0, f"{label}: {text!r} at {size} pt"


def test_quarto_dpi_is_not_overridden_by_the_style():
    """Quarto sets figure.dpi from fig-dpi (300) before a chapter runs; apply_style() runs after
    it, so the style's own value decides the resolution of inline (Word, HTML) PNGs."""
    assert style.project_rc()["figure.dpi"] == style.project_rc()["savefig.dpi"] == 300


def test_large_figures_keep_7_pt_text():
    """At scale the swimmer labels every k-th patient and the risk table keeps its size."""
    data = big_dataset(5_000)
    fig = figures.swimmer_figure(data, max_patients=100)
    assert smallest_font(fig)[0] >= style.MIN_FONT_SIZE
    assert any("Every second patient" in t.get_text() or "Every third patient" in t.get_text()
               for t in visible_texts(fig))
    plt.close(fig)
    rng = np.random.default_rng(3)
    fig = figures.km_figure(rng.exponential(10, 100_000), rng.integers(0, 2, 100_000))
    assert smallest_font(fig)[0] >= style.MIN_FONT_SIZE
    plt.close(fig)


def test_numbers_at_risk_are_dark_enough(built):
    for label in ("fig-pfs", "fig-pfs-tdm1", "fig-pfs-resistance"):
        risk = next(ax for ax in built[label].axes if ax.get_label() == figures.RISK_AXES_LABEL)
        for text in [*risk.texts, *risk.get_yticklabels()]:
            assert style.contrast_ratio(to_hex(text.get_color())) >= style.MIN_TEXT_CONTRAST
    assert style.contrast_ratio(style.OKABE_ITO["orange"]) < 4.5  # why the hue is darkened
    assert style.text_colour(style.OKABE_ITO["orange"]) != style.OKABE_ITO["orange"]
    assert style.text_colour("#000000") == "#000000"


def test_every_km_caption_states_the_tail_rule():
    for item in all_artifacts():
        if item.label in ("fig-pfs", "fig-pfs-tdm1", "fig-pfs-resistance"):
            assert figures.KM_TAIL_RULE in item.caption and figures.KM_TAIL_RULE in item.alt


def test_section_scripts_carry_the_register_alt_text():
    scripts = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py"))
    assert sync_alt_text(scripts, check=True) == [], "run: python -m analysis alt-text (make pair)"
    text = "\n".join(p.read_text(encoding="utf-8") for p in scripts)
    assert text.count("#| fig-alt: ") == len(FIGURES)


def test_alt_text_is_written_into_the_figure_cell():
    script = "\n".join(["# ::: {#fig-forest}", "", "# %%", "#| echo: false", "#| fig-alt: \"old\"",
                        "subgroups.forest(ctx)", ""])
    updated = with_alt_text(script).split("\n")
    assert updated[3] == "#| echo: false" and updated[4].startswith('#| fig-alt: "Forest plot.')
    assert updated[5] == "subgroups.forest(ctx)" and with_alt_text("\n".join(updated)) == "\n".join(updated)


def test_figures_use_seaborns_ticks_theme_with_the_project_settings():
    """seaborn's "ticks" style and "paper" context, as seaborn gives them, under the project's sizes."""
    import seaborn as sns

    rc = style.project_rc()
    ticks = sns.axes_style("ticks")
    for key in ("xtick.direction", "ytick.direction", "axes.grid", "axes.facecolor"):
        assert rc[key] == ticks[key], key
    assert rc["font.size"] == style.BASE_FONT_SIZE and rc["figure.dpi"] == style.RASTER_DPI
    style.apply_style()
    assert plt.rcParams["xtick.direction"] == ticks["xtick.direction"]
    assert plt.rcParams["figure.dpi"] == style.RASTER_DPI


def test_adverse_event_bars_are_seaborns_stacked_histogram(study, dataset):
    from analysis.stats.adverse_events import grade_distribution

    fig = figures.adverse_event_figure(grade_distribution(study.adverse_events), len(dataset))
    ax = fig.axes[0]
    # seaborn's histplot(multiple="stack") draws one BarContainer per grade present
    assert len(ax.containers) == len(ax.get_legend().get_texts())
    plt.close(fig)
