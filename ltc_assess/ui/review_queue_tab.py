"""The 审核队列 tab (supervisors): assessments to review, filtered by status, form, assessor, level, district and
date; a double-click opens the review."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ltc_assess.i18n import _, language
from ltc_assess.schema.registry import installed_forms
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import User
from ltc_assess.ui.models import assessment_model, form_name
from ltc_assess.ui.review import ReviewDialog
from ltc_assess.ui.tables import selected_id, table
from ltc_assess.workflow import STATUS_LABELS, Role, Status


class ReviewQueueTab(QWidget):
    """The supervisor's queue.

    Signals:
        changed: a mutation made in a review opened here. args: its ``Changes``
    """

    changed = Signal(object)

    def __init__(self, service: AssessmentService, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.actor = service, actor
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.queue_form = QComboBox()
        self.queue_form.addItem(_("全部表单"), None)
        for form_id in sorted({f.form for f in installed_forms()}):
            self.queue_form.addItem(form_name(form_id), form_id)
        self.queue_status = QComboBox()
        for status in (Status.SUBMITTED, Status.RETURNED, Status.APPROVED):
            self.queue_status.addItem(_(STATUS_LABELS[status]), status.value)
        self.queue_assessor = QComboBox()
        self.queue_level = QComboBox()
        self.fill_assessors()
        self._fill_levels()
        self.queue_form.currentIndexChanged.connect(lambda _i: self._fill_levels())
        self.queue_district = QLineEdit()
        self.queue_district.setPlaceholderText(_("区域"))
        self.queue_from = QLineEdit()
        self.queue_from.setPlaceholderText(_("起始日期"))
        self.queue_to = QLineEdit()
        self.queue_to.setPlaceholderText(_("截止日期"))
        for box in (self.queue_form, self.queue_status, self.queue_assessor, self.queue_level):
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        for edit in (self.queue_district, self.queue_from, self.queue_to):
            edit.editingFinished.connect(self.refresh)
        for widget in (
            QLabel(_("筛选")),
            self.queue_status,
            self.queue_form,
            self.queue_assessor,
            self.queue_level,
            self.queue_district,
            self.queue_from,
            self.queue_to,
        ):
            filters.addWidget(widget)
        filters.addStretch()
        layout.addLayout(filters)
        self.queue = assessment_model()
        self.queue_view = table(self.queue)
        self.queue_view.doubleClicked.connect(lambda _i: self.review_selected())
        layout.addWidget(self.queue_view)
        row = QHBoxLayout()
        review = QPushButton(_("审核…"))
        review.clicked.connect(self.review_selected)
        row.addWidget(review)
        row.addStretch()
        layout.addLayout(row)
        self.refresh()

    def fill_assessors(self) -> None:
        """The assessor filter's choices (again when accounts changed), keeping the one chosen."""
        chosen = self.queue_assessor.currentData()
        self.queue_assessor.blockSignals(True)
        self.queue_assessor.clear()
        self.queue_assessor.addItem(_("全部评估员"), None)
        for user in self.service.users(role=Role.ASSESSOR):
            self.queue_assessor.addItem(user.display_name, user.id)
        self.queue_assessor.setCurrentIndex(max(0, self.queue_assessor.findData(chosen)))
        self.queue_assessor.blockSignals(False)

    def _fill_levels(self) -> None:
        """The levels of the form chosen, by code and name (of every form: by code), keeping the one chosen."""
        form_id = self.queue_form.currentData()
        newest = {f.form: f for f in sorted(installed_forms(), key=lambda f: f.version)}
        forms = [f for f in newest.values() if form_id in (None, f.form)]
        names = {lv.code: lv.name.get(language()) for lv in forms[0].scoring.levels} if form_id else {}
        codes = sorted({lv.code for f in forms for lv in f.scoring.levels})
        chosen = self.queue_level.currentData()
        self.queue_level.blockSignals(True)
        self.queue_level.clear()
        self.queue_level.addItem(_("全部等级"), None)
        for code in codes:
            self.queue_level.addItem(f"{code} {names[code]}" if code in names else str(code), code)
        self.queue_level.setCurrentIndex(max(0, self.queue_level.findData(chosen)))
        self.queue_level.blockSignals(False)

    def refresh(self) -> None:
        self.queue.refresh(
            self.service.review_queue(
                self.actor,
                status=self.queue_status.currentData(),
                form_id=self.queue_form.currentData(),
                district=self.queue_district.text().strip() or None,
                assessor_id=self.queue_assessor.currentData(),
                level=self.queue_level.currentData(),
                date_from=self.queue_from.text().strip() or None,
                date_to=self.queue_to.text().strip() or None,
            )
        )

    def review_selected(self) -> None:
        aid = selected_id(self.queue_view)
        if aid is not None:
            dialog = ReviewDialog(self.service, self.actor, aid, self)
            dialog.changed.connect(self.changed.emit)
            dialog.exec()
