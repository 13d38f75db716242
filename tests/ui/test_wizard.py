"""The wizard driven like an assessor: keyboard walkthrough, relevance, validation, saved state, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot
from world import World

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.schema.model import MultiChoiceItem, SignatureItem, SingleChoiceItem
from ltc_assess.scoring import score
from ltc_assess.service import NewAssessment
from ltc_assess.ui.wizard.checklist import ChecklistDialog
from ltc_assess.ui.wizard.editors import EDITORS
from ltc_assess.ui.wizard.window import WizardWindow
from ltc_assess.workflow import Status

REPO = Path(__file__).resolve().parents[2]


def _wizard(qtbot: QtBot, world: World, form: str = "gbt42195-2022") -> WizardWindow:
    record, _ = world.service.start_assessment(world.a1, NewAssessment(
        subject_id=world.subject.id, form=form, assessor2_id=world.a2.id, informant_name="王小明"))
    wizard = WizardWindow(world.service, world.a1, record.id)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _sign(qtbot: QtBot, wizard: WizardWindow) -> None:
    pad = wizard.editor.pad  # type: ignore[union-attr]
    pad.draw_line(QPoint(10, 30), QPoint(200, 60))
    with qtbot.waitSignal(wizard.editor.answer_changed):  # type: ignore[union-attr]
        wizard.editor.findChildren(type(wizard.submit_button))[1].click()  # type: ignore[union-attr]


@pytest.mark.parametrize("form_id", ["gbt42195-2022", "nhsa-ltc-2021", "mzt039-2013", "barthel"])
def test_keyboard_walkthrough_to_submitted_record(qtbot: QtBot, world: World, form_id: str) -> None:
    """Test a full assessment on each form with the keyboard to a submitted record whose level matches the engine."""
    wizard = _wizard(qtbot, world, form=form_id)
    form = wizard.form
    seen = set()
    for _step in range(400):
        item_id = wizard.session.current_item
        assert item_id is not None
        seen.add(item_id)
        item = form.items[item_id]
        last = wizard.session.is_last()
        if isinstance(item, SingleChoiceItem) and wizard.session.value(item_id) is None:
            qtbot.keyClick(wizard, wizard.editor.keys[0])  # type: ignore[union-attr]  # first option: best ability
            assert wizard.saved.text().startswith("已保存") and wizard.session.value(item_id) is not None
            if wizard.session.current_item != item_id:
                continue  # moved on by itself
        elif isinstance(item, MultiChoiceItem) and wizard.session.value(item_id) is None:
            qtbot.keyClick(wizard, "N")  # none of these: an explicit 无
            assert wizard.session.value(item_id) is not None and wizard.session.current_item != item_id
            continue
        elif isinstance(item, SignatureItem):
            _sign(qtbot, wizard)
        elif wizard.session.is_required(item) and wizard.session.value(item_id) is None:
            wizard.editor.set_value("2026-11-01" if item.type == "date" else "示例")  # type: ignore[union-attr]
            wizard.editor._emit()  # type: ignore[union-attr]
        if last:
            break
        qtbot.keyClick(wizard, Qt.Key.Key_Return)
    assert set(form.scored_items) <= seen and "SIG.informant" in seen
    dialog = ChecklistDialog(wizard)
    qtbot.addWidget(dialog)
    assert dialog.submit_button.isEnabled(), [dialog.list.item(i).text() for i in range(dialog.list.count())]
    with qtbot.waitSignal(wizard.submitted):
        dialog.submit_button.click()
    record = world.service.assessment(wizard.aid)
    assert record.status == Status.SUBMITTED
    expected = score(form, record.answers)
    assert record.proposed_level == expected.final_level is not None


def test_relevance_follow_up_appears(qtbot: QtBot, world: World) -> None:
    """Test that choosing 其他 as the reason makes the follow-up item part of the walk."""
    wizard = _wizard(qtbot, world)
    wizard.goto("A.1.3")
    assert wizard.session.move(1) != "A.1.3.1"
    wizard.goto("A.1.3")
    wizard.editor.choose_index(4)  # type: ignore[union-attr]  # the choice moves on by itself
    assert wizard.session.current_item == "A.1.3.1"
    assert "尚未填写" in wizard.issue.text()


def test_constraint_message_shown_next_to_item(qtbot: QtBot, world: World) -> None:
    """Test that a birth date after the assessment date is flagged on the item, and the answer kept."""
    wizard = _wizard(qtbot, world)
    wizard.goto("A.2.3")
    wizard.editor.set_value("2030-01-01")  # type: ignore[union-attr]
    wizard.editor._emit()  # type: ignore[union-attr]
    assert "出生日期不能晚于评估基准日期" in wizard.issue.text()


def test_consistency_warning_next_to_item(qtbot: QtBot, world: World) -> None:
    """Test that B.3.9 = 0 with no coma recorded shows the W2 warning on the item."""
    wizard = _wizard(qtbot, world)
    wizard.goto("B.3.9")
    wizard.editor.choose_index(2)  # type: ignore[union-attr]
    assert "昏睡还是昏迷" in wizard.warning.text()


def test_saved_appears_only_after_the_service_commits(qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a failed save shows the error and no 'saved' state."""
    wizard = _wizard(qtbot, world)
    wizard.goto("B.1.1")

    def fail(*_args: object, **_kw: object) -> None:
        raise AppError(ErrorCode.INTEGRITY, "disk full")

    monkeypatch.setattr(world.service, "save_answer", fail)
    wizard.editor.choose_index(0)  # type: ignore[union-attr]
    assert wizard.saved.text() == "" and "disk full" in wizard.issue.text()


