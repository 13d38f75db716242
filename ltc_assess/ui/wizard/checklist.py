"""The submission dialog: what still stops submission (double-click goes to the item), then the signing passwords.

It gets what it needs through ``ChecklistHost`` (the wizard is one): the service, who acts on which
assessment, and three actions — no reaching into the wizard's own state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.schema.model import FormDef, SignatureItem
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import User


class ChecklistHost(Protocol):
    """What the submission dialog reads, hears and may ask for."""

    service: AssessmentService
    actor: User
    aid: int
    form: FormDef
    submitted: SignalInstance  # the submission went through: the dialog closes
    changed: SignalInstance  # the record changed (second assessor set): args its ``Changes``

    def goto(self, item_id: str) -> None: ...

    def submit(self, passwords: Mapping[str, str] | None, failed: Callable[[BaseException], None]) -> None: ...

    def open_checklist(self) -> None: ...


class ChecklistDialog(QDialog):
    """What still stops submission; double-click an entry to go to its item; submit when complete."""

    def __init__(self, host: ChecklistHost, parent: QWidget | None = None) -> None:
        super().__init__(parent if parent is not None else host if isinstance(host, QWidget) else None)
        self.host = host
        service, aid = host.service, host.aid
        self.setWindowTitle(_("提交检查"))
        self.resize(560, 480)
        layout = QVBoxLayout(self)
        missing = service.checklist(aid)
        self.list = QListWidget()
        for m in missing:  # the messages are in the UI language (service and session say them through _())
            code = m.item_id if m.item_id and not isinstance(host.form.items[m.item_id], SignatureItem) else ""
            entry = QListWidgetItem(f"{code}  {m.message}".strip())
            entry.setData(Qt.ItemDataRole.UserRole, m.item_id)
            self.list.addItem(entry)
        self.list.itemDoubleClicked.connect(self._jump)
        head = QLabel(
            _("还有 {count} 项需要完成：").format(count=len(missing))
            if missing
            else _("所有必填项目已完成，可以提交。")
        )
        layout.addWidget(head)
        layout.addWidget(self.list)
        record = service.assessment(aid)
        if record.assessor2_id is None:
            row = QHBoxLayout()
            self.second = QComboBox()
            for user in service.users(role="assessor"):
                if user.id != host.actor.id and not user.disabled:
                    self.second.addItem(user.display_name, user.id)
            choose = QPushButton(_("指定第二评估员"))
            choose.clicked.connect(self._set_second)
            row.addWidget(QLabel(_("第二评估员")))
            row.addWidget(self.second)
            row.addWidget(choose)
            layout.addLayout(row)
        self.passwords: dict[str, QLineEdit] = {}
        if not missing and service.signing_configured():
            form = QFormLayout()
            names = {u.id: u.display_name for u in service.users(role="assessor")}
            for role, label, uid in (
                ("assessor1", _("评估员（一）{name} 的密码"), record.assessor1_id),
                ("assessor2", _("评估员（二）{name} 的密码"), record.assessor2_id),
            ):
                field = QLineEdit()
                field.setEchoMode(QLineEdit.EchoMode.Password)
                self.passwords[role] = field
                form.addRow(label.format(name=names.get(uid, "") if uid is not None else ""), field)
            layout.addWidget(QLabel(_("两名评估员输入各自密码，以电子签名确认报告：")))
            layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.submit_button = buttons.addButton(_("提交"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.submit_button.setEnabled(not missing)
        buttons.rejected.connect(self.reject)
        self.submit_button.clicked.connect(self._submit)
        layout.addWidget(buttons)
        if self.passwords:
            self.passwords["assessor1"].setFocus()
        elif missing:
            self.list.setCurrentRow(0)
        self.busy = False  # a submission under way
        host.submitted.connect(self.accept)

    def _set_second(self) -> None:
        try:
            changes = self.host.service.set_second_assessor(self.host.actor, self.host.aid, self.second.currentData())
        except LtcError as exc:
            QMessageBox.warning(self, _("操作未完成"), str(exc))
            return
        self.host.changed.emit(changes)
        self.accept()
        self.host.open_checklist()

    def _jump(self, entry: QListWidgetItem) -> None:
        item_id = entry.data(Qt.ItemDataRole.UserRole)
        if item_id:
            self.host.goto(item_id)
            self.accept()

    def _submit(self) -> None:
        """Submit in the background; the dialog closes with the wizard, or shows why not and stays."""
        passwords = {role: field.text() for role, field in self.passwords.items()} or None
        self.busy = True
        self.submit_button.setEnabled(False)
        self.setCursor(Qt.CursorShape.BusyCursor)
        self.host.submit(passwords, self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.busy = False
        self.submit_button.setEnabled(True)
        self.unsetCursor()
        QMessageBox.warning(self, _("无法提交"), str(exc))

    def reject(self) -> None:
        """Closing waits for a submission under way: its outcome must be seen, not lost."""
        if not self.busy:
            super().reject()
