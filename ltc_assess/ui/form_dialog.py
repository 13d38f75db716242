"""What the small form dialogs (register, new assessment, insurer export) share: labelled rows, then OK/Cancel."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QWidget


def add_rows(form: QFormLayout, rows: Sequence[tuple[str, QWidget]]) -> None:
    for label, widget in rows:
        form.addRow(label, widget)


def add_ok_cancel(dialog: QDialog, form: QFormLayout) -> None:
    """OK and Cancel as the form's last row, wired to the dialog's accept and reject."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
