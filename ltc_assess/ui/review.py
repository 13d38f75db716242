"""The review screen: answers beside the previous approved assessment (changes highlighted), score, explanation,
plausibility warnings, earlier review comments, and the decisions the workflow allows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _, language
from ltc_assess.report.wording import answer_text
from ltc_assess.schema.model import FormDef
from ltc_assess.scoring.explain import stored_explanation
from ltc_assess.service import AssessmentService, Changes, ReviewView
from ltc_assess.storage.records import Assessment, Comment, User
from ltc_assess.ui.workers import run_with_service
from ltc_assess.workflow import Action

_CHANGED = QColor("#fef3c7")


def local_time(stamp: str) -> str:
    """A stored timestamp (ISO 8601, UTC) as the user's local 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def detailed(text: str, detail: str | None) -> str:
    """``text（detail）`` in the UI language; ``text`` alone without a detail."""
    return _("{text}（{detail}）").format(text=text, detail=detail) if detail else text


def comment_line(comment: Comment) -> str:
    """A reviewer's comment on one line: when, who, what, and the item it is about."""
    who = f"{local_time(comment.created_at)} {comment.author}"
    return detailed(_("{label}：{value}").format(label=who, value=comment.body), comment.item_id)


def answers_table(view: ReviewView, form: FormDef, lang: str) -> QTableWidget:
    """Answers this time and at the last approval, wrapped to the dialog's width (no sideways scrolling)."""
    record, previous = view.record, view.previous
    headers = [_("项目"), _("本次评估（{date}）").format(date=record.assessment_date)]
    if previous is not None:
        headers.append(_("上次批准（{date}）").format(date=previous.assessment_date))
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.verticalHeader().hide()
    for item_id, item in form.items.items():
        if item_id not in record.answers and (previous is None or item_id not in previous.answers):
            continue
        cells = [f"{item_id} {item.label.get(lang)}", answer_text(item, record.answers.get(item_id), lang)]
        if previous is not None:
            cells.append(answer_text(item, previous.answers.get(item_id), lang))
        row = table.rowCount()
        table.insertRow(row)
        for col, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            cell.setToolTip(text)
            if item_id in view.changed_items:
                cell.setBackground(_CHANGED)
            table.setItem(row, col, cell)
    return table


