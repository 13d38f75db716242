"""同步 from the desktop: the same sync as ``ltc-assess sync``, started by hand (menu, Ctrl+Shift+S) or, while the
session is unlocked, in the background.

The user's password opens their signing key, which logs in to the server and signs what is pushed. The app never
keeps the password (it opens the database too). At login, at the idle lock's unlock and after a sync by hand it
keeps the key instead, opened on a worker and locked again under a random secret (``signing.keys.held_copy``),
in memory only: dropped at the idle lock, at logout and at quit, never written anywhere. While it is held, the
timer (every few minutes, and soon after login) syncs on a worker when the server answers and there is something
to send or the last sync is old; a sync by hand needs no password either. Without it (a key the login password
does not open), the timer only probes and shows a quiet 需要同步.

Background syncs are quiet but visible: the status bar says synced, offline or failed (the reason in its
tooltip); refusals are shown once in a message box. No background sync starts while an assessment is open in a
wizard: a pull then cannot change a record under the screen that shows it (answers are saved as given, so the
next sync sends them), and a sync by hand asks to close the wizard first. The other order is closed too: an
assessment opened while a sync (background or by hand) runs waits for it, the status bar saying 正在同步…
(``after_sync``), and opens on what the pull brought. The sync runs on a worker with its own database
connection; what it pulled reaches the window's dispatcher as ``Changes``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx
from PySide6.QtCore import QCoreApplication, QObject, QTimer
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
from ltc_assess.errors import ErrorCode, LtcError
from ltc_assess.i18n import _
from ltc_assess.service import AssessmentService, Changes
from ltc_assess.signing.keys import KeyPair, held_copy
from ltc_assess.storage.records import User
from ltc_assess.sync_client import SyncReport, has_changes, server_answers, server_url, set_server_url, sync
from ltc_assess.ui.form_dialog import add_ok_cancel, add_rows
from ltc_assess.ui.workers import run_in_background, run_with_service

BACKGROUND_MS = 5 * 60 * 1000
AFTER_LOGIN_MS = 3000
SHOWN_REASONS = 8
OFFLINE, IDLE, NEEDED = "offline", "idle", "needed"  # what a background run found short of a sync


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished sync in plain words: the summary, the reasons anything was refused, what to refresh."""

    message: str
    refused: tuple[str, ...] = ()
    changes: Changes = Changes()
    failed: bool = False
    held: tuple[KeyPair, str] | None = None  # the key a sync by hand opened, to keep for background syncs
    drop_key: bool = False  # the held key was refused (a new certificate, a revoked one): ask for the password