def test_live_score_panel_explains(qtbot: QtBot, world: World) -> None:
    """Test that the score panel shows dimension progress and the rule explanations as answers come in."""
    wizard = _wizard(qtbot, world, form="barthel")
    wizard.goto("BI.1")
    wizard.editor.choose_index(0)  # type: ignore[union-attr]
    qtbot.wait(1)  # the section list and score panel follow the card a frame later
    assert "日常生活活动能力：10…/100" in wizard.score_panel.dims.text()
    assert "尚未完成" in wizard.score_panel.level.text()
    for n in range(2, 11):
        wizard.goto(f"BI.{n}")
        wizard.editor.choose_index(0)  # type: ignore[union-attr]
    qtbot.wait(1)  # the section list and score panel follow the card a frame later
    assert "0 无需依赖" in wizard.score_panel.level.text()
    assert "落在100区间" in wizard.score_panel.explain.toPlainText()


def test_every_editor_round_trips(qtbot: QtBot, world: World) -> None:
    """Test that each registered editor type returns the value it was given."""
    form = world.service.form("gbt42195-2022")
    samples = {"single_choice": ("A.1.3", "routine"), "multi_choice": ("A.4.1", ["I10-I15", "F00-F03"]),
               "number": ("A.2.4", 165), "text": ("A.2.1", "王秀英"), "date": ("A.1.2", "2026-11-01"),
               "group": ("A.4.2", [{"name": "阿司匹林", "dose": "100mg"}])}
    assert set(samples) | {"computed", "signature"} == set(EDITORS)
    for kind, (item_id, value) in samples.items():
        editor = EDITORS[kind](form.items[item_id])
        qtbot.addWidget(editor)
        editor.set_value(value)
        assert editor.value() == value, kind


def test_exclusive_option_clears_others(qtbot: QtBot, world: World) -> None:
    """Test that choosing 无 in a multi-select clears the other choices (and the other way round)."""
    form = world.service.form("gbt42195-2022")
    editor = EDITORS["multi_choice"](form.items["A.5.3"])
    qtbot.addWidget(editor)
    editor.choose_index(1)
    editor.choose_index(2)
    assert editor.value() == ["abrasion", "burn"]
    editor.choose_index(0)
    assert editor.value() == ["none"]
    editor.choose_index(3)
    assert editor.value() == ["surgical"]


CHILD = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from ltc_assess.service import AssessmentService
from ltc_assess.ui.wizard.window import WizardWindow
app = QApplication([])
service = AssessmentService(sys.argv[1])
actor = service.login("a1", "a1-password")
wizard = WizardWindow(service, actor, int(sys.argv[2]))
wizard.show()
for item in ("BI.1", "BI.2", "BI.3"):
    wizard.goto(item)
    wizard.editor.choose_index(1)
