"""Qt table models over service queries (subject register, assessment lists)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCollator, QLocale, QModelIndex, QPersistentModelIndex, Qt

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _, language
from ltc_assess.schema.registry import get_form
from ltc_assess.storage.records import Subject
from ltc_assess.workflow import STATUS_LABELS

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """A read-only table of dict rows with named columns; ``refresh`` swaps the rows in one reset."""

    def __init__(self, columns: Sequence[tuple[str, str, Callable[[dict[str, Any]], Any]]]) -> None:
        super().__init__()
        self.columns = list(columns)  # (key, header, formatter)
        self.rows: list[dict[str, Any]] = []
        self._order: tuple[int, Qt.SortOrder] | None = None

    def refresh(self, rows: list[dict[str, Any]]) -> None:
        """New rows, in the order the user chose last (the header's arrow must not lie)."""
        self.beginResetModel()
        self.rows = rows
        if self._order is not None:
            self.rows.sort(key=self._key(self._order[0]), reverse=self._order[1] == Qt.SortOrder.DescendingOrder)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row = self.rows[index.row()]
        key, _header, fmt = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = fmt(row)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.UserRole:
            return row.get("id")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.columns):
                return self.columns[section][1]
        return None

    def _key(self, column: int) -> Callable[[dict[str, Any]], tuple[int, Any]]:
        """Numbers as numbers (assessment 9 before 10), text as the language orders it (Chinese names by
        pinyin: 陈 李 王 张, not by code point); empty cells last."""
        fmt = self.columns[column][2]
        locale = QLocale(QLocale.Language.Chinese, QLocale.Country.China) if language() == "zh_CN" else QLocale.c()
        collator = QCollator(locale)

        def key(row: dict[str, Any]) -> tuple[int, Any]:
            value = fmt(row)
            if value is None or value == "":
                return (2, "")
            return (0, value) if isinstance(value, int | float) else (1, collator.sortKey(str(value)))

        return key

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < len(self.columns)):
            return
        self._order = (column, order)
        self.layoutAboutToBeChanged.emit()
        self.rows.sort(key=self._key(column), reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()


def subject_row(s: Subject) -> dict[str, Any]:
    """A person as a row of ``subject_model`` (the ID number masked)."""
    return {**asdict(s), "masked_id": s.masked_id}


def subject_model() -> RowsModel:
    return RowsModel(
        [
            ("name", _("姓名"), lambda r: r["name"]),
            ("sex", _("性别"), lambda r: {"male": _("男"), "female": _("女")}.get(r["sex"], "")),
            ("birth_date", _("出生日期"), lambda r: r["birth_date"]),
            ("masked_id", _("公民身份号码"), lambda r: r["masked_id"]),
            ("district", _("区域"), lambda r: r["district"]),
            ("phone", _("电话"), lambda r: r["phone"]),
        ]
    )


def form_name(form_id: str, version: int | None = None) -> str:
    """A form's title in the UI language, for lists (the id where the form is not installed here)."""
    try:
        return get_form(form_id if version is None else f"{form_id}@{version}").title.get(language())
    except LtcError:
        return form_id if version is None else f"{form_id}@{version}"


def assessment_model() -> RowsModel:
    return RowsModel(
        [
            ("id", _("编号"), lambda r: r["id"]),
            ("subject_name", _("评估对象"), lambda r: r["subject_name"]),
            ("form_id", _("表单"), lambda r: form_name(r["form_id"], r["form_version"])),
            ("status", _("状态"), lambda r: _(STATUS_LABELS.get(r["status"], r["status"]))),
            ("assessment_date", _("评估日期"), lambda r: r["assessment_date"]),
            ("proposed_level", _("建议等级"), lambda r: r["proposed_level"]),
            ("decided_level", _("核定等级"), lambda r: r["decided_level"]),
        ]
    )
