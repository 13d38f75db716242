"""Render ReportData to PDF bytes with reportlab (A4, Chinese, font embedded, deterministic).

Layout follows GB/T 42195 附录C (C.1 dimension scores, C.2 total, C.3 initial level boxes, C.4 change
reasons, C.5 final level), driven by the form's levels, dimensions and adjustment rules so every form gets
the same structure. The last page is the signature page; its stamp boxes (``STAMP_BOXES``) are where the
PAdES signatures' visible stamps go.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
)

from ltc_assess.report.charts import dimension_chart, trend_chart
from ltc_assess.report.fonts import register
from ltc_assess.report.layout import INK, MARGIN, PAGE_H, PAGE_W, PagedCanvas, document, grid, para, styles
from ltc_assess.report.model import Box, ReportData

# Visible signature stamps on the last page, in PDF points (x1, y1, x2, y2), in signing order.
STAMP_BOXES: dict[str, tuple[int, int, int, int]] = {
    "assessor1": (51, 70, 211, 150),
    "assessor2": (218, 70, 378, 150),
    "supervisor": (385, 70, 545, 150),
}


class _CheckBoxes(Flowable):
    """Check boxes drawn as squares and strokes, each followed by its label, in a row that wraps.

    Why shapes and not ☐/☑ text: the embedded font has no glyphs for them, so every box printed as the same
    missing-glyph box and the page did not show which level was chosen. Insurers decide benefits from it.
    """

    def __init__(self, boxes: tuple[Box, ...], style: ParagraphStyle) -> None:
        super().__init__()
        self.boxes = boxes
        self.style = style
        self.side = 0.8 * style.fontSize
        self.gap = 0.35 * style.fontSize
        # (x, offset of the line's top from the flowable's top, box, wrapped label, label height)
        self._placed: list[tuple[float, float, Box, Paragraph, float]] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        """Lay the boxes out left to right; a label too long for a whole line wraps beside its box."""
        st = self.style
        x = top = 0.0
        line = st.leading
        self._placed = []
        for box in self.boxes:
            label = para(box.label, st)
            need = self.side + self.gap + stringWidth(box.label, st.fontName, st.fontSize)
            if x and x + need > avail_width:
                x, top, line = 0.0, top + line, st.leading
            _, height = label.wrap(avail_width - x - self.side - self.gap, avail_height)
            self._placed.append((x, top, box, label, height))
            x += need + st.fontSize  # an em between boxes
            line = max(line, height)
        self.width, self.height = avail_width, top + line
        return self.width, self.height

    def draw(self) -> None:
        """Draw each square on its label's first baseline and, when ticked, a heavy tick inside it."""
        canvas, side = self.canv, self.side
        for x, top, box, label, height in self._placed:
            # A Paragraph's first baseline lies one font size below its top, and CJK glyphs centre about 0.35 em
            # above it: the square is centred there.
            y = self.height - top - 0.65 * self.style.fontSize - side / 2
            canvas.saveState()
            canvas.setStrokeColor(INK)
            canvas.setLineWidth(0.7)
            canvas.rect(x, y, side, side, stroke=1, fill=0)
            if box.ticked:
                tick = canvas.beginPath()
                tick.moveTo(x + 0.18 * side, y + 0.52 * side)
                tick.lineTo(x + 0.42 * side, y + 0.2 * side)
                tick.lineTo(x + 0.86 * side, y + 0.86 * side)
                canvas.setLineWidth(0.17 * side)
                canvas.setLineCap(1)
                canvas.setLineJoin(1)
                canvas.drawPath(tick, stroke=1, fill=0)
            canvas.restoreState()
            label.drawOn(canvas, x + side + self.gap, self.height - top - height)


