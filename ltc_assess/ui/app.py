"""Application bootstrap: the login window first, the core behind it; then the main window and the idle lock.

Cold start is felt at every home visit. The login window needs only Qt, the font and the translations, so it
is shown before the core (forms, storage, scoring, signing: about half a second of imports and form
validation) is loaded; the core loads in a background thread while the password is typed.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication, QDialog

from ltc_assess import paths
from ltc_assess.errors import LtcError
from ltc_assess.ui.language import remembered_language, use_language
from ltc_assess.ui.login import LoginDialog
from ltc_assess.ui.singletons import pin_singletons

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService
    from ltc_assess.storage.records import User
    from ltc_assess.ui.main_window import MainWindow


def load_font(app: QApplication) -> str:
    """Load the bundled CJK fonts so Chinese renders on machines without Chinese fonts; the app is set in Hei.

    The Song face is loaded too (same family as the reports), for any widget that asks for a serif font. The
    icon is set here as well: both belong to how every window looks, from the login window on.
    """
    app.setWindowIcon(QIcon(str(paths.icon_path())))
    QFontDatabase.addApplicationFont(str(paths.font_path()))
    font_id = QFontDatabase.addApplicationFont(str(paths.sans_font_path()))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        app.setFont(QFont(families[0], 10))
        return families[0]
    return ""


class Core:
    """The core, loading in a background thread from ``start()``; ``service()`` waits only for the imports.

    The form files are validated next, in the same thread (about half a second more); whoever needs a form
    before that waits for the one load in progress (the registry's lock), never for a second one.
    """

    def __init__(self, db: Path) -> None:
        self.db = db
        self._imported = threading.Event()
        self._loader: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._service: AssessmentService | None = None

    def start(self) -> None:
        self._loader = threading.Thread(target=self._load, name="ltc-core")  # joined at exit: no half import
        self._loader.start()

    def _load(self) -> None:
        try:
            # Only the Qt-free core: PySide6 builds its types lazily and not thread-safely (a Qt name used on
            # the GUI thread while this thread imported UI modules came out half-built: AttributeError).
            import ltc_assess.service  # noqa: F401 - the import is the work
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread by service()
            self._failure = exc
            return  # no forms to validate without the core
        finally:
            self._imported.set()
        from ltc_assess.schema.registry import installed_forms

        with contextlib.suppress(LtcError):  # a broken form file is reported where the form is used
            installed_forms()

    def service(self) -> AssessmentService:
        """The service on the GUI thread's own connection (opened on first use)."""
        if self._service is None:
            if self._loader is not None:
                self._imported.wait()
            if self._failure is not None:
                raise self._failure
            from ltc_assess.service import AssessmentService

            self._service = AssessmentService(self.db)
        return self._service


def start(db: Path, language: str | None = None) -> LoginDialog | None:
    """Everything up to a visible login window, with the core loading behind it (None: no database).

    ``language``: None for the one last chosen in the app.
    """
    pin_singletons()  # before any Qt call: PySide6 6.12 drops a reference to None/True per call on Python 3.11
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("ltc-assess")
    load_font(app)
    use_language(language or remembered_language())
    if not db.exists():
        from ltc_assess.ui.first_run import offer_demo_database

        if not offer_demo_database(db):
            return None
    core = Core(db)
    login = LoginDialog(core.service)
    login.show()
    QApplication.processEvents()  # paint the window before the core takes its share of the interpreter
    core.start()
    return login


_open_windows: list[MainWindow] = []  # the main window lives as long as the app


def open_main_window(service: AssessmentService, user: User) -> MainWindow:
    """The main window for the user who logged in, with its idle lock; rebuilt when the language changes."""
    from ltc_assess.ui.idle_lock import IdleLock
    from ltc_assess.ui.main_window import MainWindow

    window = MainWindow(service, user)
    window.language_changed.connect(lambda _code: _rebuild(window))
    window.log_out.connect(lambda: _switch_user(window))
    IdleLock(window)
    window.show()
    _open_windows[:] = [window]
    return window


def _close(old: MainWindow) -> None:
    old.sync.lock()  # the key held for background syncs goes with the session
    for widget in (*old.wizards, old):
        widget.close()
        widget.deleteLater()  # deleted by Qt, in order, not by Python's garbage collector at some later time


def _rebuild(old: MainWindow) -> None:
    held = old.sync.held  # the same session in another language: the key it holds stays held
    _close(old)
    open_main_window(old.service, old.actor).sync.held = held


def _switch_user(old: MainWindow) -> None:
    """Log out: the windows close (every answer is already saved) and the next user logs in."""
    service = old.service
    login = LoginDialog(lambda: service)
    login.show()  # first, so that closing the last main window does not end the app
    _close(old)
    if login.exec() == QDialog.DialogCode.Accepted and login.user is not None:
        _unlocked(open_main_window(service, login.user), login)
    else:
        QApplication.quit()


def _unlocked(window: MainWindow, login: LoginDialog) -> None:
    """The password just typed opens the user's key for background syncs (held in memory, ``sync_action``);
    then it leaves the login window."""
    window.sync.unlock(login.password.text())
    login.password.clear()


def close_all_windows() -> None:
    """Delete every window through Qt, parents before children, while the application still exists.

    Left to Python's teardown, windows kept alive by their own signal connections were destroyed in
    arbitrary order at exit, sometimes twice: a crash on quitting (answers were saved; the crash was not).
    """
    from PySide6.QtCore import QEvent  # here: nothing before the login window pays for what only exit needs

    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    _open_windows.clear()


def main(db: Path, language: str | None = None) -> int:
    """Run the desktop app on the database at ``db``."""
    login = start(db, language)
    if login is None:
        return 1
    try:
        if login.exec() != QDialog.DialogCode.Accepted or login.user is None:
            return 0
        _unlocked(open_main_window(login.open_service(), login.user), login)
        return QApplication.exec()
    finally:
        close_all_windows()
