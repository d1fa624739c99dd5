"""Small typed helpers for the GUI tests."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


def cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """The item at (row, column): Qt types it optional, a test that reads it expects one."""
    item = table.item(row, column)
    assert item is not None, f"{table.objectName() or 'table'} has no item at ({row}, {column})"
    return item


def header(table: QTableWidget, column: int) -> QTableWidgetItem:
    """The horizontal header item of `column` (optional in Qt's types, like `cell`)."""
    item = table.horizontalHeaderItem(column)
    assert item is not None, f"{table.objectName() or 'table'} has no header at {column}"
    return item
