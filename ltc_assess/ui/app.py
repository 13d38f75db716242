"""Application bootstrap: font, language, first-run demo database, login, idle lock, main window."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
)

from ltc_assess import paths
from ltc_assess.demo import create_demo
from ltc_assess.errors import LtcError
from ltc_assess.i18n import _, set_language
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import User
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.workers import run_in_background

IDLE_LOCK_MINUTES = float(os.environ.get("LTC_ASSESS_IDLE_MINUTES", "10"))  # configurable per installation


def load_font(app: QApplication) -> str:
    """Load the bundled CJK font so Chinese renders on machines without Chinese fonts."""
    font_id = QFontDatabase.addApplicationFont(str(paths.font_path()))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        app.setFont(QFont(families[0], 10))
        return families[0]
    return ""


class LoginDialog(QDialog):
    """Username and password; the service decides (lockout included)."""

    def __init__(self, service: AssessmentService, title: str | None = None, username: str = "") -> None:
        super().__init__()
        self.service = service
        self.user: User | None = None
        self.setWindowTitle(title or _("登录"))
        self.setMinimumWidth(380)
        form = QFormLayout(self)
        form.addRow(QLabel(_("长期护理需求评估工作站")))
        self.username = QLineEdit(username)
        self.username.setReadOnly(bool(username))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setStyleSheet("color:#b91c1c;")
        form.addRow(_("用户名"), self.username)
        form.addRow(_("密码"), self.password)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def try_login(self) -> None:
        try:
            self.user = self.service.login(self.username.text().strip(), self.password.text())
        except LtcError as exc:
            self.error.setText(str(exc))
            self.password.clear()
            return
        self.accept()


class IdleLock(QObject):
    """Locks the session after inactivity; the same user's password resumes it."""

    def __init__(self, window: MainWindow, minutes: float = IDLE_LOCK_MINUTES) -> None:
        super().__init__(window)
        self.window = window
        self.timer = QTimer(self)
        self.timer.setInterval(int(minutes * 60_000))
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        self.timer.start()
        QApplication.instance().installEventFilter(self)  # type: ignore[union-attr]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove):
            self.timer.start()
        return False

    def lock(self) -> None:
        for widget in [self.window, *self.window.wizards]:
            widget.hide()
        dialog = LoginDialog(self.window.service, _("已锁定：请输入密码继续"), self.window.actor.username)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            for widget in [self.window, *self.window.wizards]:
                widget.show()
            self.timer.start()
        else:
            QApplication.quit()


def ensure_database(path: Path, ask: bool = True) -> bool:
    """First run: offer to create the demo database (built in the background with a progress dialog)."""
    if path.exists():
        return True
    if ask:
        answer = QMessageBox.question(
            None, _("首次运行"), _("尚无数据库。是否创建演示数据库以试用？\n{path}").format(path=path)
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
    progress = QProgressDialog(_("正在创建演示数据库…"), "", 0, 0)
    progress.setCancelButton(None)
    progress.show()
    outcome: dict[str, object] = {}
    loop = QEventLoop()

    def finish(key: str, value: object) -> None:
        outcome[key] = value
        loop.quit()

    run_in_background(lambda: create_demo(str(path)), lambda r: finish("ok", r), lambda e: finish("error", e))
    loop.exec()
    progress.close()
    if "error" in outcome:
        QMessageBox.critical(None, _("错误"), str(outcome["error"]))
        return False
    return True


def main(db: Path, language: str = "zh_CN") -> int:
    """Run the desktop app on the database at ``db``."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("ltc-assess")
    load_font(app)
    set_language(language)
    if not ensure_database(db):
        return 1
    service = AssessmentService(db)
    login = LoginDialog(service)
    if login.exec() != QDialog.DialogCode.Accepted or login.user is None:
        return 0
    holder: dict[str, MainWindow] = {}

    def show(user: User) -> None:
        window = MainWindow(service, user)
        window.language_changed.connect(lambda _code: rebuild(window))
        holder["window"] = window
        IdleLock(window)
        window.show()

    def rebuild(old: MainWindow) -> None:
        for wizard in old.wizards:
            wizard.close()
        old.close()
        show(old.actor)

    show(login.user)
    return app.exec()
