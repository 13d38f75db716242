"""The idle lock: an unattended laptop in someone's home must not show health data for long."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from ltc_assess.i18n import _
from ltc_assess.ui.login import LoginDialog

if TYPE_CHECKING:
    from ltc_assess.ui.main_window import MainWindow

IDLE_LOCK_MINUTES = float(os.environ.get("LTC_ASSESS_IDLE_MINUTES", "10"))  # configurable per installation


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
        app = QApplication.instance()
        assert app is not None  # the lock is made by the running app
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove):
            self.timer.start()
        return False

    def lock(self) -> None:
        hidden = [w for w in (self.window, *self.window.wizards) if w.isVisible()]  # closed wizards stay closed
        for widget in hidden:
            widget.hide()
        self.window.sync.lock()  # nothing syncs in the background while locked; the held key is dropped
        dialog = LoginDialog(lambda: self.window.service, _("已锁定：请输入密码继续"), self.window.actor.username)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.window.sync.unlock(dialog.password.text())
            dialog.password.clear()
            for widget in hidden:
                widget.show()
            self.timer.start()
        else:
            QApplication.quit()
