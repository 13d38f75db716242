"""PDF reports for every form: facts present in the text, typed text printed as typed, font embedded with a glyph
for every character, check boxes that show which one is ticked, chart texts apart, deterministic, provisional
marked."""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops
from pypdf import PdfReader
from reportlab.graphics.shapes import Drawing, Group, String, UserNode, mmult

from ltc_assess import paths
from ltc_assess.report.charts import dimension_chart, trend_chart
from ltc_assess.report.data import build_report_data
from ltc_assess.report.fonts import register
from ltc_assess.report.pdf import render
from ltc_assess.schema.model import FormDef, SingleChoiceItem
from ltc_assess.schema.registry import get_form, installed_forms
from ltc_assess.scoring import score

SUBJECT = {"name": "王秀英", "sex": "female", "birth_date": "1940-03-15", "id_number": "110105194003151236"}
PEOPLE = {1: "张评估", 2: "李评估", 3: "王主管"}


def _answers(form: FormDef) -> dict[str, Any]:
    """Every scored item at its middle option (a realistic, non-extreme case)."""
    out: dict[str, Any] = {}
    for dim in form.scoring.dimensions:
        for item_id in dim.items:
            item = form.items[item_id]
            assert isinstance(item, SingleChoiceItem)
            values = sorted(int(c.value) for c in item.choices)
            out[item_id] = values[len(values) // 2]
    if "A.4.1" in form.items:
        out["A.4.1"] = ["F00-F03"]
    return out


def _data(
    form: FormDef,
    status: str = "approved",
    decided: int | None = None,
    *,
    subject: dict[str, str] = SUBJECT,
    people: dict[int, str] = PEOPLE,
    text_answers: dict[str, str] | None = None,
    **record_fields: Any,
) -> Any:
    """Report data of the middle-option case; ``record_fields`` override the stored record's fields."""
    answers = {**_answers(form), **(text_answers or {})}
    result = score(form, answers).to_dict()
    record = {"id": 7, "answers": answers, "reason": "first", "assessment_date": "2026-11-01", "place": "家中",
              "status": status, "assessor1_id": 1, "assessor2_id": 2, "proposed_level": result["final_level"]["code"],
              "decided_level": decided, "decided_by": 3, "decision_reason": "夜间照护需求", "informant_name": "王小明",
              "version_no": 1, **record_fields}
    history = [{"assessment_date": "2025-11-01", "form_id": form.form, "level": 1},
               {"assessment_date": "2026-11-01", "form_id": form.form, "level": result["final_level"]["code"]}]
    return build_report_data(form, result, record, subject, people=people, history=history), result


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("form", installed_forms(), ids=lambda f: f.ref)
def test_report_carries_identity_scores_and_levels(form: FormDef) -> None:
    """Test that each form's report text holds the identity, every dimension, the exact final level name."""
    data, result = _data(form)
    pages = _text(render(data))
    text = "\n".join(pages)
    assert "王秀英" in text and "110105194003151236" in text
    for dim in form.scoring.dimensions:
        assert dim.label.zh_CN in text
    assert result["final_level"]["name"] in text
    assert f"第 1 页 共 {len(pages)} 页" in pages[0] and f"第 {len(pages)} 页 共 {len(pages)} 页" in pages[-1]
    assert form.sha256[:12] in pages[0]


def test_gbt_report_has_appendix_c_blocks_and_ticks() -> None:
    """Test the 附录C blocks: C.1–C.5, the ticked initial and final levels, R2 ticked as a change reason."""
    form = get_form("gbt42195-2022")
    data, result = _data(form)
    text = "\n".join(_text(render(data)))
    for block in ("C.1 一级指标分级", "C.2 初步等级得分", "C.3 老年人能力初步等级", "C.4 能力等级变更依据",
                  "C.5 老年人能力最终等级"):
        assert block in text
    assert [b.label for b in data.final_levels if b.ticked] == [f"{result['final_level']['code']} {result['final_level']['name']}"]
    assert [b.ticked for b in data.change_reasons] == [False, True, False]  # R2 (dementia) only


def test_decided_level_and_reason_shown_when_different() -> None:
    """Test that a supervisor's differing decision is printed with the proposal and the reason."""
    form = get_form("barthel")
    data, _ = _data(form, decided=3)
    text = "\n".join(_text(render(data)))
    assert "审核核定等级：3 重度依赖" in text and "夜间照护需求" in text


def test_provisional_form_says_so_on_every_page() -> None:
    """Test that an NHSA (provisional) report carries the warning on every page and the matrix cell used, its
    row and column named by grade name (not by index)."""
    data, result = _data(get_form("nhsa-ltc-2021"))
    pages = _text(render(data))
    assert all("暂行标准" in p for p in pages)
    dims = result["dimensions"]
    worse = max((dims["cognition"]["grade"], dims["perception_communication"]["grade"]), key=lambda g: g["code"])
    note = data.matrix_note or ""
    assert f"日常生活活动能力分级为“{dims['adl']['grade']['name']}”" in note and f"为“{worse['name']}”" in note
    assert "第" not in note and "行" not in note
    [step] = [t for t in result["trace"] if t["rule"] == "initial_level"]  # the 评分说明 line names them too
    assert f"日常生活活动能力分级“{dims['adl']['grade']['name']}”（第{dims['adl']['grade']['code']}行）" in step["text"]


def test_provisional_banner_does_not_repeat_the_prefix() -> None:
    """Test that NHSA's status note, which itself opens with 暂行：, is not printed as 暂行标准：暂行：…."""
    pages = _text(render(_data(get_form("nhsa-ltc-2021"))[0]))
    assert all("暂行标准：本标准" in p and "暂行：" not in p for p in pages)


def test_typed_markup_is_printed_literally() -> None:
    """Test that markup characters typed by people print as typed and do not break rendering (approval renders)."""
    # Each of these alone was either parsed (an error, or printed altered) by the unescaped renderer.
    typed = {
        "name": "王<b>秀英",
        "place": "养老院 A<B栋 & 3>2层",
        "answer": "跌倒<3次，见<![CDATA[附页]]>",  # A.5.12 其他（请补充）: the form's free-text comment
        "reason": "评分<实际 <b>x",
        "informant": "王小明 &lt;子&gt;",
        "decider": "王主管<i>",
    }
    data, _ = _data(
        get_form("gbt42195-2022"),
        decided=0,
        subject={**SUBJECT, "name": typed["name"]},
        people={**PEOPLE, 3: typed["decider"]},
        text_answers={"A.5.12": typed["answer"]},
        place=typed["place"],
        decision_reason=typed["reason"],
        informant_name=typed["informant"],
    )
    text = "".join(_text(render(data))).replace("\n", "")  # the long decision line wraps inside the reason
    assert [t for t in typed.values() if t not in text] == []


def _chart_texts(node: Any, transform: tuple[float, ...] = (1, 0, 0, 1, 0, 0)) -> list[tuple[str, tuple[float, ...]]]:
    """Every string a chart draws (axis labels included) with its box (x1, y1, x2, y2) in the drawing."""
    if isinstance(node, UserNode):  # charts and labels build their shapes only when drawn
        node = node.provideNode()
    if isinstance(node, Group):
        inner = mmult(transform, node.transform)
        return [text for child in node.contents for text in _chart_texts(child, inner)]
    if not isinstance(node, String):
        return []
    a, b, c, d, e, f = transform
    x1, y1, x2, y2 = node.getBounds()
    return [(node.text, (a * x1 + c * y1 + e, b * x1 + d * y1 + f, a * x2 + c * y2 + e, b * x2 + d * y2 + f))]


@pytest.mark.parametrize("chart", [dimension_chart, trend_chart], ids=lambda c: c.__name__)
def test_chart_texts_do_not_overlap(chart: Any) -> None:
    """Test that no two texts of a chart overlap (axis titles against tick labels) and all stay inside it."""
    drawing: Drawing = chart(_data(get_form("gbt42195-2022"))[0], register())
    texts = _chart_texts(drawing)
    outside = [t for t, (x1, y1, x2, y2) in texts if x1 < 0 or y1 < 0 or x2 > drawing.width or y2 > drawing.height]
    assert outside == []
    overlapping = [
        (t, u)
        for n, (t, (ax1, ay1, ax2, ay2)) in enumerate(texts)
        for u, (bx1, by1, bx2, by2) in texts[n + 1 :]
        if ax1 < bx2 and bx1 < ax2 and ay1 < by2 and by1 < ay2
    ]
    assert overlapping == []


def test_unapproved_report_is_marked() -> None:
    """Test that a draft's report says it is not approved."""
    data, _ = _data(get_form("barthel"), status="draft")
    assert "未经审核批准" in _text(render(data))[0]


def test_rendering_is_deterministic() -> None:
    """Test that two renders are byte-identical (invariant mode) for golden comparisons."""
    data, _ = _data(get_form("gbt42195-2022"))
    assert render(data) == render(data)


def test_every_font_is_embedded(tmp_path: Any) -> None:
    """Test with poppler's pdffonts that every font in the report is embedded."""
    data, _ = _data(get_form("mzt039-2013"))
    path = tmp_path / "r.pdf"
    path.write_bytes(render(data))
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), out


