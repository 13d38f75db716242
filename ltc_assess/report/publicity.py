"""The 公示 (publicity) list as PDF or .xlsx, with the report's building blocks (one layout mechanism)."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from ltc_assess.report.fonts import register
from ltc_assess.report.layout import MARGIN, grid, para, styles

PUBLICITY_COLUMNS = ("序号", "姓名", "身份证号", "区县", "评估等级", "待遇资格", "公示期", "异议截止")


def publicity_rows(entries: list[dict[str, Any]]) -> list[list[str]]:
    """The 公示 table as text cells (names and ID numbers already masked by the caller)."""
    return [
        [
            str(i),
            e["name"],
            e["id_number"],
            e.get("district") or "",
            e["level_name"],
            "符合" if e["eligible"] else "不符合",
            f"{e['published_at']} 至 {e['publicity_until']}",
            e["objection_until"],
        ]
        for i, e in enumerate(entries, 1)
    ]


def render_publicity_pdf(title: str, notice: str, entries: list[dict[str, Any]], invariant: bool = True) -> bytes:
    """The 公示 list as a landscape PDF table."""
    font = register()
    st = styles(font)
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="ltc-assess",
        invariant=int(invariant),
    )
    width = page[0] - 2 * MARGIN
    rows = [[para(h, st["small"]) for h in PUBLICITY_COLUMNS]]
    rows += [[para(c, st["small"]) for c in r] for r in publicity_rows(entries)]
    shares = (0.05, 0.09, 0.17, 0.1, 0.14, 0.09, 0.22, 0.14)
    story: list[Any] = [para(title, st["title"]), para(notice, st["sub"]), Spacer(1, 4 * mm)]
    story.append(
        grid(rows, [width * s for s in shares], header=True) if entries else para("（本期无结论）", st["base"])
    )
    doc.build(story)
    return buffer.getvalue()


def render_publicity_xlsx(title: str, notice: str, entries: list[dict[str, Any]]) -> bytes:
    """The same list as an .xlsx workbook (title, notice, header, one row per conclusion)."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook starts with one plain sheet
    sheet.title = "公示"
    sheet.append([title])
    sheet.append([notice])
    sheet.append(list(PUBLICITY_COLUMNS))
    for row in publicity_rows(entries):
        sheet.append(row)
    for column, width in zip("ABCDEFGH", (6, 10, 22, 12, 16, 10, 26, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
