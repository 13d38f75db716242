"""The app's 同步 action and background probe against the real server (PostgreSQL, the ASGI app in process): the
action pushes what the laptop submitted and the office's review queue refreshes from what it pulled; an
unreachable server is said in plain words; the background timer does nothing without a configured server."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, Qt, QThread
from pytestqt.qtbot import QtBot

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.sync_client import server_url, set_server_url
from ltc_assess.ui import sync_action
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.tables import shown_ids
from ltc_assess.workflow import Status

from .conftest import Agency, pg_store_do
from .test_server_flow import SIGNERS, _fill, _server_row

WAIT_MS = 120_000


def _window(qtbot: QtBot, agency: Agency, service: AssessmentService, user: str, url: str | None) -> MainWindow:
    """``user``'s main window on ``service``, whose admin has set the server to ``url`` (None: not set)."""
    if url is not None:
        set_server_url(service, service.store.user_by_name("admin"), url)  # type: ignore[arg-type]
    window = MainWindow(service, service.store.user_by_name(user))  # type: ignore[arg-type]
    qtbot.addWidget(window)
    window.sync.transport = agency.transport if url == agency.url else None
    window.sync.timer.stop()  # the tests start probes themselves
    return window


def _sync_by_hand(qtbot: QtBot, window: MainWindow, password: str) -> str:
    """Ctrl+Shift+S, the password typed into the dialog, Enter; the message shown when done."""
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    qtbot.keyClick(
        window.people.search, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    dialog = window.sync.dialog
    assert dialog is not None and dialog.isVisible(), window.sync.result and window.sync.result.text()
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert window.sync.running and dialog.password.text() == ""  # the password is not left in the dialog
    qtbot.waitUntil(lambda: not window.sync.running, timeout=WAIT_MS)
    assert window.sync.result is not None and window.sync.result.isVisible()
    assert window.statusBar().currentMessage() == window.sync.result.text()
    return window.sync.result.text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sync_action_pushes_a_submitted_assessment_and_the_office_queue_refreshes(
    qtbot: QtBot, agency: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_gui_thread: list[bool] = []
    original = sync_action.sync

    def recording(*args: Any, **kwargs: Any) -> Any:  # the worker rule (tests/ui/test_worker_thread.py)
        gui = QCoreApplication.instance().thread()  # type: ignore[union-attr]
        on_gui_thread.append(QThread.currentThread() == gui)
        return original(*args, **kwargs)

    monkeypatch.setattr(sync_action, "sync", recording)
    laptop = agency.laptop1
    a1 = laptop.store.user_by_name("a1")
    assert a1 is not None
    record, _ = laptop.start_assessment(
        a1, NewAssessment(subject_id=agency.world.subject.id, form="barthel", assessor2_id=agency.world.a2.id)
    )
    _fill(laptop, record.id)
    laptop.submit(a1, record.id, SIGNERS)
    assert _server_row(agency, record.uid) == {}

    window = _window(qtbot, agency, laptop, "a1", agency.url)
    message = _sync_by_hand(qtbot, window, "a1-password")
    assert message.startswith("同步完成：上传 1 份记录"), message
    assert _server_row(agency, record.uid)["status"] == "submitted"

    # the supervisor's desktop pulls it: the review queue shows it without being asked to refresh
    office = _window(qtbot, agency, agency.office, "sup1", agency.url)
    assert office.review_queue is not None
    assert agency.office.store.assessment_by_uid(record.uid) is None
    message = _sync_by_hand(qtbot, office, "sup1-password")
    assert "下载 1 份记录" in message, message
    pulled = agency.office.store.assessment_by_uid(record.uid)
    assert pulled is not None and pulled.status == Status.SUBMITTED
    assert pulled.id in shown_ids(office.review_queue.queue)
    assert on_gui_thread == [False, False]


def test_a_wrong_password_is_said_plainly_and_nothing_is_pushed(qtbot: QtBot, agency: Agency) -> None:
    window = _window(qtbot, agency, agency.laptop1, "a1", agency.url)
    message = _sync_by_hand(qtbot, window, "not-my-password")
    assert message.startswith("同步未完成："), message
    assert "Traceback" not in message


def test_an_unreachable_server_gives_a_clear_message(qtbot: QtBot, agency: Agency) -> None:
    url = f"https://127.0.0.1:{_free_port()}"  # nothing listens there
    window = _window(qtbot, agency, agency.laptop1, "a1", url)
    message = _sync_by_hand(qtbot, window, "a1-password")
    assert message == f"无法连接同步服务器 {url}：请检查网络，稍后再试。"
    assert not window.sync.indicator.isVisible()


def test_the_action_without_a_server_tells_the_user_to_ask_the_admin(qtbot: QtBot, agency: Agency) -> None:
    window = _window(qtbot, agency, agency.laptop1, "a1", None)
    window.show()
    window.sync.action.trigger()
    assert window.sync.dialog is None and not window.sync.running
    assert window.sync.result is not None and "尚未设置同步服务器" in window.sync.result.text()


def test_background_timer_does_nothing_without_a_server(qtbot: QtBot, agency: Agency) -> None:
    window = _window(qtbot, agency, agency.laptop1, "a1", None)
    window.show()
    window.sync.timer.timeout.emit()
    assert not window.sync.running  # no probe started
    qtbot.wait(200)
    assert not window.sync.indicator.isVisible() and window.sync.dialog is None and window.sync.result is None


def test_background_probe_shows_the_quiet_indicator_only_when_the_server_answers(qtbot: QtBot, agency: Agency) -> None:
    window = _window(qtbot, agency, agency.laptop1, "a1", f"https://127.0.0.1:{_free_port()}")
    window.show()
    window.sync.timer.timeout.emit()
    assert window.sync.running
    qtbot.waitUntil(lambda: not window.sync.running, timeout=WAIT_MS)
    assert not window.sync.indicator.isVisible() and window.sync.result is None  # quiet: no message at all
    set_server_url(agency.laptop1, agency.laptop1.store.user_by_name("admin"), agency.url)  # type: ignore[arg-type]
    window.sync.transport = agency.transport
    window.sync.timer.timeout.emit()
    window.sync.timer.timeout.emit()  # while a probe runs, a second never starts
    qtbot.waitUntil(lambda: not window.sync.running, timeout=WAIT_MS)
    assert window.sync.indicator.isVisible() and window.sync.indicator.text() == "需要同步"
    assert window.sync.dialog is None and window.sync.result is None  # never prompts


def test_only_the_admin_sets_the_server_and_only_https(agency: Agency, english: None) -> None:
    laptop = agency.laptop1
    with pytest.raises(AppError) as refused:
        set_server_url(laptop, laptop.store.user_by_name("a1"), "https://evil.example")  # type: ignore[arg-type]
    assert refused.value.code == ErrorCode.PERMISSION
    admin = laptop.store.user_by_name("admin")
    with pytest.raises(AppError, match="must start with https://"):
        set_server_url(laptop, admin, "http://plain.example")  # type: ignore[arg-type]
    assert server_url(laptop) is None
    set_server_url(laptop, admin, " https://office.example:8443/ ")  # type: ignore[arg-type]
    assert server_url(laptop) == "https://office.example:8443"
    set_server_url(laptop, admin, None)  # type: ignore[arg-type]
    assert server_url(laptop) is None


def _probe(qtbot: QtBot, window: MainWindow) -> bool:
    window.sync.timer.timeout.emit()
    qtbot.waitUntil(lambda: not window.sync.running, timeout=WAIT_MS)
    return window.sync.indicator.isVisible()


def _bundles(agency: Agency) -> int:
    return int(pg_store_do(agency.conninfo, lambda s: s.rows("SELECT count(*) AS n FROM bundles"))[0]["n"])


def test_after_a_sync_by_hand_the_timer_sends_new_work_without_asking(qtbot: QtBot, agency: Agency) -> None:
    """The password typed for a sync by hand opened the key; it is held for the session, so the timer sends what
    is new (and only when something is), never prompting."""
    laptop = agency.laptop1
    window = _window(qtbot, agency, laptop, "a1", agency.url)
    assert _sync_by_hand(qtbot, window, "a1-password").startswith("同步完成")
    window.sync.result.close()  # type: ignore[union-attr]
    assert window.sync.held is not None
    pushed = _bundles(agency)
    assert _probe(qtbot, window) and window.sync.indicator.text().startswith("已同步")
    assert _bundles(agency) == pushed  # just synced, nothing new here: nothing sent
    a1 = laptop.store.user_by_name("a1")
    assert a1 is not None
    draft, _changes = laptop.start_assessment(a1, NewAssessment(subject_id=agency.world.subject.id, form="barthel"))
    asked = window.sync.dialog
    assert _probe(qtbot, window) and window.sync.indicator.text().startswith("已同步")
    assert _server_row(agency, draft.uid)["status"] == "draft"  # the new draft was sent
    assert window.sync.dialog is asked and asked is not None and not asked.isVisible()  # never prompts


def test_the_timer_sends_a_lifecycle_fact_the_user_signs_without_asking(qtbot: QtBot, agency: Agency) -> None:
    """A fact made after the last sync (an objection, signed by the supervisor when it leaves) changes no record;
    the timer still counts it as something to send and pushes it with the held key."""
    from ltc_assess.lifecycle import Lifecycle
    from ltc_assess.storage.pg import lifecycle

    from .test_lifecycle_sync import _lifecycle_done

    uid, _lc, aid = _lifecycle_done(agency)
    window = _window(qtbot, agency, agency.office, "sup1", agency.url)
    assert _sync_by_hand(qtbot, window, "sup1-password").startswith("同步完成")
    window.sync.result.close()  # type: ignore[union-attr]
    assert _probe(qtbot, window) and window.sync.indicator.text().startswith("已同步")
    Lifecycle(agency.office).lodge_objection(window.sync.actor, aid, "王小明", "家属认为等级偏低")
    assert pg_store_do(agency.conninfo, lambda s: lifecycle.count(s, uid, "objection")) == 0
    assert _probe(qtbot, window)
    assert pg_store_do(agency.conninfo, lambda s: lifecycle.count(s, uid, "objection")) == 1  # sent, unasked
    assert window.sync.dialog is not None and not window.sync.dialog.isVisible()
