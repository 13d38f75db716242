"""The assessment wizard: a card per item, sections with progress, the live score and its explanation.

Everything it knows comes from the form definition through FormSession; every answer goes through the
service, and "已保存" appears only after the service has committed it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
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
from ltc_assess.schema.model import FormDef, SignatureItem, SingleChoiceItem
from ltc_assess.scoring import ScoreResult
from ltc_assess.service import AssessmentService, Changes, signature_item, signature_role
from ltc_assess.session import FormSession
from ltc_assess.storage.records import User
from ltc_assess.ui.focus import FOCUS_STYLE
from ltc_assess.ui.wizard.editors import EDITORS, OPTION_STYLE, Editor
from ltc_assess.ui.wizard.keys import NONE_KEY, REQUIRED_KEY, key_text
from ltc_assess.ui.workers import run_with_service

_SAVED_STYLE = "color:#047857;padding:2px 6px;"
_SAVED_FLASH = "color:white;background:#047857;border-radius:4px;padding:2px 6px;"


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
        self.provisional = QLabel("")
        self.provisional.setWordWrap(True)
        self.provisional.setStyleSheet("color:#b45309;font-weight:bold;")
        self.explain = QTextBrowser()
        for w in (
            self.title,
            self.status,
            self.dims,
            self.level,
            self.provisional,
            QLabel(_("评分说明")),
            self.explain,
        ):
            layout.addWidget(w)

    def show_result(self, result: ScoreResult, status_note: str | None, form: FormDef) -> None:
        """The result in the UI language: labels and names come from the form (the engine's are Chinese)."""
        lang = language()
        labels = {d.id: d.label.get(lang) for d in form.scoring.dimensions}
        grades = {g.code: g.name.get(lang) for g in form.scoring.grades or ()}
        levels = {lv.code: lv.name.get(lang) for lv in form.scoring.levels}
        colon = ": " if lang == "en" else "："
        self.status.setText(status_note or "")
        lines = []
        for d in result.dimensions:
            grade = None if d.grade is None else grades.get(d.grade, d.grade_name)
            if d.max is None:  # graded only: its items have no meaningful sum (MZ/T 感知觉与沟通)
                shown = grade or "—"
            else:
                shown = f"{d.score if d.score is not None else f'{d.partial_sum}…'}/{d.max}"
                shown += f"（{grade}）" if grade else ""
            lines.append(f"{labels.get(d.id, d.label)}{colon}{shown}  [{d.answered}/{d.item_count}]")
        if result.total is not None:
            lines.append(_("总分：{total}").format(total=result.total))
        self.dims.setText("\n".join(lines))
        if result.final_level is None:
            self.level.setText(_("建议等级：尚未完成"))
        elif result.provisional_level:
            self.level.setText(
                _("建议等级（暂定）：{code} {name}").format(code=result.final_level, name=levels[result.final_level])
            )
        else:
            self.level.setText(
                _("建议等级：{code} {name}").format(code=result.final_level, name=levels[result.final_level])
            )
        blank = result.blank_rule_inputs if result.final_level is not None else None  # no level: nothing provisional
        self.provisional.setText(
            _("等级为暂定：{items} 未填写，暂按“无”计算；填写后方可确定（可能提高等级）。").format(
                items="、".join(blank.items)
            )
            if blank
            else ""
        )
        self.provisional.setVisible(blank is not None)
        self.explain.setPlainText("\n".join("· " + t.text for t in result.trace))


class WizardWindow(QWidget):
    """Fill in one assessment.

    Signals:
        submitted: the assessment was submitted. args: assessment id (int)
        changed: the record changed beyond its answers (submitted, second assessor set). args: its ``Changes``
    """

    submitted = Signal(int)
    changed = Signal(object)

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
        self._editors: dict[str, Editor] = {}
        self._prefetch = QTimer(self)
        self._prefetch.setSingleShot(True)
        self._prefetch.setInterval(60)
        self._prefetch.timeout.connect(self._build_next)
        self.setWindowTitle(_("评估：{title}").format(title=self.form.title.get(self.lang)))
        self.resize(1280, 800)
        self.setStyleSheet(FOCUS_STYLE)

        self.sections = QListWidget()
        self.sections.setMinimumWidth(270)
        self.sections.itemClicked.connect(self._on_section_clicked)
        self.card = QFrame()
        self.card.setFrameShape(QFrame.Shape.StyledPanel)
        self.card.setObjectName("card")
        self.card.setStyleSheet("#card{background:white;border-radius:8px;}" + OPTION_STYLE)
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
        self.open_required = QLabel()  # the section's required items still open, by name
        self.open_required.setWordWrap(True)
        self.open_required.setStyleSheet("color:#9a3412;")
        for w in (self.code, self.open_required, self.label, self.help):
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
        self.saved.setStyleSheet(_SAVED_STYLE)
        self._flash = QTimer(self)  # the brief highlight of "saved" after an answer
        self._flash.setSingleShot(True)
        self._flash.setInterval(700)
        self._flash.timeout.connect(lambda: self.saved.setStyleSheet(_SAVED_STYLE))
        back = QPushButton(_("← 上一项"))
        back.clicked.connect(lambda: self.go(-1))
        forward = QPushButton(_("下一项 →"))
        forward.clicked.connect(lambda: self.go(1))
        self.none_button = QPushButton(_("{key} 以上均无").format(key=NONE_KEY))
        self.none_button.setToolTip(_("把本组未填写的项目记为“无”，并转到下一项"))
        self.none_button.clicked.connect(self.answer_none)
        required = QPushButton(_("{key} 下一必填项").format(key=REQUIRED_KEY))
        required.setToolTip(_("转到下一个尚未填写的必填项目"))
        required.clicked.connect(self.goto_required)
        self.submit_button = QPushButton(_("提交…"))
        self.submit_button.clicked.connect(self.open_checklist)
        nav = QHBoxLayout()
        for w in (back, forward, self.none_button, required, self.saved):
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
        if not self.sections.count():
            for section in self.form.sections:
                entry = QListWidgetItem()
                entry.setData(Qt.ItemDataRole.UserRole, section.id)
                self.sections.addItem(entry)
        for row, (progress, section) in enumerate(zip(self.session.progress(signed), self.form.sections, strict=True)):
            touched = progress.required or any(self.session.is_answered(i.id) for i in section.items)
            mark = ("✓" if touched else "") if progress.done else f"{progress.answered}/{progress.required}"
            entry = self.sections.item(row)
            entry.setText(f"{section.title.get(self.lang)}   {mark}")  # in place: rebuilding cost a keystroke 10 ms
            if section.id == current and self.sections.currentRow() != row:
                self.sections.setCurrentRow(row)

    def _show_item(self) -> None:
        item_id = self.session.current_item
        if item_id is None:
            return
        item = self.form.items[item_id]
        section = self.session.section_of(item_id).title.get(self.lang)
        self.code.setText(section if isinstance(item, SignatureItem) else f"{section} · {item_id}")
        required = " *" if self.session.is_required(item) else ""
        signer = f" — {self._signer(signature_role(item_id))}" if isinstance(item, SignatureItem) else ""
        self.label.setText(item.label.get(self.lang) + signer + required)
        self._show_open_required()
        self.none_button.setEnabled(bool(self.session.none_answers(item_id)))
        helps = [t.get(self.lang) for t in (item.help, item.note) if t is not None]
        self.help.setText("\n".join(helps))
        self.help.setVisible(bool(helps))
        if self.editor is not None:
            self.editor.hide()
        self.editor = self._editor_for(item_id)
        self._prefetch.start()
        value = self.session.computed_value(item_id) if item.type == "computed" else self.session.value(item_id)
        if isinstance(item, SignatureItem):
            value = self.service.signatures(self.aid).get(signature_role(item_id))
        self.editor.show_value(value)
        self.editor.show()
        self._show_issues()
        notes = [
            _("审核意见（{author}）：{body}").format(author=c.author, body=c.body)
            for c in self.comments
            if c.item_id == item_id
        ]
        self.comment.setText("\n".join(notes))
        if self.editor.focusProxy() is not None:  # a text, number or date field: typing goes into it
            self.editor.setFocus(Qt.FocusReason.TabFocusReason)  # as by Tab: a pre-filled text is selected
        else:
            self.setFocus()  # digits choose options, arrows move

    def _signer(self, role: str) -> str:
        """Who signs this pad, by name (two assessors hand one laptop back and forth)."""
        record = self.service.assessment(self.aid)
        if role == "informant":
            return record.informant_name or _("（未填写信息提供者）")
        uid = record.assessor1_id if role == "assessor1" else record.assessor2_id
        if uid is None:
            return _("（尚未指定第二评估员）")
        return next((u.display_name for u in self.service.users(role="assessor") if u.id == uid), "")

    def _editor_for(self, item_id: str) -> Editor:
        """The item's editor, built once and kept (building option buttons cost most of a keystroke)."""
        editor = self._editors.get(item_id)
        if editor is None:
            editor = self._editors[item_id] = EDITORS[self.form.items[item_id].type](self.form.items[item_id])
            editor.hide()
            editor.answer_changed.connect(self._on_answer_changed)
            self.editor_host.addWidget(editor)
            if editor.focusProxy() is not None:
                editor.focusProxy().installEventFilter(self)
        return editor

    def _build_next(self) -> None:
        """While the assessor reads the card, build the next item's editor so that the key that moves on is quick."""
        following = self.session.peek(1)
        if following is not None:
            self._editor_for(following)

    def _show_open_required(self) -> None:
        """Name the section's required items that are still open, so that none hides behind optional ones."""
        section = self.session.section_of(self.session.current_item or "")
        open_items = [
            f"{i.id} {i.label.get(self.lang)}"
            for i in self.session.visible_items(section)
            if not isinstance(i, SignatureItem) and self.session.is_required(i) and not self.session.is_answered(i.id)
        ]
        self.open_required.setText(
            _("本节必填未填（{key} 跳转）：{items}").format(key=REQUIRED_KEY, items="；".join(open_items))
            if open_items
            else ""
        )
        self.open_required.setVisible(bool(open_items))

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
        self.score_panel.show_result(result, note, self.form)
        self.warning.setText(
            "\n".join("⚠ " + w for w in self.session.warnings_for(self.session.current_item or "", result, self.lang))
        )

    # --- actions -----------------------------------------------------------------------------------

    def _on_answer_changed(self, item_id: str, value: Any) -> None:
        """Save; a single choice then moves on by itself, unless the answer needs a look (issue or warning)."""
        stored = self.session.value(item_id)
        moving_on = isinstance(self.form.items[item_id], SingleChoiceItem) and self.session.current_item == item_id
        result = self._save(item_id, value, moving_on)
        if result is None:
            return
        self._confirm(item_id, stored, value)
        if moving_on and self._may_advance(item_id, result):
            self._show_score(result)
            self.go(1, remember=False)  # the save already recorded the next item as the place to resume
            return
        if moving_on:
            self._remember()  # the save recorded the next item; the cursor stays here
        self._refresh_sections()
        self._show_issues()
        self._show_open_required()
        self._show_score(result)

    def _save(self, item_id: str, value: Any, moving_on: bool = False) -> ScoreResult | None:
        """Store one answer through the service; on refusal show why and what is stored, and return None.

        ``moving_on``: the cursor will go on to the next item, so the save records that as the place to resume
        (one durable write per keystroke rather than two).
        """
        stored = self.session.value(item_id)
        try:
            if isinstance(self.form.items[item_id], SignatureItem):
                if value is None:
                    return None
                self.service.save_signature(self.actor, self.aid, signature_role(item_id), value)
                self.editor.show_value(value) if self.editor else None
                return self.session.live_score()
            self.session.set_answer(item_id, value)
            resume = (self.session.peek(1) if moving_on else None) or item_id
            return self.service.save_answer(self.actor, self.aid, item_id, value, current_item=resume).score
        except LtcError as exc:
            self._restore(item_id, stored)
            self.saved.setText("")
            self.issue.setText(str(exc))
            return None

    def _confirm(self, item_id: str, old: Any, new: Any) -> None:
        """The brief visual confirmation: what was saved (and what it replaced), highlighted for a moment."""
        item = self.form.items[item_id]
        what = (
            item_id
            if isinstance(item, SignatureItem)
            else f"{item_id} {item.label.get(self.lang)} = {self._shown(item_id, new)}"
        )
        if old is not None and old != new and not isinstance(item, SignatureItem):
            what += _("（原为 {old}）").format(old=self._shown(item_id, old))
        self.saved.setText(_("已保存 {time}").format(time=dt.datetime.now().strftime("%H:%M:%S")) + " · " + what)
        self.saved.setStyleSheet(_SAVED_FLASH)
        self._flash.start()

    def _shown(self, item_id: str, value: Any) -> str:
        """An answer as the assessor chose it: the option's wording (shortened), 无 for an empty list."""
        item = self.form.items[item_id]
        choices = {c.value: c.label.get(self.lang) for c in getattr(item, "choices", ())}
        if isinstance(value, list):
            return "、".join(choices.get(v, str(v)) for v in value) if value else _("无")
        text = choices.get(value, str(value))
        return text if len(text) <= 18 else text[:17] + "…"

    def _may_advance(self, item_id: str, result: ScoreResult) -> bool:
        """A chosen answer moves on unless it needs a look: an issue or a warning on it, or the last item."""
        return (
            self.session.current_item == item_id
            and not self.session.is_last()
            and not self.session.item_issues(item_id)
            and not self.session.warnings_for(item_id, result)
        )

    def answer_none(self) -> None:
        """The "none of these" key: 无 for the whole group (A.2.14's five counts) or the list (A.4.1), then on."""
        item_id = self.session.current_item
        targets = self.session.none_answers(item_id) if item_id else {}
        if not item_id or not targets:
            return
        result = None
        for target, value in targets.items():
            result = self._save(target, value)
            if result is None:
                return
        assert result is not None
        self.saved.setText("")
        self._confirm(item_id, None, targets[item_id])
        self.session.goto(list(targets)[-1])
        self._show_score(result)
        if self.session.is_last():
            self._show_item()
            self._refresh_sections()
        else:
            self.go(1)

    def goto_required(self) -> None:
        """Jump to the next required item that is still open (the required-items key)."""
        signed = {signature_item(role) for role in self.service.signed_roles(self.aid)}
        target = self.session.next_required(signed)
        if target is not None:
            self._leave_input()
            self.goto(target)

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

    def go(self, step: int, remember: bool = True) -> None:
        self._leave_input()
        if step > 0 and self.session.is_last():
            self.open_checklist()  # Enter on the last item leads on to submission
            return
        self.session.move(step)
        if remember:
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
        """Option keys (printed code or position) choose; N none of these; R next required; Enter/→ next;
        Backspace/← back; PageUp/PageDown sections."""
        key = event.key()
        commands = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        text = None if event.modifiers() & commands else key_text(key)
        if text is not None and self.editor is not None:
            item_id = self.session.current_item
            if self.editor.choose_key(text):
                # the same option again saves nothing: move on all the same
                if item_id == self.session.current_item and isinstance(self.editor.item, SingleChoiceItem):
                    if self._may_advance(item_id, self.session.live_score()):
                        self.go(1)
                return
            if text == NONE_KEY:
                self.answer_none()
                return
            if text == REQUIRED_KEY:
                self.goto_required()
                return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Right):
            self.go(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Backspace):
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

    def submit(self, passwords: dict[str, str] | None, failed: Callable[[BaseException], None]) -> None:
        """Hand in, in the background (rendering and signing the report takes seconds); then the wizard closes (a
        submitted assessment is read-only) and the main window confirms it, or ``failed`` gets the refusal."""
        actor, aid = self.actor, self.aid
        run_with_service(self.service, lambda own: own.submit(actor, aid, passwords), self._submitted, failed)

    def _submitted(self, changes: Changes) -> None:
        self.changed.emit(changes)
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
            issues = wizard.session.item_issues(code) if code and wizard.lang == "en" else []
            entry = QListWidgetItem(f"{code}  {issues[0].message_en if issues else m.message}".strip())
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
        self.busy = False  # a submission under way
        wizard.submitted.connect(self.accept)

    def _set_second(self) -> None:
        try:
            changes = self.wizard.service.set_second_assessor(
                self.wizard.actor, self.wizard.aid, self.second.currentData()
            )
        except LtcError as exc:
            QMessageBox.warning(self, _("操作未完成"), str(exc))
            return
        self.wizard.changed.emit(changes)
        self.accept()
        self.wizard.open_checklist()

    def _jump(self, entry: QListWidgetItem) -> None:
        item_id = entry.data(Qt.ItemDataRole.UserRole)
        if item_id:
            self.wizard.goto(item_id)
            self.accept()

    def _submit(self) -> None:
        """Submit in the background; the dialog closes with the wizard, or shows why not and stays."""
        passwords = {role: field.text() for role, field in self.passwords.items()} or None
        self.busy = True
        self.submit_button.setEnabled(False)
        self.setCursor(Qt.CursorShape.BusyCursor)
        self.wizard.submit(passwords, self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.busy = False
        self.submit_button.setEnabled(True)
        self.unsetCursor()
        QMessageBox.warning(self, _("无法提交"), str(exc))

    def reject(self) -> None:
        """Closing waits for a submission under way: its outcome must be seen, not lost."""
        if not self.busy:
            super().reject()
