"""The review dialog: title, answer columns, decision feedback, approval in the background, comment times."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QDialog, QHeaderView, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot
from world import World, complete_barthel, with_signing_keys

from ltc_assess.service import AssessmentService
from ltc_assess.ui.review import ReviewDialog
from ltc_assess.workflow import Action, Status

PASSWORDS = {"assessor1": "a1-password", "assessor2": "a2-password"}


def _open(qtbot: QtBot, world: World, aid: int) -> ReviewDialog:
    dialog = ReviewDialog(world.service, world.sup1, aid)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


@pytest.fixture
def resubmitted(world: World) -> int:
    """A submitted barthel assessment whose previous one (a month earlier, worse) was approved."""
    first = complete_barthel(world, values=0)
    world.service.submit(world.a1, first)
    world.service.approve(world.sup2, first)
    world.clock.now = world.clock.now.replace(month=12)
    aid = complete_barthel(world, values=10)
    world.service.submit(world.a1, aid)
    return aid


@pytest.fixture
def signed(world: World) -> int:
    """A submitted assessment signed by both assessors, with a certificate for supervisor sup1."""
    with_signing_keys(world, ("a1", "a2", "sup1"))
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid, PASSWORDS)
    return aid


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What the supervisor types into the password prompt (set ``["text"]``)."""
    typed = {"text": "sup1-password"}
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: (typed["text"], True))
    return typed


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts of the warnings the dialog shows (instead of modal boxes that would block the test)."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    return shown


