"""The guidelines the dock shows: the shown sample's prompt's, cached per prompt and read
and saved in the background."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from sqlalchemy import Engine

from redline.prompts.guidelines import Guidelines, load_guidelines, save_guidelines
from redline.review.types import Changes
from redline.ui.changes import ChangeHub
from redline.ui.resources import guidelines_text
from redline.ui.tasks import TaskRunner
from redline.ui.widgets.guidelines_pane import GuidelinesPane

__all__ = ["GuidelinesSource"]


class GuidelinesSource(QObject):
    """Feeds a `GuidelinesPane`: `show(prompt)` shows that prompt's guidelines (from the
    cache, else read in a task), and the pane's saves are written on the writer.

    The cache empties when samples or the prompt catalog change (an import, a pull, the
    prompts page), since guidelines belong to the catalog.

    Signals:
        saved: the `Guidelines` just stored (already shown and announced on the hub).
        failed: the exception of a read or a save.
    """

    saved = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        engine: Engine,
        *,
        runner: TaskRunner,
        hub: ChangeHub,
        pane: GuidelinesPane,
        author: str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._runner = runner
        self._hub = hub
        self._pane = pane
        self._author = author
        self._cache: dict[str | None, Guidelines] = {}
        self._prompt: str | None = None
        pane.save_requested.connect(self._on_save_requested)
        hub.changed.connect(self._on_changes)

    def show(self, prompt_name: str | None) -> None:
        """Show the guidelines of `prompt_name` (None: the shipped default)."""
        self._prompt = prompt_name
        cached = self._cache.get(prompt_name)
        if cached is None and prompt_name is None:
            # No prompt, no catalog entry: the shipped default, no database read.
            cached = Guidelines(None, guidelines_text(None), stored=False, revision=0)
            self._cache[None] = cached
        if cached is not None:
            self._pane.show_guidelines(cached)
            return
        task = self._runner.submit(
            load_guidelines, self._engine, prompt_name, guidelines_text(prompt_name),
            key="guidelines",
        )  # fmt: skip
        task.signals.succeeded.connect(self._on_loaded)
        task.signals.failed.connect(self.failed.emit)

    def _on_loaded(self, guidelines: Guidelines) -> None:
        self._cache[guidelines.prompt_name] = guidelines
        if guidelines.prompt_name == self._prompt:
            self._pane.show_guidelines(guidelines)

    def _on_save_requested(self, prompt_name: str | None, text: str) -> None:
        task = self._runner.submit(
            save_guidelines, self._engine, prompt_name, text, author=self._author, write=True
        )
        task.signals.succeeded.connect(self._on_saved)
        task.signals.failed.connect(self.failed.emit)

    def _on_saved(self, guidelines: Guidelines) -> None:
        self._on_loaded(guidelines)
        # Guidelines belong to the prompt catalog: its pages show them too.
        self._hub.publish(Changes(prompts=True))
        self.saved.emit(guidelines)

    def _on_changes(self, changes: Changes) -> None:
        # Guidelines may have changed elsewhere (the prompts page, an import, a pull).
        if changes.samples or changes.prompts:
            self._cache.clear()
