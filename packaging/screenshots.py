"""Screenshots of every main screen, from a fresh demo store, for the README.

    .venv/bin/python packaging/screenshots.py            # or: make screenshots
    .venv/bin/python packaging/screenshots.py --out /tmp/shots --count 2000

Writes `docs/screenshot-<name>.png`: `main` (the review queue), one per workspace tab
registered in `redline.ui.workspaces.WORKSPACES`, `settings`, `settings-shortcuts`,
`welcome`, all in the light theme, and `main-dark`.

It runs under Xvfb (`xvfb-run -a`, QT_QPA_PLATFORM=xcb) when there is no display, so
fonts and rendering are the real X11 ones. Without xvfb-run it falls back to Qt's
offscreen platform and says so (the pictures are the same widgets, with Qt's own font
rendering). Everything happens in a temporary HOME: your settings and store are never
touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD_FLAG = "REDLINE_SCREENSHOTS_CHILD"
SCREEN = "1600x1000x24"
WINDOW_SIZE = (1440, 900)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    parser.add_argument("--count", type=int, default=5_000, help="demo samples (default 5000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated names to write (e.g. settings,welcome); default: all",
    )
    return parser.parse_args(argv)


def _relaunch_under_xvfb(argv: list[str]) -> int | None:
    """Run this script again inside xvfb-run; None when that is not needed or possible."""
    if os.environ.get(CHILD_FLAG) or os.environ.get("DISPLAY"):
        return None
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print(
            "note: xvfb-run is not installed (Debian: apt-get install xvfb xauth); "
            "rendering offscreen instead.",
            file=sys.stderr,
        )
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    env = {**os.environ, CHILD_FLAG: "1", "QT_QPA_PLATFORM": "xcb"}
    command = [xvfb, "-a", "-s", f"-screen 0 {SCREEN}", sys.executable, __file__, *argv]
    return subprocess.call(command, env=env)


def _isolate(home: Path) -> None:
    """Settings, store and logs in a throwaway HOME (platformdirs follows XDG_*)."""
    os.environ["HOME"] = str(home)
    for name, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        os.environ[name] = str(home / sub)
    os.environ.pop("REDLINE_STORE", None)


def main(argv: list[str]) -> int:
    args = _parse(argv)
    code = _relaunch_under_xvfb(argv)
    if code is not None:
        return code
    with tempfile.TemporaryDirectory(prefix="redline-shots-") as tmp:
        _isolate(Path(tmp))
        return _take_all(args, Path(tmp))


def _take_all(args: argparse.Namespace, tmp: Path) -> int:
    # Imported here: the environment (HOME, platform) must be set before Qt loads.
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from redline.demo import create_demo
    from redline.settings import Settings, save_settings
    from redline.store.local import open_local_store
    from redline.ui.app import application
    from redline.ui.dialogs.settings_dialog import SettingsDialog
    from redline.ui.dialogs.welcome import WelcomeDialog
    from redline.ui.main_window import MainWindow
    from redline.ui.theme import current_theme
    from redline.ui.workspaces import WORKSPACES

    settings = Settings(reviewer="ana", device="screenshots", theme="light")
    settings.extra["welcomed"] = True
    save_settings(settings)
    store_path = tmp / "redline.sqlite"
    engine = open_local_store(store_path)
    started = time.monotonic()
    print(f"creating the demo store ({args.count:,} samples)…", flush=True)
    create_demo(engine, count=args.count, seed=args.seed, work_dir=tmp / "demo")
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)

    app = application()
    print(f"platform: {QApplication.platformName()}", flush=True)
    theme = current_theme()
    assert theme is not None
    theme.set_setting("light")
    args.out.mkdir(parents=True, exist_ok=True)

    def wait(ms: int) -> None:
        # A local event loop with a timer: processEvents() in a tight loop can crash
        # PySide6 on Python 3.11.
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_until(done: Callable[[], bool], timeout_s: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                return False
            wait(100)
        return True

    def settle(window: MainWindow) -> None:
        """Until the window's background tasks are done (a page loading its data)."""
        wait(300)
        if not wait_until(lambda: window.runner.active_count() == 0):
            print("  (still busy after 60 s; taking it anyway)", flush=True)
        wait(500)

    only = {n.strip() for n in args.only.split(",") if n.strip()}

    def save(widget: QWidget, name: str) -> None:
        if only and name not in only:
            return
        path = args.out / f"screenshot-{name}.png"
        if not widget.grab().save(str(path)):
            raise SystemExit(f"could not write {path}")
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)

    window = MainWindow(engine, settings=settings, store_path=store_path)
    controller = window.controller
    window.resize(*WINDOW_SIZE)
    window.show()
    wait_until(lambda: controller.current is not None)
    settle(window)
    # Mid-review on a support answer: a verdict, a rating, a category and a correction
    # with its word diff.
    from redline.review.types import Verdict

    for row in range(min(window.queue_model.rowCount(), 50)):
        sample = window.queue_model.row_at(row)
        if sample is not None and sample.prompt_version.startswith("support"):
            window.queue_view.setCurrentIndex(window.queue_model.index(row, 0))
            wait_until(
                lambda s=sample: (
                    controller.current is not None and controller.current.detail.id == s.id
                )
            )
            break
    panel = window.review_panel
    panel.set_verdict(Verdict.BAD)
    panel.set_rating(2)
    boxes = panel.category_boxes
    (boxes.get("incomplete") or next(iter(boxes.values()))).setChecked(True)
    output = controller.current.detail.output if controller.current is not None else ""
    first, dot, rest = output.partition(". ")
    panel.correction_edit.setPlainText(f"{first}, from Settings → Billing{dot}{rest}")
    settle(window)
    save(window, "main")

    for spec in WORKSPACES:
        window.show_workspace(spec.key)
        settle(window)
        save(window, spec.key)

    window.show_workspace("review")
    settle(window)
    dialog = SettingsDialog(settings, window)
    dialog.show()
    wait(500)
    save(dialog, "settings")
    dialog.tabs.setCurrentWidget(dialog.shortcuts)
    wait(300)
    save(dialog, "settings-shortcuts")
    dialog.reject()

    welcome = WelcomeDialog(None)
    welcome.setMinimumWidth(560)
    welcome.show()
    wait(500)
    save(welcome, "welcome")
    welcome.close()

    theme.set_setting("dark")
    settle(window)
    save(window, "main-dark")
    theme.set_setting("light")

    window.close()
    engine.dispose()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
