"""A person's page: details, assessment history, the levels over time, report export and (supervisors) correction."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import Subject, User
from ltc_assess.ui.level_chart import LevelChart
from ltc_assess.ui.models import assessment_model
from ltc_assess.ui.tables import selected_id, table
from ltc_assess.ui.workers import run_with_service
from ltc_assess.workflow import Role, Status


class SubjectDialog(QDialog):
    """A person's page.

    Args:
        actor: who looks; a supervisor may start a correction here (None: reading only).

    Signals:
        changed: a mutation made here (a correction started). args: its ``Changes``
    """

    changed = Signal(object)

    def __init__(
        self, service: AssessmentService, subject: Subject, parent: QWidget | None = None, actor: User | None = None
    ) -> None:
        super().__init__(parent)
        self.service, self.actor = service, actor
        self.setWindowTitle(subject.name)
        self.resize(820, 560)
        layout = QVBoxLayout(self)
        info = QLabel(
            f"<b>{subject.name}</b>　{subject.birth_date}　{subject.masked_id}　{subject.district or ''}"
            f"　{subject.phone or ''}"
        )
        layout.addWidget(info)
        history = service.history(subject.id)
        self.model = assessment_model()
        self.model.refresh(history)
        self.view = table(self.model)
        layout.addWidget(self.view)
        row = QHBoxLayout()
        self.export_button = QPushButton(_("导出报告PDF…"))
        self.export_button.clicked.connect(self._export_clicked)
        self.status = QLabel("")
        row.addWidget(self.export_button)
        if actor is not None and actor.role == Role.SUPERVISOR:
            amend = QPushButton(_("更正（新版本）…"))
            amend.clicked.connect(self._amend_clicked)
            row.addWidget(amend)
        row.addWidget(self.status)
        row.addStretch()
        layout.addLayout(row)
        approved = [r for r in history if r["status"] == Status.APPROVED]
        points = [
            (r["assessment_date"], r["decided_level"] if r["decided_level"] is not None else r["proposed_level"])
            for r in approved
        ]
        refs = {f"{r['form_id']}@{r['form_version']}" for r in approved}
        top = max((lv.code for ref in refs for lv in service.form(ref).scoring.levels), default=1)  # forms plotted
        layout.addWidget(QLabel(_("历次评估等级")))
        layout.addWidget(LevelChart([(d, lv) for d, lv in points if lv is not None], top))

    def _export_clicked(self) -> None:
        aid = selected_id(self.view)
        if aid is None:
            self.status.setText(_("请先选择一次评估。"))
            return
        target, _filter = QFileDialog.getSaveFileName(self, _("导出报告PDF…"), f"report-{aid}.pdf", "PDF (*.pdf)")
        if target:
            self.export_report(aid, Path(target))

    def _amend_clicked(self) -> None:
        aid = selected_id(self.view)
        if aid is None:
            self.status.setText(_("请先选择一次评估。"))
            return
        reason, ok = QInputDialog.getText(self, _("更正"), _("更正原因："))
        if ok:
            self.amend(aid, reason)

    def amend(self, aid: int, reason: str) -> None:
        """Start a correction of an approved assessment (a new version; a second supervisor approves it)."""
        try:
            record, changes = self.service.amend(self.actor, aid, reason)  # type: ignore[arg-type]  # supervisors only
        except LtcError as exc:
            self.status.setText(str(exc))
            return
        self.model.refresh(self.service.history(record.subject_id))
        self.status.setText(
            _("已建立更正版本 {version}（评估 {id}），已退回评估员修改").format(version=record.version_no, id=record.id)
        )
        self.changed.emit(changes)

    def export_report(self, aid: int, target: Path) -> None:
        """Render (or fetch the signed) report off the GUI thread with its own connection, then save it."""
        self.export_button.setEnabled(False)
        self.status.setText(_("正在生成报告…"))

        def saved(pdf: bytes) -> None:
            target.write_bytes(pdf)
            self.export_button.setEnabled(True)
            self.status.setText(_("已导出：{path}").format(path=target))

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            self.status.setText(str(exc))

        run_with_service(self.service, lambda own: own.report_pdf(aid), saved, failed)
