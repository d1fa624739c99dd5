"""`redline import --explain FILE`: what an import would do, without writing anything.

Says which format and record shape were recognised (a plain production log, or a
tool's export: Langfuse, LangSmith, OpenTelemetry GenAI, OpenAI Batch, Hugging Face
datasets), the mapping that would be used (detected, the source's saved mapping, the
user's overrides), and the first records as they would be stored, or why not.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from redline.errors import RedlineError

# The import's own detection and reading, so the preview is exactly what it would do.
from redline.ingest.detection import detect, open_records, require_fields
from redline.ingest.mapping import BadRecord, Mapper, merge
from redline.ingest.readers import TruncatedFileError, sniff
from redline.ingest.service import default_source
from redline.store.models import SourceMapping
from redline.store.session import session_scope

PREVIEW_RECORDS = 5
_SHOWN_CHARS = 70

_PLAIN_SHAPES = {
    "flat": "plain production records",
    "openai_chat": "OpenAI chat records (messages)",
    "chat_log": "chat-completion request/response logs",
}


@dataclass(frozen=True)
class PreviewRecord:
    """One previewed sample: its line and fields as they would be stored, or a problem."""

    line: int
    values: dict[str, Any]
    problem: str | None = None


@dataclass(frozen=True)
class Explanation:
    """What importing a file would do."""

    file: str
    format: str
    shape: str
    shape_label: str
    source: str
    mapping: dict[str, str]
    saved_mapping: bool
    """Whether the source's saved mapping (from an earlier import) takes part."""
    preview: tuple[PreviewRecord, ...]
    skipped: dict[str, int]
    """Record parts skipped as not samples, within the previewed lines."""


def explain_file(
    path: Path,
    *,
    engine: Engine | None = None,
    source: str | None = None,
    mapping: dict[str, str] | None = None,
    companions: Sequence[Path] = (),
    limit: int = PREVIEW_RECORDS,
) -> Explanation:
    """Recognise a file and preview its first records, writing nothing.

    Args:
        engine: the store, read for the source's saved mapping (None: no store yet).
        source, mapping, companions: as for `import_file`.
        limit: how many records to preview.

    Raises:
        RedlineError: as `import_file` would, for a file it would refuse.
    """
    path = Path(path)
    kind = sniff(path)
    source = (source or default_source(path)).strip()
    detection = detect(path, kind, companions)
    if detection.problems:
        raise RedlineError(
            "no record in the first lines could be read: " + "; ".join(detection.problems),
            where=str(path),
        )
    saved: dict[str, str] | None = None
    if engine is not None:
        with session_scope(engine) as session:
            row = session.get(SourceMapping, source)
            saved = dict(row.mapping) if row is not None else None
    base = merge(detection.mapping, saved) if saved else detection.mapping
    final = merge(base, mapping or {})
    require_fields(final, detection.shape, path, detection.fields)
    tool = detection.tool
    mapper = Mapper(final)
    preview: list[PreviewRecord] = []
    with open_records(path, kind, expand=tool) as opened:
        try:
            for raw in opened.records:
                # A JSON document's element is shown at the file line it starts on.
                line = raw.file_line or raw.line
                preview.append(_preview(mapper, line, raw.value, raw.error))
                if len(preview) >= limit:
                    break
        except TruncatedFileError as exc:
            preview.append(PreviewRecord(exc.line + 1, {}, f"the file is truncated ({exc.detail})"))
    return Explanation(
        file=str(path),
        format=kind.format + (".gz" if kind.compressed else ""),
        shape=detection.shape,
        shape_label=tool.shape.label if tool else _PLAIN_SHAPES.get(detection.shape, ""),
        source=source,
        mapping=final,
        saved_mapping=bool(saved),
        preview=tuple(preview),
        skipped=dict(tool.skipped) if tool else {},
    )


def _preview(mapper: Mapper, line: int, value: Any, error: str | None) -> PreviewRecord:
    if value is None:
        return PreviewRecord(line, {}, error or "unreadable")
    try:
        mapped = mapper.map(value)
    except BadRecord as exc:
        return PreviewRecord(line, {}, str(exc))
    values: dict[str, Any] = {}
    for f in fields(mapped):
        value = getattr(mapped, f.name)
        if value in (None, "", {}, []):
            continue
        if f.name == "input_messages" and len(value) == 1:
            continue  # the lone message is the input text shown
        if f.name == "segments":
            values.update({f"segments.{key}": item for key, item in value.items()})
        else:
            values[f.name] = value.isoformat() if isinstance(value, datetime) else value
    return PreviewRecord(line, values)


def show(value: Any, width: int = _SHOWN_CHARS) -> str:
    """A value for the terminal: invisible and control characters made visible, cut short.

    Zero-width, bidi and control characters are shown as escapes (\\u200b) so the
    reader sees what is there; the stored text keeps them as they are.
    """
    text = value if isinstance(value, str) else repr(value)
    shown = "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in text[: width * 2]
    )
    if len(shown) > width or len(text) > width * 2:
        return f"{shown[:width]}… ({len(text):,} characters)"
    return shown


_FORMATS = {
    "json": "json (one document: each element of its array of records is a record)",
    "json.gz": "json.gz (one document: each element of its array of records is a record)",
}


def render(explanation: Explanation) -> str:
    """The explanation as text for the terminal."""
    lines = [
        f"{explanation.file}: {_FORMATS.get(explanation.format, explanation.format)}, "
        f"{explanation.shape_label} "
        f"(shape {explanation.shape})",
        f"source: {explanation.source}"
        + (
            " (its saved mapping from an earlier import applies)"
            if explanation.saved_mapping
            else ""
        ),
        "mapping (sample field <- record field):",
    ]
    width = max((len(name) for name in explanation.mapping), default=0)
    lines += [f"  {name:<{width}} <- {path}" for name, path in explanation.mapping.items()]
    lines.append("first records, as they would be stored:")
    for record in explanation.preview:
        if record.problem is not None:
            lines.append(f"  line {record.line}: problem: {record.problem}")
            continue
        lines.append(f"  line {record.line}:")
        name_width = max(len(name) for name in record.values)
        lines += [
            f"    {name:<{name_width}}  {show(value)}" for name, value in record.values.items()
        ]
    if explanation.skipped:
        parts = ", ".join(f"{n:,} × {kind}" for kind, n in sorted(explanation.skipped.items()))
        lines.append(f"skipped as not samples (in these lines): {parts}")
    lines.append("nothing was written (this was --explain)")
    return "\n".join(lines)


def explain_command(
    path: Path,
    store: Path,
    source: str | None,
    mapping: dict[str, str],
    companions: Sequence[Path],
) -> int:
    """`redline import --explain`: print the explanation; the store is only read, if any."""
    from redline.store.local import open_read_only

    engine = open_read_only(store) if store.exists() else None
    try:
        explanation = explain_file(
            path, engine=engine, source=source, mapping=mapping, companions=companions
        )
    finally:
        if engine is not None:
            engine.dispose()
    print(render(explanation))
    return 0
