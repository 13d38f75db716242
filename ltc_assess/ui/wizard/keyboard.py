"""The wizard's keyboard: an option key (``keys``) chooses, N answers "none of these", R goes to the next
required item, Enter/→ on, Backspace/← back, PageUp/PageDown between sections (from any field)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent

from ltc_assess.schema.model import SingleChoiceItem
from ltc_assess.ui.wizard.keys import NONE_KEY, REQUIRED_KEY, key_text

if TYPE_CHECKING:
    from ltc_assess.ui.wizard.window import WizardWindow


def is_page_key(event: QKeyEvent) -> bool:
    """A PageUp/PageDown press: it moves between sections even from a text, number or date field."""
    return event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)


def handle_key(wizard: WizardWindow, event: QKeyEvent) -> bool:
    """Do what ``event``'s key means in ``wizard``; False for a key the wizard leaves to Qt."""

    key = event.key()
    commands = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    text = None if event.modifiers() & commands else key_text(key)
    if text is not None and wizard.editor is not None:
        item_id = wizard.session.current_item or ""
        if wizard.editor.choose_key(text):
            # the same option again saves nothing: move on all the same
            if item_id == wizard.session.current_item and isinstance(wizard.editor.item, SingleChoiceItem):
                if wizard.may_advance(item_id, wizard.session.live_score()):
                    wizard.go(1)
            return True
        if text == NONE_KEY:
            wizard.answer_none()
            return True
        if text == REQUIRED_KEY:
            wizard.goto_required()
            return True
    if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Right):
        wizard.go(1)
    elif key in (Qt.Key.Key_Left, Qt.Key.Key_Backspace):
        wizard.go(-1)
    elif key == Qt.Key.Key_PageDown:
        wizard.go_section(1)
    elif key == Qt.Key.Key_PageUp:
        wizard.go_section(-1)
    else:
        return False
    return True
