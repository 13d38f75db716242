"""Main window, models, language switch and the screenshots command."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from world import World, id_number

from ltc_assess.i18n import set_language
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.models import assessment_model, subject_model, subject_row
from ltc_assess.ui.subject_dialog import SubjectDialog


def test_models_pass_qt_model_tests(qtmodeltester: ModelTester, world: World) -> None:
    """Test both table models with Qt's model tester, with data in them."""
    subjects = subject_model()
    subjects.refresh([subject_row(s) for s in world.service.search_subjects("")])
    qtmodeltester.check(subjects)
    assessments = assessment_model()
    assessments.refresh(world.service.list_assessments())
    qtmodeltester.check(assessments)


def test_register_search_masks_and_sorts(qtbot: QtBot, world: World) -> None:
    """Test that the register lists people with masked ID numbers and filters as you type."""
    world.service.register_subject(world.a1, name="李秀兰", sex="female", id_number=id_number("11010519420101002"))
    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    assert window.people.subjects.rowCount() == 2
    masked = window.people.subjects.data(window.people.subjects.index(0, 3))
    assert "**********" in masked
    window.people.search.setText("李")
    assert window.people.subjects.rowCount() == 1
    window.people.subjects.sort(0)
    assert window.people.subjects.data(window.people.subjects.index(0, 0)) == "李秀兰"


def test_language_switch_rebuilds_in_english(qtbot: QtBot, world: World) -> None:
    """Test that switching to English gives English window text and English form labels."""
    try:
        set_language("en")
        window = MainWindow(world.service, world.a1)
        qtbot.addWidget(window)
        assert window.windowTitle().startswith("Long-term care assessment workstation")
        assert window.tabs.tabText(0) == "People"
    finally:
        set_language("zh_CN")


def test_subject_page_shows_history(qtbot: QtBot, world: World) -> None:
    """Test that a person's page lists their assessments."""
    dialog = SubjectDialog(world.service, world.subject)
    qtbot.addWidget(dialog)
    assert world.subject.name in dialog.windowTitle()


def test_supervisor_sees_review_queue(qtbot: QtBot, world: World) -> None:
    """Test that supervisors get the review tab and assessors do not."""
    sup = MainWindow(world.service, world.sup1)
    ass = MainWindow(world.service, world.a1)
    qtbot.addWidget(sup)
    qtbot.addWidget(ass)
    def titles(window: MainWindow) -> list[str]:
        return [window.tabs.tabText(i) for i in range(window.tabs.count())]

    # supervisors also get the queue and conflicts; everyone gets 结论后续 (no city chosen: no 到期提醒)
    assert titles(sup) == ["评估对象", "我的评估", "审核队列", "冲突", "结论后续"]
    assert titles(ass) == ["评估对象", "我的评估", "结论后续"]


def test_screenshots_render(qtbot: QtBot, world: World, tmp_path: Path) -> None:
    """Test that the screenshots command renders every main screen to a non-empty PNG."""
    from ltc_assess.ui.screenshots import render_screenshots

    shots = render_screenshots(tmp_path / "shots", db=None)
    assert [p.name for p in shots][:2] == ["01-login.png", "02-register.png"] and len(shots) == 15
    assert [p.name for p in shots][9:] == [  # the 结论后续 pages under 成都's policy, and the due list
        "10-after-decision-admin.png", "11-onsite-and-advice.png", "12-expert-confirmation.png",
        "13-conclusions-publicity-objection.png", "14-review-by-others.png", "15-due-list.png",
    ]
    assert all(p.stat().st_size > 5000 for p in shots)