class _NumberedCanvas(PagedCanvas):
    """The report's footer (report number, form and engine) and its stamp boxes."""

    data: ReportData
    font: str

    def decorate(self, number: int, total: int) -> None:
        d, font = self.data, self.font
        self.setFont(font, 7.5)
        self.setFillColor(colors.grey)
        footer = (
            f"第 {number} 页 共 {total} 页 · 报告编号 {d.report_id} · 表单 {d.form_ref} "
            f"sha256 {d.form_sha256[:12]} · 评分引擎 {d.engine_version}"
        )
        self.drawCentredString(PAGE_W / 2, 10 * mm, footer)
        if d.provisional:
            self.setFillColor(colors.HexColor("#b91c1c"))
            self.setFont(font, 8.5)
            self.drawCentredString(PAGE_W / 2, PAGE_H - 10 * mm, _provisional_banner(d.provisional_note))
        if number == 1 and d.qr_payload:
            widget = QrCodeWidget(d.qr_payload)
            x1, y1, x2, y2 = widget.getBounds()
            size = 22 * mm
            qr = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
            qr.add(widget)
            qr.drawOn(self, PAGE_W - MARGIN - size, PAGE_H - MARGIN - size + 4 * mm)
        if number == total:
            self.setStrokeColor(colors.lightgrey)
            self.setFillColor(colors.grey)
            self.setFont(font, 7)
            for role, (x1, y1, x2, y2) in STAMP_BOXES.items():
                self.rect(x1, y1, x2 - x1, y2 - y1, stroke=1, fill=0)
                label = {
                    "assessor1": "评估员（一）电子签名",
                    "assessor2": "评估员（二）电子签名",
                    "supervisor": "审核人电子签名",
                }[role]
                self.drawString(x1 + 3, y2 + 3, label)
                if d.submitted_attached and role != "supervisor":
                    # their signatures are in the embedded submitted report, which the supervisor's covers
                    self.drawString(x1 + 6, (y1 + y2) / 2 + 4, "见附件 submitted-report.pdf")
                    self.drawString(x1 + 6, (y1 + y2) / 2 - 6, "（提交时的评估员签名报告）")


def _provisional_banner(note: str | None) -> str:
    """The warning atop every page of a provisional form's report.

    Why strip: a form's status note may itself open with 暂行： (NHSA's does), and released form files are not
    edited, so the banner read 暂行标准：暂行：….
    """
    return "暂行标准：" + (note or "评分表未经官方核实").removeprefix("暂行：")


