"""Data exchange from the desktop: bundles to and from the office, insurer packages, bundle conflicts.

The work runs in the background (its own database connection) behind a progress dialog; the window stays
responsive and shows the outcome when done, and refreshes what an import changed (its ``Changes``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.bundles import export_bundle, import_bundle, import_changes, resolve_conflict
from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.service import AssessmentService, Changes
from ltc_assess.storage.records import User
from ltc_assess.ui.form_dialog import add_ok_cancel, add_rows
from ltc_assess.ui.workers import run_with_service

Outcome = tuple[str, Changes]  # the message shown, and what the job changed


class Exchange:
    """Runs exchange jobs for one window; on the GUI thread, ``done`` gets the message shown and ``changed`` the
    ``Changes`` of a job that changed something."""

    def __init__(
        self,
        parent: QWidget,
        service: AssessmentService,
        actor: User,
        done: Callable[[str], None] | None = None,
        changed: Callable[[Changes], None] | None = None,
    ) -> None:
        self.parent, self.service, self.actor = parent, service, actor
        self.done = done or (lambda _m: None)
        self.changed = changed or (lambda _c: None)
        self.progress: QProgressDialog | None = None

    def _run(self, title: str, job: Callable[[AssessmentService], Outcome]) -> None:
        self.progress = QProgressDialog(title, "", 0, 0, self.parent)
        self.progress.setCancelButton(None)
        self.progress.show()

        def finish(outcome: Outcome) -> None:
            if self.progress is not None:
                self.progress.close()
            message, changes = outcome
            if changes != Changes():
                self.changed(changes)
            self.done(message)

        def failed(exc: BaseException) -> None:
            finish((_("未完成：{error}").format(error=exc), Changes()))

        run_with_service(self.service, job, finish, failed)

    def _password(self) -> str | None:
        text, ok = QInputDialog.getText(
            self.parent, _("签名"), _("输入您的密码以电子签名："), QLineEdit.EchoMode.Password
        )
        return text if ok else None

    def export_bundle(self, out: Path, password: str) -> None:
        def job(service: AssessmentService) -> Outcome:
            manifest = export_bundle(service, self.actor, password, out)
            count = manifest["counts"]["assessments"]
            return _("数据包已导出：{path}（{count} 份评估）").format(path=out, count=count), Changes()

        self._run(_("正在导出数据包…"), job)

    def import_bundle(self, source: Path) -> None:
        def job(service: AssessmentService) -> Outcome:
            s = import_bundle(service, self.actor, source)
            if s.already_imported:
                return _("该数据包已导入过，未作任何更改。"), Changes()
            message = _(
                "导入完成：新增 {added}，更新 {updated}，未变 {unchanged}，保留本机 {kept}，冲突 {conflicts}"
            ).format(
                added=len(s.added),
                updated=len(s.updated),
                unchanged=len(s.unchanged),
                kept=len(s.kept_ours),
                conflicts=len(s.conflicts),
            )
            return message, import_changes(service, s)

        self._run(_("正在导入数据包…"), job)

    def export_insurer(self, out: Path, password: str, date_from: str, date_to: str, insurer: str | None) -> None:
        def job(service: AssessmentService) -> Outcome:  # marks records exported: no list shows that
            manifest = service.export_package(self.actor, password, out, date_from, date_to, insurer)
            count = manifest["counts"]["assessments"]
            return _("保险机构数据包已导出：{path}（{count} 份评估）").format(path=out, count=count), Changes()

        self._run(_("正在导出保险机构数据包…"), job)

    # --- dialogs (thin: choose files, then the methods above) -------------------------------------

    def ask_export_bundle(self) -> None:
        target, _f = QFileDialog.getSaveFileName(self.parent, _("导出数据包"), "bundle.zip", "ZIP (*.zip)")
        password = self._password() if target else None
        if target and password is not None:
            self.export_bundle(Path(target), password)

    def ask_import_bundle(self) -> None:
        source, _f = QFileDialog.getOpenFileName(self.parent, _("导入数据包"), "", "ZIP (*.zip)")
        if source:
            self.import_bundle(Path(source))

    def ask_export_insurer(self) -> None:
        dialog = InsurerDialog(self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        target, _f = QFileDialog.getSaveFileName(self.parent, _("导出保险机构数据包"), "export.zip", "ZIP (*.zip)")
        password = self._password() if target else None
        if target and password is not None:
            self.export_insurer(Path(target), password, *dialog.values())


class InsurerDialog(QDialog):
    """Period and recipient of an insurer export."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("导出保险机构数据包"))
        form = QFormLayout(self)
        today = QDate.currentDate()
        self.start, self.end = QDateEdit(), QDateEdit()
        for edit, date in ((self.start, QDate(today.year(), today.month(), 1)), (self.end, today)):
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setCalendarPopup(True)
            edit.setDate(date)
        self.insurer = QLineEdit()
        add_rows(form, [(_("起始日期"), self.start), (_("截止日期"), self.end), (_("接收机构"), self.insurer)])
        add_ok_cancel(self, form)

    def values(self) -> tuple[str, str, str | None]:
        return (
            self.start.date().toString("yyyy-MM-dd"),
            self.end.date().toString("yyyy-MM-dd"),
            self.insurer.text().strip() or None,
        )


class ConflictsPanel(QWidget):
    """Bundle conflicts waiting for a supervisor: keep ours or take theirs.

    Signals:
        changed: a conflict was resolved (the list follows through the window's refresh). args: its ``Changes``
    """

    changed = Signal(object)

    def __init__(self, service: AssessmentService, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.actor = service, actor
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("同一份评估在两台电脑上都被修改：请选择保留哪一版本。")))
        self.list = QListWidget()
        layout.addWidget(self.list)
        row = QHBoxLayout()
        for text, theirs in ((_("保留本机版本"), False), (_("采用导入版本"), True)):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, t=theirs: self.resolve(t))
            row.addWidget(button)
        row.addStretch()
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for c in self.service.queries.open_conflicts():
            local = self.service.queries.assessment_by_uid(c["assessment_uid"])
            who = f"{_('评估')} {local.id}" if local else c["assessment_uid"][:8]
            entry = QListWidgetItem(f"{who} · {c['detected_at']}")
            entry.setData(Qt.ItemDataRole.UserRole, c["id"])
            self.list.addItem(entry)

    def resolve(self, take_theirs: bool) -> None:
        entry = self.list.currentItem()
        if entry is None:
            return
        try:
            changes = resolve_conflict(self.service, self.actor, entry.data(Qt.ItemDataRole.UserRole), take_theirs)
        except LtcError as exc:
            QMessageBox.warning(self, _("操作未完成"), str(exc))
            return
        self.changed.emit(changes)
