"""The studio's figures: distributions, rate curves, confusion matrix, small multiples.

`draw(view, candidate)` draws everything once; `move_candidate(t)` moves the candidate
lines (blitting only the axes that hold them) and updates the numbers. The numbers that
follow the mouse (the confusion matrix counts, each cohort's precision and automation)
are Qt widgets laid over the figure, not matplotlib text: Agg renders text glyph by
glyph, which made up two thirds of a drag step, while Qt paints a label in microseconds.
The matrix cells are buttons: a click opens their samples in the review queue.

Mouse moves are coalesced: a drag step only records where the mouse is, and the redraw
happens once per event-loop turn, so a fast mouse never queues redraws behind it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import Event, MouseEvent
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PySide6.QtCore import QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from typing_extensions import override

from redline.analytics.threshold import Cell, OperatingPoint
from redline.policies.studio import StudioView
from redline.ui.studio.canvas import BlitCanvas

__all__ = ["CELLS", "Colours", "MatrixCell", "StudioFigures"]

CURVES = (
    ("precision", "precision", "good"),
    ("recall", "recall", "focus"),
    ("fpr", "false positive rate", "bad"),
    ("automation", "automation", "text"),
    ("override", "override", "unsure"),
)

# The confusion matrix, row by row: the target verdict on top, "acted" on the left.
CELLS: tuple[Cell, ...] = ("tp", "fn", "fp", "tn")
CELL_NAMES: dict[Cell, str] = {
    "tp": "true positives",
    "fn": "false negatives",
    "fp": "false positives",
    "tn": "true negatives",
}


@dataclass(frozen=True)
class Colours:
    """The theme's colours the figures use (tokens of resources/styles/*.toml)."""

    background: str
    surface: str
    text: str
    muted: str
    border: str
    good: str
    bad: str
    accent: str
    focus: str
    unsure: str

    @classmethod
    def from_tokens(cls, t: dict[str, str]) -> Colours:
        return cls(
            background=t["background"],
            surface=t["surface"],
            text=t["text"],
            muted=t["text_muted"],
            border=t["border"],
            good=t["good"],
            bad=t["bad"],
            accent=t["accent"],
            focus=t["focus"],
            unsure=t["unsure"],
        )

    def named(self, name: str) -> str:
        return str(getattr(self, name))


class MatrixCell(QAbstractButton):
    """One cell of the confusion matrix, laid over the figure: its count, clickable.

    Drawn by hand (no style sheet reaches it) in the theme's colours: the number, the
    cell's short name under it, and a frame while hovered or focused.
    """

    def __init__(self, cell: Cell, parent: QWidget) -> None:
        super().__init__(parent)
        self.cell = cell
        self.setObjectName("confusionCell")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.text_colour = QColor("black")
        self.muted_colour = QColor("gray")
        self.frame_colour = QColor("blue")
        self.hide()

    def set_colours(self, colours: Colours) -> None:
        self.text_colour = QColor(colours.text)
        self.muted_colour = QColor(colours.muted)
        self.frame_colour = QColor(colours.focus)
        self.update()

    @override
    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            rect = QRectF(self.rect()).adjusted(2, 2, -2, -2)
            if self.underMouse() or self.hasFocus():
                painter.setPen(QPen(self.frame_colour, 1.5))
                painter.drawRoundedRect(rect, 4, 4)
            number, _, name = self.text().partition("\n")
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * 1.25)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(self.text_colour)
            top = QRectF(rect.left(), rect.top(), rect.width(), rect.height() * 0.6)
            painter.drawText(top, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                             number)  # fmt: skip
            painter.setFont(self.font())
            painter.setPen(self.muted_colour)
            bottom = QRectF(rect.left(), top.bottom(), rect.width(), rect.height() * 0.4)
            painter.drawText(bottom, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             name)  # fmt: skip
        finally:
            painter.end()


