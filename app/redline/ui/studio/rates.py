"""The rates at the current and the candidate threshold, as a table of fixed cells.

Updated on every drag step, so it is made to be cheap: plain labels of a fixed size.
A label whose size cannot change does not ask its layout to recompute when its text
does (Qt skips the relayout when minimum and maximum size are equal), while a rich-text
label re-lays out the whole side panel: that was a third of a drag step.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from redline.analytics.stats import Rate
from redline.analytics.threshold import OperatingPoint

__all__ = ["RATE_ROWS", "RatesTable", "format_rate"]

RATE_ROWS = (
    ("precision", "precision"),
    ("recall", "recall"),
    ("false positive rate", "fpr"),
    ("override rate", "override"),
    ("automation", "automation"),
)
# The widest text a value cell holds: its width is fixed to it.
_WIDEST = "100.0 % (100.0–100.0)"
COLUMNS = 3  # current, candidate, unweighted


def format_rate(rate: Rate) -> str:
    """'12.3 % (10.1–14.5)': the value and its interval, or 'n/a'."""
    if not rate.defined or math.isnan(rate.value):
        return "n/a"
    return f"{100 * rate.value:.1f} % ({100 * rate.low:.1f}–{100 * rate.high:.1f})"


class RatesTable(QWidget):
    """Rows: precision, recall, FPR, override, automation; columns: operating points."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("studioRates")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        width = self.fontMetrics().horizontalAdvance(_WIDEST) + 6
        height = self.fontMetrics().height() + 2

        def cell(align: Qt.AlignmentFlag) -> QLabel:
            label = QLabel(self)
            label.setFixedSize(width, height)
            label.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
            return label

        self.headers = [cell(Qt.AlignmentFlag.AlignRight) for _ in range(COLUMNS)]
        for column, header in enumerate(self.headers, start=1):
            header.setObjectName("metaLabel")
            grid.addWidget(header, 0, column)
        self.cells: list[list[QLabel]] = []
        for row, (name, _) in enumerate(RATE_ROWS, start=1):
            grid.addWidget(QLabel(name, self), row, 0)
            cells = [cell(Qt.AlignmentFlag.AlignRight) for _ in range(COLUMNS)]
            for column, label in enumerate(cells, start=1):
                grid.addWidget(label, row, column)
            self.cells.append(cells)
        grid.setColumnStretch(COLUMNS + 1, 1)
        self._shown = COLUMNS

    def show_points(self, columns: list[tuple[str, OperatingPoint]]) -> None:
        """One column per (header, point); the columns beyond are hidden."""
        if len(columns) != self._shown:
            # Only when the set of columns changes (a new view), never while dragging.
            for column in range(COLUMNS):
                visible = column < len(columns)
                self.headers[column].setVisible(visible)
                for cells in self.cells:
                    cells[column].setVisible(visible)
            self._shown = len(columns)
        for column, (header, point) in enumerate(columns):
            self.headers[column].setText(header)
            for cells, (_, attr) in zip(self.cells, RATE_ROWS, strict=True):
                cells[column].setText(format_rate(getattr(point, attr)))

    def text(self) -> str:
        """The table as plain text, row by row (tests and the clipboard read it)."""
        lines = ["\t".join(h.text() for h in self.headers[: self._shown])]
        for (name, _), cells in zip(RATE_ROWS, self.cells, strict=True):
            lines.append("\t".join([name, *(c.text() for c in cells[: self._shown])]))
        return "\n".join(lines)
