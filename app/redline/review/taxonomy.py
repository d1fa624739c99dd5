"""The failure categories a reviewer picks from (the team may edit the list in settings)."""

from __future__ import annotations

from redline.settings import Settings

DEFAULT_CATEGORIES: tuple[str, ...] = (
    "hallucination",
    "wrong language",
    "wrong format",
    "refusal",
    "unsafe",
    "incomplete",
    "off-topic",
    "tone",
)


def categories(settings: Settings | None = None) -> tuple[str, ...]:
    """The team's taxonomy from settings (blank entries and repeats dropped, order kept),
    or DEFAULT_CATEGORIES when it is empty."""
    configured = normalize(settings.taxonomy) if settings is not None else ()
    return configured or DEFAULT_CATEGORIES


def normalize(names: object) -> tuple[str, ...]:
    """Strip each name, drop blanks and repeats (case-insensitive), keep the first spelling."""
    if not isinstance(names, list | tuple):
        return ()
    seen: set[str] = set()
    result: list[str] = []
    for name in names:
        if not isinstance(name, str):
            continue
        cleaned = " ".join(name.split())
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            result.append(cleaned)
    return tuple(result)