def test_review_dialog_decides_and_approves(qtbot: QtBot, world: World) -> None:
    """Test that a supervisor sees changes against the previous assessment, decides a level with a reason and approves."""
    from world import complete_barthel

    from ltc_assess.ui.review import ReviewDialog
    from ltc_assess.workflow import Status

    s = world.service
    first = complete_barthel(world, values=0)
    s.submit(world.a1, first)
    s.approve(world.sup2, first)
    aid = complete_barthel(world, values=10)
    s.submit(world.a1, aid)
    dialog = ReviewDialog(s, world.sup1, aid)
    qtbot.addWidget(dialog)
    assert dialog.table.columnCount() == 3  # this time / previous
    highlighted = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())
                   if dialog.table.item(r, 0).background().color().name() == "#fef3c7"]
    assert any(t.startswith("BI.1 ") for t in highlighted)
    dialog.level.setCurrentIndex(2)
    dialog.reason.setText("夜间需要照护")
    dialog._decide()
    assert s.assessment(aid).decided_level == 2
    dialog._approve()
    assert s.assessment(aid).status == Status.APPROVED


def test_report_export_runs_off_the_gui_thread(qtbot: QtBot, world: World, tmp_path: Path) -> None:
    """Test that exporting a report from the person's page renders in the background and writes the PDF."""
    from world import complete_barthel

    aid = complete_barthel(world)
    dialog = SubjectDialog(world.service, world.subject)
    qtbot.addWidget(dialog)
    target = tmp_path / "r.pdf"
    dialog.export_report(aid, target)
    assert not dialog.export_button.isEnabled()  # busy while the worker runs
    qtbot.waitUntil(lambda: target.exists() and dialog.export_button.isEnabled(), timeout=20000)
    assert target.read_bytes().startswith(b"%PDF") and "已导出" in dialog.status.text()


