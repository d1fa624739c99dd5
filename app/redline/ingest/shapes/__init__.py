"""Exports of the tools teams already run, recognised by their content.

Each tool's module describes one shape: how to tell its records apart (`matches`) and
how to flatten one record into samples. Tool exports are rarely one record per
sample (a Langfuse trace holds several generations, an OTLP line many spans, a
preference pair two answers), so a recognised file goes through a `ToolImport`, an
*expander* between the reader and the mapping: it turns each read record into the
flat records of its samples, whose keys are Sample field names, so the mapping is
the identity (and `--map` can still override it, on the flattened record).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from redline.errors import RedlineError
from redline.ingest.records import RawRecord
from redline.ingest.shapes import hf, langfuse, langsmith, openai_batch, otel
from redline.ingest.shapes.common import (
    ExportError,
    Flat,
    Flattener,
    Reject,
    Skip,
    ToolShape,
)

SHAPES: tuple[ToolShape, ...] = (
    openai_batch.SHAPE,
    langsmith.SHAPE,
    langfuse.SHAPE,
    otel.SHAPE,
    hf.PAIRS,
    hf.ULTRAFEEDBACK,
    hf.OASST,
)
"""Every known tool shape, most specific first (a record takes the first that matches)."""


def shape_of(record: dict[str, Any]) -> ToolShape | None:
    """The tool shape a record belongs to, or None for a plain production record."""
    for shape in SHAPES:
        if shape.matches(record):
            return shape
    return None


def recognise(
    records: Sequence[dict[str, Any]], *, path: Path, companions: Sequence[Path] = ()
) -> ToolImport | None:
    """The tool export the first records of a file belong to, or None for plain records.

    Raises:
        RedlineError: the records mix several tools' exports, or a companion file
            was given for a shape that takes none (or is missing where one is needed).
    """
    seen: dict[str, tuple[ToolShape, int]] = {}
    plain = 0
    for number, record in enumerate(records, start=1):
        shape = shape_of(record)
        if shape is None:
            plain += 1
        elif shape.name not in seen:
            seen[shape.name] = (shape, number)
    tools = sorted(seen.values(), key=lambda found: found[1])
    if len(tools) > 1:
        kinds = " and ".join(f"{shape.label} (record {n})" for shape, n in tools[:3])
        raise RedlineError(
            f"the file mixes {kinds}",
            where=str(path),
            hint="import each tool's export as a file of its own",
        )
    if not tools or plain > sum(1 for r in records if shape_of(r) is not None):
        if companions:
            raise RedlineError(
                "--with joins an OpenAI Batch input file with its output file; this file "
                "is not an OpenAI Batch file",
                where=str(path),
            )
        return None
    shape = tools[0][0]
    return ToolImport(shape, shape.prepare(path, companions))


@dataclass
class ToolImport:
    """A recognised tool export: its mapping, and the expander the import reads through.

    Calling it on the reader's records yields the records of its samples: each
    sample a RawRecord with the flat record as value, each part that cannot become a
    sample a RawRecord with the reason as error (so it lands in the bad-row report
    with its line), and parts that are not samples at all (embedding spans, tool
    runs...) are counted in `skipped`, not reported as errors.
    """

    shape: ToolShape
    new_flattener: Callable[[], Flattener]
    skipped: Counter[str] = field(default_factory=Counter)
    resume_line: int = 0
    """The line the import resumes after (0: from the start); see resuming_after."""

    @property
    def mapping(self) -> dict[str, str]:
        """Sample field -> flat record key: the identity over the shape's fields."""
        return {name: name for name in self.shape.fields}

    def __call__(self, records: Iterator[RawRecord]) -> Iterator[RawRecord]:
        # Counts are per pass: the import pass (or an explain preview) reports its own.
        self.skipped = Counter()
        flatten = self.new_flattener()
        for raw in records:
            value = raw.value
            if value is None:
                yield raw
                continue
            if not self.shape.matches(value):
                other = shape_of(value)
                what = f"it looks like {other.label}" if other else "its fields do not match"
                reason = f"not {self.shape.label} ({what})"
                yield RawRecord(raw.line, None, raw.raw, reason, file_line=raw.file_line)
                continue
            try:
                items = list(flatten(value))
            except ExportError as exc:
                yield RawRecord(raw.line, None, raw.raw, str(exc), file_line=raw.file_line)
                continue
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                # A field of an unexpected type deep in the record: one bad line must
                # not cost the good ones, so it is reported like any other bad row.
                reason = f"not a well-formed record of {self.shape.label} ({exc!r})"
                yield RawRecord(raw.line, None, raw.raw, reason, file_line=raw.file_line)
                continue
            yield from self._records(raw, items)

    def _records(self, raw: RawRecord, items: list[Flat | Skip | Reject]) -> Iterator[RawRecord]:
        # A commit may fall between two samples of one line, so the line an import
        # resumes after may be only partly imported: it is read again, and its samples
        # numbered past it so they are written (those already in count as duplicates).
        line = raw.line + 1 if raw.line == self.resume_line else raw.line
        for item in items:
            if isinstance(item, Skip):
                self.skipped[item.kind] += 1
            elif isinstance(item, Reject):
                yield RawRecord(line, None, raw.raw, item.reason, file_line=raw.file_line)
            else:
                flat = orjson.dumps(item, default=str)
                yield RawRecord(line, item, flat, file_line=raw.file_line)

    def resuming_after(self, resume_line: int, skip: int) -> int:
        """Prepare a pass that resumes after `resume_line`; returns the lines to skip.

        The resume line itself is read again (see _records), so one line fewer is skipped.
        """
        self.resume_line = resume_line
        return max(0, skip - 1)

    def summary(self) -> str:
        """What was skipped as not being samples, for the import report ("" if nothing)."""
        if not self.skipped:
            return ""
        parts = [f"{n:,} {kind}{'' if n == 1 else 's'}" for kind, n in sorted(self.skipped.items())]
        return "skipped (not samples): " + ", ".join(parts)


__all__ = ["SHAPES", "ToolImport", "ToolShape", "recognise", "shape_of"]
