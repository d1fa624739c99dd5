"""Which days the weekly review report covers: since / until (both included), as UTC days
like every window in Redline (`redline.clock`); the last seven days, today included, by
default."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from redline import clock
from redline.quality.data import TimeRange

__all__ = ["DEFAULT_DAYS", "ReportRangeDialog", "days_to_range", "last_days"]

DEFAULT_DAYS = 7


def days_to_range(first: date, last: date) -> TimeRange:
    """[midnight UTC of `first`, midnight UTC after `last`)."""
    return TimeRange(clock.start_of_day(first), clock.start_of_day(last + timedelta(days=1)))


def last_days(days: int = DEFAULT_DAYS, today: date | None = None) -> TimeRange:
    """The last `days` calendar days, today included (the report's default)."""
    today = today or clock.today()
    return days_to_range(today - timedelta(days=days - 1), today)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class ReportRangeDialog(QDialog):
    """Asks for the report's first and last day; OK is disabled while the last day is
    before the first."""

    def __init__(self, parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Weekly review report")
        today = today or clock.today()
        intro = QLabel(
            "The report covers the samples reviewed in these days and compares them with "
            "the same number of days just before."
        )
        intro.setWordWrap(True)
        first = today - timedelta(days=DEFAULT_DAYS - 1)
        self.since_edit = self._date_edit("reportSince", first)
        self.until_edit = self._date_edit("reportUntil", today)
        self.message = QLabel("")
        self.message.setObjectName("reportRangeMessage")
        form = QFormLayout()
        form.addRow("&From", self.since_edit)
        form.addRow("&To (included)", self.until_edit)
        form.addRow("", QLabel("Days are UTC days."))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.since_edit.dateChanged.connect(self._update)
        self.until_edit.dateChanged.connect(self._update)
        self._update()

    def _date_edit(self, name: str, day: date) -> QDateEdit:
        edit = QDateEdit(_qdate(day), self)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def first_day(self) -> date:
        return _day(self.since_edit.date())

    def last_day(self) -> date:
        return _day(self.until_edit.date())

    def period(self) -> TimeRange:
        return days_to_range(self.first_day(), self.last_day())

    def _update(self) -> None:
        days = (self.last_day() - self.first_day()).days + 1
        valid = days >= 1
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(valid)
        self.message.setText(
            f"{days} day{'s' if days != 1 else ''}, compared with the {days} before"
            if valid
            else "The last day is before the first."
        )

    @classmethod
    def ask(cls, parent: QWidget | None = None) -> TimeRange | None:
        """The chosen range, or None if the user cancelled."""
        dialog = cls(parent)
        try:
            return dialog.period() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()
