"""The supervisor's page after the decision: the conclusions with 公示, objection and 复评 (original and 复评 shown
together), the care setting the person or guardian signs for, and the 告知书 (rendered off the GUI thread).
Thin over ``Lifecycle``: who may do what is checked by the service, the page only offers and reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.conclusions import decided_policy
from ltc_assess.i18n import _
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.policies.model import SETTINGS
from ltc_assess.service import AssessmentService, Changes
from ltc_assess.storage.records import User
from ltc_assess.ui.feedback import message_label, run_change, run_slow
from ltc_assess.ui.models import RowsModel
from ltc_assess.ui.signature_pad import SignaturePad
from ltc_assess.ui.tables import table


def _state(row: dict[str, Any]) -> str:
    if row["superseded_by"]:
        return _("已被复评 {id} 取代").format(id=row["superseded_by"])
    if row["confirmed_by"]:
        return _("经复评 {id} 维持").format(id=row["confirmed_by"])
    if row["published_at"]:
        return _("公示至 {date}").format(date=row["publicity_until"])
    return _("未公示")


def conclusion_model() -> RowsModel:
    return RowsModel(
        [
            ("decided_at", _("结论日期"), lambda r: r["decided_at"][:10]),
            ("id", _("编号"), lambda r: r["id"]),
            ("subject_name", _("评估对象"), lambda r: r["subject_name"]),
            ("level", _("等级"), lambda r: r["level"]),
            ("eligible", _("待遇资格"), lambda r: _("符合") if r["eligible"] else _("不符合")),
            ("valid_until", _("有效期至"), lambda r: r["valid_until"]),
            ("objection_until", _("异议截止"), lambda r: r["objection_until"] or ""),
            ("state", _("状态"), _state),
        ]
    )


class ConclusionsPage(QWidget):
    """The conclusions under the city policy and what follows each: 公示, objection, 复评, care setting, letter.

    Signals:
        changed: something after the decision was recorded. args: the service's ``Changes``
    """

    changed = Signal(object)

    def __init__(self, lifecycle: Lifecycle, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lifecycle, self.actor = lifecycle, actor
        layout = QVBoxLayout(self)
        layout.addWidget(self._publicity_box())
        self.model = conclusion_model()
        self.view = table(self.model)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self.show_selected())
        layout.addWidget(self.view, 1)
        self.together = QTextBrowser()
        self.together.setMaximumHeight(90)
        layout.addWidget(self.together)
        actions = QTabWidget()
        actions.addTab(self._objection_box(), _("异议与复评"))
        actions.addTab(self._setting_box(), _("护理服务形式确认"))
        actions.addTab(self._letter_box(), _("告知书"))
        layout.addWidget(actions)
        self.message = message_label()
        layout.addWidget(self.message)
        self.refresh()

    # --- building ---------------------------------------------------------------------------------

    def _publicity_box(self) -> QGroupBox:
        box = QGroupBox(_("公示名单（结论日期范围；发布即开始公示期并记录）"))
        row = QHBoxLayout(box)
        today = QDate.currentDate()
        self.date_from, self.date_to = QDateEdit(today.addDays(-30)), QDateEdit(today)
        for label, edit in ((_("自"), self.date_from), (_("至"), self.date_to)):
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setCalendarPopup(True)
            row.addWidget(QLabel(label))
            row.addWidget(edit)
        self.publish_pdf_button = QPushButton(_("发布并导出 PDF…"))
        self.publish_pdf_button.clicked.connect(lambda: self._publish_clicked("pdf"))
        self.publish_xlsx_button = QPushButton(_("发布并导出 XLSX…"))
        self.publish_xlsx_button.clicked.connect(lambda: self._publish_clicked("xlsx"))
        row.addStretch()
        row.addWidget(self.publish_pdf_button)
        row.addWidget(self.publish_xlsx_button)
        return box

    def _objection_box(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.lodged_by = QLineEdit()
        self.lodged_by.setPlaceholderText(_("如 本人 / 监护人 王某"))
        self.objection_reason = QLineEdit()
        self.lodge_button = QPushButton(_("登记异议"))
        self.lodge_button.clicked.connect(self.lodge)
        form.addRow(_("异议提出人"), self.lodged_by)
        form.addRow(_("异议理由"), self.objection_reason)
        form.addRow(self.lodge_button)
        form.addRow(QLabel(_("复评由未参与原评估的评估员在“复评”页承接")))
        return page

    def _setting_box(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        form = QFormLayout()
        self.setting = QComboBox()
        self.signer = QLineEdit()
        self.relation = QLineEdit()
        self.relation.setPlaceholderText(_("本人签名时留空"))
        self.setting_button = QPushButton(_("确认护理服务形式"))
        self.setting_button.clicked.connect(self.confirm_setting)
        form.addRow(_("护理服务形式"), self.setting)
        form.addRow(_("确认人（本人或监护人）"), self.signer)
        form.addRow(_("与本人关系"), self.relation)
        form.addRow(self.setting_button)
        row.addLayout(form, 1)
        self.pad = SignaturePad()
        row.addWidget(self.pad)
        return page

    def _letter_box(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.letter_password = QLineEdit()
        self.letter_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.letter_password.setPlaceholderText(_("审核员签署时填写本人密码；留空则导出未签名稿"))
        self.letter_button = QPushButton(_("出具告知书…"))
        self.letter_button.clicked.connect(self._letter_clicked)
        form.addRow(_("签署密码"), self.letter_password)
        form.addRow(self.letter_button)
        return page

    # --- showing ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        selected = self.selected_id()
        self.model.refresh([{**r, "id": r["assessment_id"]} for r in self.lifecycle.conclusions()])
        for row, data in enumerate(self.model.rows):
            if data["id"] == selected:
                self.view.selectRow(row)
        self.show_selected()

    def selected_id(self) -> int | None:
        indexes = self.view.selectionModel().selectedRows()
        return self.model.rows[indexes[0].row()]["id"] if indexes else None

    def select(self, aid: int) -> None:
        rows = [i for i, r in enumerate(self.model.rows) if r["id"] == aid]
        if rows:
            self.view.selectRow(rows[0])

    def show_selected(self) -> None:
        aid = self.selected_id()
        for w in (self.lodge_button, self.setting_button, self.letter_button):
            w.setEnabled(aid is not None)
        self.setting.clear()
        if aid is None:
            self.together.setPlainText(_("请选择一项结论"))
            return
        row = self.lifecycle.conclusion(aid)
        for benefit, _text in decided_policy(row).benefits_for(row["level"]):
            if self.setting.findData(benefit.setting) < 0:
                self.setting.addItem(_(SETTINGS[benefit.setting]), benefit.setting)
        self.together.setPlainText("\n".join([self.summary(aid), *self.lifecycle.history(aid)]))

    def summary(self, aid: int) -> str:
        row = self.lifecycle.conclusion(aid)
        policy = decided_policy(row)
        flag = "" if policy.verified else _("（未核实）")
        return _("评估 {id}：等级 {level}，{date} 作出，有效期 {start} 至 {end}；政策 {ref}{flag}").format(
            id=aid,
            level=row["level"],
            date=row["decided_at"][:10],
            start=row["valid_from"],
            end=row["valid_until"],
            ref=policy.ref,
            flag=flag,
        )

    # --- acting -----------------------------------------------------------------------------------

    def lodge(self) -> None:
        aid = self.selected_id()
        if aid is None:
            return
        lodged_by, reason = self.lodged_by.text(), self.objection_reason.text()
        lodge = self.lifecycle.lodge_objection
        if run_change(
            self.message, lambda: lodge(self.actor, aid, lodged_by, reason)[1], _("异议已登记"), self.changed.emit
        ):
            self.lodged_by.clear()
            self.objection_reason.clear()

    def confirm_setting(self) -> None:
        aid = self.selected_id()
        setting = self.setting.currentData() or ""
        signer, relation, png = self.signer.text(), self.relation.text(), self.pad.to_png()
        choose = self.lifecycle.choose_care_setting
        if aid is not None:
            chosen = _("护理服务形式已确认")
            run_change(
                self.message, lambda: choose(self.actor, aid, setting, signer, png, relation), chosen, self.changed.emit
            )

    def publish(self, target: Path, fmt: str) -> None:
        """Publish the 公示 list for the chosen range (its notice periods start and are recorded) and write it as
        ``pdf`` or ``xlsx``; rendered off the GUI thread, the message says how many it lists."""
        actor = self.actor
        start, end = (d.date().toString("yyyy-MM-dd") for d in (self.date_from, self.date_to))

        def job(own: AssessmentService) -> tuple[int, Changes]:
            (data, count), changes = Lifecycle(own).publicity_file(actor, start, end, fmt)
            target.write_bytes(data)
            return count, changes

        def done(result: tuple[int, Changes]) -> str:
            count, changes = result
            self.changed.emit(changes)  # the conclusions it published: their 公示 dates show
            return _("已发布公示名单：{count} 项，{file}").format(count=count, file=target)

        button = self.publish_pdf_button if fmt == "pdf" else self.publish_xlsx_button
        run_slow(self.message, button, self.lifecycle.service, job, done)

    def _publish_clicked(self, fmt: str) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, _("公示名单"), f"publicity-{dt.date.today().isoformat()}.{fmt}", f"{fmt.upper()} (*.{fmt})"
        )
        if name:
            self.publish(Path(name), fmt)

    def write_letter(self, aid: int, target: Path) -> None:
        """The 告知书, signed when the supervisor gives a password, rendered off the GUI thread; the password
        does not stay in the field."""
        password = self.letter_password.text() or None
        self.letter_password.clear()
        actor = self.actor if password else None

        def job(own: AssessmentService) -> tuple[bool, Changes]:
            (pdf, signed), changes = Lifecycle(own).letter_pdf(aid, actor, password)
            target.write_bytes(pdf)
            return signed, changes

        def done(result: tuple[bool, Changes]) -> str:
            signed, changes = result
            self.changed.emit(changes)
            return (_("已签署的告知书已导出：{file}") if signed else _("告知书已导出：{file}")).format(file=target)

        run_slow(self.message, self.letter_button, self.lifecycle.service, job, done)

    def _letter_clicked(self) -> None:
        aid = self.selected_id()
        if aid is None:
            return
        name, _filter = QFileDialog.getSaveFileName(self, _("告知书"), f"letter-{aid}.pdf", "PDF (*.pdf)")
        if name:
            self.write_letter(aid, Path(name))