def _widget_rect(canvas: BlitCanvas, bbox: Bbox) -> QRect:
    """A display-coordinate box of the figure in the canvas widget's coordinates."""
    ratio = canvas.device_pixel_ratio
    x0, x1 = bbox.x0 / ratio, bbox.x1 / ratio
    top = canvas.height() - bbox.y1 / ratio
    return QRect(round(x0), round(top), round(x1 - x0), round(bbox.height / ratio))


class StudioFigures:
    """Owns the two canvases, their artists and the widgets laid over them.

    Attributes:
        main: distributions, curves and confusion matrix.
        multiples: one small panel per segment (precision and automation).
        cells: the confusion matrix cells (TP, FN, FP, TN), buttons over the figure.
        notes: per small multiple, its precision and automation at the candidate.
        on_drag: called with the new candidate threshold on every drag step.
        on_release: called with the final candidate when the mouse is released.
        on_cell: called with a cell ("tp", "fp", ...) when its button is clicked.
    """

    def __init__(self, colours: Colours) -> None:
        self.colours = colours
        self.main = BlitCanvas()
        self.main.setObjectName("studioCanvas")
        self.multiples = BlitCanvas()
        self.multiples.setObjectName("studioMultiples")
        self.view: StudioView | None = None
        self.candidate = math.nan
        self.point: OperatingPoint | None = None
        self.on_drag: Callable[[float], None] | None = None
        self.on_release: Callable[[float], None] | None = None
        self.on_cell: Callable[[Cell], None] | None = None
        self._candidate_lines: list[Line2D] = []
        self._drag_axes: Axes | None = None
        self._threshold_axes: set[Axes] = set()
        self._matrix_axes: Axes | None = None
        self._multiple_axes: list[Axes] = []
        # The rate curves' axes (tests and the bench drag on it).
        self.curves_axes: Axes | None = None
        self.cells = {cell: MatrixCell(cell, self.main) for cell in CELLS}
        for cell, button in self.cells.items():
            button.clicked.connect(lambda _=False, c=cell: self._on_cell_clicked(c))
        self.notes: list[QLabel] = []
        # Drag steps wait here for the next event-loop turn (see the module docstring).
        self._pending: float | None = None
        self._flush_timer = QTimer(self.main)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self._flush)
        self.main.on_full_draw = self._place_cells
        self.multiples.on_full_draw = self._place_notes
        self._set_widget_colours()
        for canvas in (self.main, self.multiples):
            canvas.mpl_connect("button_press_event", self._on_press)
            canvas.mpl_connect("motion_notify_event", self._on_motion)
            canvas.mpl_connect("button_release_event", self._on_release)

    # -- drawing --------------------------------------------------------------------

    def _style(self, ax: Axes) -> None:
        c = self.colours
        ax.set_facecolor(c.surface)
        ax.tick_params(colors=c.muted, labelsize=8)
        for spine in ax.spines.values():
            spine.set_color(c.border)
        ax.title.set_color(c.text)
        ax.title.set_fontsize(9)
        ax.xaxis.label.set_color(c.muted)
        ax.yaxis.label.set_color(c.muted)

    def _vline(self, ax: Axes, x: float, *, current: bool) -> Line2D:
        c = self.colours
        if current:
            return ax.axvline(x, color=c.muted, linestyle="--", linewidth=1.2)
        line = ax.axvline(x, color=c.accent, linewidth=2.0)
        self._candidate_lines.append(line)
        return line

    def _set_widget_colours(self) -> None:
        for button in self.cells.values():
            button.set_colours(self.colours)

    def set_colours(self, colours: Colours) -> None:
        self.colours = colours
        self._set_widget_colours()
        if self.view is not None:
            self.draw(self.view, self.candidate)

    def clear(self, message: str) -> None:
        """Show a message instead of figures (no policy, no reviewed samples)."""
        self.view = None
        self.point = None
        for canvas in (self.main, self.multiples):
            canvas.clear_animated()
            canvas.figure.clear()
            canvas.figure.set_facecolor(self.colours.background)
        self.main.figure.text(
            0.5, 0.5, message, ha="center", va="center", color=self.colours.muted, wrap=True
        )
        self._candidate_lines = []
        self._threshold_axes = set()
        self._matrix_axes = None
        self._multiple_axes = []
        for button in self.cells.values():
            button.hide()
        self._set_notes(0)
        for canvas in (self.main, self.multiples):
            canvas.draw_idle()  # type: ignore[no-untyped-call]

    def draw(self, view: StudioView, candidate: float) -> None:
        """Draw everything for `view` with the candidate line at `candidate`."""
        self.view = view
        self.candidate = candidate
        c = self.colours
        self._candidate_lines = []
        self._threshold_axes = set()
        fig = self.main.figure
        fig.clear()
        fig.set_facecolor(c.background)
        grid = fig.add_gridspec(2, 2, width_ratios=(5, 2), height_ratios=(2, 3))
        ax_dist = fig.add_subplot(grid[0, 0])
        ax_curves = fig.add_subplot(grid[1, 0], sharex=ax_dist)
        ax_conf = fig.add_subplot(grid[0, 1])
        for ax in (ax_dist, ax_curves, ax_conf):
            self._style(ax)
        self._threshold_axes = {ax_dist, ax_curves}
        self.curves_axes = ax_curves
        curves = view.curves
        current = curves.current

        # Score distributions of good and bad reviewed samples.
        ax_dist.hist(
            curves.good_scores, bins=list(view.bins), weights=curves.good_weights,
            color=c.good, alpha=0.55, label=f"good ({curves.good_scores.size:,})",
        )  # fmt: skip
        ax_dist.hist(
            curves.bad_scores, bins=list(view.bins), weights=curves.bad_weights,
            color=c.bad, alpha=0.55, label=f"bad ({curves.bad_scores.size:,})",
        )  # fmt: skip
        ax_dist.set_title("Scores of reviewed samples")
        ax_dist.legend(fontsize=7, frameon=False, labelcolor=c.text, loc="upper left")

        # Rates against the threshold, with their Wilson bands.
        table = view.table
        x = table.thresholds
        for name, label, colour_name in CURVES:
            colour = c.named(colour_name)
            ax_curves.plot(x, table[name], color=colour, linewidth=1.4, label=label)
            ax_curves.fill_between(
                x, table[f"{name}_low"], table[f"{name}_high"], color=colour, alpha=0.15,
                linewidth=0,
            )  # fmt: skip
        ax_curves.set_ylim(-0.02, 1.02)
        ax_curves.set_xlabel("threshold")
        ax_curves.set_title("Rates (95 % Wilson bands)" + (", weighted" if view.weighted else ""))
        # The legend sits beside the curves, where it hides nothing.
        ax_legend = fig.add_subplot(grid[1, 1])
        ax_legend.axis("off")
        handles, labels = ax_curves.get_legend_handles_labels()
        ax_legend.legend(handles, labels, fontsize=8, frameon=False, labelcolor=c.text,
                         loc="center left", title="against the threshold",
                         title_fontsize=8)  # fmt: skip
        legend = ax_legend.get_legend()
        if legend is not None:
            legend.get_title().set_color(c.muted)
        ax_curves.set_xlim(x[0], x[-1])
        for ax in (ax_dist, ax_curves):
            if current is not None:
                self._vline(ax, current, current=True)
            self._vline(ax, candidate, current=False)

        # Confusion matrix at the candidate: the figure draws the cells, the numbers
        # are the buttons laid over them (placed after each full draw).
        ax_conf.set_xlim(0, 2)
        ax_conf.set_ylim(0, 2)
        ax_conf.set_xticks([0.5, 1.5], [f"acted\n({view.data.policy.action})", "held back"])
        target = curves.target
        other = "bad" if target == "good" else "good"
        ax_conf.set_yticks([1.5, 0.5], [f"{target}", f"{other}"])
        ax_conf.set_title("At the candidate\n(click a cell for its samples)", linespacing=1.1)
        shades = ((c.good, c.bad), (c.bad, c.good))
        for row in range(2):
            for col in range(2):
                ax_conf.add_patch(_rect(col, 1 - row, shades[row][col], alpha=0.18, edge=c.border))
        self._matrix_axes = ax_conf
        for cell, button in self.cells.items():
            meaning = _cell_meaning(cell, view.data.policy.action, target)
            button.setToolTip(
                f"{CELL_NAMES[cell].capitalize()} at the candidate: {meaning}. "
                "Click to open these samples in the review queue."
            )
        self.main.set_animated(self._candidate_lines)

        self._draw_multiples(view, candidate)
        self._update_numbers(candidate)
        self.main.draw_idle()  # type: ignore[no-untyped-call]

    def _draw_multiples(self, view: StudioView, candidate: float) -> None:
        c = self.colours
        fig = self.multiples.figure
        fig.clear()
        fig.set_facecolor(c.background)
        count = len(view.segments)
        self._multiple_axes = []
        self._set_notes(count)
        if count == 0:
            fig.text(0.5, 0.5, "no segments to compare", ha="center", color=c.muted)
            self.multiples.clear_animated()
            self.multiples.draw_idle()  # type: ignore[no-untyped-call]
            return
        axes = fig.subplots(1, count, sharey=True, squeeze=False)[0]
        first = len(self._candidate_lines)
        for ax, segment, table in zip(axes, view.segments, view.segment_tables, strict=True):
            self._style(ax)
            x = table.thresholds
            ax.plot(x, table["precision"], color=c.good, linewidth=1.2)
            ax.fill_between(x, table["precision_low"], table["precision_high"],
                            color=c.good, alpha=0.15, linewidth=0)  # fmt: skip
            ax.plot(x, table["automation"], color=c.text, linewidth=1.0)
            ax.set_xlim(x[0], x[-1])
            ax.set_ylim(-0.02, 1.02)
            title = f"{segment.value} (n={segment.curves.reviewed:,})"
            if segment.warning:
                title = "⚠ " + title
                ax.set_facecolor(c.background)
            colour = c.bad if segment.warning else c.text
            ax.set_title(title, fontsize=8, color=colour,
                         fontweight="bold" if segment.chosen else "normal")  # fmt: skip
            if segment.chosen:
                for spine in ax.spines.values():
                    spine.set_color(c.accent)
                    spine.set_linewidth(1.6)
            ax.tick_params(labelsize=7)
            if segment.curves.current is not None:
                self._vline(ax, segment.curves.current, current=True)
            self._vline(ax, candidate, current=False)
            self._threshold_axes.add(ax)
            self._multiple_axes.append(ax)
        if view.within:
            fig.suptitle(f"within {view.within}", fontsize=8, color=c.muted)
        self.multiples.set_animated(self._candidate_lines[first:])
        self.multiples.draw_idle()  # type: ignore[no-untyped-call]

    def _set_notes(self, count: int) -> None:
        while len(self.notes) < count:
            note = QLabel(self.multiples)
            note.setObjectName("segmentNote")
            note.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self.notes.append(note)
        for i, note in enumerate(self.notes):
            note.setVisible(False)
            if i >= count:
                note.clear()

    # -- widgets over the figure ----------------------------------------------------

    def _place_cells(self) -> None:
        ax = self._matrix_axes
        if ax is None or self.view is None:
            return
        for i, cell in enumerate(CELLS):
            row, col = divmod(i, 2)
            corners = ax.transData.transform([(col, 1 - row), (col + 1, 2 - row)])
            button = self.cells[cell]
            button.setGeometry(_widget_rect(self.main, Bbox(corners)))
            button.show()

    def _place_notes(self) -> None:
        for ax, note in zip(self._multiple_axes, self.notes, strict=False):
            box = _widget_rect(self.multiples, ax.bbox)
            note.adjustSize()
            height = note.sizeHint().height()
            note.setGeometry(box.left() + 4, box.bottom() - height - 2, box.width() - 8, height)
            note.show()

    def _update_numbers(self, candidate: float) -> None:
        view = self.view
        if view is None:
            return
        point = view.curves.at(candidate)
        self.point = point
        for cell in CELLS:
            value = float(getattr(point, cell))
            button = self.cells[cell]
            button.setText(f"{value:,.0f}\n{cell.upper()}")
        for segment, note in zip(view.segments, self.notes, strict=False):
            p = segment.curves.at(candidate)
            precision = "–" if math.isnan(p.precision.value) else f"{100 * p.precision.value:.0f}"
            note.setText(f"P {precision} %  A {100 * np.nan_to_num(p.automation.value):.0f} %")

    def move_candidate(self, candidate: float) -> None:
        """Move every candidate line to `candidate` and blit (the drag's fast path)."""
        if self.view is None:
            return
        self.candidate = candidate
        for line in self._candidate_lines:
            line.set_xdata([candidate, candidate])
        self._update_numbers(candidate)
        self.main.refresh_animated()
        self.multiples.refresh_animated()

    def _on_cell_clicked(self, cell: Cell) -> None:
        if self.on_cell is not None:
            self.on_cell(cell)

    # -- mouse ----------------------------------------------------------------------

    def _x_of(self, event: MouseEvent, ax: Axes) -> float:
        x, _ = ax.transData.inverted().transform((event.x, event.y))
        low, high = ax.get_xlim()
        return float(min(max(x, low), high))

    def _on_press(self, event: Event) -> None:
        if not isinstance(event, MouseEvent) or event.button != 1 or self.view is None:
            return
        if event.inaxes not in self._threshold_axes or event.inaxes is None:
            return
        self._drag_axes = event.inaxes
        self._step(self._x_of(event, event.inaxes))

    def _on_motion(self, event: Event) -> None:
        if self._drag_axes is None or not isinstance(event, MouseEvent):
            return
        # Only remember where the mouse is; the redraw waits for the event loop.
        self._pending = self._x_of(event, self._drag_axes)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        if self._pending is not None:
            candidate, self._pending = self._pending, None
            self._step(candidate)

    def _on_release(self, event: Event) -> None:
        if self._drag_axes is None or not isinstance(event, MouseEvent):
            return
        self._flush_timer.stop()
        self._pending = None
        self._step(self._x_of(event, self._drag_axes))
        self._drag_axes = None
        if self.on_release is not None:
            self.on_release(self.candidate)

    def _step(self, candidate: float) -> None:
        self.move_candidate(candidate)
        if self.on_drag is not None:
            self.on_drag(candidate)

    def export(self, path: str) -> None:
        """Save the main figure (PNG or SVG by the file's extension).

        The numbers over the figure are Qt widgets, so the file gets them as text for
        the moment of saving; the candidate lines are drawn like any other line.
        """
        canvas = self.main
        animated = canvas.animated_artists()
        added: list[Text] = []
        ax = self._matrix_axes
        if ax is not None and self.point is not None:
            for i, cell in enumerate(CELLS):
                row, col = divmod(i, 2)
                value = float(getattr(self.point, cell))
                added.append(ax.text(col + 0.5, 1.5 - row, f"{value:,.0f}\n{cell.upper()}",
                                     ha="center", va="center", color=self.colours.text,
                                     fontsize=10))  # fmt: skip
        canvas.pause_blitting(True)
        try:
            for artist in animated:
                artist.set_animated(False)
            canvas.figure.savefig(path, facecolor=canvas.figure.get_facecolor())
        finally:
            for artist in animated:
                artist.set_animated(True)
            for text in added:
                text.remove()
            canvas.pause_blitting(False)
            canvas.draw_idle()  # type: ignore[no-untyped-call]


def _cell_meaning(cell: Cell, action: str, target: str) -> str:
    other = "bad" if target == "good" else "good"
    verdict = target if cell in ("tp", "fn") else other
    if cell in ("tp", "fp"):
        return f"{action} taken, reviewed {verdict}"
    return f"held back from {action}, reviewed {verdict}"


def _rect(x: float, y: float, colour: str, *, alpha: float, edge: str) -> Rectangle:
    return Rectangle((x, y), 1, 1, facecolor=colour, alpha=alpha, edgecolor=edge)
