"""The admin's 人员资格 page: who is 评估员 or 评估专家 (the on-site protocol of a city policy counts them)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.policies.model import QUALIFICATIONS
from ltc_assess.storage.records import User
from ltc_assess.ui.feedback import message_label, show
from ltc_assess.ui.models import RowsModel
from ltc_assess.ui.tables import table
from ltc_assess.workflow import ROLE_LABELS, Role


def staff_model() -> RowsModel:
    return RowsModel(
        [
            ("username", _("用户名"), lambda r: r["username"]),
            ("name", _("姓名"), lambda r: r["name"]),
            ("role", _("角色"), lambda r: _(ROLE_LABELS[r["role"]])),
            (
                "qualification",
                _("资格"),
                lambda r: _(QUALIFICATIONS[r["qualification"]]) if r["qualification"] else "—",
            ),
            ("number", _("资格证号"), lambda r: r["number"] or ""),
        ]
    )


class QualificationsPage(QWidget):
    """Assessors and supervisors with their qualification; the admin sets one for the selected person.

    Signals:
        changed: a qualification was set. args: the service's ``Changes``
    """

    changed = Signal(object)

    def __init__(self, lifecycle: Lifecycle, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lifecycle, self.actor = lifecycle, actor
        layout = QVBoxLayout(self)
        self.model = staff_model()
        self.view = table(self.model, Qt.SortOrder.AscendingOrder)
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.addItem(_("无"), None)
        for code, label in QUALIFICATIONS.items():
            self.kind.addItem(_(label), code)
        self.set_button = QPushButton(_("设置资格"))
        self.set_button.clicked.connect(self.set_selected)
        row.addStretch()
        row.addWidget(self.kind)
        row.addWidget(self.set_button)
        layout.addLayout(row)
        self.message = message_label()
        layout.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        self.model.refresh(
            [
                {
                    "id": u.id,
                    "username": u.username,
                    "name": u.display_name,
                    "role": u.role.value,
                    "qualification": u.qualification,
                    "number": u.qualification_no,
                }
                for u in self.lifecycle.service.users()
                if u.role in (Role.ASSESSOR, Role.SUPERVISOR) and not u.disabled
            ]
        )

    def select(self, username: str) -> None:
        rows = [i for i, r in enumerate(self.model.rows) if r["username"] == username]
        if rows:
            self.view.selectRow(rows[0])

    def set_selected(self) -> None:
        indexes = self.view.selectionModel().selectedRows()
        if not indexes:
            return
        username = self.model.rows[indexes[0].row()]["username"]
        kind = self.kind.currentData()
        try:
            changes = self.lifecycle.set_qualification(self.actor, username, kind)
        except LtcError as exc:
            show(self.message, str(exc), ok=False)
            return
        show(self.message, _("资格已设置"))
        self.changed.emit(changes)  # the shell reads this page (and whatever else shows people) again
        self.select(username)
