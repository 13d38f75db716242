"""The 我的评估 tab: the assessor's assessments of every status, filterable; drafts and returned ones open for
editing, the others read-only; the review comments of the selected one below."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import User
from ltc_assess.ui.assessment_view import AssessmentViewDialog
from ltc_assess.ui.models import assessment_model
from ltc_assess.ui.review import comment_line
from ltc_assess.ui.tables import selected_id, table
from ltc_assess.workflow import STATUS_LABELS, Role, Status

EDITABLE = (Status.DRAFT, Status.RETURNED)


class MyWorkTab(QWidget):
    """What the assessor took part in (empty for other roles).

    Signals:
        edit: open the wizard of a draft or returned assessment. args: assessment id (int)
    """

    edit = Signal(int)

    def __init__(self, service: AssessmentService, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.actor = service, actor
        layout = QVBoxLayout(self)
        self.work = assessment_model()
        self.work_view = table(self.work)
        self.work_view.activated.connect(lambda _i: self.open_selected())  # Enter or double-click
        self.work_view.clicked.connect(lambda _i: self._show_comments())
        top = QHBoxLayout()
        top.addWidget(QLabel(_("我参与的评估：草稿和被退回的继续填写，其余只读查看（双击或回车）")), 1)
        self.work_status = QComboBox()
        self.work_status.addItem(_("全部状态"), None)
        for status in (*EDITABLE, Status.SUBMITTED, Status.APPROVED, Status.SUPERSEDED):
            self.work_status.addItem(_(STATUS_LABELS[status]), status.value)
        self.work_status.currentIndexChanged.connect(lambda _i: self.refresh())
        top.addWidget(self.work_status)
        view_button = QPushButton(_("只读查看"))
        view_button.clicked.connect(self._view_selected)
        top.addWidget(view_button)
        layout.addLayout(top)
        layout.addWidget(self.work_view)
        self.comments = QTextBrowser()
        self.comments.setMaximumHeight(130)
        layout.addWidget(QLabel(_("审核意见")))
        layout.addWidget(self.comments)
        self.refresh()

    def refresh(self) -> None:
        mine = self.actor.role == Role.ASSESSOR
        self.work.refresh(self.service.my_work(self.actor, self.work_status.currentData()) if mine else [])

    def open_selected(self) -> None:
        """A draft or returned assessment opens for editing; any other for reading."""
        aid = selected_id(self.work_view)
        if aid is None:
            return
        if self.service.assessment(aid).status in EDITABLE:
            self.edit.emit(aid)
        else:
            self.view_assessment(aid)

    def _view_selected(self) -> None:
        aid = selected_id(self.work_view)
        if aid is not None:
            self.view_assessment(aid)

    def view_assessment(self, aid: int) -> None:
        """The read-only view (answers, scores, signatures, comments, history) of any status."""
        try:
            dialog = AssessmentViewDialog(self.service, self.actor, aid, self)
        except LtcError as exc:
            QMessageBox.warning(self, _("操作未完成"), str(exc))
            return
        dialog.exec()

    def _show_comments(self) -> None:
        aid = selected_id(self.work_view)
        comments = self.service.comments(aid) if aid is not None else []
        self.comments.setPlainText(
            "\n".join(comment_line(c) for c in comments)
        )
