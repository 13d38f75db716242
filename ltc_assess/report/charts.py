"""The report's charts: every dimension on one "higher is better" scale (附录C), and the level over time."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String

from ltc_assess.report.layout import ACCENT, MARGIN, PAGE_W
from ltc_assess.report.model import DimensionLine, ReportData

CHART_SCALE = "能力保持率 %（越高越好）"


def dimension_chart(data: ReportData, font: str) -> Drawing:
    """Every dimension, in the table's order from the top, on one scale where higher is better.

    Why one scale: MZ/T grades 0 (intact) to 3 (severe) and sums scores where higher is worse, the other
    standards score higher as better; bars in mixed directions (and graded dimensions left out) misled readers.
    """
    dims = list(data.dimensions)
    width, height = PAGE_W - 2 * MARGIN, 48 + 22 * max(1, len(dims))
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    # The value labels hang 17 pt below the axis; the axis title goes on their baseline, right of "100", not on it.
    # reportlab's stubs type a plot area's size as int; the library takes any number.
    chart.x, chart.y, chart.width, chart.height = 150, 18, width - 205, height - 43  # type: ignore[assignment]
    chart.data = [[round(d.rate or 0) for d in dims]]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = font
    chart.categoryAxis.reverseDirection = 1  # the first dimension on top, as in the table
    chart.categoryAxis.categoryNames = [f"{d.code} {d.label} {_raw(d)}" for d in dims]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.bars[0].fillColor = ACCENT
    drawing.add(chart)
    drawing.add(String(chart.x, chart.y + chart.height + 8, CHART_SCALE, fontName=font, fontSize=7))
    return drawing


def _raw(d: DimensionLine) -> str:
    """What the bar stands for, as the standard gives it: score/max, else the grade."""
    if d.score is not None and d.max:
        return f"{d.score}/{d.max}"
    return d.grade or "—"


def trend_chart(data: ReportData, font: str) -> Drawing | None:
    """The person's levels over their approved assessments, oldest first (None with fewer than two)."""
    points = [h for h in data.history if h.level is not None]
    if len(points) < 2:
        return None
    drawing = Drawing(PAGE_W - 2 * MARGIN, 120)
    plot = LinePlot()
    # The y value labels reach 6 pt above the plot's top; the axis title sits above them.
    plot.x, plot.y, plot.width, plot.height = 40, 20, PAGE_W - 2 * MARGIN - 80, 80  # type: ignore[assignment]  # as above
    plot.data = [[(n, p.level) for n, p in enumerate(points)]]
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = 0, max(data.level_count - 1, 1), 1
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = -0.3, len(points) - 0.7
    plot.xValueAxis.valueSteps = list(range(len(points)))
    plot.xValueAxis.labelTextFormat = lambda n: points[int(round(n))].date if 0 <= round(n) < len(points) else ""
    plot.xValueAxis.labels.fontName = font
    plot.xValueAxis.labels.fontSize = 7
    plot.yValueAxis.labels.fontName = font
    plot.lines[0].strokeColor = ACCENT
    plot.lines[0].strokeWidth = 1.5
    drawing.add(plot)
    drawing.add(String(0, plot.y + plot.height + 9, "等级（数值越大失能越重）", fontName=font, fontSize=7))
    return drawing
