"""A container that keeps its child's relayouts from spreading to the whole window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QWidget
from typing_extensions import override

__all__ = ["LayoutBoundary"]


class LayoutBoundary(QWidget):
    """Holds one widget, filling it, and keeps that widget's relayouts inside.

    Qt passes every relayout up to the window: `QLayout::activate` ends with
    `updateGeometry()` on its widget ("ideally only if sizeHint() has changed"), and at
    the top `QTabWidget` answers a layout request by repainting all of itself. A new
    sample (a label a line taller, a scroll bar shown) so repainted the whole window,
    the queue's table included, on every submit. Here the chain stops: the child still
    lays itself out, but its size hint changing moves nothing outside it.
    """

    def __init__(self, child: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.child = child
        child.setParent(self)

    @override
    def sizeHint(self) -> QSize:
        return self.child.sizeHint()

    @override
    def minimumSizeHint(self) -> QSize:
        return self.child.minimumSizeHint()

    @override
    def resizeEvent(self, event: QResizeEvent) -> None:
        self.child.setGeometry(self.rect())

    @override
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            return True  # the child's size hint changed: nothing here moves for it
        return super().event(event)