@pytest.fixture
def beijing_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local time zone UTC+8 (a POSIX rule, so no tz database is needed)."""
    monkeypatch.setenv("TZ", "CST-8")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_title_names_the_person_and_the_form(qtbot: QtBot, world: World, resubmitted: int) -> None:
    """Test that the window title gives the person's name and the form's human title, not its id."""
    title = _open(qtbot, world, resubmitted).windowTitle()
    assert "王秀英" in title and "Barthel指数评定量表" in title and f"评估 {resubmitted}" in title
    assert "barthel@" not in title


def test_answer_columns_have_dated_headers_and_wrap(qtbot: QtBot, world: World, resubmitted: int) -> None:
    """Test that both answer columns are headed with their dates and long answers wrap instead of scrolling."""
    dialog = _open(qtbot, world, resubmitted)
    table = dialog.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["项目", "本次评估（2026-12-01）", "上次批准（2026-11-01）"]
    header = table.horizontalHeader()
    assert all(header.sectionResizeMode(c) == QHeaderView.ResizeMode.Stretch for c in range(table.columnCount()))
    assert table.wordWrap() and table.horizontalScrollBar().maximum() == 0
    long_cell = max((table.item(r, 1) for r in range(table.rowCount())), key=lambda i: len(i.text()))
    assert long_cell.toolTip() == long_cell.text()
    assert table.rowHeight(long_cell.row()) > table.rowHeight(0)  # wrapped onto several lines


def test_first_assessment_has_one_dated_answer_column(qtbot: QtBot, world: World) -> None:
    """Test that without an approved previous assessment the table has the item and this assessment only."""
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    dialog = _open(qtbot, world, aid)
    table = dialog.table
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())] == ["项目", "本次评估（2026-11-01）"]


def test_decide_shows_the_recorded_level_and_reason(qtbot: QtBot, world: World, resubmitted: int) -> None:
    """Test that 核定 shows at once the level and reason that were stored, and the hint explains both actions."""
    dialog = _open(qtbot, world, resubmitted)
    assert dialog.decision.text().startswith("尚未核定：批准时采用建议等级 1")
    dialog.level.setCurrentIndex(dialog.level.findData(2))
    dialog.reason.setText("夜间需要照护")
    dialog.buttons[Action.DECIDE_LEVEL].click()
    assert world.service.assessment(resubmitted).decided_level == 2
    assert dialog.decision.text() == "已核定：2 中度依赖（理由：夜间需要照护）"
    assert dialog.status.text() == "核定已保存。"


def test_decide_without_reason_warns_and_records_nothing(
    qtbot: QtBot, world: World, resubmitted: int, warnings: list[str]
) -> None:
    """Test that a different level without a reason is refused with a warning and the dialog still says undecided."""
    dialog = _open(qtbot, world, resubmitted)
    dialog.level.setCurrentIndex(dialog.level.findData(3))
    dialog.buttons[Action.DECIDE_LEVEL].click()
    assert warnings and "reason" in warnings[0]
    assert world.service.assessment(resubmitted).decided_level is None
    assert dialog.decision.text().startswith("尚未核定")


def test_signed_approval_runs_in_background_then_confirms(
    qtbot: QtBot, world: World, signed: int, password: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test that approving with signing keeps the dialog busy while a worker thread signs, then confirms and closes."""
    threads: list[threading.Thread] = []
    approve = AssessmentService.approve

    def recording(self: AssessmentService, *args: object) -> object:
        threads.append(threading.current_thread())
        return approve(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(AssessmentService, "approve", recording)
    dialog = _open(qtbot, world, signed)
    dialog.buttons[Action.APPROVE].click()
    assert not dialog.busy.isHidden() and "正在批准并签名" in dialog.status.text()
    assert not any(button.isEnabled() for button in dialog.buttons.values()) and not dialog.reason.isEnabled()
    dialog.reject()  # Esc / the window's close button
    assert dialog.isVisible()  # not while the approval runs
    qtbot.waitUntil(lambda: dialog.confirmation is not None and dialog.confirmation.isVisible(), timeout=30000)
    assert threads and threads[0] is not threading.main_thread()
    assert world.service.assessment(signed).status == Status.APPROVED
    assert dialog.confirmation is not None
    assert dialog.confirmation.text() == f"已批准：评估 {signed}，核定等级 1 轻度依赖"
    assert dialog.busy.isHidden()
    dialog.confirmation.button(QMessageBox.StandardButton.Ok).click()
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()


def test_wrong_password_keeps_the_dialog_open_with_the_error(
    qtbot: QtBot, world: World, signed: int, password: dict[str, str], warnings: list[str]
) -> None:
    """Test that a failed signature shows the error, keeps the dialog and its inputs, and a retry succeeds."""
    dialog = _open(qtbot, world, signed)
    dialog.reason.setText("与家属核实过")
    password["text"] = "not-the-password"
    dialog.buttons[Action.APPROVE].click()
    qtbot.waitUntil(lambda: bool(warnings), timeout=30000)
    assert "签名密码错误" in warnings[0]
    assert dialog.isVisible() and dialog.confirmation is None and dialog.busy.isHidden()
    assert dialog.buttons[Action.APPROVE].isEnabled() and dialog.reason.text() == "与家属核实过"
    assert world.service.assessment(signed).status == Status.SUBMITTED
    password["text"] = "sup1-password"
    dialog.buttons[Action.APPROVE].click()
    qtbot.waitUntil(lambda: dialog.confirmation is not None, timeout=30000)
    assert world.service.assessment(signed).status == Status.APPROVED


def test_approval_without_keys_confirms(qtbot: QtBot, world: World) -> None:
    """Test that without signing keys approval (one quick transaction) confirms with the level that stands."""
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    dialog = _open(qtbot, world, aid)
    dialog.buttons[Action.APPROVE].click()
    assert world.service.assessment(aid).status == Status.APPROVED
    assert dialog.confirmation is not None and dialog.confirmation.isVisible()
    assert dialog.confirmation.text() == f"已批准：评估 {aid}，核定等级 1 轻度依赖"


def test_comment_times_are_local(qtbot: QtBot, world: World, beijing_time: None) -> None:
    """Test that earlier review comments show their time in local time as 'YYYY-MM-DD HH:MM', not UTC ISO."""
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    world.service.return_for_correction(world.sup1, aid, "请核实进食一项", "BI.1")  # at 09:00 UTC
    world.service.submit(world.a1, aid)
    dialog = _open(qtbot, world, aid)
    assert dialog.comments.toPlainText() == "2026-11-01 17:00 sup1 名：请核实进食一项（BI.1）"
