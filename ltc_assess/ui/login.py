"""The login window (also the idle lock's): the first thing shown, so it needs only Qt and the translations.

Kept apart from ``app`` (which starts the app and opens the main window) so that the idle lock can use it without
importing the app that imports the lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _

if TYPE_CHECKING:
    from collections.abc import Callable

    from ltc_assess.service import AssessmentService
    from ltc_assess.storage.records import User


class LoginDialog(QDialog):
    """Username and password; the service decides (lockout included).

    Args:
        open_service: gives the service once the core is there (it may still be loading when the dialog shows).
        title: the window title (the idle lock says the session is locked).
        username: a fixed username (the idle lock resumes only the same user's session).
    """

    def __init__(
        self, open_service: Callable[[], AssessmentService], title: str | None = None, username: str = ""
    ) -> None:
        super().__init__()
        self.open_service = open_service
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
        self.error.setWordWrap(True)
        form.addRow(_("用户名"), self.username)
        form.addRow(_("密码"), self.password)
        form.addRow(self.error)
        # Plain buttons: a QDialogButtonBox's standard buttons cost ~20 ms of start-up (style icons).
        self.login_button = QPushButton(_("登录"))
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self.try_login)
        cancel = QPushButton(_("退出"))
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.login_button)
        buttons.addWidget(cancel)
        form.addRow(buttons)
        (self.password if username else self.username).setFocus()

    def try_login(self) -> None:
        from PySide6.QtCore import Qt  # here: Qt's namespace costs ~25 ms to build, after the window is up

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the core may still be loading
        try:
            self.user = self.open_service().login(self.username.text().strip(), self.password.text())
        except LtcError as exc:
            self.error.setText(str(exc))
            self.password.clear()
            self.password.setFocus()
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.accept()
