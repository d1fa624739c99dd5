"""Find the files that ship with Redline: styles, icons, guidelines.

Installed, they are package data (`redline/resources` in the wheel); in a source
checkout (an editable install) they are the repository's `resources/`. Package data is
tried first so an installed Redline never reads a stray source tree.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources as importlib_resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from redline.errors import RedlineError

__all__ = [
    "app_icon",
    "guidelines_text",
    "icon",
    "load_tokens",
    "render_template",
    "resource_path",
    "resource_root",
]

_TOKEN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Monochrome SVGs are drawn in this colour and recoloured at load time.
_SVG_INK = "#000000"


@functools.cache
def resource_root() -> Path:
    """The `resources` directory: package data first, else the source tree."""
    try:
        packaged = importlib_resources.files("redline") / "resources"
        if packaged.is_dir():
            return Path(str(packaged))
    except (ModuleNotFoundError, NotADirectoryError):  # pragma: no cover - odd installs
        pass
    # app/redline/ui/resources.py -> the repository root is three levels above `redline`.
    source = Path(__file__).resolve().parents[3] / "resources"
    if source.is_dir():
        return source
    raise RedlineError(
        "Redline's resource files are missing",
        where=str(source),
        hint="reinstall Redline",
    )


def resource_path(*parts: str) -> Path:
    """A file under `resources/`, e.g. ``resource_path("styles", "base.qss")``."""
    return resource_root().joinpath(*parts)


def load_tokens(theme: str) -> dict[str, str]:
    """The colour tokens of `theme` ("light" or "dark") as strings."""
    path = resource_path("styles", f"{theme}.toml")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RedlineError(f"theme {theme!r} cannot be read ({exc})", where=str(path)) from exc
    return {str(key): str(value) for key, value in raw.items()}


def render_template(template: str, tokens: dict[str, str]) -> str:
    """Replace every ``{{ name }}`` with its token; an unknown name is an error."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in tokens:
            raise RedlineError(
                f"the style sheet uses an undefined token {name!r}",
                where="resources/styles",
                hint="define it in light.toml and dark.toml",
            )
        return tokens[name]

    return _TOKEN.sub(substitute, template)


def template_tokens(template: str) -> set[str]:
    """The token names a template uses."""
    return set(_TOKEN.findall(template))


def icon(name: str, color: str, *, size: int = 24) -> QIcon:
    """The monochrome SVG `resources/icons/<name>.svg`, drawn in `color`."""
    svg = resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")
    renderer = QSvgRenderer(QByteArray(svg.replace(_SVG_INK, color).encode("utf-8")))
    result = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(QSize(size * scale, size * scale))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter, QRectF(0, 0, size * scale, size * scale))
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        result.addPixmap(pixmap)
    return result


APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The application icon (window, task bar, dock) from its pre-rendered PNG sizes."""
    result = QIcon()
    for size in APP_ICON_SIZES:
        result.addFile(str(resource_path("icons", "app", f"redline-{size}.png")), QSize(size, size))
    return result


def guidelines_text(prompt_name: str | None) -> str:
    """The review guidelines (markdown) for a prompt, or the default ones."""
    if prompt_name:
        # Only plain names map to files: a prompt name never reaches outside the folder.
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", prompt_name).lstrip(".")
        specific = resource_path("guidelines", f"{safe}.md")
        if safe and specific.is_file():
            return specific.read_text(encoding="utf-8")
    return resource_path("guidelines", "default.md").read_text(encoding="utf-8")