@cache
def _font_chars() -> frozenset[str]:
    """The characters both embedded fonts (body and headings) have glyphs for (their cmaps)."""
    body, heading = (TTFont(str(path), lazy=True).getBestCmap() for path in (paths.font_path(), paths.sans_font_path()))
    return frozenset(map(chr, body.keys() & heading.keys()))


def _zh_texts(node: Any) -> list[str]:
    """Every Chinese wording in a dumped form definition."""
    if isinstance(node, dict):
        return [t for key, value in node.items() for t in ([value] if key == "zh_CN" else _zh_texts(value))]
    if isinstance(node, list | tuple):
        return [t for value in node for t in _zh_texts(value)]
    return []


def _page1_gray(pdf: bytes, tmp_path: Path, name: str) -> Image.Image:
    """Page 1 rasterised by poppler in greyscale at 144 dpi (2 pixels per point), as a printer would see it."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "144", "-gray", "-f", "1", "-l", "1", "-singlefile", str(path), str(tmp_path / name)],
        check=True,
    )
    return Image.open(tmp_path / f"{name}.pgm")


@pytest.mark.parametrize("form", installed_forms(), ids=lambda f: f.ref)
def test_every_drawn_character_has_a_glyph(form: FormDef) -> None:
    """Test that every character in the PDF's text (decision and draft notes included) is in the embedded font."""
    data, _ = _data(form, status="returned", decided=form.scoring.levels[0].code)
    assert data.decision  # the decided-level line is drawn too
    text = "".join(_text(render(data)))
    # reportlab draws a character the font lacks as glyph 0, which reads back as U+0000.
    missing = sorted({c for c in text if c != "\n" and c not in _font_chars()})
    assert not missing, f"drawn without a glyph (U+0000: a character reportlab could not map): {missing}"


