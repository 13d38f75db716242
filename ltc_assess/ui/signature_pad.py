"""A signature pad: draw with mouse, pen or finger; the strokes become a PNG.

The handwritten signature is evidence drawn into the report, not the cryptographic seal.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget


class SignaturePad(QWidget):
    """Signals:
    stroke_finished: a stroke was drawn (the signature changed).
    """

    stroke_finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(360, 120)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._image = QImage(720, 240, QImage.Format.Format_Grayscale8)
        self.clear()
        self._last: QPoint | None = None

    def clear(self) -> None:
        self._image.fill(QColor("white"))
        self.empty = True
        self.update()

    def _to_image(self, pos: QPoint) -> QPoint:
        return QPoint(
            pos.x() * self._image.width() // max(1, self.width()),
            pos.y() * self._image.height() // max(1, self.height()),
        )

    def draw_line(self, start: QPoint, end: QPoint) -> None:
        """Draw one stroke segment in widget coordinates (also used by tests and screenshots)."""
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("black"), 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawLine(self._to_image(start), self._to_image(end))
        painter.end()
        self.empty = False
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self._last = event.position().toPoint()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._last is not None:
            pos = event.position().toPoint()
            self.draw_line(self._last, pos)
            self._last = pos

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self._last = None
        if not self.empty:
            self.stroke_finished.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.drawImage(self.rect(), self._image)
        painter.setPen(QPen(QColor("#9ca3af"), 1, Qt.PenStyle.DashLine))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    def load_png(self, png: bytes) -> None:
        """Show a signature already stored (drawing on adds to it)."""
        image = QImage.fromData(png)
        if not image.isNull():
            self._image = image.convertToFormat(QImage.Format.Format_Grayscale8)
            self.empty = False
            self.update()

    def to_png(self) -> bytes:
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # PySide6's stubs say bytes, its runtime takes only str for the format
        self._image.save(buffer, "PNG")  # type: ignore[call-overload]
        return bytes(data.data())
