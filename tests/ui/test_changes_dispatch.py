"""The main window refreshes only the views a mutation's ``Changes`` concern (the shell's one dispatcher)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from world import PNG, World, complete_barthel, id_number, with_signing_keys

from ltc_assess.service import AssessmentService, Changes, NewAssessment
from ltc_assess.ui.due import DuePanel
from ltc_assess.ui.exchange import ConflictsPanel, Exchange
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.my_work_tab import MyWorkTab
from ltc_assess.ui.new_assessment_dialog import NewAssessmentDialog
from ltc_assess.ui.people_tab import PeopleTab
from ltc_assess.ui.register_dialog import RegisterDialog
from ltc_assess.ui.review import ReviewDialog
from ltc_assess.ui.review_queue_tab import ReviewQueueTab

VIEWS = (PeopleTab, MyWorkTab, ReviewQueueTab, ConflictsPanel, DuePanel)


def count_refreshes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each view reads its rows again from now on (call it after the window is built)."""
    seen: Counter[str] = Counter()
    for view in VIEWS:

        def counting(self: object, _original=view.refresh, _name=view.__name__) -> None:  # type: ignore[no-untyped-def]
            seen[_name] += 1
            _original(self)

        monkeypatch.setattr(view, "refresh", counting)
    return seen


def _window(qtbot: QtBot, service: AssessmentService, actor: object) -> MainWindow:
    window = MainWindow(service, actor)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    return window


