"""The worker rule: every call that can take over ~50 ms (rendering, signing, exports, imports, the 告知书) runs
off the GUI thread, whichever screen starts it. Each slow service call is wrapped to record the thread it ran on
while the real UI is driven through submission, approval, report export, bundle export and import, the insurer
package and the letter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QThread
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot
from unit.lifecycle.helpers import approved, make_city
from world import World, complete_barthel, with_signing_keys

import ltc_assess.ui.exchange as exchange_ui
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import AssessmentService
from ltc_assess.service.export import Export
from ltc_assess.service.reports import Reports
from ltc_assess.service.review import Review
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.review import ReviewDialog
from ltc_assess.ui.subject_dialog import SubjectDialog
from ltc_assess.ui.wizard.checklist import ChecklistDialog
from ltc_assess.workflow import Action, Status

# Wrapped on the service's managers, where the work is done: calls through the facade and between managers alike.
SLOW: tuple[tuple[Any, str], ...] = (
    (Review, "submit"),  # renders the report; both assessors sign it
    (Review, "approve"),  # with signing keys: renders and signs the approved report
    (Reports, "render_report"),
    (Reports, "report_pdf"),
    (Export, "export_package"),
    (Lifecycle, "letter_pdf"),
    (exchange_ui, "export_bundle"),
    (exchange_ui, "import_bundle"),
)


def _recording(original: Callable[..., Any], runs: list[bool]) -> Callable[..., Any]:
    def recording(*args: Any, **kwargs: Any) -> Any:
        runs.append(QThread.currentThread() == QCoreApplication.instance().thread())  # type: ignore[union-attr]
        return original(*args, **kwargs)

    return recording


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bool]]:
    """For each slow call: whether each run of it was on the GUI thread."""
    seen: dict[str, list[bool]] = {name: [] for _owner, name in SLOW}
    for owner, name in SLOW:
        monkeypatch.setattr(owner, name, _recording(getattr(owner, name), seen[name]))
    return seen


def _window(qtbot: QtBot, service: AssessmentService, actor: Any) -> MainWindow:
    window = MainWindow(service, actor)
    qtbot.addWidget(window)
    return window


def test_slow_work_runs_on_the_worker(
    qtbot: QtBot, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: dict[str, list[bool]]
) -> None:
    """Test submission with signatures, signed approval, report export, bundle export and import and the insurer
    package, each started from its screen: all of it ran, and none of it on the GUI thread."""
    with_signing_keys(world, ("a1", "a2", "sup1"))
    office = AssessmentService(world.service.backup(tmp_path / "office.db"))
    office_sup = office.login("sup1", "sup1-password")
    aid = complete_barthel(world)
    assessor = _window(qtbot, world.service, world.a1)
    wizard = assessor.open_wizard(aid)
    checklist = ChecklistDialog(wizard)
    qtbot.addWidget(checklist)
    checklist.passwords["assessor1"].setText("a1-password")
    checklist.passwords["assessor2"].setText("a2-password")
    with qtbot.waitSignal(wizard.submitted, timeout=30000):
        checklist.submit_button.click()
        assert not checklist.submit_button.isEnabled()  # busy while the worker renders and signs
    assert world.service.assessment(aid).status == Status.SUBMITTED

    assessor.exchange.export_bundle(tmp_path / "b.zip", "a1-password")
    qtbot.waitUntil(lambda: "数据包已导出" in assessor.statusBar().currentMessage(), timeout=30000)
    office_window = _window(qtbot, office, office_sup)
    office_window.exchange.import_bundle(tmp_path / "b.zip")
    qtbot.waitUntil(lambda: "新增 1" in office_window.statusBar().currentMessage(), timeout=30000)

    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("sup1-password", True))
    supervisor = _window(qtbot, world.service, world.sup1)
    review = ReviewDialog(world.service, world.sup1, aid)
    qtbot.addWidget(review)
    review.changed.connect(supervisor.apply)
    review.buttons[Action.APPROVE].click()
    qtbot.waitUntil(lambda: review.confirmation is not None, timeout=30000)
    assert world.service.assessment(aid).status == Status.APPROVED

    page = SubjectDialog(world.service, world.subject, None, world.sup1)
    qtbot.addWidget(page)
    page.export_report(aid, tmp_path / "r.pdf")
    qtbot.waitUntil(lambda: (tmp_path / "r.pdf").exists(), timeout=30000)
    today = dt.date.today().isoformat()
    supervisor.exchange.export_insurer(tmp_path / "insurer.zip", "sup1-password", "2000-01-01", today, None)
    qtbot.waitUntil(lambda: "保险机构数据包已导出" in supervisor.statusBar().currentMessage(), timeout=30000)

    not_run = [name for name, runs in threads.items() if not runs and name != "letter_pdf"]
    assert not not_run, f"never called, so not proven: {not_run}"
    on_gui = [name for name, runs in threads.items() if any(runs)]
    assert not on_gui, f"ran on the GUI thread: {on_gui}"
    office.close()


def test_the_letter_is_rendered_on_the_worker(
    qtbot: QtBot, world: World, tmp_path: Path, threads: dict[str, list[bool]]
) -> None:
    """Test that the 告知书 written from the due list is rendered off the GUI thread."""
    city = make_city(world, "tianjin")
    aid = approved(city)
    window = _window(qtbot, world.service, world.sup2)
    assert window.due is not None
    window.due.write_letter(aid, tmp_path / "letter.pdf")
    qtbot.waitUntil(lambda: (tmp_path / "letter.pdf").exists(), timeout=30000)
    assert threads["letter_pdf"] == [False]


def test_the_password_is_checked_off_the_gui_thread(
    qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Test that logging in to a locked (encrypted) database unseals its key and checks the argon2id hash on a
    worker: while the check is held there the window keeps running its event loop, the button waits and 正在验证…
    shows; then the GUI thread's own service is open and the dialog accepted. A wrong password is refused in the
    window the same way, the button free again."""
    import threading

    from PySide6.QtCore import Qt, QTimer

    from ltc_assess.service import accounts
    from ltc_assess.storage.keyslots import KeySlots
    from ltc_assess.ui.login import LoginDialog

    on_gui: dict[str, list[bool]] = {"hash": [], "unseal": []}
    release = threading.Event()
    check, unseal = accounts.password_matches, KeySlots.unlock

    def held_check(stored: str, password: str) -> bool:
        on_gui["hash"].append(QThread.currentThread() == QCoreApplication.instance().thread())  # type: ignore[union-attr]
        release.wait(20)
        return check(stored, password)

    def recorded_unseal(slots: KeySlots, username: str, password: str) -> bytes | None:
        on_gui["unseal"].append(QThread.currentThread() == QCoreApplication.instance().thread())  # type: ignore[union-attr]
        return unseal(slots, username, password)

    monkeypatch.setattr(accounts, "password_matches", held_check)
    monkeypatch.setattr(KeySlots, "unlock", recorded_unseal)
    locked = AssessmentService(world.service.path)  # as the app opens it: encrypted, waiting for a login
    assert not locked.is_open
    login = LoginDialog(lambda: locked)
    qtbot.addWidget(login)
    login.show()
    login.username.setText("a1")
    login.password.setText("a1-password")
    qtbot.mouseClick(login.login_button, Qt.MouseButton.LeftButton)
    assert login.verifying and not login.login_button.isEnabled() and login.status.text() == "正在验证…"
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    qtbot.waitUntil(lambda: len(ticks) >= 10 and on_gui["hash"] != [], timeout=20000)  # the GUI thread runs on
    assert login.user is None and login.status.isVisible()
    assert login.grab().save(str(tmp_path / "login-verifying.png"))
    release.set()
    qtbot.waitUntil(lambda: not login.verifying, timeout=20000)
    timer.stop()
    assert login.user is not None and login.user.username == "a1" and login.result() == login.DialogCode.Accepted
    assert on_gui == {"hash": [False], "unseal": [False]}
    assert locked.is_open and locked.assessment(complete_barthel(world)).status == Status.DRAFT  # its own connection
    wrong = LoginDialog(lambda: locked, username="a1")
    qtbot.addWidget(wrong)
    wrong.password.setText("not-the-password")
    wrong.try_login()
    qtbot.waitUntil(lambda: not wrong.verifying, timeout=20000)
    assert wrong.user is None and "APP_007" in wrong.error.text() and wrong.login_button.isEnabled()
    assert on_gui["hash"] == [False, False]
    locked.close()
