"""The page every document we print shares (report, letter, publicity list): A4, margins, colours, text
styles, literal paragraphs and ruled tables."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from ltc_assess.report.fonts import HEADING_FONT, register

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
INK = colors.HexColor("#1f2937")
ACCENT = colors.HexColor("#1d4ed8")
LIGHT = colors.HexColor("#e5e7eb")


def styles(font: str) -> dict[str, ParagraphStyle]:
    """The text styles by name (base, small, title, sub, h2, warn) in ``font``."""
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=14, wordWrap="CJK", textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11.5),
        "title": ParagraphStyle(
            "title", parent=base, fontName=HEADING_FONT, fontSize=18, leading=24, alignment=1, spaceAfter=2
        ),
        "sub": ParagraphStyle("sub", parent=base, fontSize=9, leading=12, alignment=1, textColor=colors.grey),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=HEADING_FONT, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4,
            textColor=ACCENT,
        ),
        "warn": ParagraphStyle("warn", parent=base, textColor=colors.HexColor("#b91c1c")),
    }


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph that shows ``text`` literally: the one way report text reaches reportlab's markup parser.

    Why: ReportData is plain text, much of it typed by people (names, places, answers, reasons). Unescaped,
    ``<b>x`` printed bold and ``评分<实际`` raised ValueError inside submission and approval, which render the
    report. Only markup we write ourselves may go to Paragraph directly.
    """
    return Paragraph(escape(text), style)


def grid(rows: list[list[Any]], widths: list[float], header: bool = False) -> Table:
    """A table with thin grey rules (its first row shaded as a header when ``header``)."""
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), register()),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), LIGHT))
    table.setStyle(TableStyle(style))
    return table


def document(buffer: io.BytesIO, title: str, subject: str, bottom: float, invariant: bool) -> SimpleDocTemplate:
    """The A4 page every document we print shares (report, letter): margins, metadata, deterministic output."""
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + bottom,
        title=title,
        author="ltc-assess",
        subject=subject,
        invariant=int(invariant),
    )


class PagedCanvas(Canvas):
    """Holds the pages back until the document ends, so that each page's footer can say 第 x 页 共 y 页."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab API
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's own next-page step, private, not in its stubs

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, 1):
            self.__dict__.update(state)
            self.decorate(number, total)
            super().showPage()
        super().save()

    def decorate(self, number: int, total: int) -> None:
        """Draw page ``number`` of ``total``'s footer and marks."""
        raise NotImplementedError