def test_registering_a_person_refreshes_the_people_list_only(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that a person registered from the people tab appears there, and no assessment list is read again."""
    window = _window(qtbot, world.service, world.sup1)

    def fill_in(dialog: RegisterDialog) -> int:
        dialog.fields["name"].setText("赵桂芳")
        dialog.fields["id_number"].setText(id_number("11010119450101002"))
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(RegisterDialog, "exec", fill_in)
    counts = count_refreshes(monkeypatch)
    window.people.register()
    assert counts == Counter({"PeopleTab": 1})
    assert "赵桂芳" in [row["name"] for row in window.people.subjects.rows]


def test_starting_an_assessment_refreshes_my_work_and_opens_the_wizard(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that a new assessment shows in my work (read again) and opens its wizard; the people list is not read."""
    window = _window(qtbot, world.service, world.a1)
    window.people.subject_view.selectRow(0)
    monkeypatch.setattr(NewAssessmentDialog, "exec", lambda _d: QDialog.DialogCode.Accepted)
    counts = count_refreshes(monkeypatch)
    window.people.new_assessment()
    assert counts == Counter({"MyWorkTab": 1})
    [wizard] = window.wizards
    assert [row["id"] for row in window.my_work.work.rows] == [wizard.aid]
    wizard.close()


def test_a_change_to_a_record_no_list_shows_reads_nothing_again(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that a signature saved on a draft (its real Changes) refreshes my work while the draft is listed
    there, and nothing at all once the list is filtered to approved work; the supervisor's queue never."""
    draft, _ = world.service.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    mine = _window(qtbot, world.service, world.a1)
    supervisor = _window(qtbot, world.service, world.sup1)
    counts = count_refreshes(monkeypatch)
    changes = world.service.save_signature(world.a1, draft.id, "informant", PNG)
    mine.apply(changes)
    supervisor.apply(changes)
    assert counts == Counter({"MyWorkTab": 1})
    mine.my_work.work_status.setCurrentIndex(mine.my_work.work_status.findData("approved"))
    counts.clear()
    mine.apply(world.service.save_signature(world.a1, draft.id, "informant", PNG))
    assert counts == Counter()


def test_a_decision_in_the_review_refreshes_the_queue(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that a level decided in a review opened from the queue shows in the queue at once, without reading
    the people or the conflicts again."""
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    window = _window(qtbot, world.service, world.sup1)
    queue = window.review_queue
    assert queue is not None
    queue.queue_view.selectRow(0)

    def decide(dialog: ReviewDialog) -> int:
        dialog.level.setCurrentIndex(dialog.level.findData(2))
        dialog.reason.setText("夜间需要照护")
        dialog._decide()
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(ReviewDialog, "exec", decide)
    counts = count_refreshes(monkeypatch)
    queue.review_selected()
    assert counts["ReviewQueueTab"] == 1 and not counts["PeopleTab"] and not counts["ConflictsPanel"]
    assert queue.queue.rows[0]["decided_level"] == 2


def test_an_import_refreshes_the_lists_it_wrote_to(
    qtbot: QtBot, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that a bundle imported from the menu's exchange puts the submitted record in the office's queue (read
    again from the import's Changes) and leaves the conflicts list alone when there were none."""
    s = world.service
    with_signing_keys(world, ("a1", "a2"))
    office = AssessmentService(s.backup(tmp_path / "office.db"))
    sup1 = office.login("sup1", "sup1-password")
    aid = complete_barthel(world)
    s.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "a2-password"})
    messages: list[str] = []
    Exchange(_window(qtbot, s, world.a1), s, world.a1, messages.append).export_bundle(tmp_path / "b.zip", "a1-password")
    qtbot.waitUntil(lambda: bool(messages), timeout=20000)
    window = _window(qtbot, office, sup1)
    queue = window.review_queue
    assert queue is not None and queue.queue.rowCount() == 0
    counts = count_refreshes(monkeypatch)
    window.exchange.import_bundle(tmp_path / "b.zip")
    qtbot.waitUntil(lambda: "导入" in window.statusBar().currentMessage(), timeout=20000)
    assert "新增 1" in window.statusBar().currentMessage()
    assert [row["id"] for row in queue.queue.rows] == [office.store.assessment_by_uid(s.assessment(aid).uid).id]  # type: ignore[union-attr]
    assert counts["ReviewQueueTab"] == 1 and counts["PeopleTab"] == 1 and not counts["ConflictsPanel"]
    counts.clear()
    window.exchange.import_bundle(tmp_path / "b.zip")  # the same again: nothing changes, nothing is read
    qtbot.waitUntil(lambda: "已导入过" in window.statusBar().currentMessage(), timeout=20000)
    assert counts == Counter()
    office.close()


def test_new_accounts_reach_the_assessor_filter(qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a new account's Changes (users_changed, from the service) refill the queue's assessor filter
    (keeping the choice) and read no list, and not the after-the-decision pages either."""
    window = _window(qtbot, world.service, world.sup1)
    queue = window.review_queue
    assert queue is not None
    queue.queue_assessor.setCurrentIndex(queue.queue_assessor.findData(world.a2.id))
    _user, changes = world.service.add_user(world.admin, "a9", "新评估员", "assessor", "a9-password-long")
    assert changes == Changes(users_changed=True)
    counts = count_refreshes(monkeypatch)
    after = count_after_refreshes(monkeypatch)
    window.apply(changes)
    assert queue.queue_assessor.findText("新评估员") > 0 and queue.queue_assessor.currentData() == world.a2.id
    assert counts == Counter() and after == Counter({"AfterDecisionPanel.refresh_people": 1})


def count_after_refreshes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the 结论后续 tab reads everything again, or only its pages that show people."""
    from ltc_assess.ui.after_decision import AfterDecisionPanel

    seen: Counter[str] = Counter()
    for name, method in (("refresh", AfterDecisionPanel.refresh), ("refresh_people", AfterDecisionPanel.refresh_people)):

        def counting(self: object, _original=method, _name=name) -> None:  # type: ignore[no-untyped-def]
            seen[f"AfterDecisionPanel.{_name}"] += 1
            _original(self)

        monkeypatch.setattr(AfterDecisionPanel, name, counting)
    return seen


def test_a_qualification_set_on_the_staff_page_reads_the_people_pages_only(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that the admin's staff page emits the service's own Changes (users_changed), through which the shell
    shows the new qualification on the page, reading no assessment list and not the whole tab."""
    window = _window(qtbot, world.service, world.admin)
    staff = window.after.staff
    assert staff is not None
    emitted: list[Changes] = []
    staff.changed.connect(emitted.append)
    staff.select("a2")
    staff.kind.setCurrentIndex(staff.kind.findData("expert"))
    counts = count_refreshes(monkeypatch)
    after = count_after_refreshes(monkeypatch)
    staff.set_selected()
    assert emitted == [Changes(users_changed=True)]
    assert counts == Counter() and after == Counter({"AfterDecisionPanel.refresh_people": 1})
    row = next(r for r in staff.model.rows if r["username"] == "a2")
    assert row["qualification"] == "expert"
    assert staff.view.selectionModel().selectedRows()[0].row() == staff.model.rows.index(row)


def test_a_change_of_the_agencys_keys_reads_no_view(qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that keys_changed alone (the agency's code set: no view shows it) reads nothing again."""
    window = _window(qtbot, world.service, world.admin)
    changes = world.service.set_agency(world.admin, code="AG-2")
    assert changes == Changes(keys_changed=True)
    counts = count_refreshes(monkeypatch)
    after = count_after_refreshes(monkeypatch)
    window.apply(changes)
    assert counts == Counter() and after == Counter()


def test_the_forms_offered_put_the_citys_then_the_recent_ones_first() -> None:
    """Test the new-assessment form list: no form id is built in; the city policy's version leads (even when a
    newer one is installed), then the forms the assessor used, most recent first; then final before provisional."""
    from ltc_assess.schema.registry import installed_forms
    from ltc_assess.ui.new_assessment_dialog import offered_forms

    installed = installed_forms()
    plain = [f.form for f in offered_forms(installed, [])]
    assert sorted(plain) == sorted({f.form for f in installed})
    assert [f.status for f in offered_forms(installed, [])][-1] == "provisional"
    recent = [f.form for f in offered_forms(installed, ["nhsa-ltc-2021@1", "barthel", "mzt039-2013", "barthel"])]
    assert recent[:3] == ["nhsa-ltc-2021", "barthel", "mzt039-2013"]
    nhsa = next(f for f in installed if f.form == "nhsa-ltc-2021")
    with_newer = (*installed, nhsa.model_copy(update={"version": nhsa.version + 1}))
    assert "nhsa-ltc-2021@2" in [f.ref for f in offered_forms(with_newer, [])]  # the newest by default
    assert [f.ref for f in offered_forms(with_newer, ["nhsa-ltc-2021@1"])][0] == "nhsa-ltc-2021@1"


def test_a_status_review_flagged_reaches_the_due_list_only(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that flagging a 状态评估 (due_changed) puts it on the due list, and no assessment list is read again."""
    from unit.lifecycle.helpers import approved, make_city

    city = make_city(world, "tianjin")
    aid = approved(city)
    window = _window(qtbot, world.service, world.sup2)
    assert window.due is not None
    before = [row["kind"] for row in window.due.model.rows]
    counts = count_refreshes(monkeypatch)
    window.apply(city.lc.flag_status_review(world.sup2, aid, "2026-11-20", "术后康复"))
    assert counts == Counter({"DuePanel": 1})
    assert "status_review" not in before and "status_review" in [row["kind"] for row in window.due.model.rows]


# --- after the decision: each page emits the service's Changes, the shell reads what they name --------------------


def _emitted(page: object) -> list[Changes]:
    """What ``page`` emits from now on on its ``changed`` signal."""
    seen: list[Changes] = []
    page.changed.connect(seen.append)  # type: ignore[attr-defined]
    return seen


def test_choosing_the_city_reads_the_after_tab_and_brings_the_due_list(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that the admin's city button emits the service's policy_changed, through which the shell adds the due
    list and reads the 结论后续 tab once; no assessment or people list is read."""
    window = _window(qtbot, world.service, world.admin)
    panel = window.after
    assert panel.city is not None and window.due is None
    emitted = _emitted(panel)
    panel.city.setCurrentIndex(panel.city.findData("chengdu"))
    counts = count_refreshes(monkeypatch)
    after = count_after_refreshes(monkeypatch)
    panel.use_city()
    assert emitted == [Changes(policy_changed=True)]
    assert after == Counter({"AfterDecisionPanel.refresh": 1})
    assert window.due is not None and not counts["PeopleTab"] and not counts["MyWorkTab"]
    assert "成都" in panel.policy.text()


def test_a_check_in_reads_the_onsite_page_and_the_listed_draft(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that a check-in clicked on the on-site page emits its assessment and after_decision_changed (the
    service's), and the shell reads the 结论后续 tab (the visit shows) and my work, where the draft is listed."""
    from PySide6.QtCore import Qt
    from unit.lifecycle.helpers import make_city, nhsa_ready

    city = make_city(world)
    aid = nhsa_ready(city, world.a1, city.e1)
    window = _window(qtbot, world.service, world.a1)
    page = window.after.onsite
    assert page is not None
    page.assessment.setCurrentIndex(page.assessment.findData(aid))
    page.place.insert("现场")  # IME input: QTest types ASCII only
    emitted = _emitted(page)
    counts = count_refreshes(monkeypatch)
    after = count_after_refreshes(monkeypatch)
    qtbot.mouseClick(page.check_in_button, Qt.MouseButton.LeftButton)
    assert emitted == [Changes(assessment_ids=(aid,), after_decision_changed=True)]
    assert counts == Counter({"MyWorkTab": 1}) and after == Counter({"AfterDecisionPanel.refresh": 1})
    assert page.people.rowCount() == 1 and page.aid() == aid


def test_the_supervisors_after_decision_acts_read_the_after_tab_only(
    qtbot: QtBot, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that publishing (on a worker) and an objection emit the service's Changes for the approved record, and
    the shell reads the 结论后续 tab and nothing else (no list shows the record's 公示 or objection); publishing
    again, which changes nothing, reads nothing."""
    from unit.lifecycle.helpers import approved, make_city

    city = make_city(world)
    aid = approved(city)
    window = _window(qtbot, world.service, world.sup2)
    page = window.after.conclusions
    assert page is not None
    page.select(aid)
    emitted = _emitted(page)
    counts = count_refreshes(monkeypatch)
    after = count_after_refreshes(monkeypatch)
    page.publish(tmp_path / "publicity.xlsx", "xlsx")
    qtbot.waitUntil(lambda: "publicity.xlsx" in page.message.text(), timeout=30000)
    assert emitted == [Changes(assessment_ids=(aid,), after_decision_changed=True)]
    assert counts == Counter() and after == Counter({"AfterDecisionPanel.refresh": 1})
    assert "公示至" in page.model.data(page.model.index(0, 7))
    assert page.selected_id() == aid  # the shell's refresh keeps the choice
    page.publish(tmp_path / "again.xlsx", "xlsx")
    qtbot.waitUntil(lambda: "again.xlsx" in page.message.text(), timeout=30000)
    assert emitted[1:] == [Changes()] and after == Counter({"AfterDecisionPanel.refresh": 1})
    page.lodged_by.insert("王小明")  # IME input: QTest types ASCII only
    page.objection_reason.insert("认为等级偏低")
    page.lodge()
    assert page.message.text() == "异议已登记"
    assert emitted[2:] == [Changes(assessment_ids=(aid,), after_decision_changed=True)]
    assert counts == Counter() and after == Counter({"AfterDecisionPanel.refresh": 2})
    assert "提出异议" in page.together.toPlainText()
