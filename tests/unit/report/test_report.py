"""PDF reports for every form: facts present in the text, font embedded with a glyph for every character,
check boxes that show which one is ticked, deterministic, provisional marked."""

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

from ltc_assess import paths
from ltc_assess.report.data import build_report_data
from ltc_assess.report.pdf import render
from ltc_assess.schema.model import FormDef, SingleChoiceItem
from ltc_assess.schema.registry import get_form, installed_forms
from ltc_assess.scoring import score

SUBJECT = {"name": "王秀英", "sex": "female", "birth_date": "1940-03-15", "id_number": "110105194003151236"}


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


def _data(form: FormDef, status: str = "approved", decided: int | None = None) -> Any:
    answers = _answers(form)
    result = score(form, answers).to_dict()
    record = {"id": 7, "answers": answers, "reason": "first", "assessment_date": "2026-11-01", "place": "家中",
              "status": status, "assessor1_id": 1, "assessor2_id": 2, "proposed_level": result["final_level"]["code"],
              "decided_level": decided, "decided_by": 3, "decision_reason": "夜间照护需求", "informant_name": "王小明",
              "version_no": 1}
    history = [{"assessment_date": "2025-11-01", "form_id": form.form, "level": 1},
               {"assessment_date": "2026-11-01", "form_id": form.form, "level": result["final_level"]["code"]}]
    return build_report_data(form, result, record, SUBJECT, people={1: "张评估", 2: "李评估", 3: "王主管"},
                             history=history), result


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
    for block in ("C.1 一级指标分级", "C.2 初步等级得分", "C.3 初步等级", "C.4 能力等级变更依据", "C.5 最终等级"):
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
    """Test that an NHSA (provisional) report carries the warning on every page and the matrix cell used."""
    data, _ = _data(get_form("nhsa-ltc-2021"))
    pages = _text(render(data))
    assert all("暂行标准" in p for p in pages)
    assert "行" in (data.matrix_note or "") and "列" in (data.matrix_note or "")


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
    """The characters the embedded font has glyphs for (its cmap)."""
    return frozenset(map(chr, TTFont(str(paths.font_path()), lazy=True).getBestCmap()))


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
