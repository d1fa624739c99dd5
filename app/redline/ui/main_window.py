"""The review workstation's window: queue (left), sample (centre), review panel (right),
guidelines (dock), the other workspaces as tabs, and the status bar.

The window is the shell: it lays the widgets out, builds the actions and menus, and
routes them. What the review tab does (queue loading, read-ahead, keys pressed while a
sample loads, time spent, submit) is `ReviewController`'s; the guidelines dock is fed by
`GuidelinesSource`; preferences, theme and layout are `DesktopActions`'.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QHeaderView,
    QLabel,
    QMainWindow,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from typing_extensions import override

from redline.errors import RedlineError
from redline.prompts.guidelines import Guidelines
from redline.review.service import ReviewService
from redline.review.taxonomy import categories
from redline.review.types import Changes
from redline.settings import Settings
from redline.ui.actions import ACTIONS, REVIEW_MENUS, build_actions, build_menus
from redline.ui.changes import ChangeHub
from redline.ui.desktop import DesktopActions
from redline.ui.dialogs.errors import ErrorDialog
from redline.ui.dialogs.import_dialog import ImportDialog
from redline.ui.dialogs.shortcuts import ShortcutsDialog
from redline.ui.models.queue_model import Column, QueueModel
from redline.ui.review.controller import ReviewController
from redline.ui.review.guidelines import GuidelinesSource
from redline.ui.sync.dialog import ConnectionDialog
from redline.ui.sync.status import SyncWidget
from redline.ui.tasks import TaskRunner
from redline.ui.widgets.filter_bar import FilterBar
from redline.ui.widgets.guidelines_pane import GuidelinesPane
from redline.ui.widgets.layout_boundary import LayoutBoundary
from redline.ui.widgets.review_panel import ReviewPanel
from redline.ui.widgets.sample_view import SampleView
from redline.ui.workspaces import WORKSPACES, WorkspaceContext, create_page

__all__ = ["BUSY_AFTER_MS", "MainWindow"]

# "Working…" shows for background work that lasts longer than this.
BUSY_AFTER_MS = 400


class MainWindow(QMainWindow):
    """The reviewer's window. Every database call runs in a task; slots only touch widgets.

    Attributes:
        controller: the review tab's `ReviewController`; its signals (`sample_shown`,
            `queue_loaded`, `review_submitted`, ...) and read-only state (`current`,
            `loading_sample_id`, `snapshot_generation`) are what callers wait on.
        runner: the window's task runner, shared with every workspace.
        hub: the change hub every write is announced on.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        settings: Settings,
        store_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Redline" + (f" — {store_path.name}" if store_path else ""))
        self.setAcceptDrops(True)
        self.engine = engine
        self.settings = settings
        self.reviewer = settings.reviewer
        self.service = ReviewService(engine, reviewer=settings.reviewer, device=settings.device)
        self.runner = TaskRunner(self)
        self.hub = ChangeHub(self)

        # -- queue (left) --
        self.filter_bar = FilterBar()
        self.queue_model = QueueModel(engine, reviewer=self.reviewer, parent=self)
        self.queue_view = QTableView()
        self.queue_view.setObjectName("queueView")
        self.queue_view.setModel(self.queue_model)
        self.queue_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.queue_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.queue_view.setAlternatingRowColors(True)
        self.queue_view.setWordWrap(False)
        self.queue_view.verticalHeader().setVisible(False)
        self.queue_view.verticalHeader().setDefaultSectionSize(24)
        self.queue_view.horizontalHeader().setStretchLastSection(True)
        self.queue_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.queue_view.setSortingEnabled(True)
        self.queue_view.horizontalHeader().setSortIndicator(
            Column.CAPTURED, Qt.SortOrder.AscendingOrder
        )
        self.queue_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Typing a letter in the table must reach the shortcuts, not jump to a matching row.
        self.queue_view.setTabKeyNavigation(False)
        widths = {Column.STATUS: 72, Column.VERDICT: 72, Column.SCORE: 52,
                  Column.PROMPT_VERSION: 120, Column.MODEL: 120, Column.LANGUAGE: 40,
                  Column.CAPTURED: 120}  # fmt: skip
        # The widest status ("reviewed ⚑ ✎") fits whole, in whatever font the table has.
        metrics = self.queue_view.fontMetrics()
        widths[Column.STATUS] = max(72, metrics.horizontalAdvance("reviewed ⚑ ✎") + 16)
        for column, width in widths.items():
            self.queue_view.setColumnWidth(column, width)
        self.queue_count_label = QLabel("")
        self.queue_count_label.setObjectName("metaLabel")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 0, 8)
        left_layout.addWidget(self.filter_bar)
        left_layout.addWidget(self.queue_view, 1)
        left_layout.addWidget(self.queue_count_label)

        # -- sample (centre) and review (right) --
        self.sample_view = SampleView()
        self.review_panel = ReviewPanel(categories(settings))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        # Each pane in its own boundary: a new sample relayouts the centre and the right,
        # never the queue beside them (see LayoutBoundary).
        self.splitter.addWidget(LayoutBoundary(self.sample_view))
        self.splitter.addWidget(LayoutBoundary(self.review_panel))
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setChildrenCollapsible(False)

        # -- workspaces: review first, the others built when first shown --
        self.tabs = QTabWidget()
        self.tabs.setObjectName("workspaceTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(LayoutBoundary(self.splitter), "Review")
        self.workspace_context = WorkspaceContext(
            engine=engine,
            settings=settings,
            runner=self.runner,
            hub=self.hub,
            show_selection=self.show_selection,
            show_workspace=self._bring_workspace,
        )
        self.workspace_pages: dict[str, QWidget] = {}
        for spec in WORKSPACES:
            self.tabs.addTab(QWidget(), spec.title)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.setCentralWidget(self.tabs)

        # -- guidelines (dock) --
        self.guidelines_pane = GuidelinesPane()
        self.guidelines_view = self.guidelines_pane.view
        self.guidelines = GuidelinesSource(
            engine, runner=self.runner, hub=self.hub, pane=self.guidelines_pane,
            author=self.reviewer, parent=self,
        )  # fmt: skip
        self.guidelines.saved.connect(self._on_guidelines_saved)
        self.guidelines.failed.connect(self.show_error)
        self.guidelines_dock = QDockWidget("Guidelines", self)
        self.guidelines_dock.setObjectName("guidelinesDock")
        self.guidelines_dock.setWidget(self.guidelines_pane)
        self.guidelines_dock.setAllowedAreas(
            Qt.DockWidgetArea.RightDockWidgetArea | Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.guidelines_dock)
        self.guidelines_dock.hide()
        self.guidelines.show(None)

        # -- status bar --
        self.reviewer_label = QLabel(f"Reviewing as {self.reviewer}")
        self.reviewer_label.setObjectName("reviewerLabel")
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("progressLabel")
        self.busy_label = QLabel("")
        self.busy_label.setObjectName("metaLabel")
        self.statusBar().addWidget(self.reviewer_label)
        self.statusBar().addPermanentWidget(self.busy_label)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_AFTER_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        self.statusBar().addPermanentWidget(self.progress_label)
        self.sync_widget = SyncWidget(
            engine=engine, settings=settings, runner=self.runner, hub=self.hub, parent=self
        )
        self.sync_widget.sync_failed.connect(self.show_error)
        self.statusBar().addPermanentWidget(self.sync_widget)

        # -- the review tab's logic --
        self.controller = ReviewController(
            self.service,
            runner=self.runner,
            hub=self.hub,
            queue_model=self.queue_model,
            queue_view=self.queue_view,
            count_label=self.queue_count_label,
            filter_bar=self.filter_bar,
            sample_view=self.sample_view,
            review_panel=self.review_panel,
            parent=self,
        )
        self.controller.progress_shown.connect(self.progress_label.setText)
        self.controller.prompt_shown.connect(self.guidelines.show)
        self.controller.message.connect(self.statusBar().showMessage)
        self.controller.failed.connect(self.show_error)

        # -- actions and wiring --
        self.actions_by_id = build_actions(self, settings.shortcuts)
        build_menus(self.menuBar(), self.actions_by_id)
        self.actions_by_id["view.guidelines"].setCheckable(True)
        self.desktop = DesktopActions(
            self,
            settings=settings,
            actions_by_id=self.actions_by_id,
            review_panel=self.review_panel,
            sample_view=self.sample_view,
            sync_widget=self.sync_widget,
            guidelines_dock=self.guidelines_dock,
            runner=self.runner,
        )
        self.runner.busy_changed.connect(self._on_busy_changed)

        self.resize(1400, 900)
        self.splitter.setSizes([420, 560, 420])
        self.desktop.restore_layout()  # geometry and docks as the reviewer left them
        self.queue_view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.controller.start()

    # ====================================================================== workspaces

    def show_workspace(self, key: str) -> None:
        """Bring the tab `key` ("review" or a `WorkspaceSpec.key`) to the front."""
        if key == "review":
            self.tabs.setCurrentIndex(0)
            return
        index = next(i for i, spec in enumerate(WORKSPACES, start=1) if spec.key == key)
        self.tabs.setCurrentIndex(index)

    def _bring_workspace(self, key: str) -> QWidget:
        self.show_workspace(key)
        return self.workspace_page(key)

    def workspace_page(self, key: str) -> QWidget:
        """The page of workspace `key`, built now if it was never shown."""
        if key not in self.workspace_pages:
            index, spec = next(
                (i, spec) for i, spec in enumerate(WORKSPACES, start=1) if spec.key == key
            )
            page = create_page(spec, self.workspace_context)
            self.workspace_pages[key] = page
            placeholder = self.tabs.widget(index)
            current = self.tabs.currentIndex()
            self.tabs.blockSignals(True)
            try:
                self.tabs.removeTab(index)
                self.tabs.insertTab(index, page, spec.title)
                self.tabs.setCurrentIndex(current)
            finally:
                self.tabs.blockSignals(False)
            if placeholder is not None:
                placeholder.deleteLater()
        return self.workspace_pages[key]

    def _on_tab_changed(self, index: int) -> None:
        on_review = index == 0
        for spec in ACTIONS:
            if spec.menu in REVIEW_MENUS:
                self.actions_by_id[spec.id].setEnabled(on_review)
        if on_review:
            self.queue_view.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        page = self.workspace_page(WORKSPACES[index - 1].key)
        page.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_selection(self, sample_ids: frozenset[uuid.UUID], label: str) -> None:
        """Open the review queue on exactly `sample_ids` (sent by another workspace)."""
        self.show_workspace("review")
        self.filter_bar.set_selection(sample_ids, label)

    # ================================================================== guidelines

    def edit_guidelines(self) -> None:
        """Ctrl+Shift+G: edit the guidelines of the shown sample's prompt."""
        self.guidelines_dock.setVisible(True)
        self.actions_by_id["view.guidelines"].setChecked(True)
        if not self.guidelines_pane.start_editing():
            self.statusBar().showMessage(
                "Samples without a prompt name share the default guidelines, which ship "
                "with Redline; they cannot be edited here.",
                5000,
            )

    def _on_guidelines_saved(self, guidelines: Guidelines) -> None:
        self.statusBar().showMessage(
            f"Guidelines for {guidelines.prompt_name} saved (revision {guidelines.revision}).",
            5000,
        )
        self.focus_queue()

    def toggle_guidelines(self) -> None:
        visible = not self.guidelines_dock.isVisible()
        self.guidelines_dock.setVisible(visible)
        self.actions_by_id["view.guidelines"].setChecked(visible)

    # ================================================================ status bar

    def _on_busy_changed(self, busy: bool) -> None:
        # Shown only for work that lasts: a label blinking with every short task (each
        # submit and read-ahead) would relayout the status bar twice per sample.
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy_label.setText("")

    def _show_busy(self) -> None:
        self.busy_label.setText("Working…")

    def show_error(self, exc: BaseException) -> None:
        """A failure of background work: its one line in the status bar, then the dialog."""
        if isinstance(exc, RedlineError):
            self.statusBar().showMessage(exc.one_line(), 10_000)
        ErrorDialog.ask(self, exc)

    # ========================================================= action handlers
    # The actions (actions.py) name these methods; review keys go to the controller.

    def next_sample(self) -> None:
        """J: the next row of the queue."""
        self.controller.next_sample()

    def previous_sample(self) -> None:
        """K: the previous row of the queue."""
        self.controller.previous_sample()

    def skip_sample(self) -> None:
        """S: leave this sample as it is (its draft is kept) and go to the next."""
        self.controller.skip_sample()

    def set_verdict(self, verdict: str) -> None:
        self.controller.set_verdict(verdict)

    def set_rating(self, n: int) -> None:
        self.controller.set_rating(n)

    def toggle_flag(self) -> None:
        self.controller.toggle_flag()

    def edit_correction(self) -> None:
        self.controller.edit_correction()

    def edit_note(self) -> None:
        self.controller.edit_note()

    def submit_review(self) -> None:
        """Ctrl+Enter: submit the review shown, then move to the next sample."""
        self.controller.submit_review()

    def undo_review(self) -> None:
        """Ctrl+Z: undo this session's last review action."""
        self.controller.undo_review()

    def redo_review(self) -> None:
        """Ctrl+Shift+Z: redo the last undone review action."""
        self.controller.redo_review()

    def focus_search(self) -> None:
        self.filter_bar.focus_search()

    def focus_queue(self) -> None:
        focused = QApplication.focusWidget()
        if (
            focused is not None
            and self.guidelines_pane.is_editing()
            and self.guidelines_pane.isAncestorOf(focused)
        ):
            self.guidelines_pane.cancel_editing()
        self.queue_view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_shortcuts(self) -> None:
        ShortcutsDialog.ask(self)

    def open_preferences(self) -> None:
        """Ctrl+,: the settings dialog; what it saved applies at once."""
        self.desktop.open_preferences()

    def cycle_theme(self) -> None:
        """Ctrl+Shift+T: system → light → dark → system, applied and saved."""
        self.desktop.cycle_theme()

    def toggle_rendered_text(self) -> None:
        """M: the sample's texts rendered (Markdown) or as written."""
        self.desktop.toggle_rendered_text()

    def toggle_monospace_text(self) -> None:
        """Ctrl+Shift+M: the raw texts in a fixed-width font or not."""
        self.desktop.toggle_monospace_text()

    def open_shared_admin(self) -> None:
        """File > Shared database admin… (leads): set up the database, add logins."""
        self.desktop.open_shared_admin()

    def sync_now(self) -> None:
        """Ctrl+Shift+S: sync with the shared database in the background."""
        self.review_panel.flush_draft()
        self.sync_widget.sync_now()

    def edit_connection(self) -> None:
        """The shared database's connection dialog; saving it syncs."""
        if ConnectionDialog.ask(self.settings, self) is not None:
            self.sync_widget.profile_changed()

    def import_file(self, path: Path | None = None) -> None:
        """Ctrl+I, or a file dropped on the window: the import dialog."""
        self.review_panel.flush_draft()
        report = ImportDialog.ask(
            self, engine=self.engine, runner=self.runner, reviewer=self.reviewer, path=path
        )
        if report is not None:
            self.hub.publish(Changes(samples=True))

    # ============================================================ Qt overrides

    @override
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ActivationChange:
            self.controller.clock.set_counting(self.isActiveWindow())
        super().changeEvent(event)

    @override
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    @override
    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if not urls or not urls[0].isLocalFile():
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_file(Path(urls[0].toLocalFile()))

    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        # A half-written review is saved before the window goes: flush the draft, let
        # queued writes finish, then stop the rest.
        self.controller.close()
        self._busy_timer.stop()
        self.runner.wait_for_writes()
        self.runner.shutdown()
        self.desktop.save_layout()
        super().closeEvent(event)
