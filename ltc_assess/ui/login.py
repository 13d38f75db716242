"""The login window (also the idle lock's): the first thing shown, so it needs only Qt and the translations.

Kept apart from ``app`` (which starts the app and opens the main window) so that the idle lock can use it without
importing the app that imports the lock. The password is checked off the GUI thread (``workers``): argon2id is
slow on purpose, and the window must keep painting and say that it is checking meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.ui.workers import run_with_service

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
        self.status = QLabel(_("正在验证…"))  # shown while the password is being checked
        self.status.hide()
        form.addRow(_("用户名"), self.username)
        form.addRow(_("密码"), self.password)
        form.addRow(self.error)
        form.addRow(self.status)
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

    @property
    def verifying(self) -> bool:
        """A password is being checked (the button waits meanwhile)."""
        return self.status.isVisibleTo(self)

    def try_login(self) -> None:
        """Check the password on a worker, on a service of its own (it unseals the database key there too); the
        dialog is accepted once the service said yes, or shows its refusal."""
        if self.verifying:
            return
        username, password = self.username.text().strip(), self.password.text()
        self._busy(True)
        try:
            service = self.open_service()  # the core may still be loading: waits for its imports only
        except LtcError as exc:
            self._refused(exc)
            return

        def logged_in(result: tuple[User, bytes | None]) -> None:
            user, key = result
            if not service.is_open and key is not None:
                service.unlock(key)  # the GUI thread's own connection, with the key the login unsealed
            self._busy(False)
            self.user = user
            self.accept()

        run_with_service(service, lambda own: (own.login(username, password), own.database_key()), logged_in,
                         self._refused)

    def _busy(self, busy: bool) -> None:
        self.login_button.setEnabled(not busy)
        self.password.setReadOnly(busy)
        self.status.setVisible(busy)
        if busy:
            self.error.setText("")

    def _refused(self, exc: BaseException) -> None:
        self._busy(False)
        self.error.setText(str(exc))
        self.password.clear()
        self.password.setFocus()
