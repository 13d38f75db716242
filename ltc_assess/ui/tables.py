"""The app's one table style, and which row is selected (its id, from the model's ``UserRole``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableView

from ltc_assess.ui.models import RowsModel


def table(model: RowsModel, order: Qt.SortOrder = Qt.SortOrder.DescendingOrder) -> QTableView:
    """A sortable table, sorted by its first column: people A→Z, assessments newest first (the default)."""
    view = QTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(0, order)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().setVisible(False)
    view.setTabKeyNavigation(False)  # Tab moves on to the next control; arrows move between rows
    return view


def selected_id(view: QTableView) -> int | None:
    """The id of the selected row (``RowsModel`` answers ``UserRole`` with it), None when nothing is selected."""
    rows = view.selectionModel().selectedRows()
    return None if not rows else view.model().data(rows[0], Qt.ItemDataRole.UserRole)


def shown_ids(model: RowsModel) -> set[int]:
    """The ids of the rows a table shows now (to tell whether a change concerns it)."""
    return {row["id"] for row in model.rows if "id" in row}
