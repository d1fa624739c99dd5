"""What changed between two prompt versions, word by word, for each part of a version.

Parameters and tools are compared as indented JSON with sorted keys, so a changed
temperature shows as one changed number, whatever order the keys were written in.
The word diff itself is the one corrections use too (`redline.textdiff.word_diff`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redline.prompts.catalog import VersionInfo
from redline.textdiff import DiffSegment, diff_stats, word_diff

__all__ = ["FieldDiff", "as_text", "version_diff"]

FIELDS = ("template", "variables", "parameters", "tools", "change_note")


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One part of a version: its text on each side and the word diff from old to new."""

    name: str
    old: str
    new: str
    segments: tuple[DiffSegment, ...]

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def summary(self) -> str:
        if not self.changed:
            return "unchanged"
        stats = diff_stats(list(self.segments))
        return f"+{stats.inserted_words} −{stats.deleted_words} words"


def as_text(value: Any) -> str:
    """A version part as text: strings as they are, everything else as stable JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _parts(version: VersionInfo) -> dict[str, str]:
    return {
        "template": version.template,
        "variables": ", ".join(version.variables),
        "parameters": as_text(version.parameters),
        "tools": as_text(list(version.tools)),
        "change_note": version.change_note,
    }


def version_diff(old: VersionInfo, new: VersionInfo) -> list[FieldDiff]:
    """The word diff of every part (template, variables, parameters, tools, change note)."""
    a, b = _parts(old), _parts(new)
    return [
        FieldDiff(name, a[name], b[name], tuple(word_diff(a[name], b[name]))) for name in FIELDS
    ]
