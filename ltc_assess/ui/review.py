"""The review screen: answers beside the previous assessment (changes highlighted), score, explanation,
plausibility warnings, and the decisions the workflow allows."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _, language
from ltc_assess.report.data import answer_text
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import User
from ltc_assess.workflow import Action


class ReviewDialog(QDialog):
    """Review one submitted assessment; buttons come from ``service.actions_for``."""

    def __init__(self, service: AssessmentService, actor: User, aid: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.actor, self.aid = service, actor, aid
        view = service.review_view(aid)
        record, previous = view.record, view.previous
        form = service.form(record.form_ref)
        lang = language()
        self.setWindowTitle(_("审核：评估 {id}").format(id=aid))
        self.resize(1100, 720)
        layout = QVBoxLayout(self)
        score = record.score or {}
        final = score.get("final_level") or {}
        layout.addWidget(QLabel(_("建议等级：{code} {name}").format(code=final.get("code"), name=final.get("name"))))
        for warning in view.warnings:
            label = QLabel("⚠ " + warning)
            label.setStyleSheet("color:#b45309;")
            label.setWordWrap(True)
            layout.addWidget(label)
        self.table = QTableWidget(0, 3 if previous else 2)
        headers = [_("项目"), _("本次")] + (
            [_("上次（{date}）").format(date=previous.assessment_date)] if previous else []
        )
        self.table.setHorizontalHeaderLabels(headers)
        for item_id, item in form.items.items():
            if item_id not in record.answers and (previous is None or item_id not in previous.answers):
                continue
            row = self.table.rowCount()
            self.table.insertRow(row)
            cells = [f"{item_id} {item.label.get(lang)}", answer_text(item, record.answers.get(item_id))]
            if previous is not None:
                cells.append(answer_text(item, previous.answers.get(item_id)))
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if item_id in view.changed_items:
                    cell.setBackground(QColor("#fef3c7"))
                self.table.setItem(row, col, cell)
        self.table.resizeColumnsToContents()
        self.explain = QTextBrowser()
        self.explain.setPlainText("\n".join("· " + t["text"] for t in score.get("trace", [])))
        split = QHBoxLayout()
        split.addWidget(self.table, 3)
        split.addWidget(self.explain, 2)
        layout.addLayout(split)
        buttons = QHBoxLayout()
        allowed = service.actions_for(actor, aid)
        self.level = QComboBox()
        for lv in form.scoring.levels:
            self.level.addItem(f"{lv.code} {lv.name.get(lang)}", lv.code)
        self.level.setCurrentIndex(max(0, final.get("code") or 0))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(_("核定等级与建议不同时须写明理由"))
        for widget in (QLabel(_("核定等级")), self.level, self.reason):
            buttons.addWidget(widget)
        for action, text, slot in (
            (Action.DECIDE_LEVEL, _("核定"), self._decide),
            (Action.RETURN, _("退回…"), self._return),
            (Action.APPROVE, _("批准…"), self._approve),
        ):
            button = QPushButton(text)
            button.setEnabled(action in allowed)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        layout.addLayout(buttons)

    def _run(self, fn: object) -> bool:
        try:
            fn()  # type: ignore[operator]
        except LtcError as exc:
            QMessageBox.warning(self, _("操作未完成"), str(exc))
            return False
        return True

    def _decide(self) -> None:
        self._run(lambda: self.service.decide_level(self.actor, self.aid, self.level.currentData(), self.reason.text()))

    def _return(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, _("退回"), _("请写明需要更正的内容："))
        if ok and self._run(lambda: self.service.return_for_correction(self.actor, self.aid, text)):
            self.accept()

    def _approve(self) -> None:
        password = None
        if self.service.signing_configured():
            password, ok = QInputDialog.getText(
                self, _("批准并签名"), _("输入您的密码以电子签名："), QLineEdit.EchoMode.Password
            )
            if not ok:
                return
        if self._run(lambda: self.service.approve(self.actor, self.aid, password)):
            self.accept()
