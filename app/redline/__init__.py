"""Redline: a desktop review workstation for LLM applications in production."""

__version__ = "0.1.0"
