"""The bundled CJK TrueType font, registered once with reportlab (embedded as a subset in every PDF)."""

from __future__ import annotations

from functools import cache

from reportlab.graphics.shapes import STATE_DEFAULTS
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ltc_assess import paths

FONT = "LXGWWenKai"


@cache
def register() -> str:
    """Register the font (idempotent) and return its name."""
    pdfmetrics.registerFont(TTFont(FONT, str(paths.font_path())))
    # Charts start from reportlab's graphics defaults (Helvetica, never embedded); reports must embed every
    # font, and reportlab is used for nothing else in this process.
    STATE_DEFAULTS["fontName"] = FONT
    return FONT
