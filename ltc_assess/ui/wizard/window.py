"""The assessment wizard: a card per item, sections with progress, the live score and its explanation.

Everything it knows comes from the form definition through FormSession; every answer goes through the
service, and "已保存" appears only after the service has committed it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _, language
from ltc_assess.schema.model import SignatureItem
from ltc_assess.scoring import ScoreResult
from ltc_assess.service import AssessmentService, signature_item, signature_role
from ltc_assess.session import FormSession
from ltc_assess.storage.records import User
from ltc_assess.ui.wizard.editors import EDITORS, Editor


class ScorePanel(QWidget):
    """Dimension scores, the proposed level and the plain-language explanation, updated live."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.title = QLabel(_("实时评分"))
        self.title.setStyleSheet("font-size:15px;font-weight:bold;")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color:#b91c1c;")
        self.dims = QLabel("")
        self.dims.setWordWrap(True)
        self.level = QLabel("")
        self.level.setWordWrap(True)
        self.level.setStyleSheet("font-size:16px;color:#1d4ed8;font-weight:bold;")
        self.explain = QTextBrowser()
        for w in (self.title, self.status, self.dims, self.level, QLabel(_("评分说明")), self.explain):
            layout.addWidget(w)

    def show_result(self, result: ScoreResult, status_note: str | None) -> None:
        self.status.setText(status_note or "")
        lines = []
        for d in result.dimensions:
            if d.max is None:  # graded only: its items have no meaningful sum (MZ/T 感知觉与沟通)
                shown = d.grade_name or "—"
            else:
                shown = f"{d.score if d.score is not None else f'{d.partial_sum}…'}/{d.max}"
                shown += f"（{d.grade_name}）" if d.grade_name else ""
            lines.append(f"{d.label}：{shown}  [{d.answered}/{d.count}]")
        if result.total is not None:
            lines.append(_("总分：{total}").format(total=result.total))
        self.dims.setText("\n".join(lines))
        if result.final_level is None:
            self.level.setText(_("建议等级：尚未完成"))
        else:
            self.level.setText(
                _("建议等级：{code} {name}").format(code=result.final_level, name=result.final_level_name)
            )
        self.explain.setPlainText("\n".join("· " + t.text for t in result.trace))


