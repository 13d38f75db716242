"""Start-up: the login window comes before the core, logging in waits for the core, the main window follows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from world import World

from ltc_assess.cli import COMMAND_MODULES, _commands_needed
from ltc_assess.service import NewAssessment

pytestmark = pytest.mark.slow  # starts the app in subprocesses

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("ltc_assess.service", "pydantic", "sqlite_utils", "cryptography", "reportlab", "ruamel.yaml")

# Runs the real `ltc-assess gui` entry in a fresh interpreter; the login window's exec() is replaced by what a
# user does at once (no typing time), so logging in must wait for the core that is still loading.
FIRST_START = r"""
import json, sys, time
from PySide6.QtWidgets import QApplication, QDialog
from ltc_assess.cli import main
from ltc_assess.ui import app as ui_app

HEAVY = sys.argv[3].split(",")
seen = {}
shown = ui_app.LoginDialog.show
def show(self):
    seen["loaded_when_shown"] = [m for m in HEAVY if m in sys.modules]
    shown(self)
ui_app.LoginDialog.show = show

def log_in_at_once(login):
    seen["visible"] = login.isVisible()
    login.username.setText("assessor1"); login.password.setText(sys.argv[2])
    login.try_login()
    seen["verifying_shown"] = login.verifying and not login.login_button.isEnabled()
    deadline = time.monotonic() + 60
    while login.verifying and time.monotonic() < deadline:  # the password is checked on a worker thread
        QApplication.processEvents(); time.sleep(0.005)
    # the core thread must not import Qt code: PySide6 builds its types lazily, and not thread-safely
    seen["ui_loaded_by_core"] = "ltc_assess.ui.main_window" in sys.modules
    if login.user is None:
        seen["error"] = login.error.text()
    else:
        window = ui_app.open_main_window(login.open_service(), login.user)
        seen["role"] = login.user.role.value
        seen["main_window"] = window.isVisible()
        seen["forms"] = window.service.form("barthel").ref
    print(json.dumps(seen))
    return QDialog.DialogCode.Rejected

ui_app.LoginDialog.exec = log_in_at_once
sys.exit(main(["gui", "--db", sys.argv[1]]))
"""


def _first_start(db: Path, password: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", FIRST_START, str(db), password, ",".join(HEAVY)], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    from ltc_assess.demo import create_demo

    path = tmp_path / "demo.db"
    create_demo(str(path))
    return path


def test_login_window_is_up_before_the_core_and_login_waits_for_it(demo_db: Path) -> None:
    """Test that the gui command shows the login window with no core library imported yet, and that logging in
    at once (while the core still loads) succeeds and opens the main window."""
    proc = _first_start(demo_db, "demo-assessor1")
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"loaded_when_shown": [], "visible": True, "verifying_shown": True, "ui_loaded_by_core": False,
                    "role": "assessor", "main_window": True, "forms": "barthel@1"}


def test_a_wrong_password_at_once_is_refused_in_the_window(demo_db: Path) -> None:
    """Test that a wrong password typed before the core has loaded is refused by the service, in the window."""
    proc = _first_start(demo_db, "wrong-password")
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["loaded_when_shown"] == [] and seen["visible"] and not seen["ui_loaded_by_core"]
    assert "APP_007" in seen["error"] and "role" not in seen


def test_login_dialog_opens_the_main_window(qtbot: QtBot, world: World) -> None:
    """Test the in-process path: start() shows the login window, typing and Enter log in, the main window opens."""
    from PySide6.QtCore import Qt

    from ltc_assess.ui import app as ui_app

    login = ui_app.start(world.service.path)
    assert login is not None
    qtbot.addWidget(login)
    assert login.isVisible() and login.username.hasFocus()
    qtbot.keyClicks(login.username, "a1")
    qtbot.keyClicks(login.password, "wrong")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not login.verifying, timeout=20000)
    assert login.user is None and "APP_007" in login.error.text() and login.password.text() == ""
    qtbot.keyClicks(login.password, "a1-password")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not login.verifying, timeout=20000)
    assert login.user is not None and login.user.username == "a1" and login.result() == login.DialogCode.Accepted
    window = ui_app.open_main_window(login.open_service(), login.user)
    qtbot.addWidget(window)
    assert window.isVisible() and window.actor.username == "a1"


@pytest.mark.parametrize(
    ("argv", "needed"),
    [
        ([], ("gui",)),
        (["--db", "score"], ("gui",)),
        (["--db=x.db", "gui", "--lang", "en"], ("gui",)),
        (["--db", "x.db", "score", "case.json"], ("score",)),
        (["forms", "list"], ("forms",)),
        (["--help"], COMMAND_MODULES),
        (["nonsense"], COMMAND_MODULES),
    ],
)
def test_only_the_command_asked_for_is_loaded(argv: list[str], needed: tuple[str, ...]) -> None:
    """Test that the CLI imports just the module of the command given (help and errors get all of them)."""
    assert tuple(_commands_needed(argv)) == needed


def test_the_language_chosen_in_the_app_is_used_at_the_next_start(qtbot: QtBot, world: World) -> None:
    """Test that switching to English from the main window's menu is remembered for the next start."""
    from ltc_assess.ui import app as ui_app
    from ltc_assess.ui.language import remembered_language, use_language
    from ltc_assess.ui.main_window import MainWindow

    window = MainWindow(world.service, world.a1)
    qtbot.addWidget(window)
    try:
        window._switch_language("en")
        assert remembered_language() == "en"
        login = ui_app.start(world.service.path)
        assert login is not None
        qtbot.addWidget(login)
        assert login.windowTitle() == "Log in" and login.login_button.text() == "Log in"
        window._switch_language("zh_CN")
        again = ui_app.start(world.service.path)
        assert again is not None
        qtbot.addWidget(again)
        assert again.windowTitle() == "登录"
    finally:
        use_language("zh_CN")