def describe(report: SyncReport) -> Outcome:
    written = sum(len(p.get("added", [])) + len(p.get("updated", [])) for p in report.pushed)
    message = _("同步完成：上传 {written} 份记录，下载 {pulled} 份记录，冲突 {conflicts}，任务 {tasks}。").format(
        written=written, pulled=report.pulled, conflicts=len(report.conflicts), tasks=report.tasks
    )
    if report.queued:  # acknowledged, not verified within the wait: told by the next sync
        queued = _("服务器已收到 {count} 个数据包，尚在核验；结果将在下次同步时报告")
        message += "\n" + queued.format(count=len(report.queued))
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
        self.waiting: list[Callable[[], object]] = []  # what waits for the running sync to end (a wizard to open)
        self.indicator_before: tuple[str, str, bool] = ("", "", False)
        self.waiting_message = ""  # what the status bar says while something waits
        self.held: tuple[KeyPair, str] | None = None  # the user's key re-locked under a random secret (memory only)
        self.locked = False  # the idle lock is up: nothing syncs, nothing is held
        self.unlocks = 0  # counts unlocks and locks: a key opened for an earlier session is not kept
        self.shown_refusals: set[str] = set()  # a background sync shows each refusal once
        self.synced_at: float | None = None  # monotonic time of the last sync that finished
        self.dialog: PasswordDialog | None = None
        self.progress: QProgressDialog | None = None
        self.result: QMessageBox | None = None
        self.action = QAction(_("同步"), window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.action.setToolTip(_("与办公室服务器同步（Ctrl+Shift+S）"))
        self.action.triggered.connect(self.ask)
        self.indicator = QLabel("")
        self.indicator.hide()
        window.statusBar().addPermanentWidget(self.indicator)
        self.timer = QTimer(self)
        self.timer.setInterval(BACKGROUND_MS)
        self.timer.timeout.connect(self.background)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.lock)  # quitting drops the held key at once

    def install(self, menu: QMenu) -> None:
        """For a user who syncs: the action in ``menu`` and on the window (the shortcut works from any tab),
        the background sync once soon after login, then every few minutes."""
        self.installed = True
        menu.addAction(self.action)
        self.window.addAction(self.action)
        self.timer.start()
        QTimer.singleShot(AFTER_LOGIN_MS, self, self.background)

    installed = False

    def _say(self, message: str) -> None:
        self.window.statusBar().showMessage(message)

    def _state(self, text: str, tip: str, failed: bool = False) -> None:
        """The quiet indicator at the right of the status bar (a failure in the error colour)."""
        self.indicator.setStyleSheet("color:#b91c1c;" if failed else "")
        self.indicator.setText(text)
        self.indicator.setToolTip(tip)
        self.indicator.show()

    # --- the key held while the session is unlocked -----------------------------------------------------------

    def unlock(self, password: str) -> None:
        """The session is (again) unlocked by ``password``: hold the user's key for background syncs, opened on
        a worker (the key derivation is slow). A password that does not open it leaves syncs to the prompt."""
        self.locked = False
        self.unlocks += 1
        pair = self.service.keys.key_pair(self.actor.id)
        if not self.installed or pair is None:
            return
        session = self.unlocks

        def keep(held: object) -> None:
            if session == self.unlocks and not self.locked:  # not locked or unlocked again in the meantime
                self.held = held  # type: ignore[assignment]  # held_copy's (pair, secret)

        run_in_background(lambda: held_copy(pair, password), keep, lambda _exc: None)

    def lock(self) -> None:
        """The idle lock, logout or quit: drop the key; nothing syncs until the next unlock, nothing waiting for
        the running sync opens on the locked screen."""
        self.locked = True
        self.unlocks += 1
        self.held = None
        self.waiting.clear()

    # --- what waits for a running sync ------------------------------------------------------------------------

    def after_sync(self, then: Callable[[], object], what: str) -> bool:
        """Run ``then`` now when no sync runs (True); else once the running one has finished and its pull has
        been dispatched, saying meanwhile that ``what`` waits for it (the status bar, the indicator)."""
        if not self.running:
            then()
            return True
        if not self.waiting:  # the indicator as it was, to show again if the outcome says nothing of its own
            self.indicator_before = (
                self.indicator.text(),
                self.indicator.toolTip(),
                self.indicator.isVisibleTo(self.window),
            )
        self.waiting.append(then)
        self.waiting_message = _("正在同步…完成后{what}").format(what=what)
        self._say(self.waiting_message)
        self._state(_("正在同步…"), _("同步完成后{what}").format(what=what))
        return False

    def _idle(self) -> None:
        """The sync or probe is over (its outcome dispatched): run what waited for it."""
        self.running = False
        waiting, self.waiting = self.waiting, []
        if self.indicator.text() == _("正在同步…"):  # the outcome said nothing of its own
            text, tip, shown = self.indicator_before
            self.indicator.setText(text)
            self.indicator.setToolTip(tip)
            self.indicator.setVisible(shown)
        if self.window.statusBar().currentMessage() == self.waiting_message:  # no longer true: what waited opens
            self.window.statusBar().clearMessage()
        for then in waiting:
            then()

    def _wizard_open(self) -> bool:
        """An assessment is open in a wizard: a pull now could change the record under the screen showing it."""
        return any(w.isVisible() for w in getattr(self.window, "wizards", []))

    # --- by hand ----------------------------------------------------------------------------------------------

    def ask(self) -> None:
        """Sync with the key held for this session, or ask for the password (not while a sync runs, nor without
        a server)."""
        if self.running:
            self._say(_("正在同步，请稍候…"))
            return
        if self._wizard_open():
            text = _("请先关闭打开的评估表再同步：同步可能更改评估表中显示的记录（已填的答案均已保存）。")
            self._show(Outcome(text, failed=True))
            return
        url = server_url(self.service)
        if url is None:
            self._show(Outcome(_("尚未设置同步服务器，请管理员在“同步 → 同步服务器地址…”中设置。"), failed=True))
            return
        if self.held is not None:
            self.sync(url, self.held[1], self.held[0])
            return
        self.dialog = PasswordDialog(url, self.actor, self.window)
        self.dialog.accepted.connect(lambda: self._accepted(url))
        self.dialog.open()

    def _accepted(self, url: str) -> None:
        assert self.dialog is not None
        password = self.dialog.password.text()
        self.dialog.password.clear()  # kept no longer than the sync needs it
        self.sync(url, password)

    def sync(self, url: str, password: str, held: KeyPair | None = None) -> None:
        """Run the sync on a worker behind a progress dialog; the outcome is shown and dispatched. ``password``
        opens the stored key, or ``held`` (the key held for this session, then ``password`` is its secret)."""
        self.running = True
        self.progress = QProgressDialog(_("正在与 {url} 同步…").format(url=url), "", 0, 0, self.window)
        self.progress.setCancelButton(None)
        self.progress.show()
        self._say(_("正在同步…"))
        session = self.unlocks

        def job(service: AssessmentService) -> Outcome:
            if not server_answers(service, url, self.transport):
                return Outcome(_("无法连接同步服务器 {url}：请检查网络，稍后再试。").format(url=url), failed=True)
            outcome = self._run(service, url, password, held)
            pair = service.keys.key_pair(self.actor.id)
            if held is None and pair is not None and not outcome.failed:  # the password opened it: keep the key
                outcome = replace(outcome, held=held_copy(pair, password))
            return outcome

        def failed(exc: BaseException) -> None:
            self._finish(Outcome(_("同步未完成：{error}").format(error=exc), failed=True))

        def finish(outcome: Outcome) -> None:
            if outcome.held is not None and session == self.unlocks and not self.locked:
                self.held = outcome.held
            self._finish(outcome)

        run_with_service(self.service, job, finish, failed)

    def _run(self, service: AssessmentService, url: str, password: str, held: KeyPair | None) -> Outcome:
        """One sync on the worker's ``service``, its errors in plain words."""
        try:
            return describe(sync(service, self.actor, password, url, self.transport, held=held))
        except BundleRefused as refused:  # records from the server that this database refuses
            return Outcome(_("同步未完成：本机拒收了服务器的记录。"), tuple(refused.refusals), failed=True)
        except LtcError as exc:
            refused_key = held is not None and exc.code in (ErrorCode.AUTH, ErrorCode.SIGNATURE)
            return Outcome(_("同步未完成：{error}").format(error=exc.message), failed=True, drop_key=refused_key)

    def _finish(self, outcome: Outcome) -> None:
        if self.progress is not None:
            self.progress.close()
        self._dispatch(outcome)
        self._show(outcome)
        self._idle()

    def _dispatch(self, outcome: Outcome) -> None:
        """What any finished sync does: refresh what it pulled, remember when it last succeeded, let go of a
        held key that was refused (the next sync by hand asks for the password again)."""
        if outcome.drop_key:
            self.held = None
        if outcome.changes != Changes():
            self.changed(outcome.changes)
        if not outcome.failed:
            self.synced_at = time.monotonic()
            self._state(_("已同步 {time}").format(time=time.strftime("%H:%M")), outcome.message)

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
        """The timer: sync with the held key when the server answers and there is something to send or the last
        sync is older than the interval; without a held key only probe and show 需要同步. Never prompts, never
        overlaps a sync, never runs while locked or while an assessment is open in a wizard."""
        url = server_url(self.service)
        if self.running or url is None or self.locked:
            return
        if self._wizard_open():
            self._state(_("稍后同步"), _("评估表打开时不在后台同步，关闭后自动同步"))
            return
        self.running = True
        stale = self.synced_at is None or time.monotonic() - self.synced_at >= BACKGROUND_MS / 1000
        held = self.held

        def probe(service: AssessmentService) -> Outcome | str:
            if not server_answers(service, url, self.transport):
                return OFFLINE
            if not (stale or has_changes(service, self.actor)):  # records, and the lifecycle facts it signs
                return IDLE
            return NEEDED if held is None else self._run(service, url, held[1], held[0])

        def done(result: object) -> None:
            self.running = False
            if isinstance(result, Outcome):
                self._background_outcome(result)
            elif result == OFFLINE and held is not None:
                self._state(_("离线"), _("无法连接同步服务器 {url}，稍后自动重试").format(url=url))
            elif result == NEEDED:
                self._state(_("需要同步"), _("服务器在线，有待同步的内容时请按 Ctrl+Shift+S 同步"))
            elif held is None:  # probing only: nothing to say
                self.indicator.hide()
            self._idle()

        def failed(exc: BaseException) -> None:
            self.running = False
            self._state(_("同步失败"), _("后台同步未完成：{error}（稍后自动重试）").format(error=exc), failed=True)
            self._idle()

        run_with_service(self.service, probe, done, failed)

    def _background_outcome(self, outcome: Outcome) -> None:
        """Quiet: the status bar's indicator; only refusals not shown before open a message box."""
        self._dispatch(outcome)
        if outcome.failed:
            self._state(_("同步失败"), _("{message}（稍后自动重试）").format(message=outcome.message), failed=True)
        new = [r for r in outcome.refused if r not in self.shown_refusals]
        if new:
            self.shown_refusals.update(new)
            self._show(Outcome(outcome.message, tuple(new), failed=outcome.failed))


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
