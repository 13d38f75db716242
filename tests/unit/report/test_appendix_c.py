"""附录C completeness: institution, qualification numbers, 参保号, signature dates, the standards' own numbering and
wording, the assessment number, and a dimension chart that shows every dimension in order on one scale."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from world import World, complete_barthel, id_number

from ltc_assess.errors import AppError
from ltc_assess.report.charts import CHART_SCALE, dimension_chart
from ltc_assess.report.pdf import render
from ltc_assess.schema.registry import get_form
from ltc_assess.service import NewAssessment


def _flat(pdf: bytes) -> str:
    """The PDF's text without whitespace (CJK lines wrap anywhere)."""
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.fixture
def barthel(world: World) -> tuple[World, int]:
    s = world.service
    s.set_agency(world.admin, name="东城区长护评估中心", code="110101-LTC-07")
    s.set_qualification_no(world.admin, "a1", "ZG-2024-0001")
    s.set_qualification_no(world.admin, "a2", "ZG-2024-0002")
    world.clock.now = world.clock.now.replace(hour=20)  # 20:00 UTC is 04:00 the next day in Beijing
    aid = complete_barthel(world)
    s.submit(world.a1, aid)
    return world, aid


def test_institution_qualifications_and_signature_dates(barthel: tuple[World, int], tmp_path: Path) -> None:
    """Test that the report names the institution and its code, each assessor's qualification number, and the
    date beside each handwritten signature (assessors and information provider)."""
    world, aid = barthel
    data = world.service.report_data(aid)
    assert data.agency == ("东城区长护评估中心", "110101-LTC-07")
    assert data.qualifications == ("ZG-2024-0001", "ZG-2024-0002")
    assert set(data.signed_on) == {"assessor1", "assessor2", "informant"}
    text = _flat(world.service.render_report(aid))
    assert "评估机构东城区长护评估中心" in text and "机构代码110101-LTC-07" in text
    assert "资格证号：ZG-2024-0001" in text and "资格证号：ZG-2024-0002" in text
    assert text.count(f"日期：{data.signed_on['informant']}") == 3


def test_signature_dates_are_local(barthel: tuple[World, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a signature given at 20:00 UTC is dated the next day in a UTC+8 time zone."""
    import time

    world, aid = barthel
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert world.service.report_data(aid).signed_on["assessor1"] == "2026-11-02"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_barthel_number_is_the_assessment_number(barthel: tuple[World, int]) -> None:
    """Test that Barthel's 评估编号 is the assessment number (date and the start of its uid, the same on every
    installation), not the assessment date."""
    world, aid = barthel
    info = dict(world.service.report_data(aid).info)
    assert info["评估编号"] == f"20261101-{world.service.assessment(aid).uid[:12]}"


def test_insurance_number_and_c1_codes(world: World) -> None:
    """Test that the subject's 参保号 is printed and C.1 rows carry their C.1.x codes in table order."""
    s = world.service
    subject, _ = s.register_subject(world.a1, name="赵示例", sex="male", insurance_no="0099887766",
                                    id_number=id_number("11010519500101123"))
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=subject.id, form="gbt42195-2022"))
    data = s.report_data(record.id)
    assert ("参保号", "0099887766") in data.identity
    assert [d.code for d in data.dimensions] == ["C.1.1", "C.1.2", "C.1.3", "C.1.4"]
    assert data.change_preamble and data.change_preamble.startswith("依据附录A中表A.5的A.5.11")
    text = _flat(s.render_report(record.id))
    assert "参保号0099887766" in text and "C.1.1自理能力" in text and "C.4能力等级变更依据依据附录A中表A.5" in text
    assert "C.5老年人能力最终等级综合C.3" in text


def test_mzt_uses_its_own_numbering(world: World) -> None:
    """Test that an MZ/T 039 report numbers its blocks as MZ/T does: C.2 初步等级, C.3 等级变更条款, C.4 最终等级,
    with no GB/T C.2 total block and no C.5."""
    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="mzt039-2013"))
    text = _flat(s.render_report(record.id))
    for block in ("C.1一级指标分级", "C.2老年人能力初步等级", "C.3等级变更条款", "C.4老年人能力最终等级"):
        assert block in text
    assert "C.5" not in text and "初步等级得分" not in text
    assert "若初步等级确定为“3重度失能”" in text


def test_chart_plots_every_dimension_in_order_on_one_scale(world: World) -> None:
    """Test that the MZ/T chart has a bar for every dimension (the graded-only one too) top-down in table
    order, on a higher-is-better scale named on the chart (a higher-is-worse score is turned round)."""
    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="mzt039-2013"))
    form = get_form("mzt039-2013")
    data = s.report_data(record.id)
    drawing = dimension_chart(data, "Helvetica")
    chart = next(c for c in drawing.contents if isinstance(c, HorizontalBarChart))
    names = chart.categoryAxis.categoryNames
    assert [n.split(" ")[1] for n in names] == [d.label.zh_CN for d in form.scoring.dimensions]
    assert chart.categoryAxis.reverseDirection  # the first category is drawn on top
    assert CHART_SCALE in [getattr(c, "text", None) for c in drawing.contents]
    for line, value in zip(data.dimensions, chart.data[0], strict=True):
        assert 0 <= value <= 100 and value == round(line.rate or 0)


def test_bad_institution_and_qualification_input_is_refused(world: World, english: None) -> None:
    """Test that a blank or multi-line institution name is refused with the field named; only admins set them."""
    s = world.service
    with pytest.raises(AppError, match="agency_name"):
        s.set_agency(world.admin, name="  ")
    with pytest.raises(AppError, match="qualification_no"):
        s.set_qualification_no(world.admin, "a1", "A\nB")
    with pytest.raises(AppError, match="role Administrator"):
        s.set_agency(world.sup1, code="X")


@pytest.mark.slow  # real subprocesses
def test_users_cli_sets_qualification_and_agency(tmp_path: Path) -> None:
    """Test ``users add --qualification-no``, ``users set`` and ``users agency`` end to end, and the migration
    that adds the column to a database created before it."""
    import os
    import sys

    db = tmp_path / "x.db"
    env = {**os.environ, "LTC_ASSESS_PASSWORD": "admin-password", "LTC_ASSESS_NEW_PASSWORD": "new-password"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ltc_assess", *args, "--db", str(db)], capture_output=True,
                              text=True, env=env)

    env["LTC_ASSESS_NEW_PASSWORD"] = "admin-password"
    assert run("users", "init-admin", "root", "--name", "管理员").returncode == 0
    env["LTC_ASSESS_NEW_PASSWORD"] = "new-password"
    proc = run("users", "add", "a9", "--name", "评估九", "--role", "assessor", "--qualification-no", "Q-9", "--as", "root")
    assert proc.returncode == 0, proc.stderr
    assert "资格证号 Q-9" in run("users", "list", "--as", "root").stdout
    assert run("users", "set", "a9", "--qualification-no", "Q-10", "--as", "root").returncode == 0
    assert "资格证号 Q-10" in run("users", "list", "--as", "root").stdout
    proc = run("users", "agency", "--name", "示例中心", "--code", "C-1", "--as", "root")
    assert proc.returncode == 0 and "示例中心 / 代码 C-1" in proc.stdout
    bad = run("users", "agency", "--code", " ", "--as", "root")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "agency_code" in bad.stderr


def test_render_is_deterministic_with_the_new_fields(barthel: tuple[World, int]) -> None:
    """Test that two renderings of the same record are byte-identical (golden reports stay possible)."""
    world, aid = barthel
    data = world.service.report_data(aid)
    assert render(data) == render(data)