class ReviewDialog(QDialog):
    """Review one submitted assessment; buttons come from ``service.actions_for``.

    Approval with signing keys runs in the background (signing the report takes seconds); the dialog stays
    busy until it ends, then confirms and closes, or shows the error and stays open.

    Signals:
        changed: a decision was stored (核定, 退回, 批准). args: its ``Changes``
    """

    changed = Signal(object)

    def __init__(self, service: AssessmentService, actor: User, aid: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.actor, self.aid = service, actor, aid
        view = service.review_view(aid)
        record = view.record
        form = service.form(record.form_ref)
        lang = language()
        self.levels = {lv.code: f"{lv.code} {lv.name.get(lang)}" for lv in form.scoring.levels}
        self.setWindowTitle(
            _("审核：{name} · {form}（评估 {id}）").format(
                name=service.subject(record.subject_id).name, form=form.title.get(lang), id=aid
            )
        )
        self.resize(1100, 720)
        layout = QVBoxLayout(self)
        proposed = QLabel(_("建议等级：{level}").format(level=self._level(record.proposed_level)))
        proposed.setStyleSheet("font-weight:bold;")
        self.decision = QLabel()
        top = QHBoxLayout()
        top.addWidget(proposed)
        top.addWidget(self.decision, 1)
        layout.addLayout(top)
        stored = (record.score or {}).get("warnings", [])  # the form's, then the service's own (said through _())
        said, trace = stored_explanation(form, record.answers, record.score, lang)
        for warning in said + list(view.warnings[len(stored) :]):
            label = QLabel("⚠ " + warning)
            label.setStyleSheet("color:#b45309;")
            label.setWordWrap(True)
            layout.addWidget(label)
        hint = QLabel(
            _("核定：等级应与建议不同时，选择等级、写明理由，再点“核定”。")
            + "\n"
            + _("批准：确认结果并电子签名；未核定时按建议等级批准。")
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#555;")
        layout.addWidget(hint)
        self.table = answers_table(view, form, lang)
        self.explain = QTextBrowser()
        self.explain.setPlainText("\n".join("· " + t for t in trace))
        side = QVBoxLayout()
        side.addWidget(QLabel(_("评分说明")))
        side.addWidget(self.explain, 3)
        comments = service.comments(aid)
        self.comments = QTextBrowser()
        self.comments.setPlainText("\n".join(comment_line(c) for c in comments))
        comments_label = QLabel(_("审核意见"))
        side.addWidget(comments_label)
        side.addWidget(self.comments, 1)
        if not comments:  # only a resubmission has them: what an earlier return asked to correct
            comments_label.hide()
            self.comments.hide()
        split = QHBoxLayout()
        split.addWidget(self.table, 3)
        split.addLayout(side, 2)
        layout.addLayout(split)
        controls = QHBoxLayout()
        self.level = QComboBox()
        for code, text in self.levels.items():
            self.level.addItem(text, code)
        current = record.decided_level if record.decided_level is not None else record.proposed_level
        self.level.setCurrentIndex(max(0, self.level.findData(current)))
        self.reason = QLineEdit(record.decision_reason or "")
        self.reason.setPlaceholderText(_("核定等级与建议不同时须写明理由"))
        controls.addWidget(QLabel(_("核定等级")))
        controls.addWidget(self.level)
        controls.addWidget(self.reason, 1)
        self.allowed = service.actions_for(actor, aid)
        self.buttons: dict[Action, QPushButton] = {}
        for action, text, slot in (
            (Action.DECIDE_LEVEL, _("核定"), self._decide),
            (Action.RETURN, _("退回…"), self._return),
            (Action.APPROVE, _("批准…"), self._approve),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            controls.addWidget(button)
            self.buttons[action] = button
        layout.addLayout(controls)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # no percentages: signing gives no progress, only "still working"
        self.busy.setMaximumWidth(160)
        policy = self.busy.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the dialog must not jump when the bar appears
        self.busy.setSizePolicy(policy)
        self.status = QLabel()
        footer = QHBoxLayout()
        footer.addWidget(self.busy)
        footer.addWidget(self.status, 1)
        layout.addLayout(footer)
        self.confirmation: QMessageBox | None = None
        self._show_decision(record)
        self._set_busy(False)

    def _level(self, code: int | None) -> str:
        return "—" if code is None else self.levels.get(code, str(code))

    def _show_decision(self, record: Assessment) -> None:
        """What is recorded now: the decided level and its reason, or that the proposal will stand."""
        if record.decided_level is None:
            text = _("尚未核定：批准时采用建议等级 {level}").format(level=self._level(record.proposed_level))
        elif record.decision_reason:
            text = _("已核定：{level}（理由：{reason}）").format(
                level=self._level(record.decided_level), reason=record.decision_reason
            )
        else:
            text = _("已核定：{level}").format(level=self._level(record.decided_level))
        self.decision.setText(text)
        self.decision.setStyleSheet("" if record.decided_level is None else "color:#166534;font-weight:bold;")

    def _set_busy(self, busy: bool) -> None:
        """Lock the decisions while the approval runs, so that nothing is sent twice or changed meanwhile."""
        self.busy.setVisible(busy)
        for action, button in self.buttons.items():
            button.setEnabled(not busy and action in self.allowed)
        for widget in (self.level, self.reason):
            widget.setEnabled(not busy and Action.DECIDE_LEVEL in self.allowed)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def reject(self) -> None:
        """Closing waits for a running approval: its outcome must be seen, not lost."""
        if self.busy.isHidden():
            super().reject()

    def _fail(self, exc: BaseException) -> None:
        QMessageBox.warning(self, _("操作未完成"), str(exc))

    def _run(self, fn: Callable[[], Changes]) -> bool:
        """A quick decision on the GUI thread; its changes are announced, a refusal shown."""
        try:
            changes = fn()
        except LtcError as exc:
            self._fail(exc)
            return False
        self.changed.emit(changes)
        return True

    def _decide(self) -> None:
        level, reason = self.level.currentData(), self.reason.text()
        if self._run(lambda: self.service.decide_level(self.actor, self.aid, level, reason)):
            self._show_decision(self.service.assessment(self.aid))
            self.status.setText(_("核定已保存。"))

    def _return(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, _("退回"), _("请写明需要更正的内容："))
        if ok and self._run(lambda: self.service.return_for_correction(self.actor, self.aid, text)):
            self.accept()

    def _approve(self) -> None:
        if not self.service.signing_configured():
            # Without signing keys approval is one small transaction, as quick as 核定: no worker needed.
            if self._run(lambda: self.service.approve(self.actor, self.aid)):
                self._approved()
            return
        password, ok = QInputDialog.getText(
            self, _("批准并签名"), _("输入您的密码以电子签名："), QLineEdit.EchoMode.Password
        )
        if not ok:
            return
        actor, aid = self.actor, self.aid
        self._set_busy(True)
        self.status.setText(_("正在批准并签名报告，请稍候…"))
        run_with_service(
            self.service,
            lambda own: own.approve(actor, aid, password),
            self._signed_approval_done,
            self._approval_failed,
        )

    def _signed_approval_done(self, changes: Changes) -> None:
        self.changed.emit(changes)
        self._approved()

    def _approval_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.status.clear()
        self._fail(exc)

    def _approved(self) -> None:
        """Confirm what was approved; the dialog closes when the confirmation is dismissed."""
        record = self.service.assessment(self.aid)
        self.allowed = self.service.actions_for(self.actor, self.aid)
        self._set_busy(False)
        text = _("已批准：评估 {id}，核定等级 {level}").format(id=self.aid, level=self._level(record.decided_level))
        self.status.setText(text)
        self.confirmation = QMessageBox(
            QMessageBox.Icon.Information, _("已批准"), text, QMessageBox.StandardButton.Ok, self
        )
        self.confirmation.finished.connect(self.accept)
        self.confirmation.open()
