"""The 告知书 (result letter), laid out with the report's building blocks (styles, escaped paragraphs, grids,
the embedded font) so there is one layout mechanism for every PDF.

The letter's fields follow the lifecycle spec §2 (the national 失能评估结论书 text was not at hand); its last
page leaves the supervisor's stamp box free for the PAdES signature, as the report does.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, Spacer

from ltc_assess.report.fonts import register
from ltc_assess.report.layout import MARGIN, PAGE_W, PagedCanvas, document, grid, para, styles
from ltc_assess.report.pdf import STAMP_BOXES

LETTER_TEMPLATE_NOTE = (
    "本告知书格式依据试点城市做法整理（国家统一表证单书官方文本未取得）；标注“未核实”的待遇标准来自第三方资料，"
    "以医疗保障经办机构公布为准。"
)


@dataclass(frozen=True, slots=True)
class BenefitLine:
    setting: str  # 居家 / 社区 / 机构 / 医疗机构
    name: str
    amount: str  # with its unit, payer and 未核实 where so
    conditions: str


@dataclass(frozen=True, slots=True)
class LetterData:
    """Everything the letter prints, as plain text (built by ``ltc_assess.lifecycle``)."""

    letter_id: str
    city: str
    policy: str  # "chengdu@1（未核实）"
    eligible: bool
    person: tuple[tuple[str, str], ...]  # (label, value) pairs
    level: str
    decided_at: str
    valid_from: str
    valid_until: str
    reapply_after: str
    objection_deadline: str
    objection_how: str
    benefits: tuple[BenefitLine, ...] = ()
    form_note: str | None = None
    care_advice: tuple[str, ...] = ()
    history: tuple[str, ...] = ()  # the original conclusion and its 复评, shown together
    care_choice: tuple[str, bytes] | None = None  # the chosen care setting and the handwritten confirmation


def render_letter(data: LetterData, invariant: bool = True) -> bytes:
    """The letter as PDF bytes (A4), one outcome per layout: not eligible, or eligible with its benefits."""
    font = register()
    st = styles(font)
    buffer = io.BytesIO()
    title = f"{data.city}长期护理保险失能等级评估结论告知书"
    doc = document(buffer, title, data.letter_id, 32 * mm, invariant)  # stamps sit in the last page's bottom margin
    width = PAGE_W - 2 * MARGIN
    story: list[Any] = [
        para(f"{data.city}长期护理保险失能等级评估结论告知书", st["title"]),
        para(f"编号 {data.letter_id} · 依据政策 {data.policy}", st["sub"]),
        Spacer(1, 5 * mm),
    ]
    pairs = list(data.person)
    rows = [
        [para(k, st["base"]), para(v, st["base"]), para(k2, st["base"]), para(v2, st["base"])]
        for (k, v), (k2, v2) in zip(pairs[0::2], pairs[1::2], strict=False)
    ]
    story.append(grid(rows, [24 * mm, width / 2 - 24 * mm, 24 * mm, width / 2 - 24 * mm]))
    story.append(para("评估结论", st["h2"]))
    story.append(
        para(f"经评估及专家确认，评估对象的失能等级为：{data.level}（结论日期 {data.decided_at}）。", st["base"])
    )
    if data.form_note:
        story.append(para(f"等级对应说明：{data.form_note}", st["small"]))
    if data.eligible:
        story.append(para("符合长期护理保险待遇享受条件。可享受的护理服务形式及待遇标准如下：", st["base"]))
        if data.benefits:
            head = [para(h, st["small"]) for h in ("服务形式", "项目", "待遇标准", "条件")]
            lines = [
                [
                    para(b.setting, st["small"]),
                    para(b.name, st["small"]),
                    para(b.amount, st["small"]),
                    para(b.conditions or "—", st["small"]),
                ]
                for b in data.benefits
            ]
            story.append(grid([head, *lines], [20 * mm, 45 * mm, 65 * mm, width - 130 * mm], header=True))
        else:
            story.append(para("本机构未收录该城市的待遇标准，请向医疗保障经办机构咨询。", st["warn"]))
        story.append(Spacer(1, 2 * mm))
        story.append(
            para("待遇自结论生效的次月起享受；请与定点护理服务机构签订服务协议并确认护理服务形式。", st["small"])
        )
    else:
        story.append(para("未达到长期护理保险待遇享受条件。", st["warn"]))
    story.append(para("有效期", st["h2"]))
    story.append(
        para(
            f"本结论有效期自 {data.valid_from} 至 {data.valid_until}。到期前30日内可申请期末评估；"
            f"失能状况发生明显变化时可申请状态评估。{data.reapply_after} 前不受理重新申请。",
            st["base"],
        )
    )
    story.append(para("异议与复评", st["h2"]))
    story.append(para(f"如对结论有异议，请于 {data.objection_deadline} 前提出。{data.objection_how}", st["base"]))
    if data.history:
        story.append(para("结论记录", st["h2"]))
        story += [para("· " + line, st["small"]) for line in data.history]
    if data.care_advice:
        story.append(para("照护建议", st["h2"]))
        story += [para("· " + line, st["base"]) for line in data.care_advice]
    if data.care_choice is not None:
        text, png = data.care_choice
        story.append(para("护理服务形式信息确认", st["h2"]))
        story.append(para(text, st["base"]))
        story.append(Image(io.BytesIO(png), width=42 * mm, height=14 * mm, kind="proportional"))
    story.append(Spacer(1, 4 * mm))
    story.append(para(LETTER_TEMPLATE_NOTE, st["small"]))

    def make_canvas(*args: Any, **kwargs: Any) -> Canvas:
        return _LetterCanvas(*args, font=font, footer=f"告知书 {data.letter_id} · {data.policy}", **kwargs)

    doc.build(story, canvasmaker=make_canvas)
    return buffer.getvalue()


class _LetterCanvas(PagedCanvas):
    """Footer on every page and the stamp box of the signing agency on the last."""

    def __init__(self, *args: Any, font: str, footer: str, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "initialFontName": font})
        self._font, self._footer = font, footer

    def decorate(self, number: int, total: int) -> None:
        self.setFont(self._font, 7.5)
        self.setFillColor(colors.grey)
        self.drawCentredString(PAGE_W / 2, 10 * mm, f"第 {number} 页 共 {total} 页 · {self._footer}")
        if number == total:
            x1, y1, x2, y2 = STAMP_BOXES["supervisor"]
            self.setStrokeColor(colors.lightgrey)
            self.rect(x1, y1, x2 - x1, y2 - y1, stroke=1, fill=0)
            self.setFont(self._font, 7)
            self.drawString(x1 + 3, y2 + 3, "评估机构电子签名")
