"""Background sync in the app against the real server (PostgreSQL, the ASGI app in process): after login the
timer pushes a submitted assessment with no password prompt; the idle lock drops the held key and nothing syncs
until the password unlocks again; the key is never written to disk; an unreachable server leaves the window
responsive and says so quietly; no background sync runs while an assessment is open in a wizard."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QThread, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from world import id_number

from ltc_assess.service import NewAssessment
from ltc_assess.ui import app as ltc_app
from ltc_assess.ui import sync_action
from ltc_assess.ui.idle_lock import IdleLock
from ltc_assess.ui.login import LoginDialog
from ltc_assess.ui.main_window import MainWindow

from .conftest import Agency
from .test_limits import _second_person, _submit
from .test_server_flow import _server_row, _sync
from .test_sync_action import WAIT_MS, _window


def _logged_in(qtbot: QtBot, agency: Agency, url: str, user: str = "a1", laptop: Any = None) -> MainWindow:
    """``user`` logs in on the laptop (laptop1) through the login window; the app opens the main window with
    that login."""
    laptop = laptop or agency.laptop1
    window = _window(qtbot, agency, laptop, user, url)
    login = LoginDialog(lambda: laptop)
    qtbot.addWidget(login)
    login.username.setText(user)
    login.password.setText(f"{user}-password")
    login.try_login()  # checked on a worker
    qtbot.waitUntil(lambda: login.user is not None, timeout=WAIT_MS)
    assert login.user is not None and login.user.username == user
    ltc_app._unlocked(window, login)
    assert login.password.text() == ""  # the password does not stay in the login window
    qtbot.waitUntil(lambda: window.sync.held is not None, timeout=WAIT_MS)
    return window


def _tick(qtbot: QtBot, window: MainWindow) -> None:
    window.sync.timer.timeout.emit()
    qtbot.waitUntil(lambda: not window.sync.running, timeout=WAIT_MS)


def test_after_login_the_timer_pushes_a_submitted_assessment_without_a_prompt(
    qtbot: QtBot, agency: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_gui_thread: list[bool] = []
    original = sync_action.sync

    def recording(*args: Any, **kwargs: Any) -> Any:
        gui = QCoreApplication.instance().thread()  # type: ignore[union-attr]
        on_gui_thread.append(QThread.currentThread() == gui)
        return original(*args, **kwargs)

    monkeypatch.setattr(sync_action, "sync", recording)
    window = _logged_in(qtbot, agency, agency.url)
    uid = _submit(agency, agency.world.subject.id)
    assert _server_row(agency, uid) == {}
    _tick(qtbot, window)
    assert _server_row(agency, uid)["status"] == "submitted"
    assert on_gui_thread == [False]
    assert window.sync.dialog is None and window.sync.result is None  # no prompt, no message box
    assert not window.sync.indicator.isHidden() and window.sync.indicator.text().startswith("已同步")
    assert "上传 1 份记录" in window.sync.indicator.toolTip()


def test_after_the_idle_lock_nothing_syncs_until_the_password_unlocks(qtbot: QtBot, agency: Agency) -> None:
    window = _logged_in(qtbot, agency, agency.url)
    window.show()
    lock = IdleLock(window, minutes=60)
    uid = _submit(agency, agency.world.subject.id)
    seen: dict[str, Any] = {}

    def while_locked() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, LoginDialog)
        seen["held"], seen["locked"] = window.sync.held, window.sync.locked
        window.sync.timer.timeout.emit()  # the timer fires while locked
        seen["started"] = window.sync.running
        window.sync.action.trigger()  # and the shortcut: no sync either without a key
        seen["asked"] = window.sync.dialog is not None
        dialog.password.setText("a1-password")
        dialog.login_button.click()

    QTimer.singleShot(0, while_locked)
    lock.lock()  # the dialog runs its own event loop until while_locked unlocks it
    assert seen == {"held": None, "locked": True, "started": False, "asked": True}
    assert window.sync.dialog is not None
    window.sync.dialog.reject()  # the prompt a locked session falls back to is not needed after the unlock
    assert _server_row(agency, uid) == {}
    qtbot.waitUntil(lambda: window.sync.held is not None, timeout=WAIT_MS)
    _tick(qtbot, window)
    assert _server_row(agency, uid)["status"] == "submitted"


def _files(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def test_the_held_key_is_in_memory_only_and_dropped_at_logout(qtbot: QtBot, agency: Agency, tmp_path: Path) -> None:
    laptop = agency.laptop1
    stored = laptop.keys.key_pair(laptop.store.user_by_name("a1").id)  # type: ignore[union-attr]
    window = _logged_in(qtbot, agency, agency.url)
    _submit(agency, agency.world.subject.id)
    _tick(qtbot, window)
    assert window.sync.indicator.text().startswith("已同步")
    held, secret = window.sync.held  # type: ignore[misc]
    assert held.key_pem != stored.key_pem and secret.encode() not in held.key_pem  # type: ignore[union-attr]
    body = b"".join(held.key_pem.splitlines()[1:-1])  # the held key's base64, without its armour
    for path in [*_files(tmp_path), *_files(Path(laptop.path).parent)]:
        data = path.read_bytes()
        assert secret.encode() not in data and body[:64] not in data, path
    assert laptop.keys.key_pair(laptop.store.user_by_name("a1").id) == stored  # type: ignore[union-attr]
    ltc_app._close(window)  # logout
    assert window.sync.held is None and window.sync.locked


def test_an_unreachable_server_leaves_the_window_responsive_and_says_so_quietly(qtbot: QtBot, agency: Agency) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers a TLS handshake
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"https://127.0.0.1:{silent.getsockname()[1]}"
        window = _logged_in(qtbot, agency, url)
        ticks: list[int] = []
        clock = QTimer()
        clock.timeout.connect(lambda: ticks.append(1))
        clock.start(50)
        window.sync.timer.timeout.emit()
        assert window.sync.running  # on a worker: the call returned at once
        qtbot.waitUntil(lambda: not window.sync.running, timeout=WAIT_MS)
        clock.stop()
    assert len(ticks) >= 10  # the event loop ran all the while the probe waited for the server
    assert window.sync.indicator.text() == "离线" and url in window.sync.indicator.toolTip()
    assert window.sync.result is None and window.sync.dialog is None  # quiet: no message box


def test_no_background_sync_while_an_assessment_is_open_in_a_wizard(qtbot: QtBot, agency: Agency) -> None:
    window = _logged_in(qtbot, agency, agency.url)
    laptop = agency.laptop1
    a1 = laptop.store.user_by_name("a1")
    assert a1 is not None
    draft, _changes = laptop.start_assessment(a1, NewAssessment(subject_id=agency.world.subject.id, form="barthel"))
    wizard = window.open_wizard(draft.id)
    qtbot.addWidget(wizard)
    window.sync.timer.timeout.emit()
    assert not window.sync.running and window.sync.indicator.text() == "稍后同步"
    assert _server_row(agency, draft.uid) == {}
    wizard.close()
    _tick(qtbot, window)
    assert _server_row(agency, draft.uid)["status"] == "draft"


def test_a_sync_by_hand_asks_to_close_an_open_wizard_first(qtbot: QtBot, agency: Agency) -> None:
    """Ctrl+Shift+S with an assessment open: nothing is pulled under the screen; the message says why and that
    the answers are saved. Once the wizard is closed the same action syncs."""
    window = _logged_in(qtbot, agency, agency.url)
    a1 = agency.laptop1.store.user_by_name("a1")
    assert a1 is not None
    draft, _changes = agency.laptop1.start_assessment(
        a1, NewAssessment(subject_id=agency.world.subject.id, form="barthel")
    )
    wizard = window.open_wizard(draft.id)
    qtbot.addWidget(wizard)
    window.sync.action.trigger()
    assert not window.sync.running and window.sync.dialog is None
    assert window.sync.result is not None and "请先关闭打开的评估表再同步" in window.sync.result.text()
    assert _server_row(agency, draft.uid) == {}
    wizard.close()
    window.sync.action.trigger()  # the key is held: no prompt
    assert window.sync.running
    qtbot.waitUntil(lambda: not window.sync.running, timeout=WAIT_MS)
    assert _server_row(agency, draft.uid)["status"] == "draft"


def test_a_refusal_in_the_background_is_shown_once(qtbot: QtBot, agency: Agency) -> None:
    """a2's laptop holds another person under the ID number of a person a1 assessed: the pull refuses that record.
    The background sync says so in a message box (the reason in plain sight), once."""
    _submit(agency, agency.world.subject.id)
    second = _submit(agency, _second_person(agency))
    _sync(agency, agency.laptop1, "a1")
    laptop2 = agency.laptop2
    laptop2.register_subject(
        laptop2.store.user_by_name("a2"), name="王秀兰", sex="female", id_number=id_number("11010519360711224")
    )
    window = _logged_in(qtbot, agency, agency.url, "a2", laptop2)
    _tick(qtbot, window)
    shown = window.sync.result
    assert shown is not None and shown.isVisible()
    assert f"评估 {second}：其评估对象与本机同一编号的评估对象不符" in shown.informativeText()  # the UI speaks Chinese
    shown.close()
    window.sync.synced_at = None  # the next tick syncs again
    _tick(qtbot, window)
    assert window.sync.result is shown and not shown.isVisible()  # not shown a second time


def test_a_held_key_whose_certificate_was_replaced_is_let_go_and_the_password_asked_again(
    qtbot: QtBot, agency: Agency
) -> None:
    window = _logged_in(qtbot, agency, agency.url)
    laptop = agency.laptop1
    admin = laptop.store.user_by_name("admin")
    laptop.issue_certificate(admin, "a1", "root-passphrase", "a1-password")  # type: ignore[arg-type]
    _submit(agency, agency.world.subject.id)
    _tick(qtbot, window)
    assert window.sync.held is None and window.sync.indicator.text() == "同步失败"
    assert "不是其当前的密钥" in window.sync.indicator.toolTip()  # "not their current one", in the UI's Chinese
    window.sync.action.trigger()
    assert window.sync.dialog is not None and window.sync.dialog.isVisible()  # the sync by hand asks again
    window.sync.dialog.reject()


@pytest.mark.parametrize("started_by", ["timer", "hand"])
def test_an_assessment_opened_while_a_sync_runs_waits_for_it_and_opens_on_what_it_pulled(
    qtbot: QtBot, agency: Agency, monkeypatch: pytest.MonkeyPatch, started_by: str
) -> None:
    """The other order: a1 opens a draft from 我的评估 while a sync (the background one, or one by hand with the
    held key) runs on the worker, whose pull brings the answer a2 (the second assessor, on their own laptop) gave
    meanwhile. The wizard does not open under the pull: the status bar says 正在同步…, and once the sync is done
    the wizard opens on the pulled answer."""
    laptop, laptop2 = agency.laptop1, agency.laptop2
    a1 = laptop.store.user_by_name("a1")
    assert a1 is not None
    draft, _changes = laptop.start_assessment(
        a1, NewAssessment(subject_id=agency.world.subject.id, form="barthel", assessor2_id=agency.world.a2.id)
    )
    assert _sync(agency, laptop, "a1").refused == []
    assert _sync(agency, laptop2, "a2").refused == []
    theirs = laptop2.store.assessment_by_uid(draft.uid)
    assert theirs is not None
    laptop2.save_answer(laptop2.store.user_by_name("a2"), theirs.id, "BI.1", 10)  # type: ignore[arg-type]
    assert _sync(agency, laptop2, "a2").refused == []
    window = _logged_in(qtbot, agency, agency.url)
    gate, original = threading.Event(), sync_action.sync

    def held_back(*args: Any, **kwargs: Any) -> Any:  # the worker's sync waits until the test lets it go
        assert gate.wait(WAIT_MS / 1000)
        return original(*args, **kwargs)

    monkeypatch.setattr(sync_action, "sync", held_back)
    window.sync.synced_at = None  # due: the timer syncs
    if started_by == "timer":
        window.sync.timer.timeout.emit()
    else:
        window.sync.action.trigger()  # Ctrl+Shift+S: the held key, no prompt
    assert window.sync.running
    window.my_work.work_view.selectRow(shown_row(window, draft.id))
    window.my_work.open_selected()  # as a double-click or Enter on the row
    assert window.wizards == [] and laptop.assessment(draft.id).answers.get("BI.1") is None
    assert window.statusBar().currentMessage() == f"正在同步…完成后打开评估 {draft.id}"
    assert window.sync.indicator.text() == "正在同步…"
    gate.set()
    qtbot.waitUntil(lambda: bool(window.wizards), timeout=WAIT_MS)
    [wizard] = window.wizards
    qtbot.addWidget(wizard)
    assert not window.sync.running and wizard.aid == draft.id and wizard.isVisible()
    assert wizard.session.value("BI.1") == 10  # opened on what the pull brought
    assert window.sync.indicator.text().startswith("已同步")
    assert "正在同步" not in window.statusBar().currentMessage()  # said while it waited, no longer
    window.my_work.open_selected()  # with no sync running it opens at once (the one already open comes forward)
    assert window.wizards == [wizard]


def shown_row(window: MainWindow, aid: int) -> int:
    """The row of ``aid`` in the window's 我的评估 list."""
    rows = [i for i, row in enumerate(window.my_work.work.rows) if row["id"] == aid]
    assert rows, "the draft is listed in 我的评估"
    return rows[0]
