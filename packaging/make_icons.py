"""Render the application icon (resources/icons/app/redline.svg) to the PNG sizes that
desktops and installers want: resources/icons/app/redline-<N>.png, and redline.ico.

Run after changing the SVG: `.venv/bin/python packaging/make_icons.py` (offscreen Qt).
The PNGs are committed, so building a bundle never needs a renderer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICON_DIR = Path(__file__).resolve().parents[1] / "resources" / "icons" / "app"


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICON_DIR / "redline.svg"))
    if not renderer.isValid():
        print(f"cannot read {ICON_DIR / 'redline.svg'}", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        image.save(str(ICON_DIR / f"redline-{size}.png"))
    # Windows wants an .ico for the executable; Qt writes one from the 256 px image.
    QImage(str(ICON_DIR / "redline-256.png")).save(str(ICON_DIR / "redline.ico"))
    del app
    print(f"wrote {len(SIZES)} PNG sizes and redline.ico to {ICON_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