def test_idle_lock_hides_and_resumes_with_password(qtbot: QtBot, world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Test that after the idle time the windows lock, and the user's password brings back those that were open."""
    from PySide6.QtWidgets import QDialog

    from ltc_assess.service import NewAssessment
    from ltc_assess.ui.idle_lock import IdleLock
    from ltc_assess.ui.login import LoginDialog

    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    window.show()
    open_one, _ = world.service.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    closed_one, _ = world.service.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    wizard = window.open_wizard(open_one.id)
    window.open_wizard(closed_one.id).close()
    seen = {}

    def fake_exec(dialog: LoginDialog) -> int:
        seen["user"] = dialog.username.text()
        seen["hidden"] = not window.isVisible() and not wizard.isVisible()
        dialog.password.setText("a1-password")
        dialog.try_login()
        qtbot.waitUntil(lambda: not dialog.verifying, timeout=20000)
        return QDialog.DialogCode.Accepted if dialog.user else QDialog.DialogCode.Rejected

    monkeypatch.setattr(LoginDialog, "exec", fake_exec)
    lock = IdleLock(window, minutes=0.001)
    qtbot.waitUntil(lambda: "user" in seen, timeout=3000)
    assert seen == {"user": "a1", "hidden": True}
    assert window.isVisible() and wizard.isVisible() and lock.timer.isActive()
    assert [w.aid for w in window.wizards if w.isVisible()] == [open_one.id]  # the closed wizard stays closed
    lock.timer.stop()  # or it would lock again during later tests, with the real (modal) login dialog


def test_opening_an_open_assessment_brings_its_wizard_forward(qtbot: QtBot, world: World) -> None:
    """Test that opening an assessment whose wizard is open reuses it instead of a second, diverging copy."""
    from ltc_assess.service import NewAssessment

    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    record, _ = world.service.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    first = window.open_wizard(record.id)
    assert window.open_wizard(record.id) is first and len(window.wizards) == 1
    first.close()
    assert window.open_wizard(record.id) is not first  # a closed wizard is opened afresh


def test_first_run_builds_the_demo_in_the_background(qtbot: QtBot, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Test that a first start without a database offers the demo and builds it (off the GUI thread)."""
    from PySide6.QtWidgets import QMessageBox

    from ltc_assess.service import AssessmentService
    from ltc_assess.ui.first_run import offer_demo_database

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    path = tmp_path / "first.db"
    assert offer_demo_database(path)
    service = AssessmentService(path)
    assert service.login("assessor1", "demo-assessor1").role == "assessor"
    assert service.check() == []
    service.close()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert not offer_demo_database(tmp_path / "declined.db") and not (tmp_path / "declined.db").exists()


def test_bundle_round_trip_from_the_ui(qtbot: QtBot, world: World, tmp_path: Path) -> None:
    """Test exporting a bundle on one machine and importing it on another from the UI, in the background."""
    from world import complete_barthel

    from ltc_assess.service import AssessmentService
    from ltc_assess.ui.exchange import Exchange

    s = world.service
    s.init_root(world.admin, "示例机构", "root-passphrase")
    s.issue_certificate(world.admin, "a1", "root-passphrase", "a1-password")
    office = AssessmentService(s.backup(tmp_path / "office.db"))
    office.login("sup1", "sup1-password")  # the copy is encrypted: a password opens it
    aid = complete_barthel(world)
    messages: list[str] = []
    window = MainWindow(s, world.a1)
    qtbot.addWidget(window)
    Exchange(window, s, world.a1, messages.append).export_bundle(tmp_path / "b.zip", "a1-password")
    qtbot.waitUntil(lambda: bool(messages), timeout=20000)
    assert "数据包已导出" in messages[0]
    office_window = MainWindow(office, office.store.user_by_name("sup1"))  # type: ignore[arg-type]
    qtbot.addWidget(office_window)
    Exchange(office_window, office, office.store.user_by_name("sup1"), messages.append).import_bundle(tmp_path / "b.zip")  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: len(messages) == 2, timeout=20000)
    assert "新增 1" in messages[1]
    assert office.store.assessment_by_uid(s.assessment(aid).uid) is not None
    office.close()


def test_review_queue_filters_by_form(qtbot: QtBot, world: World) -> None:
    """Test that the supervisor's queue narrows to one form."""
    from world import complete_barthel

    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    window = MainWindow(world.service, world.sup1)
    qtbot.addWidget(window)
    queue = window.review_queue
    assert queue is not None and queue.queue.rowCount() == 1
    queue.queue_form.setCurrentIndex(queue.queue_form.findData("gbt42195-2022"))
    assert queue.queue.rowCount() == 0
    queue.queue_form.setCurrentIndex(queue.queue_form.findData("barthel"))
    assert queue.queue.rowCount() == 1


def test_supervisor_starts_a_correction_from_the_persons_page(qtbot: QtBot, world: World) -> None:
    """Test that a supervisor can start a correction of an approved assessment from the person's page."""
    from world import complete_barthel

    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    world.service.approve(world.sup1, aid)
    dialog = SubjectDialog(world.service, world.subject, None, world.sup2)
    qtbot.addWidget(dialog)
    dialog.amend(aid, "跌倒次数更正")
    assert "更正版本 2" in dialog.status.text() and dialog.model.rowCount() == 2


def test_review_queue_filters_by_status_level_and_date(qtbot: QtBot, world: World) -> None:
    """Test the queue's status, level and date filters (the service applies them)."""
    from world import complete_barthel

    aid = complete_barthel(world)  # transfers and walking at 10 of 15: 90 -> level 1
    world.service.submit(world.a1, aid)
    window = MainWindow(world.service, world.sup1)
    qtbot.addWidget(window)
    queue = window.review_queue
    assert queue is not None
    queue.queue_level.setCurrentIndex(queue.queue_level.findText("1"))
    assert queue.queue.rowCount() == 1
    queue.queue_level.setCurrentIndex(queue.queue_level.findText("2"))
    assert queue.queue.rowCount() == 0
    queue.queue_level.setCurrentIndex(0)
    queue.queue_from.setText("2027-01-01")
    queue.refresh()
    assert queue.queue.rowCount() == 0
    queue.queue_from.setText("")
    queue.queue_status.setCurrentIndex(queue.queue_status.findData("approved"))
    assert queue.queue.rowCount() == 0


def test_register_dialog_keeps_what_was_typed_and_reads_the_id_number(qtbot: QtBot, world: World) -> None:
    """Test that a refused registration keeps the dialog open with every field, that a valid ID number sets
    the sex and shows the birth date, and that choosing the other sex is pointed out."""
    from ltc_assess.ui.register_dialog import RegisterDialog

    dialog = RegisterDialog(world.service, world.a1)
    qtbot.addWidget(dialog)
    dialog.fields["name"].setText("赵桂芳")  # keyClicks aborts on non-ASCII text (STACK.md)
    qtbot.keyClicks(dialog.fields["phone"], "13900001111")
    bad = id_number("11010119450101001")[:17] + ("0" if id_number("11010119450101001")[17] != "0" else "1")
    qtbot.keyClicks(dialog.fields["id_number"], bad)
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted and "APP_004" in dialog.error.text()
    assert dialog.fields["name"].text() == "赵桂芳" and dialog.fields["phone"].text() == "13900001111"
    good = id_number("11010119450101002")  # 17th digit 2: female
    dialog.fields["id_number"].setText(good)
    assert dialog.sex.currentData() == "female" and "1945-01-01" in dialog.derived.text()
    dialog.sex.setCurrentIndex(dialog.sex.findData("male"))
    assert "不一致" in dialog.derived.text()
    dialog.sex.setCurrentIndex(dialog.sex.findData("female"))
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.subject is not None
    assert (dialog.subject.name, dialog.subject.sex, dialog.subject.birth_date) == ("赵桂芳", "female", "1945-01-01")


def test_table_order_survives_refresh_and_numbers_sort_as_numbers(qtmodeltester: ModelTester) -> None:
    """Test that the order the user chose stays after new rows arrive (so the header arrow tells the truth)
    and that assessment 9 comes before 10."""
    from PySide6.QtCore import Qt

    model = assessment_model()
    row = {"subject_name": "甲", "form_id": "barthel", "form_version": 1, "status": "draft",
           "assessment_date": "2026-11-01", "proposed_level": None, "decided_level": None}
    model.refresh([{**row, "id": n} for n in (10, 9, 11)])
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert [model.data(model.index(r, 0)) for r in range(3)] == ["9", "10", "11"]
    model.refresh([{**row, "id": n} for n in (12, 2, 30)])
    assert [model.data(model.index(r, 0)) for r in range(3)] == ["2", "12", "30"]
    qtmodeltester.check(model)


def test_names_sort_by_pinyin_and_the_register_opens_a_to_z(qtbot: QtBot, world: World) -> None:
    """Test that people sort as Chinese readers expect (陈 黄 李 王 张 by pinyin, not by code point) and that
    the register opens in that order."""
    from PySide6.QtCore import Qt

    for n, name in enumerate(("黄凤英", "张玉兰", "陈淑珍", "李桂兰")):
        world.service.register_subject(world.a1, name=name, sex="female",
                                       id_number=id_number(f"11010519400101{n + 1}02"))
    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    subjects = window.people.subjects
    names = [subjects.data(subjects.index(r, 0)) for r in range(subjects.rowCount())]
    assert names == ["陈淑珍", "黄凤英", "李桂兰", "王秀英", "张玉兰"]
    subjects.sort(0, Qt.SortOrder.DescendingOrder)
    assert subjects.data(subjects.index(0, 0)) == "张玉兰"


def test_choosing_a_city_brings_the_due_tab_at_once(qtbot: QtBot, world: World) -> None:
    """Test that the admin's choice of a city, made on screen, adds 到期提醒 before 结论后续 and gives the people
    tab the city's form right away (through the shell's Changes), and that another city updates both."""
    window = MainWindow(world.service, world.admin)
    qtbot.addWidget(window)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "到期提醒" not in titles and window.due is None and window.people.policy_form is None
    panel = window.after
    assert panel.city is not None
    panel.city.setCurrentIndex(panel.city.findData("chengdu"))
    use = next(b for b in panel.findChildren(QPushButton) if b.text() == "设为本机构城市")
    qtbot.mouseClick(use, Qt.MouseButton.LeftButton)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles[-2:] == ["到期提醒", "结论后续"] and window.due is not None
    assert "成都 chengdu@1" in window.due.policy.text()
    assert window.people.policy_form == "nhsa-ltc-2021@1"
    panel.city.setCurrentIndex(panel.city.findData("tianjin"))
    qtbot.mouseClick(use, Qt.MouseButton.LeftButton)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())].count("到期提醒") == 1
    assert "天津 tianjin@1" in window.due.policy.text()
