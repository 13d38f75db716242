"""A person's approved levels over time, as a small line chart (on their page)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from ltc_assess.i18n import _


class LevelChart(QWidget):
    """Levels over time as a small line chart (higher level = more dependent)."""

    def __init__(self, points: list[tuple[str, int]], top: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points, self.top = points, max(top, 1)
        self.setMinimumHeight(160)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h, pad = self.width(), self.height(), 30
        painter.setPen(QPen(QColor("#9ca3af"), 1))
        painter.drawLine(pad, h - pad, w - 10, h - pad)
        painter.drawLine(pad, 10, pad, h - pad)
        if not self.points:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, _("暂无已批准的评估"))
            return
        step = (w - pad - 20) / max(1, len(self.points) - 1)
        coords = [
            QPointF(pad + 10 + n * step, h - pad - (level / self.top) * (h - pad - 20))
            for n, (_d, level) in enumerate(self.points)
        ]
        painter.setPen(QPen(QColor("#1d4ed8"), 2))
        for a, b in zip(coords, coords[1:], strict=False):
            painter.drawLine(a, b)
        for (date, level), point in zip(self.points, coords, strict=True):
            painter.drawEllipse(point, 3, 3)
            painter.drawText(point + QPointF(-30, 18 if point.y() < h - pad - 20 else -8), f"{date} ({level})")
        painter.end()