class WizardWindow(QWidget):
    """Fill in one assessment.

    Signals:
        submitted: the assessment was submitted. args: assessment id (int)
    """

    submitted = Signal(int)

    def __init__(
        self, service: AssessmentService, actor: User, assessment_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service, self.actor, self.aid = service, actor, assessment_id
        record = service.assessment(assessment_id)
        self.form = service.form(record.form_ref)
        self.session = FormSession(self.form, record.answers, record.current_item)
        self.lang = language()
        self.editor: Editor | None = None
        self.setWindowTitle(_("评估：{title}").format(title=self.form.title.get(self.lang)))
        self.resize(1280, 800)

        self.sections = QListWidget()
        self.sections.setMinimumWidth(270)
        self.sections.itemClicked.connect(self._on_section_clicked)
        self.card = QFrame()
        self.card.setFrameShape(QFrame.Shape.StyledPanel)
        self.card.setObjectName("card")
        self.card.setStyleSheet("#card{background:white;border-radius:8px;}")
        self.card_layout = QVBoxLayout(self.card)
        self.code = QLabel()
        self.code.setStyleSheet("color:#6b7280;")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setStyleSheet("font-size:20px;font-weight:bold;")
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.help.setStyleSheet("color:#374151;")
        self.issue = QLabel()
        self.issue.setWordWrap(True)
        self.issue.setStyleSheet("color:#b91c1c;")
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color:#b45309;")
        self.comment = QLabel()
        self.comment.setWordWrap(True)
        self.comment.setStyleSheet("color:#1d4ed8;")
        self.comments = service.comments(assessment_id)
        self.editor_host = QVBoxLayout()
        for w in (self.code, self.label, self.help):
            self.card_layout.addWidget(w)
        self.card_layout.addLayout(self.editor_host)
        self.card_layout.addWidget(self.issue)
        self.card_layout.addWidget(self.warning)
        self.card_layout.addWidget(self.comment)
        self.card_layout.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.card)

        self.saved = QLabel("")
        self.saved.setStyleSheet("color:#047857;")
        back = QPushButton(_("← 上一项"))
        back.clicked.connect(lambda: self.go(-1))
        forward = QPushButton(_("下一项 →"))
        forward.clicked.connect(lambda: self.go(1))
        self.submit_button = QPushButton(_("提交…"))
        self.submit_button.clicked.connect(self.open_checklist)
        nav = QHBoxLayout()
        for w in (back, forward, self.saved):
            nav.addWidget(w)
        nav.addStretch()
        nav.addWidget(self.submit_button)
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.addWidget(scroll)
        center_layout.addLayout(nav)

        self.score_panel = ScorePanel()
        self.score_panel.setMinimumWidth(300)
        splitter = QSplitter()
        for w in (self.sections, center, self.score_panel):
            splitter.addWidget(w)
        splitter.setSizes([240, 680, 360])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._refresh_sections()
        self._show_item()
        self._show_score(self.session.live_score())

    # --- rendering ---------------------------------------------------------------------------------

    def _refresh_sections(self) -> None:
        current = self.session.section_of(self.session.current_item).id if self.session.current_item else None
        signed = {signature_item(role) for role in self.service.signed_roles(self.aid)}
        self.sections.clear()
        for progress, section in zip(self.session.progress(signed), self.form.sections, strict=True):
            mark = "✓" if progress.done else f"{progress.answered}/{progress.required}"
            entry = QListWidgetItem(f"{section.title.get(self.lang)}   {mark}")
            entry.setData(Qt.ItemDataRole.UserRole, section.id)
            self.sections.addItem(entry)
            if section.id == current:
                self.sections.setCurrentItem(entry)

    def _show_item(self) -> None:
        item_id = self.session.current_item
        if item_id is None:
            return
        item = self.form.items[item_id]
        section = self.session.section_of(item_id).title.get(self.lang)
        self.code.setText(section if isinstance(item, SignatureItem) else f"{section} · {item_id}")
        required = " *" if self.session.is_required(item) else ""
        self.label.setText(item.label.get(self.lang) + required)
        helps = [t.get(self.lang) for t in (item.help, item.note) if t is not None]
        self.help.setText("\n".join(helps))
        self.help.setVisible(bool(helps))
        if self.editor is not None:
            self.editor_host.removeWidget(self.editor)
            self.editor.hide()
            self.editor.deleteLater()
        self.editor = EDITORS[item.type](item)
        value = self.session.computed_value(item_id) if item.type == "computed" else self.session.value(item_id)
        if isinstance(item, SignatureItem):
            value = self.service.signatures(self.aid).get(signature_role(item_id))
        self.editor.show_value(value)
        self.editor.answer_changed.connect(self._on_answer_changed)
        self.editor_host.addWidget(self.editor)
        self._show_issues()
        notes = [
            _("审核意见（{author}）：{body}").format(author=c.author, body=c.body)
            for c in self.comments
            if c.item_id == item_id
        ]
        self.comment.setText("\n".join(notes))
        if self.editor.focusProxy() is not None:  # a text, number or date field: typing goes into it
            self.editor.focusProxy().installEventFilter(self)
            self.editor.show()  # a layout shows new children later; focus needs it visible now
            self.editor.setFocus(Qt.FocusReason.TabFocusReason)  # as by Tab: a pre-filled text is selected
        else:
            self.setFocus()  # digits choose options, arrows move

    def _show_issues(self) -> None:
        item_id = self.session.current_item or ""
        issues = self.session.item_issues(item_id)
        self.issue.setText("\n".join(i.message if self.lang != "en" else i.message_en for i in issues))

    def _show_score(self, result: ScoreResult) -> None:
        note = (
            self.form.status_note.get(self.lang)
            if self.form.status == "provisional" and self.form.status_note
            else None
        )
        self.score_panel.show_result(result, note)
        self.warning.setText(
            "\n".join("⚠ " + w for w in self.session.warnings_for(self.session.current_item or "", result))
        )

    # --- actions -----------------------------------------------------------------------------------

    def _on_answer_changed(self, item_id: str, value: Any) -> None:
        stored = self.session.value(item_id)
        try:
            if isinstance(self.form.items[item_id], SignatureItem):
                if value is None:
                    return
                self.service.save_signature(self.actor, self.aid, signature_role(item_id), value)
                self.editor.show_value(value) if self.editor else None
                result = self.session.live_score()
            else:
                self.session.set_answer(item_id, value)
                saved = self.service.save_answer(self.actor, self.aid, item_id, value, current_item=item_id)
                result = saved.score
        except LtcError as exc:
            self._restore(item_id, stored)
            self.saved.setText("")
            self.issue.setText(str(exc))
            return
        self.saved.setText(_("已保存 {time}").format(time=dt.datetime.now().strftime("%H:%M:%S")))
        self._refresh_sections()
        self._show_issues()
        self._show_score(result)

    def _restore(self, item_id: str, stored: Any) -> None:
        """After a refused save the screen shows what is stored, never an answer that was not saved."""
        if not isinstance(self.form.items[item_id], SignatureItem):
            with contextlib.suppress(LtcError):
                self.session.set_answer(item_id, stored)
        if self.editor is not None and self.editor.item.id == item_id:
            self.editor.blockSignals(True)
            self.editor.show_value(stored)
            self.editor.blockSignals(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Page keys move between sections from text, number and date fields too (a spin box would step)."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
                self.keyPressEvent(event)
                return True
        return False

    def _leave_input(self) -> None:
        """A text, number or date field saves when it loses focus: take it away before moving on."""
        proxy = self.editor.focusProxy() if self.editor is not None else None
        if proxy is not None and proxy.hasFocus():
            self.setFocus()

    def go(self, step: int) -> None:
        self._leave_input()
        if step > 0 and self.session.is_last():
            self.open_checklist()  # Enter on the last item leads on to submission
            return
        self.session.move(step)
        self._remember()
        self._show_item()
        self._refresh_sections()

    def go_section(self, step: int) -> None:
        self._leave_input()
        self.session.move_section(step)
        self._remember()
        self._show_item()
        self._refresh_sections()

    def goto(self, item_id: str) -> None:
        self.session.goto(item_id)
        self._remember()
        self._show_item()
        self._refresh_sections()

    def _remember(self) -> None:
        if self.session.current_item:
            try:
                self.service.set_current_item(self.actor, self.aid, self.session.current_item)
            except LtcError:
                pass  # read-only record: nothing to remember

    def _on_section_clicked(self, entry: QListWidgetItem) -> None:
        section = self.form.sections[self.sections.row(entry)]
        visible = self.session.visible_items(section)
        if visible:  # where work is left in that section, else its start
            self.goto(next((i.id for i in visible if self.session.item_issues(i.id)), visible[0].id))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key = event.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and self.editor is not None:
            if self.editor.choose_index(key - Qt.Key.Key_1):
                return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Right):
            self.go(1)
        elif key == Qt.Key.Key_Left:
            self.go(-1)
        elif key == Qt.Key.Key_PageDown:
            self.go_section(1)
        elif key == Qt.Key.Key_PageUp:
            self.go_section(-1)
        else:
            super().keyPressEvent(event)

    def open_checklist(self) -> None:
        dialog = ChecklistDialog(self)
        dialog.exec()

    def submit(self, passwords: dict[str, str] | None) -> None:
        """Hand in; the wizard closes (a submitted assessment is read-only) and the main window confirms it."""
        self.service.submit(self.actor, self.aid, passwords)
        self.submitted.emit(self.aid)
        self.close()


