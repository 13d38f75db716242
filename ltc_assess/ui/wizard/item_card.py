"""The card in the middle of the wizard: one item's code, wording, help, editor, issues, warnings and comments.

Editors are built once per item and kept; the next item's editor is built while the assessor reads the
card, so that the key that moves on only swaps widgets (building option buttons cost most of a keystroke).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

from ltc_assess.schema.model import FormDef
from ltc_assess.ui.wizard.editors import EDITORS, OPTION_STYLE, Editor


def _wrapped(style: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(style)
    return label


class ItemCard(QFrame):
    """Shows one item at a time; ``on_answer`` receives every change an editor reports (item id, value)."""

    def __init__(self, form: FormDef, on_answer: Callable[[str, Any], None], key_filter: QObject) -> None:
        super().__init__()
        self.form, self._on_answer, self._key_filter = form, on_answer, key_filter
        self.editor: Editor | None = None
        self._editors: dict[str, Editor] = {}
        self._upcoming: Callable[[], list[str]] = list
        self._prefetch = QTimer(self)
        self._prefetch.setSingleShot(True)
        self._prefetch.setInterval(60)
        self._prefetch.timeout.connect(self._build_next)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("card")
        self.setStyleSheet("#card{background:white;border-radius:8px;}" + OPTION_STYLE)
        layout = QVBoxLayout(self)
        self.code = _wrapped("color:#6b7280;")
        self.open_required = _wrapped("color:#9a3412;")  # the section's required items still open, by name
        self.label = _wrapped("font-size:20px;font-weight:bold;")
        self.help = _wrapped("color:#374151;")
        self.issue = _wrapped("color:#b91c1c;")
        self.warning = _wrapped("color:#b45309;")
        self.comment = _wrapped("color:#1d4ed8;")
        self.editor_host = QVBoxLayout()
        for w in (self.code, self.open_required, self.label, self.help):
            layout.addWidget(w)
        layout.addLayout(self.editor_host)
        for w in (self.issue, self.warning, self.comment):
            layout.addWidget(w)
        layout.addStretch()

    def open(self, item_id: str, upcoming: Callable[[], list[str]]) -> Editor:
        """Swap in ``item_id``'s editor; while the assessor reads this card, build the editors of the items the
        next key may show (``upcoming()``: the next item, the next open required one)."""
        if self.editor is not None:
            self.editor.hide()
        self.editor = self._editor_for(item_id)
        self._upcoming = upcoming
        self._prefetch.start()
        return self.editor

    def _editor_for(self, item_id: str) -> Editor:
        editor = self._editors.get(item_id)
        if editor is None:
            item = self.form.items[item_id]
            editor = self._editors[item_id] = EDITORS[item.type](item)
            editor.hide()
            editor.answer_changed.connect(self._on_answer)
            self.editor_host.addWidget(editor)
            proxy = editor.focusProxy()
            if proxy is not None:
                proxy.installEventFilter(self._key_filter)
        return editor

    def _build_next(self) -> None:
        for item_id in self._upcoming():
            self._editor_for(item_id)
