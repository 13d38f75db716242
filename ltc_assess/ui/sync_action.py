"""同步 from the desktop: the same sync as ``ltc-assess sync``, started by hand (menu, Ctrl+Shift+S) or watched
in the background.

The user's password opens their signing key, which logs in to the server; the app holds no password, so a sync by
hand asks for it once, and the background timer never asks: every few minutes (and once after login) it probes the
configured server and, when it answers, shows a quiet 需要同步 in the status bar. The sync itself runs on a worker
with its own database connection; what it pulled reaches the window's dispatcher as ``Changes``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from ltc_assess.bundles import BundleRefused
from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.service import AssessmentService, Changes
from ltc_assess.storage.records import User
from ltc_assess.sync_client import SyncReport, has_changes, server_answers, server_url, set_server_url, sync
from ltc_assess.ui.form_dialog import add_ok_cancel, add_rows
from ltc_assess.ui.workers import run_with_service

BACKGROUND_MS = 5 * 60 * 1000
AFTER_LOGIN_MS = 3000
SHOWN_REASONS = 8


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished sync in plain words: the summary, the reasons anything was refused, what to refresh."""

    message: str
    refused: tuple[str, ...] = ()
    changes: Changes = Changes()
    failed: bool = False


def describe(report: SyncReport) -> Outcome:
    written = sum(len(p.get("added", [])) + len(p.get("updated", [])) for p in report.pushed)
    message = _("同步完成：上传 {written} 份记录，下载 {pulled} 份记录，冲突 {conflicts}，任务 {tasks}。").format(
        written=written, pulled=report.pulled, conflicts=len(report.conflicts), tasks=report.tasks
    )
    return Outcome(message, tuple(report.refused), report.changes)


class PasswordDialog(QDialog):
    """Asks for the password that opens the user's signing key, once per sync."""

    def __init__(self, url: str, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("同步"))
        form = QFormLayout(self)
        intro = QLabel(_("与办公室服务器同步：上传本机的更改，下载与您有关的记录和任务。"))
        intro.setWordWrap(True)
        form.addRow(intro)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        add_rows(form, [(_("服务器"), QLabel(url)), (_("用户"), QLabel(actor.display_name))])
        form.addRow(_("密码"), self.password)
        add_ok_cancel(self, form)
        self.setMinimumWidth(360)
        self.password.setFocus()


