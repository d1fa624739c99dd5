"""The "Prompts" workspace: the catalog, its versions and their lifecycle, diff and audit.

Only the actions the signed-in person may take are offered (`rules.allowed_actions`
with the role from the settings); the services check again, and so does the shared
database. Every read and write runs as a background task.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from typing_extensions import override

from redline import clock
from redline.analytics.quality import VersionQuality
from redline.errors import RedlineError
from redline.prompts.catalog import (
    DraftSpec,
    PromptInfo,
    VersionInfo,
    create_draft,
    list_prompts,
    list_versions,
    rollback,
    rollback_target,
    transition,
    update_draft,
)
from redline.prompts.diff import version_diff
from redline.prompts.evidence import version_quality_of
from redline.prompts.files import read_version_file, write_version_file
from redline.prompts.rules import Action, allowed_actions
from redline.prompts.templates import check_template
from redline.review.types import Changes
from redline.roles import Role, parse_role
from redline.store.audit import AuditRecord, ChainReport, audit_events, verify_chain
from redline.ui.page_tasks import PageTasks
from redline.ui.prompts.regression_panel import RegressionPanel
from redline.ui.prompts.side_by_side import SideBySideDiff
from redline.ui.tasks import Task
from redline.ui.wording import count, state_label
from redline.ui.workspaces import WorkspaceContext

__all__ = ["CatalogPage"]

VERSION_FILES = "YAML (*.yaml *.yml);;JSON (*.json)"
VERSION_ACTIONS = (Action.SUBMIT, Action.APPROVE, Action.REJECT, Action.DEPLOY, Action.RETIRE)
AUDIT_PERIODS = {"any time": None, "last 24 hours": 1, "last 7 days": 7, "last 30 days": 30}
# The "#" column: two chains, one view (redline.store.audit.link_shared).
AUDIT_REF_HELP = (
    "12: event 12 of this computer's audit chain (changes made here).\n"
    "S4: event 4 of the team database's chain (written by its triggers, pulled by sync).\n"
    "12 = S4: a change made here that the team database recorded too when it was pushed,\n"
    "shown once. Each chain is verified on its own (Verify)."
)


@dataclass(frozen=True)
class CatalogSnapshot:
    """What the page shows, loaded in one background read."""

    prompts: list[PromptInfo]
    prompt: str | None
    versions: list[VersionInfo] = field(default_factory=list)
    quality: dict[str, VersionQuality] = field(default_factory=dict)
    rollback_to: str | None = None


def load_catalog(engine: Engine, prompt: str | None) -> CatalogSnapshot:
    """The prompts, and the versions (with their quality) of `prompt` or the first one."""
    prompts = list_prompts(engine)
    names = [p.name for p in prompts]
    if prompt not in names:
        prompt = names[0] if names else None
    if prompt is None:
        return CatalogSnapshot(prompts, None)
    versions = list_versions(engine, prompt)
    quality = {v.version: version_quality_of(engine, prompt, v.version) for v in versions}
    target = rollback_target(engine, prompt)
    return CatalogSnapshot(prompts, prompt, versions, quality, target.version if target else None)


def _json_field(text: str, what: str, kind: type) -> Any:
    try:
        value = json.loads(text) if text.strip() else kind()
    except json.JSONDecodeError as exc:
        raise RedlineError(
            f"{what} are not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(value, kind):
        raise RedlineError(f"{what} must be a JSON {'object' if kind is dict else 'list'}")
    return value


class CatalogPage(QWidget):
    """Prompts, versions, lifecycle buttons, side-by-side diff and the audit trail.

    Signals:
        loaded: a refresh delivered the catalog (tests wait on it).
        acted: (message) a lifecycle action or a draft save committed.
        audit_loaded: the audit table was filled.
    """

    loaded = Signal()
    acted = Signal(str)
    audit_loaded = Signal()

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = PageTasks(
            context.runner,
            self,
            title="Prompts",
            on_failure=lambda exc: self.status.setText(f"Not done: {exc}"),
        )
        self.engine = context.engine
        self.actor = context.settings.reviewer
        try:
            self.role = parse_role(context.settings.role)
        except RedlineError:
            self.role = Role.REVIEWER
        self.snapshot = CatalogSnapshot([], None)
        # Set while this page announces its own write (it refreshes itself then).
        self._announcing = False
        # Something changed while the page was hidden: reload when it is shown.
        self._stale = False
        self._build()
        context.hub.changed.connect(self._on_changes)
        self.refresh()

    # ----------------------------------------------------------------- layout

    def _build(self) -> None:
        self.prompt_list = QListWidget()
        self.prompt_list.setObjectName("promptList")
        self.prompt_list.currentItemChanged.connect(self._on_prompt_chosen)

        self.header = QLabel()
        self.header.setObjectName("promptHeader")
        self.header.setWordWrap(True)
        self.who = QLabel(f"Signed in as {self.actor or '(no name)'} · role: {self.role.value}")
        self.who.setObjectName("mutedLabel")

        self.version_table = QTableWidget(0, 6)
        self.version_table.setObjectName("versionTable")
        self.version_table.setHorizontalHeaderLabels(
            ["Version", "Status", "Author", "Created", "Satisfaction", "Change note"]
        )
        self.version_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.version_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.version_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.version_table.verticalHeader().hide()
        self.version_table.horizontalHeader().setSectionResizeMode(
            5, QHeaderView.ResizeMode.Stretch
        )
        self.version_table.currentCellChanged.connect(self._on_version_chosen)

        self.reason = QLineEdit()
        self.reason.setObjectName("reasonEdit")
        self.reason.setPlaceholderText("Reason (kept in the audit trail)")
        self.action_buttons: dict[Action, QPushButton] = {}
        actions_row = QHBoxLayout()
        actions_row.addWidget(self.reason, 1)
        for action in VERSION_ACTIONS:
            button = QPushButton(action.value.capitalize())
            button.setObjectName(f"{action.value}Button")
            button.clicked.connect(lambda _=False, a=action: self._act(a))
            self.action_buttons[action] = button
            actions_row.addWidget(button)
        self.rollback_button = QPushButton("Roll back")
        self.rollback_button.setObjectName("rollbackButton")
        self.rollback_button.clicked.connect(self._rollback)
        actions_row.addWidget(self.rollback_button)
        self.status = QLabel()
        self.status.setObjectName("actionStatus")

        self.tabs = QTabWidget()
        self.tabs.setObjectName("promptTabs")
        self.details = QTextBrowser()
        self.details.setObjectName("versionDetails")
        self.tabs.addTab(self.details, "Version")
        self.tabs.addTab(self._build_editor(), "Edit draft")
        self.tabs.addTab(self._build_diff(), "Diff")
        self.tabs.addTab(self._build_audit(), "Audit")
        self.regression = RegressionPanel(self.context, self.current_version)
        self.tabs.addTab(self.regression, "Regression")

        right = QWidget()
        column = QVBoxLayout(right)
        column.addWidget(self.header)
        column.addWidget(self.who)
        column.addWidget(self.version_table, 1)
        column.addLayout(actions_row)
        column.addWidget(self.status)
        column.addWidget(self.tabs, 4)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.prompt_list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 4)
        splitter.setSizes([220, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _build_editor(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.template_edit = QPlainTextEdit()
        self.template_edit.setObjectName("templateEdit")
        self.variables_edit = QLineEdit()
        self.variables_edit.setObjectName("variablesEdit")
        self.variables_edit.setPlaceholderText("comma-separated; empty = what the template uses")
        self.parameters_edit = QPlainTextEdit()
        self.parameters_edit.setObjectName("parametersEdit")
        self.parameters_edit.setMaximumHeight(90)
        self.tools_edit = QPlainTextEdit()
        self.tools_edit.setObjectName("toolsEdit")
        self.tools_edit.setMaximumHeight(70)
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("noteEdit")
        self.problems = QLabel()
        self.problems.setObjectName("templateProblems")
        self.problems.setWordWrap(True)
        self.template_edit.textChanged.connect(self._check_template)
        self.variables_edit.textChanged.connect(self._check_template)
        self.new_draft_button = QPushButton("Save as new draft")
        self.new_draft_button.setObjectName("newDraftButton")
        self.new_draft_button.clicked.connect(self._save_new_draft)
        self.save_draft_button = QPushButton("Save changes to this draft")
        self.save_draft_button.setObjectName("saveDraftButton")
        self.save_draft_button.clicked.connect(self._save_draft)
        self.import_file_button = QPushButton("New draft from file…")
        self.import_file_button.setObjectName("importVersionFileButton")
        self.import_file_button.setToolTip("A version file (YAML or JSON) becomes a new draft")
        self.import_file_button.clicked.connect(self.import_version_file)
        self.export_file_button = QPushButton("Export version…")
        self.export_file_button.setObjectName("exportVersionFileButton")
        self.export_file_button.setToolTip(
            "Write the chosen version as YAML or JSON (by extension)"
        )
        self.export_file_button.clicked.connect(self.export_version_file)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_draft_button)
        buttons.addWidget(self.save_draft_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_file_button)
        buttons.addWidget(self.export_file_button)
        form.addRow("Template", self.template_edit)
        form.addRow("Variables", self.variables_edit)
        form.addRow("", self.problems)
        form.addRow("Parameters (JSON)", self.parameters_edit)
        form.addRow("Tools (JSON)", self.tools_edit)
        form.addRow("Change note", self.note_edit)
        form.addRow(buttons)
        return page

    def _build_diff(self) -> QWidget:
        page = QWidget()
        self.diff_old = QComboBox()
        self.diff_old.setObjectName("diffOld")
        self.diff_new = QComboBox()
        self.diff_new.setObjectName("diffNew")
        self.diff_old.currentIndexChanged.connect(self._show_diff)
        self.diff_new.currentIndexChanged.connect(self._show_diff)
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare"))
        row.addWidget(self.diff_old)
        row.addWidget(QLabel("with"))
        row.addWidget(self.diff_new)
        row.addStretch(1)
        self.diff_parts = {
            name: SideBySideDiff(name.capitalize()) for name in ("template", "parameters", "tools")
        }
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.diff_parts["template"], 3)
        layout.addWidget(self.diff_parts["parameters"], 2)
        layout.addWidget(self.diff_parts["tools"], 1)
        return page

    def _build_audit(self) -> QWidget:
        page = QWidget()
        self.audit_this_prompt = QCheckBox("This prompt only")
        self.audit_this_prompt.setChecked(True)
        self.audit_person = QComboBox()
        self.audit_person.setObjectName("auditPerson")
        self.audit_person.setEditable(True)
        self.audit_person.addItem("everyone")
        self.audit_period = QComboBox()
        self.audit_period.setObjectName("auditPeriod")
        self.audit_period.addItems(list(AUDIT_PERIODS))
        self.verify_button = QPushButton("Verify chain")
        self.verify_button.setObjectName("verifyButton")
        self.verify_button.clicked.connect(self._verify)
        self.verify_label = QLabel()
        self.verify_label.setObjectName("verifyLabel")
        for signal in (
            self.audit_this_prompt.toggled,
            self.audit_person.currentTextChanged,
            self.audit_period.currentIndexChanged,
        ):
            signal.connect(self._load_audit)
        row = QHBoxLayout()
        row.addWidget(self.audit_this_prompt)
        row.addWidget(QLabel("by"))
        row.addWidget(self.audit_person)
        row.addWidget(self.audit_period)
        row.addStretch(1)
        row.addWidget(self.verify_label)
        row.addWidget(self.verify_button)
        self.audit_table = QTableWidget(0, 7)
        self.audit_table.setObjectName("auditTable")
        self.audit_table.setHorizontalHeaderLabels(
            ["#", "When (UTC)", "Who", "Action", "What", "Change", "Reason"]
        )
        self.audit_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        ref_header = self.audit_table.horizontalHeaderItem(0)
        if ref_header is not None:
            ref_header.setToolTip(AUDIT_REF_HELP)
        self.audit_table.verticalHeader().hide()
        self.audit_table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.audit_table)
        return page

    # ----------------------------------------------------------------- loading

    def refresh(self) -> None:
        """Reload the catalog in the background (keeps the chosen prompt and version)."""
        self.tasks.run(
            load_catalog, self.engine, self.snapshot.prompt, on_success=self._on_loaded,
            key="prompts.catalog",
        )  # fmt: skip

    @Slot(object)
    def _on_loaded(self, snapshot: CatalogSnapshot) -> None:
        chosen = self.current_version()
        self.snapshot = snapshot
        self.prompt_list.blockSignals(True)
        self.prompt_list.clear()
        for prompt in snapshot.prompts:
            deployed = f"  ·  {prompt.deployed} live" if prompt.deployed else ""
            item = QListWidgetItem(f"{prompt.name}{deployed}")
            item.setData(Qt.ItemDataRole.UserRole, prompt.name)
            self.prompt_list.addItem(item)
            if prompt.name == snapshot.prompt:
                self.prompt_list.setCurrentItem(item)
        self.prompt_list.blockSignals(False)
        info = next((p for p in snapshot.prompts if p.name == snapshot.prompt), None)
        self.header.setText(
            f"<b>{html.escape(info.name)}</b> — {html.escape(info.purpose)}<br/>"
            f"owner {html.escape(info.owner)} · tags {html.escape(', '.join(info.tags)) or '-'}"
            f" · deployed: {html.escape(info.deployed or 'none')}"
            if info
            else "No prompts yet: run `redline demo`, or import a version file with "
            "`redline prompts new NAME FILE --create-prompt`."
        )
        self._fill_versions(
            chosen.version if chosen and chosen.prompt_name == snapshot.prompt else None
        )
        self._fill_diff_choices()
        self._load_audit()
        self.loaded.emit()

    def _fill_versions(self, keep: str | None) -> None:
        table = self.version_table
        table.blockSignals(True)
        versions = self.snapshot.versions
        table.setRowCount(len(versions))
        for row, v in enumerate(versions):
            q = self.snapshot.quality.get(v.version)
            satisfaction = q.satisfaction.percent() if q is not None and q.judged else "no reviews"
            cells = [
                v.version,
                state_label(v.status),
                v.author,
                v.created_at.strftime("%Y-%m-%d"),
                satisfaction,
                v.change_note,
            ]
            for col, text in enumerate(cells):
                table.setItem(row, col, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.blockSignals(False)
        labels = [v.version for v in versions]
        default = next(
            (i for i, v in enumerate(versions) if v.status.value == "deployed"), len(versions) - 1
        )
        row = labels.index(keep) if keep in labels else default
        if versions:
            table.selectRow(row)
            table.setCurrentCell(row, 0)
        self._on_version_chosen(row if versions else -1)

    # ----------------------------------------------------------------- choosing

    def current_version(self) -> VersionInfo | None:
        row = self.version_table.currentRow()
        versions = self.snapshot.versions
        return versions[row] if 0 <= row < len(versions) else None

    def select_prompt(self, name: str) -> None:
        """Show another prompt (reloads in the background; `loaded` follows)."""
        self.snapshot = CatalogSnapshot(self.snapshot.prompts, name)
        self.refresh()

    def select_version(self, label: str) -> None:
        labels = [v.version for v in self.snapshot.versions]
        self.version_table.setCurrentCell(labels.index(label), 0)

    @Slot(object, object)
    def _on_prompt_chosen(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None:
            self.select_prompt(str(item.data(Qt.ItemDataRole.UserRole)))

    @Slot(int)
    def _on_version_chosen(self, row: int, *_: int) -> None:
        version = self.current_version()
        self._update_buttons(version)
        self._show_details(version)
        self._fill_editor(version)
        self.regression.set_versions(
            [v.version for v in self.snapshot.versions], version.version if version else None
        )

    def _update_buttons(self, version: VersionInfo | None) -> None:
        allowed = (
            allowed_actions(
                status=version.status, actor=self.actor, author=version.author, role=self.role
            )
            if version is not None
            else set()
        )
        for action, button in self.action_buttons.items():
            # Not offered at all when the role or the rules forbid it.
            button.setVisible(action in allowed)
        target = self.snapshot.rollback_to
        self.rollback_button.setVisible(self.role is Role.LEAD and target is not None)
        self.rollback_button.setText(f"Roll back to {target}" if target else "Roll back")
        self.save_draft_button.setEnabled(
            version is not None and not version.frozen and version.author == self.actor
        )

    def _show_details(self, version: VersionInfo | None) -> None:
        if version is None:
            self.details.setHtml("")
            return
        q = self.snapshot.quality.get(version.version)
        e = html.escape
        lines = [
            f"<h3>{e(version.label)} <small>({e(state_label(version.status))})</small></h3>",
            f"<p>by {e(version.author)} · parent {e(version.parent_version or '-')}"
            + (f" · decided by {e(version.decided_by)}" if version.decided_by else "")
            + f"</p><p>{e(version.change_note)}</p>",
            f"<pre>{e(version.template)}</pre>",
            f"<p>variables: {e(', '.join(version.variables) or '-')}<br/>"
            f"parameters: {e(json.dumps(version.parameters, sort_keys=True))}<br/>"
            f"tools: {e(json.dumps(list(version.tools)))}</p>",
        ]
        if q is not None:
            lines.append(_quality_html(q))
        self.details.setHtml("".join(lines))

    def _fill_editor(self, version: VersionInfo | None) -> None:
        if version is None:
            return
        self.template_edit.setPlainText(version.template)
        self.variables_edit.setText(", ".join(version.variables))
        self.parameters_edit.setPlainText(json.dumps(version.parameters, indent=2, sort_keys=True))
        self.tools_edit.setPlainText(json.dumps(list(version.tools), indent=2))
        self.note_edit.setText("" if version.frozen else version.change_note)

    def _declared(self) -> list[str] | None:
        text = self.variables_edit.text().strip()
        return [v.strip() for v in text.split(",") if v.strip()] if text else None

    @Slot()
    def _check_template(self) -> None:
        declared = self._declared()
        template = self.template_edit.toPlainText()
        problems = check_template(template, declared) if declared is not None else []
        self.problems.setText(
            "; ".join(str(p) for p in problems) if problems else "Template and variables match."
        )

    def _spec(self) -> DraftSpec:
        return DraftSpec(
            template=self.template_edit.toPlainText(),
            variables=self._declared(),
            parameters=_json_field(self.parameters_edit.toPlainText(), "Parameters", dict),
            tools=_json_field(self.tools_edit.toPlainText(), "Tools", list),
            change_note=self.note_edit.text().strip(),
        )

    # ----------------------------------------------------------------- actions

    def _after_write(self, message: str) -> Any:
        def done(_result: object) -> None:
            self.status.setText(message if isinstance(message, str) else "")
            self.reason.clear()
            self._announce()
            self.acted.emit(message)
            self.refresh()

        return done

    def _announce(self) -> None:
        """Tell the other pages the catalog changed (they refresh what they show)."""
        self._announcing = True
        try:
            self.context.hub.publish(Changes(prompts=True))
        finally:
            self._announcing = False

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        # Prompt writes elsewhere, and reviews (the satisfaction column), change what
        # this page shows; reload now if it is on screen, else when it is shown.
        if self._announcing or not (changes.prompts or changes.reviews or changes.samples):
            return
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def _act(self, action: Action) -> None:
        version = self.current_version()
        if version is None:
            return

        def done(after: VersionInfo) -> None:
            self._after_write(
                f"{after.label}: {state_label(version.status)} → {state_label(after.status)}"
            )(after)

        self.tasks.run(
            transition, self.engine, version.id, action, actor=self.actor, role=self.role,
            reason=self.reason.text().strip(), on_success=done, key="prompts.write", write=True,
        )  # fmt: skip

    def _rollback(self) -> None:
        prompt = self.snapshot.prompt
        if prompt is None:
            return

        def done(after: VersionInfo) -> None:
            self._after_write(f"{prompt}: rolled back to {after.version}")(after)

        self.tasks.run(
            rollback, self.engine, prompt, actor=self.actor, role=self.role,
            reason=self.reason.text().strip(), on_success=done, key="prompts.write", write=True,
        )  # fmt: skip

    def _save_new_draft(self) -> None:
        prompt = self.snapshot.prompt
        version = self.current_version()
        if prompt is None:
            return
        try:
            spec = self._spec()
        except RedlineError as exc:
            self.tasks.fail(exc)
            return

        def done(draft: VersionInfo) -> None:
            self._after_write(f"{draft.label}: draft saved")(draft)

        self.tasks.run(
            create_draft, self.engine, prompt, spec, actor=self.actor,
            parent=version.version if version else None, on_success=done,
            key="prompts.write", write=True,
        )  # fmt: skip

    def _save_draft(self) -> None:
        version = self.current_version()
        if version is None:
            return
        try:
            spec = self._spec()
        except RedlineError as exc:
            self.tasks.fail(exc)
            return
        self.tasks.run(
            update_draft, self.engine, version.id, spec, actor=self.actor,
            on_success=self._after_write(f"{version.label}: changes saved"),
            key="prompts.write", write=True,
        )  # fmt: skip

    # ----------------------------------------------------------------- files

    @Slot()
    def import_version_file(self) -> Task | None:
        """Ask for a version file (YAML or JSON) and make it a new draft of this prompt."""
        prompt = self.snapshot.prompt
        if prompt is None:
            return None
        path, _ = QFileDialog.getOpenFileName(
            self, f"New draft of {prompt} from a version file", "", VERSION_FILES
        )
        if not path:
            return None
        parent = self.current_version()

        def done(draft: VersionInfo) -> None:
            self._after_write(f"{draft.label}: draft created from {Path(path).name}")(draft)

        return self.tasks.run(
            _draft_from_file, self.engine, prompt, Path(path), actor=self.actor,
            parent=parent.version if parent else None, on_success=done,
            key="prompts.write", write=True,
        )  # fmt: skip

    @Slot()
    def export_version_file(self) -> Task | None:
        """Ask where, and write the chosen version there (YAML or JSON by extension)."""
        version = self.current_version()
        if version is None:
            return None
        suggested = f"{version.prompt_name}-{version.version}.yaml"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {version.label}", suggested, VERSION_FILES
        )
        if not path:
            return None
        target = Path(path)

        def write() -> Path:
            write_version_file(version, target)
            return target  # not None: see PairwisePage._on_stored

        return self.tasks.run(
            write, key="prompts.export", on_success=lambda _path: self._exported(version, target)
        )

    def _exported(self, version: VersionInfo, target: Path) -> None:
        message = f"{version.label} written to {target}"
        self.status.setText(message)
        self.acted.emit(message)

    # ----------------------------------------------------------------- diff

    def _fill_diff_choices(self) -> None:
        labels = [v.version for v in self.snapshot.versions]
        for combo in (self.diff_old, self.diff_new):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(labels)
            combo.blockSignals(False)
        if labels:
            self.diff_old.setCurrentIndex(max(0, len(labels) - 2))
            self.diff_new.setCurrentIndex(len(labels) - 1)
        self._show_diff()

    def compare(self, old: str, new: str) -> None:
        """Show the diff of two versions of the current prompt."""
        self.diff_old.setCurrentText(old)
        self.diff_new.setCurrentText(new)
        self.tabs.setCurrentIndex(2)

    @Slot()
    def _show_diff(self) -> None:
        versions = {v.version: v for v in self.snapshot.versions}
        old = versions.get(self.diff_old.currentText())
        new = versions.get(self.diff_new.currentText())
        if old is None or new is None:
            return
        for part in version_diff(old, new):
            if part.name in self.diff_parts:
                self.diff_parts[part.name].set_segments(
                    f"{part.name.capitalize()}: {part.summary()}", list(part.segments)
                )

    # ----------------------------------------------------------------- audit

    @Slot()
    def _load_audit(self, *_: object) -> None:
        entity_ids = None
        if self.audit_this_prompt.isChecked() and self.snapshot.prompt is not None:
            prompt = next(p for p in self.snapshot.prompts if p.name == self.snapshot.prompt)
            entity_ids = [str(prompt.id), *(str(v.id) for v in self.snapshot.versions)]
        person = self.audit_person.currentText().strip()
        days = AUDIT_PERIODS.get(self.audit_period.currentText())
        since = clock.now() - timedelta(days=days) if days else None
        self.tasks.run(
            audit_events, self.engine, entity_ids=entity_ids,
            actor=None if person in ("", "everyone") else person, since=since,
            on_success=self._on_audit, key="prompts.audit",
        )  # fmt: skip

    @Slot(object)
    def _on_audit(self, events: list[AuditRecord]) -> None:
        table = self.audit_table
        table.setRowCount(len(events))
        for row, e in enumerate(events):
            old = (e.before or {}).get("status")
            new = (e.after or {}).get("status")
            change = f"{old} → {new}" if old and new and old != new else str(new or "")
            cells = [
                e.ref,
                e.occurred_at.strftime("%Y-%m-%d %H:%M"),
                e.actor,
                e.action,
                e.label or e.entity_id[:12],
                change,
                e.reason,
            ]
            for col, text in enumerate(cells):
                table.setItem(row, col, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        known = {self.audit_person.itemText(i) for i in range(self.audit_person.count())}
        self.audit_person.blockSignals(True)
        for actor in sorted({e.actor for e in events} - known):
            self.audit_person.addItem(actor)
        self.audit_person.blockSignals(False)
        self.audit_loaded.emit()

    @Slot()
    def _verify(self) -> None:
        self.verify_label.setText("Verifying…")
        self.tasks.run(
            verify_chain, self.engine, on_success=self._on_verified, key="prompts.verify",
            pass_progress=True,
        )  # fmt: skip

    @Slot(object)
    def _on_verified(self, report: ChainReport) -> None:
        if report.intact:
            self.verify_label.setText(f"Chain intact: {report.events} events")
            self.verify_label.setProperty("state", "ok")
        else:
            self.verify_label.setText(f"Chain BROKEN at event {report.broken_at}: {report.problem}")
            self.verify_label.setProperty("state", "broken")
        self.acted.emit(self.verify_label.text())


def _draft_from_file(
    engine: Engine, prompt: str, path: Path, *, actor: str, parent: str | None
) -> VersionInfo:
    spec, label = read_version_file(path)
    return create_draft(engine, prompt, spec, actor=actor, version=label, parent=parent)


def _quality_html(q: VersionQuality) -> str:
    e = html.escape
    if not q.judged:
        return f"<h4>Quality</h4><p>{count(q.samples, 'sample')}, no reviews yet.</p>"
    rows = [
        ("Satisfaction", q.satisfaction.percent()),
        *(
            [("Satisfaction, re-weighted", q.satisfaction_weighted.percent())]
            if q.satisfaction_weighted
            else []
        ),
        ("Mean rating", _mean(q.mean_rating, "{:.2f}")),
        ("Corrected", q.correction_rate.percent()),
        ("Overridden", q.override_rate.percent()),
        ("Tokens in", _mean(q.tokens_in, "{:,.0f}")),
        ("Tokens out", _mean(q.tokens_out, "{:,.0f}")),
        ("Latency (ms)", _mean(q.latency_ms, "{:,.0f}")),
        *((f"Failure: {c.name}", c.rate.percent()) for c in q.failure_categories),
    ]
    body = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in rows)
    return (
        f"<h4>Quality ({count(q.samples, 'sample')}, {q.judged:,} judged)</h4>"
        f"<table cellpadding='2'>{body}</table>"
    )


def _mean(m: Any, fmt: str) -> str:
    if not m.defined:
        return "n/a (n=0)"
    return f"{fmt.format(m.value)} ({fmt.format(m.low)}–{fmt.format(m.high)}, n={m.n:,})"