wizard.goto("BI.4")
print("ready", flush=True)
import time
time.sleep(60)
"""


@pytest.mark.slow
def test_resume_after_the_app_is_killed(qtbot: QtBot, world: World) -> None:
    """Test that after SIGKILL of a running app, reopening returns to the same item with every answer."""
    record, _ = world.service.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(world.service.path), str(record.id)],
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGKILL)
    child.wait()
    time.sleep(0.1)
    wizard = WizardWindow(world.service, world.a1, record.id)
    qtbot.addWidget(wizard)
    assert wizard.session.current_item == "BI.4"
    assert {k: wizard.session.value(k) for k in ("BI.1", "BI.2", "BI.3")} == {"BI.1": 5, "BI.2": 0, "BI.3": 0}
    assert json.dumps(world.service.assessment(record.id).answers, ensure_ascii=False)


def test_reviewer_comment_shown_on_its_item(qtbot: QtBot, world: World) -> None:
    """Test that a returned assessment shows the supervisor's comment on the item it concerns."""
    from world import complete_barthel

    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    world.service.return_for_correction(world.sup1, aid, "洗澡一项与家属描述不符", item_id="BI.2")
    wizard = WizardWindow(world.service, world.a1, aid)
    qtbot.addWidget(wizard)
    wizard.goto("BI.2")
    assert "洗澡一项与家属描述不符" in wizard.comment.text()
    wizard.goto("BI.3")
    assert wizard.comment.text() == ""


def test_second_assessor_chosen_in_the_submit_checklist(qtbot: QtBot, world: World) -> None:
    """Test that an assessment started without a second assessor gets one from the checklist."""
    record, _ = world.service.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    wizard = WizardWindow(world.service, world.a1, record.id)
    qtbot.addWidget(wizard)
    dialog = ChecklistDialog(wizard)
    qtbot.addWidget(dialog)
    dialog.second.setCurrentIndex(dialog.second.findData(world.a2.id))
    dialog.accept = lambda: None  # type: ignore[method-assign]
    wizard.open_checklist = lambda: None  # type: ignore[method-assign]
    dialog._set_second()
    assert world.service.assessment(record.id).assessor2_id == world.a2.id


def test_a_refused_save_puts_the_stored_answer_back_on_screen(qtbot: QtBot, world: World) -> None:
    """Test that when the service refuses an answer (here: the record was submitted meanwhile), the option the
    assessor clicked is unselected again: the screen never shows an answer that is not stored."""
    from world import complete_barthel

    aid = complete_barthel(world)
    wizard = WizardWindow(world.service, world.a1, aid)
    qtbot.addWidget(wizard)
    wizard.goto("BI.1")
    assert wizard.editor.value() == 10  # type: ignore[union-attr]
    world.service.submit(world.a1, aid)  # e.g. from another window
    wizard.editor.choose_index(1)  # type: ignore[union-attr]
    assert wizard.saved.text() == "" and "APP_003" in wizard.issue.text()
    assert wizard.editor.value() == 10 and wizard.session.value("BI.1") == 10  # type: ignore[union-attr]
    assert world.service.assessment(aid).answers["BI.1"] == 10


def test_submitting_closes_the_wizard_and_the_main_window_confirms(qtbot: QtBot, world: World) -> None:
    """Test that after submission the wizard closes (the record is read-only now) and the main window says so."""
    from world import complete_barthel

    from ltc_assess.ui.main_window import MainWindow

    aid = complete_barthel(world)
    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    wizard = window.open_wizard(aid)
    dialog = ChecklistDialog(wizard)
    qtbot.addWidget(dialog)
    assert dialog.submit_button.isEnabled()
    with qtbot.waitSignal(wizard.submitted):
        dialog.submit_button.click()
    assert not wizard.isVisible() and world.service.assessment(aid).status == Status.SUBMITTED
    assert str(aid) in window.statusBar().currentMessage() and "已提交" in window.statusBar().currentMessage()


def test_signatures_count_in_progress_and_the_checklist_leads_to_each_pad(qtbot: QtBot, world: World) -> None:
    """Test that the signature section is not ticked before anyone signed, each missing signature in the
    checklist jumps to its pad (no internal ids shown), and a stored signature is shown on its pad."""
    wizard = _wizard(qtbot, world, form="barthel")
    qtbot.wait(1)  # the section list and score panel follow the card a frame later
    last = wizard.sections.item(wizard.sections.count() - 1).text()
    assert "0/3" in last and "✓" not in last
    dialog = ChecklistDialog(wizard)
    qtbot.addWidget(dialog)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert "缺少评估员（二）签名" in texts and not any("SIG." in t for t in texts)
    dialog._jump(dialog.list.item(texts.index("缺少评估员（二）签名")))
    assert wizard.session.current_item == "SIG.assessor2" and wizard.editor.pad.empty  # type: ignore[union-attr]
    _sign(qtbot, wizard)
    qtbot.wait(1)  # the section list and score panel follow the card a frame later
    assert "1/3" in wizard.sections.item(wizard.sections.count() - 1).text()
    assert "SIG." not in wizard.code.text()
    wizard.goto("BI.1")
    wizard.goto("SIG.assessor2")
    assert not wizard.editor.pad.empty and "已签名" in wizard.editor.state.text()  # type: ignore[union-attr]


