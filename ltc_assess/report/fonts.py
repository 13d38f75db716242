"""The bundled CJK TrueType fonts, registered once with reportlab (embedded as subsets in every PDF).

Official Chinese documents are set in 宋体 with 黑体 headings (GB/T 9704): the body font is Noto Serif SC, the
heading font Noto Sans SC (both OFL-1.1, cut and converted by scripts/build_fonts.py).
"""

from __future__ import annotations

from functools import cache

from reportlab.graphics.shapes import STATE_DEFAULTS
from reportlab.lib import textsplit as rl_textsplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import paragraph as rl_paragraph

from ltc_assess import paths

CLOSING_PUNCTUATION = "”’，；：？！）》〉］｝…"
FONT = "NotoSerifSC"  # 宋体: body text, tables, charts
HEADING_FONT = "NotoSansSC"  # 黑体: titles and section headings


@cache
def register() -> str:
    """Register both fonts (idempotent) and return the body font's name."""
    pdfmetrics.registerFont(TTFont(FONT, str(paths.font_path())))
    pdfmetrics.registerFont(TTFont(HEADING_FONT, str(paths.sans_font_path())))
    # Charts start from reportlab's graphics defaults (Helvetica, never embedded); reports must embed every
    # font, and reportlab is used for nothing else in this process.
    STATE_DEFAULTS["fontName"] = FONT
    # GB/T 15834 line breaking: closing quotes and brackets and full-width punctuation never begin a line.
    # reportlab's CJK wrap knows the Japanese set but not ” ’ ， ； ： ？ ！ 》 〉 … (both wrappers read a global).
    for module in (rl_textsplit, rl_paragraph):
        held: str = getattr(module, "ALL_CANNOT_START")  # noqa: B009 - paragraph's copy is untyped
        module.ALL_CANNOT_START = held + "".join(c for c in CLOSING_PUNCTUATION if c not in held)  # type: ignore[attr-defined]
    return FONT
