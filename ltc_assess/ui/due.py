"""The 到期提醒 tab: what falls due under the city policy (expiring conclusions, 状态评估, re-application waits),
and the 告知书 of a selected conclusion written to a file (rendered off the GUI thread)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.i18n import _
from ltc_assess.lifecycle import DUE_LABELS, Lifecycle
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import User
from ltc_assess.ui.models import RowsModel
from ltc_assess.ui.tables import table
from ltc_assess.ui.workers import run_with_service


def due_model() -> RowsModel:
    return RowsModel(
        [
            ("date", _("日期"), lambda r: r["date"]),
            ("kind", _("事项"), lambda r: _(DUE_LABELS[r["kind"]])),
            ("id", _("编号"), lambda r: r["id"]),
            ("subject_name", _("评估对象"), lambda r: r["subject_name"]),
            ("level", _("等级"), lambda r: r["level"]),
            ("note", _("说明"), lambda r: r["note"]),
        ]
    )


class DuePanel(QWidget):
    """The due list of the installation's city policy, refreshed on demand."""

    def __init__(self, service: AssessmentService, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.lifecycle, self.actor = service, Lifecycle(service), actor
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.policy = QLabel()
        row.addWidget(self.policy)
        row.addStretch()
        row.addWidget(QLabel(_("提前天数")))
        self.within = QSpinBox()
        self.within.setRange(0, 730)
        self.within.setValue(30)
        self.within.valueChanged.connect(lambda _v: self.refresh())
        row.addWidget(self.within)
        self.letter_button = QPushButton(_("导出告知书…"))
        self.letter_button.clicked.connect(self._letter_clicked)
        row.addWidget(self.letter_button)
        layout.addLayout(row)
        self.model = due_model()
        self.view = table(self.model, Qt.SortOrder.AscendingOrder)  # soonest first
        layout.addWidget(self.view)
        self.refresh()

    def refresh(self) -> None:
        policy = self.lifecycle.policy()
        flag = "" if policy.verified else _("（未核实）")
        self.policy.setText(_("城市政策：{name} {ref}{flag}").format(name=policy.name, ref=policy.ref, flag=flag))
        rows = [{**e.as_json(), "id": e.assessment_id} for e in self.lifecycle.due(self.within.value())]
        self.model.refresh(rows)

    def selected_id(self) -> int | None:
        indexes = self.view.selectionModel().selectedRows()
        return self.model.rows[indexes[0].row()]["id"] if indexes else None

    def write_letter(self, aid: int, target: Path) -> None:
        """The unsigned letter, rendered in the background (signing needs the supervisor's password:
        ``ltc-assess letter --as``); the button waits meanwhile, a refusal is shown."""
        self.letter_button.setEnabled(False)

        def saved(pdf: bytes) -> None:
            target.write_bytes(pdf)
            self.letter_button.setEnabled(True)

        def failed(exc: BaseException) -> None:
            self.letter_button.setEnabled(True)
            QMessageBox.warning(self, _("告知书"), str(exc))

        # unsigned: the letter is only rendered, nothing is kept (its Changes are empty)
        run_with_service(self.service, lambda own: Lifecycle(own).letter_pdf(aid)[0][0], saved, failed)

    def _letter_clicked(self) -> None:
        aid = self.selected_id()
        if aid is None:
            QMessageBox.information(self, _("告知书"), _("请先选择一项"))
            return
        name, _filter = QFileDialog.getSaveFileName(self, _("导出告知书"), f"letter-{aid}.pdf", "PDF (*.pdf)")
        if name:
            self.write_letter(aid, Path(name))
