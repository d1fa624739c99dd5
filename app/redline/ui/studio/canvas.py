"""A matplotlib canvas whose moving parts are redrawn by blitting.

The static figure (curves, bands, histograms) is drawn once and kept as a bitmap; the
artists marked animated (the candidate lines) are drawn on top of a copy of that bitmap
on every mouse move, which is what makes dragging smooth. Only the axes that hold
animated artists are restored and repainted, not the whole figure: at 1500 × 900 the
copy to the screen is most of a frame's cost. The backgrounds are grabbed again after
every full draw (resize, theme change), as matplotlib's blitting guide does. Without
blitting support it falls back to draw_idle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import DrawEvent
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["BlitCanvas"]


class BlitCanvas(FigureCanvasQTAgg):
    """FigureCanvasQTAgg with a list of animated artists redrawn by `refresh_animated`.

    Attributes:
        full_draws: full redraws so far (tests and the bench count them).
        blits: animated-only redraws so far.
        on_full_draw: called after each full draw (widgets laid over the axes move).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Figure(layout="constrained"))  # type: ignore[no-untyped-call]
        if parent is not None:
            self.setParent(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Animated artists by the axes that clip them, each axes with its background.
        self._animated: dict[Axes, list[Artist]] = {}
        self._backgrounds: dict[Axes, Any] = {}
        # Where each animated artist was last drawn (display coordinates).
        self._extents: dict[Artist, Bbox] = {}
        self._paused = False
        self.full_draws = 0
        self.blits = 0
        self.on_full_draw: Callable[[], None] | None = None
        self.mpl_connect("draw_event", self._on_draw)

    def set_animated(self, artists: Sequence[Artist]) -> None:
        """The artists that move; they are skipped by full draws and blitted instead.

        Each must belong to an axes (its background is that axes' bounding box).
        """
        self._animated = {}
        for artist in artists:
            artist.set_animated(True)
            ax = artist.axes
            if not isinstance(ax, Axes):
                raise ValueError("a blitted artist must belong to an axes")
            self._animated.setdefault(ax, []).append(artist)
        self._backgrounds = {}

    def clear_animated(self) -> None:
        self._animated = {}
        self._backgrounds = {}

    def animated_artists(self) -> list[Artist]:
        return [artist for artists in self._animated.values() for artist in artists]

    def can_blit(self) -> bool:
        """True once a full draw kept the backgrounds (until the next full draw is due)."""
        return bool(self._backgrounds) and bool(self.supports_blit)

    def pause_blitting(self, paused: bool) -> None:
        """While paused (an export draws the figure into a file), draws keep nothing."""
        self._paused = paused

    def _on_draw(self, event: DrawEvent | None) -> None:
        if self._paused:
            return
        self.full_draws += 1
        self._backgrounds = {
            ax: self.copy_from_bbox(ax.bbox)  # type: ignore[no-untyped-call]
            for ax in self._animated
            if ax.figure is self.figure
        }
        self._extents = {}
        for ax in self._backgrounds:
            self._draw_artists(ax)
        if self.on_full_draw is not None:
            self.on_full_draw()

    def _draw_artists(self, ax: Axes) -> None:
        for artist in self._animated.get(ax, ()):
            self.figure.draw_artist(artist)

    def refresh_animated(self) -> None:
        """Redraw the animated artists over the kept backgrounds (or fully, if none yet)."""
        if not self._backgrounds or not self.supports_blit:
            self.draw_idle()  # type: ignore[no-untyped-call]
            return
        renderer = self.get_renderer()  # type: ignore[no-untyped-call]
        for ax, background in self._backgrounds.items():
            artists = self._animated.get(ax, [])
            before = [self._extents.get(artist) for artist in artists]
            self.restore_region(background)  # type: ignore[no-untyped-call]
            self._draw_artists(ax)
            # Repaint only where an artist was or is now: a moved line is a thin strip
            # of the axes, and copying pixels to the screen is most of a frame's cost.
            boxes = []
            for artist, old in zip(artists, before, strict=True):
                new = artist.get_window_extent(renderer)
                self._extents[artist] = new
                boxes += [new] if old is None else [old, new]
            dirty = Bbox.union(boxes).padded(4) if boxes else ax.bbox
            clipped = Bbox.intersection(dirty, ax.bbox.padded(2))
            # The repaint is synchronous, as matplotlib's own blit.
            self.blit(clipped if clipped is not None else ax.bbox)  # type: ignore[no-untyped-call]
        self.blits += 1