class ChecklistDialog(QDialog):
    """What still stops submission; double-click an entry to go to its item; submit when complete."""

    def __init__(self, wizard: WizardWindow) -> None:
        super().__init__(wizard)
        self.wizard = wizard
        self.setWindowTitle(_("提交检查"))
        self.resize(560, 480)
        layout = QVBoxLayout(self)
        missing = wizard.service.checklist(wizard.aid)
        self.list = QListWidget()
        for m in missing:
            code = m.item_id if m.item_id and not isinstance(wizard.form.items[m.item_id], SignatureItem) else ""
            entry = QListWidgetItem(f"{code}  {m.message}".strip())
            entry.setData(Qt.ItemDataRole.UserRole, m.item_id)
            self.list.addItem(entry)
        self.list.itemDoubleClicked.connect(self._jump)
        head = QLabel(
            _("还有 {count} 项需要完成：").format(count=len(missing))
            if missing
            else _("所有必填项目已完成，可以提交。")
        )
        layout.addWidget(head)
        layout.addWidget(self.list)
        if wizard.service.assessment(wizard.aid).assessor2_id is None:
            row = QHBoxLayout()
            self.second = QComboBox()
            for user in wizard.service.users(role="assessor"):
                if user.id != wizard.actor.id and not user.disabled:
                    self.second.addItem(user.display_name, user.id)
            choose = QPushButton(_("指定第二评估员"))
            choose.clicked.connect(self._set_second)
            row.addWidget(QLabel(_("第二评估员")))
            row.addWidget(self.second)
            row.addWidget(choose)
            layout.addLayout(row)
        self.passwords: dict[str, QLineEdit] = {}
        if not missing and wizard.service.signing_configured():
            form = QFormLayout()
            record = wizard.service.assessment(wizard.aid)
            names = {u.id: u.display_name for u in wizard.service.users(role="assessor")}
            for role, label, uid in (
                ("assessor1", _("评估员（一）{name} 的密码"), record.assessor1_id),
                ("assessor2", _("评估员（二）{name} 的密码"), record.assessor2_id),
            ):
                field = QLineEdit()
                field.setEchoMode(QLineEdit.EchoMode.Password)
                self.passwords[role] = field
                form.addRow(label.format(name=names.get(uid, "")), field)
            layout.addWidget(QLabel(_("两名评估员输入各自密码，以电子签名确认报告：")))
            layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.submit_button = buttons.addButton(_("提交"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.submit_button.setEnabled(not missing)
        buttons.rejected.connect(self.reject)
        self.submit_button.clicked.connect(self._submit)
        layout.addWidget(buttons)
        if self.passwords:
            self.passwords["assessor1"].setFocus()
        elif missing:
            self.list.setCurrentRow(0)

    def _set_second(self) -> None:
        try:
            self.wizard.service.set_second_assessor(self.wizard.actor, self.wizard.aid, self.second.currentData())
        except LtcError as exc:
            QMessageBox.warning(self, _("操作未完成"), str(exc))
            return
        self.accept()
        self.wizard.open_checklist()

    def _jump(self, entry: QListWidgetItem) -> None:
        item_id = entry.data(Qt.ItemDataRole.UserRole)
        if item_id:
            self.wizard.goto(item_id)
            self.accept()

    def _submit(self) -> None:
        passwords = {role: field.text() for role, field in self.passwords.items()} or None
        try:
            self.wizard.submit(passwords)
        except LtcError as exc:
            QMessageBox.warning(self, _("无法提交"), str(exc))
            return
        self.accept()
