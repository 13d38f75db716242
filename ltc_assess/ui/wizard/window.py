"""The assessment wizard: a card per item, sections with progress, the live score and its explanation.

Everything it knows comes from the form definition through FormSession; every answer goes through the
service, and "已保存" appears only after the service has committed it. The parts live beside it:
navigation (sections, command row), item_card (the card and its editors), score_panel, checklist (submission).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QListWidgetItem, QScrollArea, QSplitter, QVBoxLayout, QWidget

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _, language
from ltc_assess.schema.model import SignatureItem, SingleChoiceItem
from ltc_assess.scoring import ScoreResult
from ltc_assess.service import AssessmentService, Changes, signature_item, signature_role
from ltc_assess.session import FormSession
from ltc_assess.storage.records import User
from ltc_assess.ui.focus import FOCUS_STYLE
from ltc_assess.ui.wizard.checklist import ChecklistDialog
from ltc_assess.ui.wizard.editors import Editor
from ltc_assess.ui.wizard.item_card import ItemCard
from ltc_assess.ui.wizard.keyboard import handle_key, is_page_key
from ltc_assess.ui.wizard.keys import REQUIRED_KEY
from ltc_assess.ui.wizard.navigation import NavBar, SectionList
from ltc_assess.ui.wizard.score_panel import ScorePanel
from ltc_assess.ui.workers import run_with_service


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
        self.setWindowTitle(_("评估：{title}").format(title=self.form.title.get(self.lang)))
        self.resize(1280, 800)
        self.setStyleSheet(FOCUS_STYLE)
        self.comments = service.comments(assessment_id)

        self.sections = SectionList(self.form, self.lang)
        self.sections.itemClicked.connect(self._on_section_clicked)
        self.card = ItemCard(self.form, self._on_answer_changed, key_filter=self)
        # the card's and the command row's parts, by name (tests and screenshots read them)
        card = self.card
        self.code, self.label, self.help, self.open_required = card.code, card.label, card.help, card.open_required
        self.issue, self.warning, self.comment = card.issue, card.warning, card.comment
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.card)
        self.nav = NavBar()
        self.saved, self.none_button, self.submit_button = self.nav.saved, self.nav.none_button, self.nav.submit_button
        self.nav.back.clicked.connect(lambda: self.go(-1))
        self.nav.forward.clicked.connect(lambda: self.go(1))
        self.none_button.clicked.connect(self.answer_none)
        self.nav.required.clicked.connect(self.goto_required)
        self.submit_button.clicked.connect(self.open_checklist)
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.addWidget(scroll)
        center_layout.addWidget(self.nav)

        self.score_panel = ScorePanel()
        self.score_panel.setMinimumWidth(300)
        splitter = QSplitter()
        for w in (self.sections, center, self.score_panel):
            splitter.addWidget(w)
        splitter.setSizes([240, 680, 360])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._result = self.session.live_score()
        self._side = QTimer(self)  # the section list and the score panel follow once the next card is shown
        self._side.setSingleShot(True)
        self._side.setInterval(0)
        self._side.timeout.connect(self._refresh_side)
        self._show_item()
        self._refresh_side()

    @property
    def editor(self) -> Editor | None:
        """The current item's editor."""
        return self.card.editor

    # --- rendering ---------------------------------------------------------------------------------

    def _refresh_sections(self) -> None:
        """Section progress and the live score, right after the card (the key's answer on screen comes first)."""
        self._side.start()

    def _refresh_side(self) -> None:
        self.sections.refresh(self.session, {signature_item(role) for role in self.service.signed_roles(self.aid)})
        note = (
            self.form.status_note.get(self.lang)
            if self.form.status == "provisional" and self.form.status_note
            else None
        )
        self.score_panel.show_result(self._result, note, self.form)

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
        editor = self.card.open(item_id, self._upcoming)
        value = self.session.computed_value(item_id) if item.type == "computed" else self.session.value(item_id)
        if isinstance(item, SignatureItem):
            value = self.service.signatures(self.aid).get(signature_role(item_id))
        editor.show_value(value)
        editor.show()
        self._show_issues()
        self._show_warnings()
        notes = [
            _("审核意见（{author}）：{body}").format(author=c.author, body=c.body)
            for c in self.comments
            if c.item_id == item_id
        ]
        self.comment.setText("\n".join(notes))
        if editor.focusProxy() is not None:  # a text, number or date field: typing goes into it
            editor.setFocus(Qt.FocusReason.TabFocusReason)  # as by Tab: a pre-filled text is selected
        else:
            self.setFocus()  # digits choose options, arrows move

    def _upcoming(self) -> list[str]:
        """The items the next key may show: the next one (a choice moves on) and the next open required one (R)."""
        signed = {signature_item(role) for role in self.service.signed_roles(self.aid)}
        return [i for i in (self.session.peek(1), self.session.next_required(signed)) if i is not None]

    def _signer(self, role: str) -> str:
        """Who signs this pad, by name (two assessors hand one laptop back and forth)."""
        record = self.service.assessment(self.aid)
        if role == "informant":
            return record.informant_name or _("（未填写信息提供者）")
        uid = record.assessor1_id if role == "assessor1" else record.assessor2_id
        if uid is None:
            return _("（尚未指定第二评估员）")
        return next((u.display_name for u in self.service.users(role="assessor") if u.id == uid), "")

    def _show_open_required(self) -> None:
        """Name the section's required items that are still open, so that none hides behind optional ones."""
        section = self.session.section_of(self.session.current_item or "")
        open_items = [
            f"{i.id} {i.label.get(self.lang)}"
            for i in self.session.visible_items(section)
            if not isinstance(i, SignatureItem) and self.session.is_required(i) and not self.session.is_answered(i.id)
        ]
        self.open_required.setText(
            _("本节必填未填（{key} 跳转）：{items}").format(key=REQUIRED_KEY, items=_("；").join(open_items))
            if open_items
            else ""
        )
        self.open_required.setVisible(bool(open_items))

    def _show_issues(self) -> None:
        item_id = self.session.current_item or ""
        issues = self.session.item_issues(item_id)
        self.issue.setText("\n".join(i.message for i in issues))

    def _show_score(self, result: ScoreResult) -> None:
        self._result = result
        self._show_warnings()
        self._refresh_sections()

    def _show_warnings(self) -> None:
        """The latest score's consistency warnings on the current item's card."""
        item_id = self.session.current_item or ""
        self.warning.setText("\n".join("⚠ " + w for w in self.session.warnings_for(item_id, self._result, self.lang)))

    # --- actions -----------------------------------------------------------------------------------

    def _on_answer_changed(self, item_id: str, value: Any) -> None:
        """Save; a single choice then moves on by itself, unless the answer needs a look (issue or warning)."""
        stored = self.session.value(item_id)
        moving_on = isinstance(self.form.items[item_id], SingleChoiceItem) and self.session.current_item == item_id
        result = self._save(item_id, value, moving_on)
        if result is None:
            return
        self._confirm(item_id, stored, value)
        if moving_on and self.may_advance(item_id, result):
            self._show_score(result)
            self.go(1, remember=False)  # the save already recorded the next item as the place to resume
            return
        if moving_on:
            self._remember()  # the save recorded the next item; the cursor stays here
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
        self.nav.confirm(_("已保存 {time}").format(time=dt.datetime.now().strftime("%H:%M:%S")) + " · " + what)

    def _shown(self, item_id: str, value: Any) -> str:
        """An answer as the assessor chose it: the option's wording (shortened), 无 for an empty list."""
        item = self.form.items[item_id]
        choices = {c.value: c.label.get(self.lang) for c in getattr(item, "choices", ())}
        if isinstance(value, list):
            return _("、").join(choices.get(v, str(v)) for v in value) if value else _("无")
        text = str(choices.get(value, value))
        return text if len(text) <= 18 else text[:17] + "…"

    def may_advance(self, item_id: str, result: ScoreResult) -> bool:
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
        last = list(targets)[-1]
        stored = {target: self.session.value(target) for target in targets}
        self.session.goto(last)
        resume = last if self.session.is_last() else self.session.peek(1)  # where a reopened assessment resumes
        try:
            for target, value in targets.items():
                self.session.set_answer(target, value)
            result = self.service.save_answers(self.actor, self.aid, targets, current_item=resume).score
        except LtcError as exc:  # nothing was stored: the screen shows what is
            for target, old in stored.items():
                self._restore(target, old)
            self.session.goto(item_id)
            self.saved.setText("")
            self.issue.setText(str(exc))
            return
        self.saved.setText("")
        self._confirm(item_id, None, targets[item_id])
        self._show_score(result)
        if self.session.is_last():
            self._show_item()
        else:
            self.go(1, remember=False)

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
        if isinstance(event, QKeyEvent) and is_page_key(event):
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
        """The wizard's keys (``keyboard.handle_key``); any other key as Qt handles it."""
        if not handle_key(self, event):
            super().keyPressEvent(event)

    def open_checklist(self) -> None:
        ChecklistDialog(self).exec()

    def submit(self, passwords: Mapping[str, str] | None, failed: Callable[[BaseException], None]) -> None:
        """Hand in, in the background (rendering and signing the report takes seconds); then the wizard closes (a
        submitted assessment is read-only) and the main window confirms it, or ``failed`` gets the refusal."""
        actor, aid = self.actor, self.aid
        run_with_service(self.service, lambda own: own.submit(actor, aid, passwords), self._submitted, failed)

    def _submitted(self, changes: Changes) -> None:
        self.changed.emit(changes)
        self.submitted.emit(self.aid)
        self.close()
