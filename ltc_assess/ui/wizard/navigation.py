"""Moving through the form: the section list with each section's progress, and the row of commands under the card.

Both only show what the wizard tells them; where to go is decided by FormSession.
"""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QWidget

from ltc_assess.i18n import _
from ltc_assess.schema.model import FormDef
from ltc_assess.session import FormSession
from ltc_assess.ui.wizard.keys import NONE_KEY, REQUIRED_KEY

_SAVED_STYLE = "color:#047857;padding:2px 6px;"
_SAVED_FLASH = "color:white;background:#047857;border-radius:4px;padding:2px 6px;"


class SectionList(QListWidget):
    """One row per section of the form (its id in the user role), with "answered/required" or ✓."""

    def __init__(self, form: FormDef, lang: str) -> None:
        super().__init__()
        self.form, self.lang = form, lang
        self.setMinimumWidth(270)
        for section in form.sections:
            entry = QListWidgetItem()
            entry.setData(Qt.ItemDataRole.UserRole, section.id)
            self.addItem(entry)

    def refresh(self, session: FormSession, signed: Collection[str]) -> None:
        """Progress marks in place (rebuilding the rows cost a keystroke 10 ms) and the current section selected."""
        current = session.section_of(session.current_item).id if session.current_item else None
        for row, (progress, section) in enumerate(zip(session.progress(signed), self.form.sections, strict=True)):
            touched = progress.required or any(session.is_answered(i.id) for i in section.items)
            mark = ("✓" if touched else "") if progress.done else f"{progress.answered}/{progress.required}"
            self.item(row).setText(f"{section.title.get(self.lang)}   {mark}")
            if section.id == current and self.currentRow() != row:
                self.setCurrentRow(row)


class NavBar(QWidget):
    """Back, next, "none of these", next required item, the saved confirmation and submit."""

    def __init__(self) -> None:
        super().__init__()
        self.back = QPushButton(_("← 上一项"))
        self.forward = QPushButton(_("下一项 →"))
        self.none_button = QPushButton(_("{key} 以上均无").format(key=NONE_KEY))
        self.none_button.setToolTip(_("把本组未填写的项目记为“无”，并转到下一项"))
        self.required = QPushButton(_("{key} 下一必填项").format(key=REQUIRED_KEY))
        self.required.setToolTip(_("转到下一个尚未填写的必填项目"))
        self.submit_button = QPushButton(_("提交…"))
        self.saved = QLabel("")
        self.saved.setStyleSheet(_SAVED_STYLE)
        self._flash = QTimer(self)  # the brief highlight of "saved" after an answer
        self._flash.setSingleShot(True)
        self._flash.setInterval(700)
        self._flash.timeout.connect(lambda: self.saved.setStyleSheet(_SAVED_STYLE))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.back, self.forward, self.none_button, self.required, self.saved):
            row.addWidget(w)
        row.addStretch()
        row.addWidget(self.submit_button)

    def confirm(self, text: str) -> None:
        """Say what was saved, highlighted for a moment (the brief visual confirmation of a choice)."""
        self.saved.setText(text)
        self.saved.setStyleSheet(_SAVED_FLASH)
        self._flash.start()
