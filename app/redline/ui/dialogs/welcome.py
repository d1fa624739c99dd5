"""First run on an empty store: start from the demo, a file, or the team's database."""

from __future__ import annotations

from typing import Literal

from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["WelcomeChoice", "WelcomeDialog"]

WelcomeChoice = Literal["demo", "import", "connect", "empty"]


class WelcomeDialog(QDialog):
    """Three ways in, one click each; "Start empty" (or Esc) goes straight to the window."""

    def __init__(self, parent: QWidget | None = None, *, can_connect: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeDialog")
        self.setWindowTitle("Welcome to Redline")
        self.choice: WelcomeChoice = "empty"
        intro = QLabel(
            "<b>Review what your LLM application does in production.</b><br>"
            "Your store is empty. Where would you like to start?"
        )
        intro.setWordWrap(True)
        self.demo_button = QCommandLinkButton(
            "Explore the demo data",
            "5,000 realistic production samples with prompts, an A/B test and teammates' "
            "reviews, to try every screen.",
        )
        self.demo_button.setObjectName("welcomeDemo")
        self.import_button = QCommandLinkButton(
            "Import a file…",
            "Production outputs as JSONL, CSV or Parquet (or gzip of them). "
            "You can also drop a file on the window later.",
        )
        self.import_button.setObjectName("welcomeImport")
        self.connect_button = QCommandLinkButton(
            "Connect to a team database…",
            "Your team's shared PostgreSQL: pull the samples to review and share your work.",
        )
        self.connect_button.setObjectName("welcomeConnect")
        self.connect_button.setVisible(can_connect)
        self.empty_button = QPushButton("Start with an empty store")
        self.empty_button.setObjectName("welcomeEmpty")
        self.empty_button.setAutoDefault(False)
        for button, choice in (
            (self.demo_button, "demo"),
            (self.import_button, "import"),
            (self.connect_button, "connect"),
            (self.empty_button, "empty"),
        ):
            button.clicked.connect(lambda _=False, c=choice: self._choose(c))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.demo_button)
        layout.addWidget(self.import_button)
        layout.addWidget(self.connect_button)
        layout.addWidget(self.empty_button)
        self.demo_button.setFocus()

    def _choose(self, choice: WelcomeChoice) -> None:
        self.choice = choice
        self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None = None, *, can_connect: bool = True) -> WelcomeChoice:
        dialog = cls(parent, can_connect=can_connect)
        try:
            dialog.exec()
            return dialog.choice
        finally:
            dialog.deleteLater()