def test_qt_standard_buttons_speak_the_ui_language(qtbot: QtBot) -> None:
    """Test that Qt's own strings (standard dialog buttons) follow the UI language: 关闭, not Close."""
    from PySide6.QtWidgets import QDialogButtonBox

    from ltc_assess.ui.language import use_language

    try:
        use_language("zh_CN")
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close | QDialogButtonBox.StandardButton.Ok)
        qtbot.addWidget(box)
        texts = {box.button(b).text().replace("&", "") for b in (box.StandardButton.Close, box.StandardButton.Ok)}
        assert texts == {"关闭", "确定"}
        use_language("en")
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        qtbot.addWidget(box)
        assert box.button(box.StandardButton.Close).text().replace("&", "") == "Close"
    finally:
        use_language("zh_CN")


def test_log_out_lets_another_user_log_in(qtbot: QtBot, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that 注销 closes the assessor's windows and the next user (here a supervisor) gets their own main
    window, without restarting the app."""
    from PySide6.QtWidgets import QApplication, QDialog

    from ltc_assess.ui import app as ui_app

    def supervisor_logs_in(dialog: ui_app.LoginDialog) -> int:
        assert dialog.isVisible()  # shown before the old windows close, so the app does not quit
        dialog.username.setText("sup1")
        dialog.password.setText("sup1-password")
        dialog.try_login()
        qtbot.waitUntil(lambda: not dialog.verifying, timeout=20000)
        return QDialog.DialogCode.Accepted if dialog.user else QDialog.DialogCode.Rejected

    monkeypatch.setattr(ui_app.LoginDialog, "exec", supervisor_logs_in)
    first = ui_app.open_main_window(world.service, world.a1)
    record, _ = world.service.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    wizard = first.open_wizard(record.id)
    first.log_out.emit()
    from shiboken6 import isValid  # the login's wait lets Qt delete the closed windows: gone is closed too

    assert not any(isValid(w) and w.isVisible() for w in (first, wizard))
    windows = [w for w in QApplication.topLevelWidgets() if w.isVisible() and hasattr(w, "actor")]
    assert [w.actor.username for w in windows] == ["sup1"]