class SyncAction(QObject):
    """The 同步 action of one main window, its background timer and its status-bar indicator."""

    def __init__(
        self,
        window: QMainWindow,
        service: AssessmentService,
        actor: User,
        changed: Callable[[Changes], None],
        transport: httpx.BaseTransport | None = None,  # tests: the server app in process
    ) -> None:
        super().__init__(window)
        self.window, self.service, self.actor, self.changed, self.transport = (
            window,
            service,
            actor,
            changed,
            transport,
        )
        self.running = False  # a sync or a probe is under way: never two at once
        self.synced_at: float | None = None  # monotonic time of the last sync that finished
        self.dialog: PasswordDialog | None = None
        self.progress: QProgressDialog | None = None
        self.result: QMessageBox | None = None
        self.action = QAction(_("同步"), window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.action.setToolTip(_("与办公室服务器同步（Ctrl+Shift+S）"))
        self.action.triggered.connect(self.ask)
        self.indicator = QLabel(_("需要同步"))
        self.indicator.setToolTip(_("服务器在线，有待同步的内容时请按 Ctrl+Shift+S 同步"))
        self.indicator.hide()
        window.statusBar().addPermanentWidget(self.indicator)
        self.timer = QTimer(self)
        self.timer.setInterval(BACKGROUND_MS)
        self.timer.timeout.connect(self.background)

    def install(self, menu: QMenu) -> None:
        """For a user who syncs: the action in ``menu`` and on the window (the shortcut works from any tab),
        the background probe once soon after login, then every few minutes."""
        menu.addAction(self.action)
        self.window.addAction(self.action)
        self.timer.start()
        QTimer.singleShot(AFTER_LOGIN_MS, self, self.background)

    def _say(self, message: str) -> None:
        self.window.statusBar().showMessage(message)

    # --- by hand ----------------------------------------------------------------------------------------------

    def ask(self) -> None:
        """Ask for the password (not while a sync runs, nor without a server), then sync."""
        if self.running:
            self._say(_("正在同步，请稍候…"))
            return
        url = server_url(self.service)
        if url is None:
            self._show(Outcome(_("尚未设置同步服务器，请管理员在“同步 → 同步服务器地址…”中设置。"), failed=True))
            return
        self.dialog = PasswordDialog(url, self.actor, self.window)
        self.dialog.accepted.connect(lambda: self._accepted(url))
        self.dialog.open()

    def _accepted(self, url: str) -> None:
        assert self.dialog is not None
        password = self.dialog.password.text()
        self.dialog.password.clear()  # kept no longer than the sync needs it
        self.sync(url, password)

    def sync(self, url: str, password: str) -> None:
        """Run the sync on a worker behind a progress dialog; the outcome is shown and dispatched."""
        self.running = True
        self.progress = QProgressDialog(_("正在与 {url} 同步…").format(url=url), "", 0, 0, self.window)
        self.progress.setCancelButton(None)
        self.progress.show()
        self._say(_("正在同步…"))

        def job(service: AssessmentService) -> Outcome:
            if not server_answers(service, url, self.transport):
                return Outcome(_("无法连接同步服务器 {url}：请检查网络，稍后再试。").format(url=url), failed=True)
            try:
                return describe(sync(service, self.actor, password, url, self.transport))
            except BundleRefused as refused:  # records from the server that this database refuses
                return Outcome(_("同步未完成：本机拒收了服务器的记录。"), tuple(refused.refusals), failed=True)
            except LtcError as exc:
                return Outcome(_("同步未完成：{error}").format(error=exc.message), failed=True)

        def failed(exc: BaseException) -> None:
            self._finish(Outcome(_("同步未完成：{error}").format(error=exc), failed=True))

        run_with_service(self.service, job, self._finish, failed)

    def _finish(self, outcome: Outcome) -> None:
        self.running = False
        if self.progress is not None:
            self.progress.close()
        if outcome.changes != Changes():
            self.changed(outcome.changes)
        if not outcome.failed:
            self.synced_at = time.monotonic()
            self.indicator.hide()
        self._show(outcome)

    def _show(self, outcome: Outcome) -> None:
        self._say(outcome.message)
        icon = QMessageBox.Icon.Warning if outcome.failed or outcome.refused else QMessageBox.Icon.Information
        self.result = QMessageBox(icon, _("同步"), outcome.message, QMessageBox.StandardButton.Ok, self.window)
        if outcome.refused:  # the reasons in plain sight, not behind a button; all of them in the details
            shown = [f"• {line}" for line in outcome.refused[:SHOWN_REASONS]]
            if len(outcome.refused) > SHOWN_REASONS:
                shown.append("…")
            heading = _("被拒收 {count} 项，原因如下：").format(count=len(outcome.refused))
            self.result.setInformativeText("\n".join([heading, *shown]))
            if len(outcome.refused) > SHOWN_REASONS:
                self.result.setDetailedText("\n".join(outcome.refused))
        self.result.open()

    # --- in the background ------------------------------------------------------------------------------------

    def background(self) -> None:
        """Probe the configured server (never prompts, never overlaps a sync); when it answers and there is
        something to send, or the last sync is older than the interval, show 需要同步."""
        url = server_url(self.service)
        if self.running or url is None:
            return
        self.running = True
        stale = self.synced_at is None or time.monotonic() - self.synced_at >= BACKGROUND_MS / 1000

        def probe(service: AssessmentService) -> bool:
            return server_answers(service, url, self.transport) and (stale or has_changes(service))

        def probed(needed: object) -> None:
            self.running = False
            self.indicator.setVisible(bool(needed))

        def failed(_exc: BaseException) -> None:
            self.running = False

        run_with_service(self.service, probe, probed, failed)


def ask_server_url(parent: QMainWindow, service: AssessmentService, admin: User) -> None:
    """The admin sets the office server this installation (and laptops copied from it) syncs with."""
    url, ok = QInputDialog.getText(
        parent,
        _("同步服务器地址"),
        _("办公室服务器地址（https://…，留空表示不同步）："),
        QLineEdit.EchoMode.Normal,
        server_url(service) or "https://",
    )
    if not ok:
        return
    try:
        set_server_url(service, admin, url if url.strip() not in ("", "https://") else None)
    except LtcError as exc:
        QMessageBox.warning(parent, _("同步服务器地址"), exc.message)
        return
    parent.statusBar().showMessage(_("同步服务器已设置：{url}").format(url=server_url(service) or _("（无）")))
