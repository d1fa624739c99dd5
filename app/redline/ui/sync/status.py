"""The status bar's sync widget and the timer that syncs in the background.

State, last sync, pending count, refused changes and the last error are shown in one
label (what was refused, and why, in its tooltip); a progress
bar with a cancel button appears while a sync moves many rows. When a sync needs a
password it does not have (no keyring, nothing stored yet, or the server refused the
one it had), the timer does not pop a dialog up by itself: an "Enter password…" button
appears beside the label and opens the prompt in one click; a password entered there
lasts the session when there is no keyring. The sync itself runs in a
background task (redline.ui.tasks); the GUI thread never waits on the network.
"""

from __future__ import annotations

import functools
from datetime import datetime

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget
from sqlalchemy import Engine

from redline.errors import RedlineError
from redline.profiles import Profile, get_profile
from redline.progress import Progress
from redline.review.types import Changes
from redline.settings import Settings, save_settings
from redline.sync.connect import ConnectionFailed, shared_engine
from redline.sync.credentials import SESSION_PASSWORDS, password_for
from redline.sync.service import SyncContext, SyncReport, SyncStatus, sync, sync_status
from redline.ui.changes import ChangeHub
from redline.ui.sync.password import PasswordDialog
from redline.ui.tasks import Task, TaskRunner

DEFAULT_INTERVAL_S = 300
# Below this many rows a sync is quick: no progress bar flashing in the status bar.
PROGRESS_BAR_FROM = 200
NEEDS_PASSWORD = "needs password"


def run_sync(
    store: Engine, profile: Profile, password: str, device: str, progress: Progress
) -> SyncReport:
    """One sync on a fresh connection pool (a background task)."""
    shared = shared_engine(profile, password)
    try:
        return sync(
            store, shared, SyncContext(profile, device), password=password, progress=progress
        )
    finally:
        shared.dispose()


