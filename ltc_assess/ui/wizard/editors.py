"""Editors: one widget class per item type, registered by type name (no if/elif on types elsewhere).

Every editor has ``set_value``/``value`` and emits ``answer_changed(item_id, value)`` when the assessor
changes it — only then: a date field left without a change must not save the date it merely displays.
Choice editors show large option buttons, each with its key (see keys.py).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ltc_assess.i18n import _, language
from ltc_assess.schema.model import AnyItem, GroupItem, MultiChoiceItem, NumberItem, SingleChoiceItem
from ltc_assess.ui.signature_pad import SignaturePad
from ltc_assess.ui.wizard.keys import choice_keys

EDITORS: dict[str, type[Editor]] = {}


def register(kind: str) -> Callable[[type[Editor]], type[Editor]]:
    def deco(cls: type[Editor]) -> type[Editor]:
        EDITORS[kind] = cls
        return cls

    return deco


_NOT_SHOWN = object()  # before show_value(): any value is a change


class Editor(QWidget):
    """Base editor.

    Signals:
        answer_changed: the assessor changed the value. args: item id (str), new value (object)
    """

    answer_changed = Signal(str, object)

    def __init__(self, item: AnyItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.lang = language()
        self._shown: Any = _NOT_SHOWN

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError

    def choose_index(self, index: int) -> bool:
        """Choose option ``index`` (0-based); False when not a choice editor."""
        return False

    def choose_key(self, key: str) -> bool:
        """Keyboard shortcut: choose the option whose key (printed code or position) is ``key``."""
        keys: list[str | None] = getattr(self, "keys", [])
        return key in keys and self.choose_index(keys.index(key))

    def show_value(self, value: Any) -> None:
        """Show the stored value; from now on, only a different value is emitted."""
        self.set_value(value)
        self._shown = self.value()

    def _emit(self) -> None:
        value = self.value()
        if value == self._shown:
            return
        self._shown = value
        self.answer_changed.emit(self.item.id, value)


OPTION_STYLE = (
    "QPushButton#option{text-align:left;font-size:14px;}"
    "QPushButton#option:checked{background:#1d4ed8;}"
    "QPushButton#option:focus{border:2px solid #f59e0b;}"
)


class OptionButton(QPushButton):
    """A large checkable option whose text wraps (the standards' option wording is often long)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.setCheckable(True)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(12, 8, 12, 8)
        self._layout.addWidget(self.label)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.MinimumExpanding)
        self.setMinimumHeight(44)
        self.setObjectName("option")  # styled by OPTION_STYLE on the card: one style sheet, not one per button
        self.toggled.connect(self._restyle)

    def _restyle(self, checked: bool) -> None:
        self.label.setStyleSheet("color:white;" if checked else "")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = self._layout.sizeHint()
        return QSize(hint.width(), max(44, hint.height()))


def _option_button(key: str | None, text: str) -> OptionButton:
    """An option button led by its key in bold (the wording is escaped: B.1.7 prints "每周<1次")."""
    lead = "" if key is None else f"<b>{key}</b>&nbsp;&nbsp;"
    button = OptionButton(lead + html.escape(text))
    button.label.setTextFormat(Qt.TextFormat.RichText)
    return button


@register("single_choice")
class SingleChoiceEditor(Editor):
    """Large option buttons; one may be chosen (clicking the chosen one again keeps it)."""

    def __init__(self, item: SingleChoiceItem, parent: QWidget | None = None) -> None:
        super().__init__(item, parent)
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.values = [c.value for c in item.choices]
        self.keys = choice_keys(item)
        for n, (choice, key) in enumerate(zip(item.choices, self.keys, strict=True)):
            score = f"[{choice.value}] " if isinstance(choice.value, int) and str(choice.value) != key else ""
            button = _option_button(key, f"{score}{choice.label.get(self.lang)}")
            self.group.addButton(button, n)
            layout.addWidget(button)
        self.group.idClicked.connect(lambda _i: self._emit())

    def set_value(self, value: Any) -> None:
        if value in self.values:
            self.group.button(self.values.index(value)).setChecked(True)
        else:
            checked = self.group.checkedButton()
            if checked is not None:
                self.group.setExclusive(False)
                checked.setChecked(False)
                self.group.setExclusive(True)

    def value(self) -> Any:
        idx = self.group.checkedId()
        return None if idx < 0 else self.values[idx]

    def choose_index(self, index: int) -> bool:
        if 0 <= index < len(self.values):
            self.group.button(index).click()
            return True
        return False


@register("multi_choice")
class MultiChoiceEditor(Editor):
    """Toggle buttons; an exclusive option (无) clears the others and vice versa."""

    def __init__(self, item: MultiChoiceItem, parent: QWidget | None = None) -> None:
        super().__init__(item, parent)
        layout = QVBoxLayout(self)
        self.choices = list(item.choices)
        self.keys = choice_keys(item)
        self.buttons = []
        for n, (choice, key) in enumerate(zip(self.choices, self.keys, strict=True)):
            button = _option_button(key, choice.label.get(self.lang))
            button.clicked.connect(lambda _c=False, i=n: self._toggled(i))
            layout.addWidget(button)
            self.buttons.append(button)

    def _toggled(self, index: int) -> None:
        if self.buttons[index].isChecked():
            exclusive = self.choices[index].exclusive
            for i, button in enumerate(self.buttons):
                if i != index and (exclusive or self.choices[i].exclusive):
                    button.setChecked(False)
        self._emit()

    def set_value(self, value: Any) -> None:
        chosen = set(value or [])
        for choice, button in zip(self.choices, self.buttons, strict=True):
            button.setChecked(choice.value in chosen)

    def value(self) -> Any:
        return [c.value for c, b in zip(self.choices, self.buttons, strict=True) if b.isChecked()]

    def choose_index(self, index: int) -> bool:
        if 0 <= index < len(self.buttons):
            self.buttons[index].click()
            return True
        return False