def test_empty_signature_is_not_confirmed(qtbot: QtBot, world: World) -> None:
    """Test that 确认签名 on an empty pad saves nothing and says why."""
    wizard = _wizard(qtbot, world, form="barthel")
    wizard.goto("SIG.informant")
    wizard.editor.findChildren(type(wizard.submit_button))[1].click()  # type: ignore[union-attr]
    assert "请先在框内签名" in wizard.editor.state.text() and world.service.signatures(wizard.aid) == {}  # type: ignore[union-attr]


def test_typing_goes_into_text_and_number_fields_and_page_keys_still_move(qtbot: QtBot, world: World) -> None:
    """Test that a text field has the focus when its item is shown, Enter saves it and moves on, and PgDn in a
    number field moves to the next section without stepping the number."""
    wizard = _wizard(qtbot, world)
    with qtbot.waitActive(wizard):  # keyboard focus needs the active window
        wizard.activateWindow()
    wizard.goto("A.1.1")
    line = wizard.editor.focusProxy()  # type: ignore[union-attr]
    assert line is not None and line.hasFocus() and line.selectedText() == line.text() != ""  # pre-filled
    qtbot.keyClicks(line, "NO-2026-7")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert world.service.assessment(wizard.aid).answers["A.1.1"] == "NO-2026-7"
    assert wizard.session.current_item == "A.1.2"
    wizard.goto("A.2.4")
    spin = wizard.editor.focusProxy()  # type: ignore[union-attr]
    assert spin.hasFocus()
    qtbot.keyClicks(spin, "162")
    qtbot.keyClick(spin, Qt.Key.Key_PageDown)
    assert wizard.session.section_of(wizard.session.current_item).id != "A.2"  # type: ignore[arg-type]
    assert world.service.assessment(wizard.aid).answers["A.2.4"] == 162  # saved as typed, not stepped


def test_enter_on_the_last_item_opens_the_submit_checklist(qtbot: QtBot, world: World,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that Enter on the last item leads to submission instead of doing nothing."""
    opened = []
    monkeypatch.setattr(ChecklistDialog, "exec", lambda self: opened.append(self) or 0)
    wizard = _wizard(qtbot, world, form="barthel")
    wizard.goto("SIG.informant")
    assert wizard.session.is_last()
    qtbot.keyClick(wizard, Qt.Key.Key_Return)
    assert len(opened) == 1 and wizard.session.current_item == "SIG.informant"


def test_a_section_opens_at_its_first_unanswered_item(qtbot: QtBot, world: World) -> None:
    """Test that clicking a section in the side list goes to where work is left in it."""
    wizard = _wizard(qtbot, world, form="barthel")
    for item_id in ("BI.1", "BI.2", "BI.3"):
        wizard.goto(item_id)
        wizard.editor.choose_index(0)  # type: ignore[union-attr]
    wizard.goto("INFO.1")
    adl = next(i for i, s in enumerate(wizard.form.sections) if s.id == "adl")
    wizard._on_section_clicked(wizard.sections.item(adl))
    assert wizard.session.current_item == "BI.4"


def test_passing_an_unanswered_date_saves_nothing(qtbot: QtBot, world: World) -> None:
    """Test that moving through a date item with Enter, without changing it, does not save the date the
    field merely displays (today)."""
    record, _ = world.service.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    world.service.save_answer(world.a1, record.id, "INFO.1", None)  # the pre-filled date, cleared
    wizard = WizardWindow(world.service, world.a1, record.id)
    qtbot.addWidget(wizard)
    wizard.show()
    with qtbot.waitActive(wizard):
        wizard.activateWindow()
    wizard.goto("INFO.1")
    field = wizard.editor.focusProxy()  # type: ignore[union-attr]
    assert field is not None and field.hasFocus()
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert wizard.session.current_item != "INFO.1"
    assert world.service.assessment(record.id).answers.get("INFO.1") is None