def render(data: ReportData, invariant: bool = True) -> bytes:
    """The report as PDF bytes; ``invariant`` makes output byte-identical across runs (golden tests)."""
    font = register()
    st = styles(font)
    buffer = io.BytesIO()
    doc = document(buffer, data.title, data.report_id, 4 * mm, invariant)
    width = PAGE_W - 2 * MARGIN
    story: list[Any] = [
        para(data.title, st["title"]),
        para(data.standard, st["sub"]),
        Spacer(1, 6 * mm),
    ]
    if data.correction:
        story.append(para(data.correction, st["warn"]))
    story.append(para(data.status_line, st["base"] if data.status == "approved" else st["warn"]))
    pairs = list(data.identity) + list(data.info)
    pairs += [("", "")] * (len(pairs) % 2)  # two per row: an odd last field must not be dropped
    rows = [
        [para(k, st["base"]), para(v, st["base"]), para(k2, st["base"]), para(v2, st["base"])]
        for (k, v), (k2, v2) in zip(pairs[0::2], pairs[1::2], strict=True)
    ]
    story.append(grid(rows, [24 * mm, width / 2 - 24 * mm, 24 * mm, width / 2 - 24 * mm]))

    heading = data.headings
    story.append(para(heading["dims"], st["h2"]))
    dim_rows: list[list[Paragraph | str]] = [
        [para(h, st["base"]) for h in ("编号", "一级指标", "得分", "满分", "分级")]
    ]
    for d in data.dimensions:
        dim_rows.append(
            [
                para(d.code, st["base"]),
                para(d.label, st["base"]),
                str("—" if d.score is None else d.score),
                str("—" if d.max is None else d.max),
                para(d.grade or "—", st["base"]),
            ]
        )
    story.append(grid(dim_rows, [width * 0.1, width * 0.35, width * 0.12, width * 0.12, width * 0.31], header=True))
    if data.total is not None and "total" in heading:
        story.append(para(heading["total"], st["h2"]))
        story.append(para(f"总分：{data.total[0]} / {data.total[1]}", st["base"]))
    story.append(para(heading["initial"], st["h2"]))
    story.append(_CheckBoxes(data.initial_levels, st["base"]))
    if data.matrix_note:
        story.append(para(data.matrix_note, st["small"]))
    if data.change_reasons:
        story.append(para(heading["change"], st["h2"]))
        if data.change_preamble:
            story.append(para(data.change_preamble, st["base"]))
        for box in data.change_reasons:
            story.append(_CheckBoxes((box,), st["base"]))
        if data.change_note:
            story.append(para(data.change_note, st["small"]))
    story.append(para(heading["final"], st["h2"]))
    if data.final_preamble:
        story.append(para(data.final_preamble, st["base"]))
    story.append(_CheckBoxes(data.final_levels, st["base"]))
    if data.decision:
        story.append(Spacer(1, 2 * mm))
        story.append(para(data.decision, st["base"]))

    # A heading alone at the foot of a page, its chart on the next, read as a missing chart.
    story.append(KeepTogether([para("一级指标得分图", st["h2"]), dimension_chart(data, font)]))
    trend = trend_chart(data, font)
    if trend is not None:
        story.append(KeepTogether([para("历次评估等级趋势", st["h2"]), trend]))

    story.append(para("评分说明（规则追踪）", st["h2"]))
    for line in data.explanation:
        story.append(para("· " + line, st["small"]))

    story.append(para("逐项评估结果", st["h2"]))
    answer_rows = [[para(h, st["small"]) for h in ("编号", "项目", "评估结果")]]
    for a in data.answers:
        answer_rows.append([para(a.code, st["small"]), para(a.label, st["small"]), para(a.answer, st["small"])])
    story.append(grid(answer_rows, [18 * mm, 52 * mm, width - 70 * mm], header=True))

    if data.conclusion:
        story.append(para("结论有效期", st["h2"]))
        story.append(
            grid(
                [[para(k, st["small"]), para(v, st["small"])] for k, v in data.conclusion], [40 * mm, width - 40 * mm]
            )
        )

    if data.care_advice:
        story.append(para("照护建议", st["h2"]))
        story += [para("· " + line, st["base"]) for line in data.care_advice]

    story.append(PageBreak())
    story.append(para("签名", st["h2"]))
    story.append(KeepTogether(_signature_table(data, st, width)))
    story.append(Spacer(1, 4 * mm))
    story.append(
        para(
            "说明：手写签名为现场确认的证据；下方电子签名（PAdES）可由任何验证程序离线核验签名人及文件"
            "自签名后未被改动。"
            + (
                "评估员的电子签名在附件 submitted-report.pdf（提交时经评估员签名的报告，原样嵌入）中；"
                "审核人的电子签名同时覆盖该附件。"
                if data.submitted_attached
                else ""
            ),
            st["small"],
        )
    )

    def make_canvas(*args: Any, **kwargs: Any) -> _NumberedCanvas:
        canvas = _NumberedCanvas(*args, **{**kwargs, "initialFontName": font})
        canvas.data, canvas.font = data, font
        return canvas

    doc.build(story, canvasmaker=make_canvas)
    return buffer.getvalue()


def _signature_table(data: ReportData, st: dict[str, ParagraphStyle], width: float) -> Table:
    def ink(role: str) -> Any:
        png = data.handwritten.get(role)
        if not png:
            return para("（未签名）", st["small"])
        return Image(io.BytesIO(png), width=42 * mm, height=14 * mm, kind="proportional")

    def row(label: str, name: str, qualification: str, role: str) -> list[Any]:
        date = data.signed_on.get(role) if role in data.handwritten else None
        return [
            para(label, st["base"]),
            para(name, st["base"]),
            para(qualification, st["small"]),
            ink(role),
            para(f"日期：{date or '　　年　月　日'}", st["small"]),
        ]

    quals = [f"资格证号：{q}" if q else "资格证号：—" for q in data.qualifications]
    rows = [
        row("评估员（一）", data.assessors[0], quals[0], "assessor1"),
        row("评估员（二）", data.assessors[1], quals[1], "assessor2"),
        row("信息提供者", data.informant, "", "informant"),
    ]
    return grid(rows, [22 * mm, 30 * mm, 46 * mm, width - 130 * mm, 32 * mm])
