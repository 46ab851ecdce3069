"""The project's figure style: colour-blind-safe colours, journal-size fonts, vector-friendly output.

One place decides how every figure looks, so that a response category or a subgroup level has the
same colour in every figure of the report. Colours are the Okabe–Ito palette (Okabe & Ito 2008,
"Color Universal Design"), distinguishable with the common colour-vision deficiencies; severity
grades use a sequential ColorBrewer scale (YlOrRd, marked colour-blind safe). Sizes are in points at
the printed size: journal single column 3.5 in (89 mm), double column 7.2 in (183 mm).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib as mpl
import seaborn as sns

# ---------------------------------------------------------------------------------- sizes
SINGLE_COLUMN_INCHES = 3.5  # 89 mm
DOUBLE_COLUMN_INCHES = 7.2  # 183 mm (journal use only: wider than the report's text block)
#: The report's text width (about 6.0 in, 152 mm): no figure of the report is wider.
TEXT_WIDTH_INCHES = 6.0
#: Width every report figure is drawn at: its final printed size. A little under the text width,
#: so the saved file (tight bounding box plus its padding) never exceeds it and is not shrunk.
REPORT_WIDTH_INCHES = 5.9
#: Tallest figure a page holds with its caption below it: the PDF's text block is 242 mm high
#: (A4, orange-book's 30 mm top and 25 mm bottom margins; Word's is 247 mm), and a long caption
#: with its data note takes up to 60 mm (Word's italic caption style: the swimmer's runs to seven
#: lines). The swimmer plot grew to 241 mm and its caption ran off the page
#: (../shared/render/6e50c5f); at 7.5 in its last two caption lines still went over in Word.
MAX_FIGURE_HEIGHT_INCHES = 7.0

BASE_FONT_SIZE = 8.0  # points at the printed size; journals ask for 6-9 pt
SMALL_FONT_SIZE = 7.5  # tick labels, notes, risk-table numbers
#: No text of any figure is smaller than this at the printed size (tests/test_figures.py).
MIN_FONT_SIZE = 7.0
#: Raster output resolution (PNG in Word and the supplement): print quality.
RASTER_DPI = 300

# --------------------------------------------------------------------------------- colours
#: The eight Okabe–Ito colours.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
NEUTRAL_GREY = "#999999"
LIGHT_GREY = "#D9D9D9"

#: Colour order for groups without a named colour (yellow last: weak on white).
GROUP_CYCLE: tuple[str, ...] = tuple(
    OKABE_ITO[name] for name in
    ("blue", "orange", "bluish_green", "reddish_purple", "sky_blue", "vermillion", "black", "yellow")
)

#: The single (whole-cohort) Kaplan–Meier curve.
OVERALL_COLOUR = OKABE_ITO["black"]

#: Best overall response (RECIST 1.1): blues for response, green for stable, vermillion for
#: progression, grey for not evaluable.
RESPONSE_COLOURS: dict[str, str] = {
    "CR": OKABE_ITO["blue"],
    "PR": OKABE_ITO["sky_blue"],
    "SD": OKABE_ITO["bluish_green"],
    "PD": OKABE_ITO["vermillion"],
    "NE": NEUTRAL_GREY,
}

#: CTCAE worst grade 1-5: sequential, light to dark (ColorBrewer YlOrRd, colour-blind safe).
GRADE_COLOURS: dict[int, str] = {1: "#FED976", 2: "#FD8D3C", 3: "#E31A1C", 4: "#A50026", 5: "#4D0013"}

#: Readable names of the analysis factors (columns of the analysis dataset).
FACTOR_LABELS: dict[str, str] = {
    "tdm1_benefit": "Prior T-DM1 benefit",
    "trastuzumab_resistance": "Trastuzumab resistance",
    "age_group": "Age, years",
    "hormone_receptor": "Hormone receptor",
    "ecog": "ECOG performance status",
    "visceral_metastasis": "Visceral metastasis",
    "liver_metastasis": "Liver metastasis",
    "lung_metastasis": "Lung metastasis",
    "bone_metastasis": "Bone metastasis",
    "brain_metastasis": "Brain metastasis",
    "prior_lines_group": "Prior lines for metastatic disease",
    "prior_pertuzumab": "Prior pertuzumab",
    "prior_lapatinib": "Prior lapatinib",
    "trastuzumab_setting": "First trastuzumab setting",
    "tki_agent": "TKI",
    "tki_partner": "TKI partner",
    "centre": "Centre",
}

#: The key subgroups: level -> (label, colour), in the order they are drawn: the reference level
#: first, as in every table (analysis.stats.subgroup_analysis.FACTORS).
SUBGROUP_LEVELS: dict[str, dict[str, tuple[str, str]]] = {
    "tdm1_benefit": {
        "no": ("No T-DM1 benefit", OKABE_ITO["orange"]),
        "yes": ("T-DM1 benefit", OKABE_ITO["blue"]),
    },
    "trastuzumab_resistance": {
        "primary": ("Primary", OKABE_ITO["reddish_purple"]),
        "acquired": ("Acquired", OKABE_ITO["bluish_green"]),
    },
}


#: Readable names of factor levels whose code does not read well on its own.
LEVEL_LABELS: dict[str, dict[str, str]] = {
    "tki_partner": {"none": "None (TKI alone)", "other_chemotherapy": "Other chemotherapy"},
    "centre": {"nanjing_fahnmu": "Nanjing", "hangzhou_zjch": "Hangzhou (ZJCH)",
               "hangzhou_sahzu": "Hangzhou (SAHZU)"},
}


def factor_label(variable: str) -> str:
    """Readable name of an analysis factor ('tki_partner' -> 'TKI partner'), for axes and tables."""
    if variable in FACTOR_LABELS:
        return FACTOR_LABELS[variable]
    text = str(variable).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """'Prior T-DM1 benefit' -> 'prior T-DM1 benefit' for running text; acronyms ('TKI', 'ECOG') kept."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def level_label(variable: str | None, level: object) -> str:
    """Readable name of a factor level ('other_chemotherapy' -> 'Other chemotherapy')."""
    known = SUBGROUP_LEVELS.get(variable or "", {})
    if str(level) in known:
        return known[str(level)][0]
    named = LEVEL_LABELS.get(variable or "", {})
    if str(level) in named:
        return named[str(level)]
    text = str(level).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def group_colours(variable: str | None, levels: Sequence[object]) -> dict[object, str]:
    """Colour of each level: the named subgroup colour when there is one, else the Okabe–Ito cycle."""
    known = SUBGROUP_LEVELS.get(variable or "", {})
    colours: dict[object, str] = {}
    unnamed = iter(c for c in GROUP_CYCLE if c not in {v[1] for v in known.values()})
    for level in levels:
        colours[level] = known[str(level)][1] if str(level) in known else next(unnamed, NEUTRAL_GREY)
    return colours


