"""The 现场评估 page: each person's check-in/check-out (time and place), the identity check and the guardian's
presence, and the care advice the assessor reviews and edits before submission. Thin over ``Lifecycle``: every
rule (qualification, who may record, only while editable) is the service's."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.i18n import _
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.policies.model import QUALIFICATIONS
from ltc_assess.service import Changes
from ltc_assess.storage.records import User
from ltc_assess.ui.feedback import message_label, run_change
from ltc_assess.ui.models import RowsModel
from ltc_assess.ui.review import local_time
from ltc_assess.ui.tables import table


def _check_out(row: dict[str, object]) -> str:
    return f"{local_time(str(row['check_out_at']))} {row['check_out_place']}" if row["check_out_at"] else ""


def visit_model() -> RowsModel:
    return RowsModel(
        [
            ("name", _("人员"), lambda r: r["display_name"]),
            ("qualification", _("资格"), lambda r: _(QUALIFICATIONS.get(r["qualification"] or "", "—"))),
            ("in", _("签到"), lambda r: f"{local_time(r['check_in_at'])} {r['check_in_place']}"),
            ("out", _("签退"), _check_out),
        ]
    )


class OnSitePage(QWidget):
    """For the acting assessor: pick an open assessment, check in and out, record the checks, review advice.

    Signals:
        changed: a visit record or the advice was saved. args: the service's ``Changes``
    """

    changed = Signal(object)

    def __init__(self, lifecycle: Lifecycle, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lifecycle, self.actor = lifecycle, actor
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(_("评估")))
        self.assessment = QComboBox()
        self.assessment.currentIndexChanged.connect(lambda _i: self.show_assessment())
        top.addWidget(self.assessment, 1)
        layout.addLayout(top)

        visit = QGroupBox(_("现场签到 / 签退（每人各自记录时间和地点）"))
        vbox = QVBoxLayout(visit)
        self.people = visit_model()
        self.people_view = table(self.people, Qt.SortOrder.AscendingOrder)
        self.people_view.setMaximumHeight(110)
        vbox.addWidget(self.people_view)
        row = QHBoxLayout()
        self.place = QLineEdit()
        self.place.setPlaceholderText(_("地点（如 成都市武侯区某街道某号）"))
        row.addWidget(self.place, 1)
        self.check_in_button = QPushButton(_("签到"))
        self.check_in_button.clicked.connect(self.check_in)
        self.check_out_button = QPushButton(_("签退"))
        self.check_out_button.clicked.connect(self.check_out)
        row.addWidget(self.check_in_button)
        row.addWidget(self.check_out_button)
        vbox.addLayout(row)
        checks = QFormLayout()
        self.identity = QCheckBox(_("已核验申请人身份"))
        self.guardian = QCheckBox(_("监护人或委托代理人在场"))
        self.guardian_name = QLineEdit()
        self.save_checks_button = QPushButton(_("保存核验结果"))
        self.save_checks_button.clicked.connect(self.save_checks)
        checks.addRow(self.identity)
        checks.addRow(self.guardian)
        checks.addRow(_("在场人姓名"), self.guardian_name)
        checks.addRow(self.save_checks_button)
        vbox.addLayout(checks)
        layout.addWidget(visit)

        care = QGroupBox(_("照护建议（由评估员审阅、修改后保存，每行一条）"))
        cbox = QVBoxLayout(care)
        self.advice = QPlainTextEdit()
        self.advice.setTabChangesFocus(True)  # Tab leaves the editor (keyboard use)
        self.advice.setPlaceholderText(_("此评估表没有照护建议模板；可在此填写"))
        cbox.addWidget(self.advice)
        crow = QHBoxLayout()
        crow.addStretch()
        self.save_advice_button = QPushButton(_("保存照护建议"))
        self.save_advice_button.clicked.connect(self.save_advice)
        crow.addWidget(self.save_advice_button)
        cbox.addLayout(crow)
        layout.addWidget(care, 1)
        self.message = message_label()
        layout.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        """The assessments still open (draft or returned) the actor takes part in."""
        current = self.assessment.currentData()
        self.assessment.blockSignals(True)
        self.assessment.clear()
        for row in self.lifecycle.service.my_work(self.actor):
            if row["status"] in ("draft", "returned"):
                self.assessment.addItem(f"{row['id']} {row['subject_name']} {row['form_id']}", row["id"])
        index = self.assessment.findData(current)
        self.assessment.setCurrentIndex(max(index, 0))
        self.assessment.blockSignals(False)
        self.show_assessment()

    def aid(self) -> int | None:
        data = self.assessment.currentData()
        return int(data) if data is not None else None

    def show_assessment(self) -> None:
        aid = self.aid()
        for w in (self.check_in_button, self.check_out_button, self.save_checks_button, self.save_advice_button):
            w.setEnabled(aid is not None)
        if aid is None:
            self.people.refresh([])
            self.advice.setPlainText("")
            return
        people, checks = self.lifecycle.visit(aid)
        self.people.refresh([{**p, "id": p["user_id"]} for p in people])
        self.identity.setChecked(bool(checks and checks["identity_checked"]))
        self.guardian.setChecked(bool(checks and checks["guardian_present"]))
        self.guardian_name.setText((checks or {}).get("guardian_name") or "")
        self.advice.setPlainText("\n".join(self.lifecycle.care_advice(aid)))

    def _act(self, action: Callable[[int], Changes], done: str) -> None:
        """One of the page's mutations on the chosen assessment; the shell reads the page again by its Changes."""
        aid = self.aid()
        if aid is not None:
            run_change(self.message, lambda: action(aid), done, self.changed.emit)

    def check_in(self) -> None:
        self._act(lambda aid: self.lifecycle.check_in(self.actor, aid, self.place.text()), _("已签到"))

    def check_out(self) -> None:
        self._act(lambda aid: self.lifecycle.check_out(self.actor, aid, self.place.text()), _("已签退"))

    def save_checks(self) -> None:
        self._act(
            lambda aid: self.lifecycle.record_checks(
                self.actor, aid, self.identity.isChecked(), self.guardian.isChecked(), self.guardian_name.text()
            ),
            _("核验结果已保存"),
        )

    def save_advice(self) -> None:
        lines = self.advice.toPlainText().splitlines()
        self._act(lambda aid: self.lifecycle.save_care_advice(self.actor, aid, lines), _("照护建议已保存"))
