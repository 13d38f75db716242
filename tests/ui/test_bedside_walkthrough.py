"""Keyboard only, as a new assessor would, on each of the four forms: one keystroke per scored item, no submission
while an input of a level rule is blank, and the submitted work found in 我的评估 and opened read-only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from world import World

from ltc_assess.errors import LtcError
from ltc_assess.schema.model import ChoiceItem, SignatureItem
from ltc_assess.service import NewAssessment, signature_role
from ltc_assess.ui.assessment_view import AssessmentViewDialog
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.wizard.checklist import ChecklistDialog
from ltc_assess.ui.wizard.window import WizardWindow
from ltc_assess.workflow import Status


class Walk:
    """The wizard driven by key events only, each key remembered with the item it was pressed on."""

    def __init__(self, qtbot: QtBot, wizard: WizardWindow) -> None:
        self.qtbot, self.wizard = qtbot, wizard
        self.keys: list[tuple[str, str]] = []

    def press(self, key: str) -> None:
        self.keys.append((self.wizard.session.current_item or "", key))
        self.qtbot.keyClick(self.wizard, key if len(key) == 1 else getattr(Qt.Key, key))

    def to_the_end(self, skip: frozenset[str]) -> None:
        """Answer every open required item with its first key (best ability), leaving ``skip`` blank."""
        wizard, session = self.wizard, self.wizard.session
        for _step in range(400):
            item_id = session.current_item or ""
            item = wizard.form.items[item_id]
            open_required = session.is_required(item) and not session.is_answered(item_id)
            if isinstance(item, SignatureItem):
                if signature_role(item_id) not in wizard.service.signed_roles(wizard.aid):
                    wizard.editor.pad.draw_line(QPoint(10, 30), QPoint(220, 70))  # type: ignore[union-attr]  # the pen
                    self.press("S")
            elif open_required and item_id not in skip and isinstance(item, ChoiceItem):
                keys = [k for k in wizard.editor.keys if k is not None]  # type: ignore[union-attr]
                self.press("N" if session.none_answers(item_id) and item.type == "multi_choice" else keys[0])
                continue  # a chosen answer moves on by itself
            elif open_required and item_id not in skip:  # a date or a name: typed into its field
                field = wizard.editor.focusProxy()  # type: ignore[union-attr]
                QTest.keyClicks(field, "2026-11-01" if item.type == "date" else "王小明")
            if session.is_last():
                return
            self.press("Key_Right")
        raise AssertionError("the walk did not reach the end")


@pytest.mark.parametrize("form_id", ["gbt42195-2022", "mzt039-2013", "nhsa-ltc-2021", "barthel"])
def test_keyboard_only_on_every_form(qtbot: QtBot, world: World, form_id: str) -> None:
    """Test that each scored item takes one keystroke, that with the level rules' inputs blank the checklist names
    them and neither the dialog nor the service submits, that R then N answer them, and that the submitted work is
    listed in my work (filtered to submitted) and opens read-only by Enter."""
    record, _ = world.service.start_assessment(
        world.a1,
        NewAssessment(subject_id=world.subject.id, form=form_id, assessor2_id=world.a2.id, informant_name="王小明"),
    )
    wizard = WizardWindow(world.service, world.a1, record.id)
    qtbot.addWidget(wizard)
    wizard.show()
    walk = Walk(qtbot, wizard)
    rule_inputs = wizard.session.rule_inputs
    walk.to_the_end(skip=rule_inputs)
    scored = set(wizard.form.scored_items)
    assert sum(1 for item, _key in walk.keys if item in scored) == len(scored)
    assert {item for item, _key in walk.keys} >= scored

    if rule_inputs:
        missing = {m.item_id for m in world.service.checklist(record.id)}
        assert rule_inputs <= missing
        dialog = ChecklistDialog(wizard)
        qtbot.addWidget(dialog)
        assert not dialog.submit_button.isEnabled()
        listed = [dialog.list.item(n).text() for n in range(dialog.list.count())]
        assert all(any(i in line for line in listed) for i in rule_inputs), listed
        dialog.close()
        with pytest.raises(LtcError):
            world.service.submit(world.a1, record.id)
        while not rule_inputs <= set(wizard.session.answers):
            walk.press("R")  # the next open required item: a rule input
            assert wizard.session.current_item in rule_inputs
            walk.press("N")  # 无, for its whole group
        assert not world.service.checklist(record.id)

    def submit_in_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ChecklistDialog), dialog
        for field, who in ((dialog.passwords.get("assessor1"), world.a1), (dialog.passwords.get("assessor2"), world.a2)):
            if field is not None:
                QTest.keyClicks(field, f"{who.username}-password")
        QTest.keyClick(dialog.submit_button, Qt.Key.Key_Space)

    wizard.goto(wizard.session.visible_items(wizard.form.sections[-1])[-1].id)
    QTimer.singleShot(0, submit_in_dialog)
    with qtbot.waitSignal(wizard.submitted):
        walk.press("Key_Return")  # Enter on the last item opens the submission
    assert world.service.assessment(record.id).status == Status.SUBMITTED

    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    window.show()
    window.my_work.work_status.setCurrentIndex(window.my_work.work_status.findData("submitted"))
    rows = [row["id"] for row in window.my_work.work.rows]
    assert record.id in rows
    window.tabs.setCurrentIndex(1)
    window.my_work.work_view.setFocus()
    window.my_work.work_view.selectRow(rows.index(record.id))
    opened: list[AssessmentViewDialog] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, AssessmentViewDialog), dialog
        opened.append(dialog)
        assert dialog.answers.rowCount() > 0 and dialog.scores.toPlainText()
        QTest.keyClick(dialog, Qt.Key.Key_Escape)

    QTimer.singleShot(0, look)
    qtbot.keyClick(window.my_work.work_view, Qt.Key.Key_Return)
    assert len(opened) == 1 and "只读" in opened[0].windowTitle()