class SyncWidget(QWidget):
    """Sync state in the status bar, plus the timer and the "Sync now" action's work.

    Signals:
        sync_failed: a RedlineError (or any exception) of a sync the user asked for.
    """

    sync_failed = Signal(object)

    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        runner: TaskRunner,
        hub: ChangeHub,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self.runner = runner
        self.hub = hub
        self.label = QLabel("")
        self.label.setObjectName("syncLabel")
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(140)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("✕")
        self.cancel_button.setToolTip("Cancel the sync (what was synced stays)")
        self.password_button = QToolButton()
        self.password_button.setObjectName("syncPasswordButton")
        self.password_button.setText("Enter password…")
        self.password_button.setToolTip("Enter the shared database's password, then sync")
        self.password_button.setVisible(False)
        self.password_button.clicked.connect(self.ask_password)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.password_button)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._show_progress(False)
        self.task: Task | None = None
        self.status: SyncStatus | None = None
        self.last_error = ""
        # The last sync's refusals, with the server's words (the status's lines, which
        # outlive the session, have the reason the row itself tells).
        self.refused_now: list[str] = []
        self.state = "offline"
        self.cancel_button.clicked.connect(self.cancel)
        self.timer = QTimer(self)
        interval = int(settings.extra.get("sync_interval_s", DEFAULT_INTERVAL_S))
        self.timer.setInterval(max(10, interval) * 1000)
        self.timer.timeout.connect(self._on_timer)
        self.hub.changed.connect(self._on_changes)
        if self.profile() is not None:
            self.timer.start()
        self.refresh_status()

    def profile(self) -> Profile | None:
        try:
            return get_profile(self.settings)
        except RedlineError:
            return None

    # -- actions ----------------------------------------------------------------------

    def sync_now(self, *, interactive: bool = True) -> Task | None:
        """Start a sync (none when one runs, or no profile or password is there)."""
        if self.task is not None:
            return None
        profile = self.profile()
        if profile is None:
            self._set_state("not set up", "File > Connection… sets up the shared database")
            return None
        password = password_for(profile)
        if password is None:
            self._set_state(NEEDS_PASSWORD, "Enter password… to sync with the shared database")
            if interactive:
                # The user asked for a sync: ask at once rather than report an error.
                self.ask_password()
            return None
        self._set_state("syncing", "")
        task = self.runner.submit(
            run_sync,
            self.engine,
            profile,
            password,
            self.settings.device or "desktop",
            key="sync",
            pass_progress=True,
        )
        task.signals.progress.connect(self._on_progress)
        task.signals.succeeded.connect(self._on_succeeded)
        task.signals.failed.connect(
            self._on_failed_interactive if interactive else self._on_failed_quietly
        )
        task.signals.cancelled.connect(lambda: self._set_state("cancelled", ""))
        task.signals.finished.connect(self._on_finished)
        self.task = task
        return task

    def ask_password(self) -> bool:
        """Open the password prompt; on OK, sync. True when a password was entered."""
        profile = self.profile()
        if profile is None or self.task is not None:
            return False
        if not PasswordDialog.ask(profile, self.window()):
            return False
        self.last_error = ""
        self.sync_now()
        return True

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def profile_changed(self) -> None:
        """After the connection dialog: save settings, restart the timer, sync."""
        save_settings(self.settings)
        self.timer.start()
        self.refresh_status()
        self.sync_now()

    def refresh_status(self) -> None:
        """Recount pending changes in the background."""
        profile = self.profile()
        if profile is None:
            self._set_state("not set up", "File > Connection… sets up the shared database")
            return
        is_lead = self.settings.role == "lead"
        task = self.runner.submit(
            functools.partial(sync_status, is_lead=is_lead), self.engine, profile, key="sync-status"
        )
        task.signals.succeeded.connect(self._on_status)

    # -- slots ------------------------------------------------------------------------

    @Slot()
    def _on_timer(self) -> None:
        self.sync_now(interactive=False)

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        if changes.reviews or changes.samples or changes.prompts:
            self.refresh_status()

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total >= PROGRESS_BAR_FROM:
            self._show_progress(True)
            self.bar.setMaximum(total)
            self.bar.setValue(min(done, total))
        self.label.setText(f"Sync: {text}…")

    @Slot(object)
    def _on_succeeded(self, report: SyncReport) -> None:
        self.last_error = ""
        # Renamed local rows (a name the shared database uses) are worth a look; rows the
        # server refused stay here (counted by the status), and the user must see why.
        self.refused_now = list(report.refused)
        self._set_state("synced", "\n".join(f"Renamed: {r}" for r in report.renamed))
        if report.total_pulled or report.conflicts:
            # A pull may bring prompt versions, decisions and guidelines too.
            self.hub.publish(Changes(samples=True, reviews=True, prompts=True))

    @Slot(object)
    def _on_failed_interactive(self, exc: BaseException) -> None:
        self._on_failed_quietly(exc)
        self.sync_failed.emit(exc)

    @Slot(object)
    def _on_failed_quietly(self, exc: BaseException) -> None:
        message = exc.one_line() if isinstance(exc, RedlineError) else type(exc).__name__
        offline = isinstance(exc, ConnectionFailed) and exc.kind == "unreachable"
        self.last_error = message
        if isinstance(exc, ConnectionFailed) and exc.kind == "auth":
            # A wrong (or changed) password: forget this session's, offer the prompt.
            profile = self.profile()
            if profile is not None:
                SESSION_PASSWORDS.forget(profile)
            self._set_state(NEEDS_PASSWORD, message)
            return
        self._set_state("offline" if offline else "error", message)

    @Slot()
    def _on_finished(self) -> None:
        self.task = None
        self._show_progress(False)
        self.refresh_status()

    @Slot(object)
    def _on_status(self, status: SyncStatus) -> None:
        self.status = status
        self._render()

    # -- display ----------------------------------------------------------------------

    def _set_state(self, state: str, detail: str) -> None:
        self.state = state
        if detail:
            self.last_error = detail
        self.password_button.setVisible(state == NEEDS_PASSWORD)
        self._render()

    def _render(self) -> None:
        parts = [f"Sync: {self.state}"]
        tip = [self.last_error] if self.last_error else []
        if self.status is not None:
            parts.append(f"last {_when(self.status.last_sync)}")
            parts.append(f"{self.status.pending_total:,} pending")
            refused = self._refused_lines(self.status)
            if refused:
                parts.append(f"{len(refused):,} refused")
                tip += refused
        self.label.setText(" · ".join(parts))
        self.label.setToolTip("\n".join(tip) or "Ctrl+Shift+S syncs now")

    def _refused_lines(self, status: SyncStatus) -> list[str]:
        """The changes kept here because the server refused them, in the last sync's
        words where it has them (with the server's reason), then the rest of what the
        last sync refused (a decision undone here, replaced by the server's)."""
        said = list(self.refused_now)
        lines = []
        for line in status.refused:
            match = next((r for r in said if r.startswith(line)), None)
            if match is not None:
                said.remove(match)
            lines.append(match or line)
        return lines + said

    def _show_progress(self, visible: bool) -> None:
        self.bar.setVisible(visible)
        self.cancel_button.setVisible(visible)


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.astimezone().strftime("%H:%M")