# ------------------------------------------------------------------------------ contrast
#: WCAG 2 minimum contrast of normal text against its background (AA).
MIN_TEXT_CONTRAST = 4.5


def contrast_ratio(foreground: str, background: str = "#FFFFFF") -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    def luminance(colour: str) -> float:
        channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
                    for c in mpl.colors.to_rgb(colour)]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour(colour: str, background: str = "#FFFFFF", minimum: float = MIN_TEXT_CONTRAST) -> str:
    """The colour itself when it reads as text on the background, else the same hue darkened
    (mixed with black) just enough to reach the minimum contrast (orange #E69F00 -> #8A5F00)."""
    rgb = mpl.colors.to_rgb(colour)
    for step in range(0, 101):
        shade = tuple(c * (1 - step / 100) for c in rgb)
        if contrast_ratio(mpl.colors.to_hex(shade), background) >= minimum:
            return mpl.colors.to_hex(shade).upper()
    return "#000000"


# ------------------------------------------------------------------------------ rcParams
def project_rc() -> dict[str, object]:
    """matplotlib rcParams of the project style: sans-serif 8 pt, thin lines, text kept as text.

    Built on seaborn's "ticks" style and "paper" context (white background, outward ticks,
    no grid; ``sns.axes_style``, ``sns.plotting_context``), then the project's own sizes, colours
    and vector settings on top.
    """
    return {
        **sns.axes_style("ticks"),
        **sns.plotting_context("paper"),
        "font.family": "sans-serif",
        "font.sans-serif": ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"],
        "font.size": BASE_FONT_SIZE,
        "axes.titlesize": BASE_FONT_SIZE + 1,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.labelsize": BASE_FONT_SIZE,
        "axes.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": mpl.cycler(color=list(GROUP_CYCLE)),
        "axes.edgecolor": "#222222",
        "axes.labelcolor": "#000000",
        "xtick.labelsize": SMALL_FONT_SIZE,
        "ytick.labelsize": SMALL_FONT_SIZE,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.major.size": 3.0,
        "ytick.major.size": 3.0,
        "legend.fontsize": SMALL_FONT_SIZE,
        "legend.title_fontsize": SMALL_FONT_SIZE,
        "legend.frameon": False,
        "lines.linewidth": 1.2,
        "patch.linewidth": 0.5,
        # Quarto's fig-dpi sets figure.dpi before a chapter runs and apply_style() runs after it,
        # so this value is the resolution of every raster figure in Word and HTML.
        "figure.dpi": RASTER_DPI,
        "figure.facecolor": "white",
        "savefig.dpi": RASTER_DPI,
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.03,
        "savefig.facecolor": "white",
        # Vector output: editable text in SVG, TrueType (not Type 3) fonts in PDF and PS.
        "svg.fonttype": "none",
        "svg.hashsalt": "tki-after-tdm1",  # fixed element ids: the same figure gives the same SVG
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
    }


def apply_style() -> None:
    """Set the project style globally (call once per notebook, so saved figures keep vector text):
    seaborn's theme, the way seaborn sets it, with the project's settings as its overrides."""
    sns.set_theme(style="ticks", context="paper", rc=project_rc())


@contextmanager
def figure_style() -> Iterator[None]:
    """Draw inside this context to use the project style without changing the global settings."""
    with mpl.rc_context(project_rc()):
        yield
