"""The 结论后续 tab on a real database with real widgets: the city chosen by the admin, check-in/check-out and
care advice, expert confirmation, 公示, objection and a 复评 by other people (both shown together), the care
setting signed by the guardian, and the 告知书. Each screen is rendered to PNG."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from unit.lifecycle.helpers import City, fill, make_city, nhsa_ready, visit
from world import World, with_signing_keys

from ltc_assess.errors import AppError
from ltc_assess.service import NewAssessment
from ltc_assess.ui.after_decision import AfterDecisionPanel
from ltc_assess.ui.app import load_font
from ltc_assess.ui.main_window import MainWindow


def _window(qtbot: QtBot, world: World, username: str) -> tuple[MainWindow, AfterDecisionPanel]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    load_font(app)  # the app's CJK font before any widget is laid out, as the installed app shows it
    actor = world.service.store.user_by_name(username)
    assert actor is not None
    window = MainWindow(world.service, actor)
    qtbot.addWidget(window)
    window.resize(1100, 760)
    window.tabs.setCurrentWidget(window.after)
    return window, window.after


def _shot(widget: QWidget, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 5000


def _focus_chain(start: QWidget, steps: int = 80) -> list[QWidget]:
    """The widgets Tab visits from ``start`` (keyboard reachability)."""
    seen, widget = [], start
    for _ in range(steps):
        widget = widget.nextInFocusChain()
        seen.append(widget)
    return seen


def test_without_a_city_the_tab_says_so_and_the_admin_chooses_one(qtbot: QtBot, world: World, tmp_path: Path) -> None:
    """Test that with no city the tab names the setting and offers no pages; the admin picks 成都 on screen."""
    _w, assessor_panel = _window(qtbot, world, "a1")
    assert "policies use CITY" in assessor_panel.policy.text() and assessor_panel.pages.count() == 0
    window, panel = _window(qtbot, world, "admin")
    assert panel.city is not None and panel.staff is not None
    panel.staff.select("a2")  # qualifications are set before a city applies
    panel.staff.kind.setCurrentIndex(panel.staff.kind.findData("expert"))
    qtbot.mouseClick(panel.staff.set_button, Qt.MouseButton.LeftButton)
    assert panel.staff.message.text() == "资格已设置"
    assert world.service.store.user_by_name("a2").qualification == "expert"  # type: ignore[union-attr]
    _shot(window, tmp_path, "staff")
    panel.city.setCurrentIndex(panel.city.findData("chengdu"))
    panel.city.setFocus()
    use = next(w for w in _focus_chain(panel.city) if getattr(w, "text", lambda: "")() == "设为本机构城市")
    use.setFocus()
    qtbot.keyClick(use, Qt.Key.Key_Space)  # reachable and pressed with the keyboard
    assert "成都 chengdu@1（未核实）" in panel.policy.text()
    assert world.service.store.setting("policy_city") == "chengdu"
    _shot(window, tmp_path, "city")
    _w, assessor_panel = _window(qtbot, world, "a1")
    assert assessor_panel.pages.count() == 2 and assessor_panel.onsite is not None


def test_onsite_page_records_each_person_and_the_reviewed_advice(qtbot: QtBot, world: World, tmp_path: Path) -> None:
    """Test check-in/out with place per person, identity and guardian answers, and edited advice, then submit."""
    city = make_city(world)
    record, _ = world.service.start_assessment(
        world.service.store.user_by_name("a1"),  # type: ignore[arg-type]
        NewAssessment(subject_id=world.subject.id, form="nhsa-ltc-2021", reason="first", assessor2_id=city.e1.id),
    )
    fill(city, world.a1, record.id)
    window, panel = _window(qtbot, world, "a1")
    page = panel.onsite
    assert page is not None
    panel.pages.setCurrentWidget(page)
    page.assessment.setCurrentIndex(page.assessment.findData(record.id))
    qtbot.mouseClick(page.check_in_button, Qt.MouseButton.LeftButton)
    assert "须填写签到地点" in page.message.text()  # the service's refusal, shown in place
    page.place.insert("成都市武侯区示例路1号")  # IME input: QTest types ASCII only
    qtbot.mouseClick(page.check_in_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.check_out_button, Qt.MouseButton.LeftButton)
    page.identity.setFocus()
    qtbot.keyClick(page.identity, Qt.Key.Key_Space)
    qtbot.keyClick(page.guardian, Qt.Key.Key_Space)
    page.guardian_name.insert("王小明")  # IME input: QTest types ASCII only
    qtbot.mouseClick(page.save_checks_button, Qt.MouseButton.LeftButton)
    assert page.message.text() == "核验结果已保存"
    generated = page.advice.toPlainText().splitlines()
    assert generated, "the generated advice is shown for review"
    page.advice.setPlainText("\n".join([*generated, "建议家属每周陪同散步三次"]))
    qtbot.mouseClick(page.save_advice_button, Qt.MouseButton.LeftButton)
    assert city.lc.care_advice(record.id)[-1] == "建议家属每周陪同散步三次"
    people, checks = city.lc.visit(record.id)
    assert [(p["display_name"], p["check_in_place"], p["check_out_at"] is not None) for p in people] == [
        ("a1 名", "成都市武侯区示例路1号", True)
    ]
    assert checks is not None and (checks["identity_checked"], checks["guardian_name"]) == (1, "王小明")
    assert page.people.rowCount() == 1
    _shot(window, tmp_path, "onsite")
    reachable = _focus_chain(page.assessment)
    for button in (page.check_in_button, page.check_out_button, page.save_checks_button, page.save_advice_button):
        assert button in reachable
    with pytest.raises(AppError, match="现场评估"):  # one person on site: the policy refuses the submission
        world.service.submit(world.a1, record.id)
    _w, e1_panel = _window(qtbot, world, "e1")
    assert e1_panel.onsite is not None and e1_panel.onsite.assessment.findData(record.id) >= 0
    e1_panel.onsite.assessment.setCurrentIndex(e1_panel.onsite.assessment.findData(record.id))
    e1_panel.onsite.place.insert("成都市武侯区示例路1号")  # IME input: QTest types ASCII only
    qtbot.mouseClick(e1_panel.onsite.check_in_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(e1_panel.onsite.check_out_button, Qt.MouseButton.LeftButton)
    world.service.submit(world.a1, record.id)
    assert world.service.assessment(record.id).status == "submitted"


def _submitted(city: City) -> int:
    w = city.world
    aid = nhsa_ready(city, w.a1, city.e1)
    visit(city, aid, w.a1, city.e1)
    w.service.submit(w.a1, aid)
    return aid


def test_experts_confirm_on_screen_and_others_do_not_get_the_page(qtbot: QtBot, world: World, tmp_path: Path) -> None:
    """Test that two experts confirm the level on the 专家确认 page and the supervisor can then approve."""
    city = make_city(world)
    aid = _submitted(city)
    _w, plain = _window(qtbot, world, "a4")
    assert plain.confirm is None  # a4 is an 评估员, not an expert
    for name in ("e1", "e2"):
        window, panel = _window(qtbot, world, name)
        page = panel.confirm
        assert page is not None
        panel.pages.setCurrentWidget(page)
        page.assessment.setCurrentIndex(
            next(i for i in range(page.assessment.count()) if page.assessment.itemData(i)[0] == aid)
        )
        assert page.level.value() == world.service.assessment(aid).proposed_level
        qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
        assert page.message.text() == "已确认", page.message.text()
    assert "专家一" in page.confirmed.text() and "专家二" in page.confirmed.text()
    _shot(window, tmp_path, "confirm")
    world.service.approve(world.sup1, aid)
    assert city.lc.conclusion(aid)["level"] == world.service.assessment(aid).proposed_level


def test_publicity_objection_review_setting_and_letter_on_screen(
    qtbot: QtBot, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test the supervisor's page: publish the 公示 list (PDF and XLSX, recorded), record an objection; an
    assessor from outside takes the 复评 (people of the original are not offered); after the 复评 both
    conclusions show together; the guardian signs the care setting; the letter is written and signed."""
    with_signing_keys(world, ("a1", "sup1", "sup2"))
    city = make_city(world, "tianjin")
    for name in ("e1", "a4"):
        world.service.issue_certificate(world.admin, name, "root-passphrase", f"{name}-password")
    aid = nhsa_ready(city, world.a1, city.e1)
    visit(city, aid, world.a1, city.e1)
    world.service.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "e1-password"})
    for e in (city.e1, city.e2):
        city.lc.confirm(e, aid, world.service.assessment(aid).proposed_level)  # type: ignore[arg-type]
    world.service.approve(world.sup1, aid, "sup1-password")

    window, panel = _window(qtbot, world, "sup2")
    page = panel.conclusions
    assert page is not None and page.model.rowCount() == 1
    panel.pages.setCurrentWidget(page)
    page.date_from.setDate(QDate(2026, 11, 1))
    page.date_to.setDate(QDate(2026, 11, 30))
    out = tmp_path / "publicity.pdf"
    monkeypatch.setattr("ltc_assess.ui.conclusions.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    qtbot.mouseClick(page.publish_pdf_button, Qt.MouseButton.LeftButton)
    assert not page.publish_pdf_button.isEnabled()  # rendered off the GUI thread; the button waits
    qtbot.waitUntil(lambda: "已发布公示名单：1 项" in page.message.text(), timeout=30000)
    text = PdfReader(out).pages[0].extract_text()
    assert "天津长期护理保险失能等级评估结论公示" in text and world.subject.name not in text
    page.publish(tmp_path / "publicity.xlsx", "xlsx")
    qtbot.waitUntil(lambda: "publicity.xlsx" in page.message.text(), timeout=30000)
    assert openpyxl.load_workbook(io.BytesIO((tmp_path / "publicity.xlsx").read_bytes())).active.max_row >= 4
    assert city.lc.conclusion(aid)["published_at"] == "2026-11-01"
    page.select(aid)
    assert "公示至" in page.model.data(page.model.index(0, 7))
    page.lodged_by.insert("监护人 王小明")  # IME input: QTest types ASCII only
    page.objection_reason.insert("认为等级偏低")  # IME input: QTest types ASCII only
    qtbot.mouseClick(page.lodge_button, Qt.MouseButton.LeftButton)
    assert page.message.text() == "异议已登记", page.message.text()
    _shot(window, tmp_path, "conclusions")

    world.service.add_user(world.admin, "e3", "专家三", "assessor", "e3-password")
    city.lc.set_qualification(world.admin, "e3", "expert")
    _w, a1_panel = _window(qtbot, world, "a1")
    assert a1_panel.review is not None
    assert a1_panel.review.second.findText("专家一") < 0  # e1 took part: never offered
    qtbot.mouseClick(a1_panel.review.start_button, Qt.MouseButton.LeftButton)
    assert "参与了原评估" in a1_panel.review.message.text()  # a1 took part: the service refuses
    a4_window, a4_panel = _window(qtbot, world, "a4")
    review_page = a4_panel.review
    assert review_page is not None
    a4_panel.pages.setCurrentWidget(review_page)
    offered = {review_page.second.itemText(i) for i in range(review_page.second.count())}
    assert offered == {"a3 名", "专家三"}  # not a1, e1 (on site), e2 (confirmed), a4 itself, a2 (unqualified)
    review_page.second.setCurrentIndex(review_page.second.findText("专家三"))
    qtbot.mouseClick(review_page.start_button, Qt.MouseButton.LeftButton)
    review_id = city.lc.reviews(aid)[0]["review_id"]
    assert review_id is not None and f"评估 {review_id}" in review_page.message.text()
    _shot(a4_window, tmp_path, "review")

    e3 = world.service.store.user_by_name("e3")
    a4 = world.service.store.user_by_name("a4")
    assert e3 is not None and a4 is not None
    world.service.issue_certificate(world.admin, "e3", "root-passphrase", "e3-password")
    fill(city, a4, review_id, adl=5)
    visit(city, review_id, a4, e3)
    world.service.submit(a4, review_id, {"assessor1": "a4-password", "assessor2": "e3-password"})
    level = world.service.assessment(review_id).proposed_level
    for name in ("sup2", "e3"):
        expert = world.service.store.user_by_name(name)
        city.lc.confirm(expert, review_id, level)  # type: ignore[arg-type]
    world.service.approve(world.sup2, review_id, "sup2-password")

    page.refresh()
    page.select(aid)
    together = page.together.toPlainText()
    assert f"评估 {aid}：等级" in together and f"复评 {review_id} 结论：等级 {level}" in together
    page.select(review_id)
    assert f"本结论为评估 {aid}" in page.together.toPlainText()
    page.setting.setCurrentIndex(0)
    page.signer.insert("王小明")  # IME input: QTest types ASCII only
    page.relation.insert("儿子")  # IME input: QTest types ASCII only
    pad = page.pad
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.mouseMove(pad, QPoint(80, 40))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(120, 50))
    qtbot.mouseClick(page.setting_button, Qt.MouseButton.LeftButton)
    assert page.message.text() == "护理服务形式已确认", page.message.text()
    qtbot.keyClicks(page.letter_password, "sup2-password")
    letter = tmp_path / "letter.pdf"
    monkeypatch.setattr("ltc_assess.ui.conclusions.QFileDialog.getSaveFileName", lambda *a, **k: (str(letter), ""))
    qtbot.mouseClick(page.letter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.message.text().startswith("已签署的告知书已导出"), timeout=30000)
    assert page.letter_password.text() == ""  # the password does not linger in the field
    reader = PdfReader(letter)
    assert "/Sig" in str(reader.trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()["/FT"])
    body = "".join(p.extract_text() for p in reader.pages)
    assert "王小明" in body and "复评" in body
    _shot(window, tmp_path, "conclusions-review")