@pytest.mark.parametrize("form", installed_forms(), ids=lambda f: f.ref)
def test_every_form_wording_has_a_glyph(form: FormDef) -> None:
    """Test that all Chinese wording of the form is in the embedded font (a report may print any option)."""
    missing = {c for text in _zh_texts(form.model_dump()) for c in text if c not in _font_chars()}
    assert not missing, sorted(missing)


def test_ticked_box_is_drawn_unmistakably(tmp_path: Path) -> None:
    """Test that ticking one C.5 box darkens a box-sized spot of page 1, in greyscale, and nothing else."""
    data, _ = _data(get_form("barthel"))
    unticked = tuple(replace(b, ticked=False) for b in data.final_levels)
    ticked = tuple(replace(b, ticked=n == 1) for n, b in enumerate(data.final_levels))
    blank = _page1_gray(render(replace(data, final_levels=unticked)), tmp_path, "blank")
    tick = _page1_gray(render(replace(data, final_levels=ticked)), tmp_path, "tick")
    diff = ImageChops.subtract(blank, tick)  # how much darker each pixel became
    box = diff.getbbox()
    assert box is not None, "a ticked box looks exactly like an unticked one"
    x1, y1, x2, y2 = box
    assert x2 - x1 <= 20 and y2 - y1 <= 20, box  # within one check box (8 pt = 16 px)
    assert sum(diff.histogram()[129:]) >= 30  # pixels darkened by over half: a heavy tick, not a hairline


@pytest.mark.parametrize("form", installed_forms(), ids=lambda f: f.ref)
def test_no_line_starts_with_closing_punctuation(form: FormDef, tmp_path: Path) -> None:
    """Test GB/T 15834 line breaking in every form's report: a closing quote or bracket never begins a line
    (the GB/T C.4 preamble used to wrap as ``…照护风险事件`` / ``”确定是否…``)."""
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render(_data(form)[0]))
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert not [line for line in text.splitlines() if line and line[0] in "”’）》」』】〕，。、；：？！"], text