@register("number")
class NumberEditor(Editor):
    def __init__(self, item: AnyItem, parent: QWidget | None = None) -> None:
        super().__init__(item, parent)
        assert isinstance(item, NumberItem)
        layout = QHBoxLayout(self)
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(item.decimals)
        self.spin.setRange(item.min if item.min is not None else -1e9, item.max if item.max is not None else 1e9)
        self.spin.setSpecialValueText("—")
        self.spin.setMinimumHeight(36)
        layout.addWidget(self.spin)
        self.setFocusProxy(self.spin)
        if item.unit:
            layout.addWidget(QLabel(item.unit.get(self.lang)))
        layout.addStretch()
        self.spin.editingFinished.connect(self._emit)
        self._decimals = item.decimals

    def set_value(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(self.spin.minimum() if value is None else float(value))
        self.spin.blockSignals(False)

    def value(self) -> Any:
        if self.spin.value() == self.spin.minimum() and self.spin.specialValueText():
            return None
        return int(self.spin.value()) if self._decimals == 0 else round(self.spin.value(), self._decimals)


@register("text")
class TextEditor(Editor):
    def __init__(self, item: AnyItem, parent: QWidget | None = None) -> None:
        super().__init__(item, parent)
        layout = QVBoxLayout(self)
        self.line = QLineEdit()
        self.line.setMinimumHeight(36)
        layout.addWidget(self.line)
        self.setFocusProxy(self.line)
        self.line.editingFinished.connect(self._emit)

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))

    def value(self) -> Any:
        return self.line.text().strip() or None


@register("date")
class DateEditor(Editor):
    def __init__(self, item: AnyItem, parent: QWidget | None = None) -> None:
        super().__init__(item, parent)
        layout = QHBoxLayout(self)
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMinimumHeight(36)
        layout.addWidget(self.date)
        self.setFocusProxy(self.date)
        layout.addStretch()
        self.date.editingFinished.connect(self._emit)

    def set_value(self, value: Any) -> None:
        self.date.setDate(QDate.fromString(value, "yyyy-MM-dd") if value else QDate.currentDate())

    def value(self) -> Any:
        return self.date.date().toString("yyyy-MM-dd")


@register("group")
class GroupEditor(Editor):
    """A small table of rows (e.g. 用药情况); the row list is the value."""

    def __init__(self, item: AnyItem, parent: QWidget | None = None) -> None:
        super().__init__(item, parent)
        assert isinstance(item, GroupItem)
        self.fields = list(item.fields)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, len(self.fields))
        self.table.setHorizontalHeaderLabels([f.label.get(self.lang) for f in self.fields])
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        add = QPushButton(_("添加一行"))
        add.clicked.connect(lambda: self.table.insertRow(self.table.rowCount()))
        layout.addWidget(add, alignment=Qt.AlignmentFlag.AlignLeft)
        self.table.itemChanged.connect(lambda _i: self._emit())

    def set_value(self, value: Any) -> None:
        self.table.blockSignals(True)
        rows = value or []
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, f in enumerate(self.fields):
                self.table.setItem(r, c, QTableWidgetItem(str(row.get(f.id) or "")))
        self.table.blockSignals(False)

    def value(self) -> Any:
        rows = []
        for r in range(self.table.rowCount()):
            row = {f.id: self._cell(r, c) for c, f in enumerate(self.fields)}
            if any(row.values()):
                rows.append({k: v for k, v in row.items() if v})
        return rows

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""


@register("computed")
class ComputedEditor(Editor):
    """Shows a value the form computes (e.g. BMI); not editable."""

    def __init__(self, item: AnyItem, parent: QWidget | None = None) -> None:
        super().__init__(item, parent)
        layout = QHBoxLayout(self)
        self.label = QLabel("—")
        self.label.setStyleSheet("font-size:16px;")
        layout.addWidget(self.label)
        layout.addStretch()

    def set_value(self, value: Any) -> None:
        unit = getattr(self.item, "unit", None)
        self.label.setText("—" if value is None else f"{value} {unit.get(self.lang) if unit else ''}")

    def value(self) -> Any:
        return None


@register("signature")
class SignatureEditor(Editor):
    """A signature pad; the value is the PNG of the strokes (saved as the role's handwritten signature)."""

    def __init__(self, item: AnyItem, parent: QWidget | None = None) -> None:
        super().__init__(item, parent)
        layout = QVBoxLayout(self)
        self.pad = SignaturePad()
        layout.addWidget(self.pad)
        row = QHBoxLayout()
        clear = QPushButton(_("清除"))
        clear.clicked.connect(self.pad.clear)
        save = QPushButton(_("确认签名 (S)"))
        save.clicked.connect(self._emit)
        self.state = QLabel("")
        row.addWidget(clear)
        row.addWidget(save)
        row.addWidget(self.state)
        row.addStretch()
        layout.addLayout(row)

    def set_value(self, value: Any) -> None:
        """``value``: the stored PNG (shown on the pad), or None when this role has not signed."""
        if isinstance(value, bytes):
            self.pad.load_png(value)
        self.state.setText(_("已签名") if value else "")

    def value(self) -> Any:
        return None if self.pad.empty else self.pad.to_png()

    def choose_key(self, key: str) -> bool:
        """S confirms the signature from the keyboard (the pad itself needs a pen or mouse)."""
        if key != "S":
            return False
        self._emit()
        return True

    def _emit(self) -> None:
        if self.pad.empty:
            self.state.setText(_("请先在框内签名"))
            return
        super()._emit()
