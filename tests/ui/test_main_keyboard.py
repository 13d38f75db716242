"""The main screen by keyboard (Tab, Enter, Ctrl+N) and my work with its read-only view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot
from world import World, complete_barthel

from ltc_assess.ui.assessment_view import AssessmentViewDialog
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.new_assessment_dialog import NewAssessmentDialog
from ltc_assess.ui.subject_dialog import SubjectDialog
from ltc_assess.ui.wizard.window import WizardWindow


def _window(qtbot: QtBot, world: World) -> MainWindow:
    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _close_modal_with_escape(seen: list[str]) -> None:
    """Press Esc in whatever modal dialog is open, remembering its class."""
    dialog = QApplication.activeModalWidget()
    if dialog is None:
        QTimer.singleShot(20, lambda: _close_modal_with_escape(seen))
        return
    seen.append(type(dialog).__name__)
    QTest.keyClick(dialog, Qt.Key.Key_Escape)


def test_tab_leaves_the_table_and_enter_opens_the_person(qtbot: QtBot, world: World) -> None:
    """Test that Tab goes search -> people -> buttons (not trapped in the table), and Enter on a person opens their
    page, which Esc closes."""
    window = _window(qtbot, world)
    window.people.search.setFocus()
    qtbot.keyClick(window.people.search, Qt.Key.Key_Return)  # Enter in the search goes to the people found
    assert window.focusWidget() is window.people.subject_view and window.people.subject_view.selectionModel().selectedRows()
    qtbot.keyClick(window.people.subject_view, Qt.Key.Key_Tab)
    assert window.focusWidget().text() == "登记"  # type: ignore[attr-defined]  # on to the buttons
    window.people.subject_view.setFocus()
    seen: list[str] = []
    QTimer.singleShot(0, lambda: _close_modal_with_escape(seen))
    qtbot.keyClick(window.people.subject_view, Qt.Key.Key_Return)
    assert seen == [SubjectDialog.__name__]


def test_ctrl_n_starts_a_new_assessment(qtbot: QtBot, world: World) -> None:
    """Test that Ctrl+N opens the new-assessment dialog for the selected person (Esc cancels it)."""
    window = _window(qtbot, world)
    QApplication.setActiveWindow(window)  # shortcuts reach the active window only
    qtbot.waitUntil(window.isActiveWindow)
    window.people.subject_view.setFocus()
    window.people.subject_view.selectRow(0)
    seen: list[str] = []
    QTimer.singleShot(0, lambda: _close_modal_with_escape(seen))
    qtbot.keyClick(window.people.subject_view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert seen == [NewAssessmentDialog.__name__]


def test_my_work_shows_every_status_and_opens_read_only(qtbot: QtBot, world: World) -> None:
    """Test that submitted and approved work is listed and filterable, Enter on it opens the read-only view with
    answers, scores, signatures and history, and Enter on a draft opens the wizard."""
    s = world.service
    submitted = complete_barthel(world)
    s.submit(world.a1, submitted)
    approved = complete_barthel(world)
    s.submit(world.a1, approved)
    s.approve(world.sup1, approved)
    draft = complete_barthel(world)
    window = _window(qtbot, world)
    assert {window.my_work.work.rows[r]["id"] for r in range(window.my_work.work.rowCount())} == {submitted, approved, draft}
    window.my_work.work_status.setCurrentIndex(window.my_work.work_status.findData("approved"))
    assert [row["id"] for row in window.my_work.work.rows] == [approved]
    assert window.my_work.work.data(window.my_work.work.index(0, 2)) == "Barthel指数评定量表"  # the form's name, not barthel@1
    window.tabs.setCurrentIndex(1)
    window.my_work.work_view.setFocus()
    window.my_work.work_view.selectRow(0)
    seen: list[str] = []
    QTimer.singleShot(0, lambda: _close_modal_with_escape(seen))
    qtbot.keyClick(window.my_work.work_view, Qt.Key.Key_Return)
    assert seen == [AssessmentViewDialog.__name__]
    window.my_work.work_status.setCurrentIndex(window.my_work.work_status.findData("draft"))
    window.my_work.work_view.setFocus()
    window.my_work.work_view.selectRow(0)
    qtbot.keyClick(window.my_work.work_view, Qt.Key.Key_Return)
    assert [w.aid for w in window.wizards] == [draft] and isinstance(window.wizards[0], WizardWindow)
    window.wizards[0].close()


def test_read_only_view_shows_everything(qtbot: QtBot, world: World) -> None:
    """Test the view's content: status and levels, answers, the explanation, both signature images, history."""
    s = world.service
    aid = complete_barthel(world)
    s.submit(world.a1, aid)
    s.return_for_correction(world.sup1, aid, "请核对洗澡", item_id="BI.2")
    dialog = AssessmentViewDialog(s, world.a1, aid)
    qtbot.addWidget(dialog)
    assert "已退回" in dialog.summary.text() and "只读" in dialog.windowTitle()
    cells = [dialog.answers.item(r, 0).text() for r in range(dialog.answers.rowCount())]
    assert any(c.startswith("BI.1") for c in cells)
    assert "落在" in dialog.scores.toPlainText()
    history = dialog.history.toPlainText()
    assert "开始评估" in history and "提交" in history and "退回修改" in history and "请核对洗澡" in history
    signatures = dialog.tabs.widget(2)
    assert (
        sum(
            1
            for label in signatures.findChildren(type(dialog.summary))
            if label.pixmap() and not label.pixmap().isNull()
        )
        == 3
    )
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_a_stranger_cannot_open_the_view(qtbot: QtBot, world: World) -> None:
    """Test that a third assessor is refused (the service decides, not the list)."""
    from ltc_assess.errors import AppError

    aid = complete_barthel(world)
    with pytest.raises(AppError):
        AssessmentViewDialog(world.service, world.a3, aid)
