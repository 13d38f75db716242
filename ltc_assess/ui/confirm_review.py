"""The expert's and the assessor's pages after submission: experts confirm the conclusion's level; assessors take
the 复评 of an objection with a second assessor from outside the original. Thin over ``Lifecycle``."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPushButton, QSpinBox, QWidget

from ltc_assess.i18n import _
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import Changes
from ltc_assess.storage.records import User
from ltc_assess.ui.feedback import message_label, run_change, show


class ConfirmPage(QWidget):
    """For an expert: the submitted assessments they may confirm (their own visits; every one for an expert
    supervisor; the service decides, never this page); confirm the level of the chosen one.

    Signals:
        changed: a confirmation was recorded. args: the service's ``Changes``
    """

    changed = Signal(object)

    def __init__(self, lifecycle: Lifecycle, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lifecycle, self.actor = lifecycle, actor
        layout = QFormLayout(self)
        self.assessment = QComboBox()
        self.assessment.currentIndexChanged.connect(lambda _i: self._show())
        self.level = QSpinBox()
        self.level.setRange(0, 9)
        self.confirmed = QLabel()
        self.confirmed.setWordWrap(True)
        self.confirm_button = QPushButton(_("确认结论等级"))
        self.confirm_button.clicked.connect(self.confirm)
        layout.addRow(_("已提交的评估"), self.assessment)
        layout.addRow(_("确认的等级"), self.level)
        layout.addRow(_("已有确认"), self.confirmed)
        layout.addRow(self.confirm_button)
        self.message = message_label()
        layout.addRow(self.message)
        self.refresh()

    def refresh(self) -> None:
        """The assessments the actor may confirm, the chosen one kept chosen."""
        current = self.assessment.currentData()
        self.assessment.blockSignals(True)
        self.assessment.clear()
        for row in self.lifecycle.confirmable(self.actor):
            level = row["decided_level"] if row["decided_level"] is not None else row["proposed_level"]
            self.assessment.addItem(
                _("{id} {name}（建议等级 {level}）").format(id=row["id"], name=row["subject_name"], level=level),
                (row["id"], level),
            )
        found = [i for i in range(self.assessment.count()) if current and self.assessment.itemData(i)[0] == current[0]]
        self.assessment.setCurrentIndex(found[0] if found else 0)
        self.assessment.blockSignals(False)
        self._show()

    def _show(self) -> None:
        data = self.assessment.currentData()
        self.confirm_button.setEnabled(data is not None)
        if data is None:
            self.confirmed.setText("—")
            return
        self.level.setValue(data[1] or 0)
        done = self.lifecycle.confirmations(data[0])
        self.confirmed.setText(
            _("；").join(f"{c['display_name']} {c['level']} {c['confirmed_at'][:10]}" for c in done) or _("尚无")
        )

    def confirm(self) -> None:
        data = self.assessment.currentData()
        if data is not None:
            level = self.level.value()
            confirm = self.lifecycle.confirm
            run_change(self.message, lambda: confirm(self.actor, data[0], level), _("已确认"), self.changed.emit)


class ReviewPage(QWidget):
    """For an assessor: objections waiting for a 复评; take one with a second assessor, both from outside the
    original (the service refuses anyone who took part).

    Signals:
        changed: a 复评 draft was opened. args: the service's ``Changes``
    """

    changed = Signal(object)

    def __init__(self, lifecycle: Lifecycle, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lifecycle, self.actor = lifecycle, actor
        layout = QFormLayout(self)
        self.objection = QComboBox()
        self.objection.currentIndexChanged.connect(lambda _i: self._show())
        self.second = QComboBox()
        self.start_button = QPushButton(_("承接复评"))
        self.start_button.clicked.connect(self.start)
        layout.addRow(_("待复评的异议"), self.objection)
        layout.addRow(_("第二评估员（未参与原评估）"), self.second)
        layout.addRow(self.start_button)
        self.message = message_label()
        layout.addRow(self.message)
        self.refresh()

    def refresh(self) -> None:
        self.objection.clear()
        for o in self.lifecycle.open_objections(self.actor):
            self.objection.addItem(
                _("评估 {id} {name}（等级 {level}）：{reason}").format(
                    id=o["assessment_id"], name=o["subject_name"], level=o["level"], reason=o["reason"]
                ),
                o["id"],
            )
        self._show()

    def _show(self) -> None:
        self.second.clear()
        objection = self.objection.currentData()
        if objection is not None:
            for user in self.lifecycle.review_candidates(objection):
                if user.id != self.actor.id:
                    self.second.addItem(user.display_name, user.id)
        self.start_button.setEnabled(objection is not None and self.second.count() > 0)

    def start(self) -> None:
        objection, second = self.objection.currentData(), self.second.currentData()
        if objection is None or second is None:
            return
        made: list[int] = []

        def start() -> Changes:
            review, changes = self.lifecycle.start_review(self.actor, objection, second)
            made.append(review.id)
            return changes

        if run_change(self.message, start, "", self.changed.emit):
            show(self.message, _("已开始复评：评估 {id}（在“我的评估”中填写）").format(id=made[0]))
