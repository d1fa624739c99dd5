"""One exported record per sample, per format, with PII already masked.

`Clean` is the redaction step (identity when redaction is off); every text that goes
into a record passes through it: system prompt, input turns, output, correction, note,
with a label saying which text it is (the redaction preview shows it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson

from redline.export.chat_format import chat_messages
from redline.export.types import Resolved, SampleRow

__all__ = [
    "TABLE_COLUMNS",
    "Clean",
    "approves_conversation",
    "dpo_record",
    "input_hash",
    "openai_record",
    "parquet_schema",
    "regression_record",
    "split_of",
    "table_record",
]

# (text, label) -> the text as written.
Clean = Callable[[str, str], str]


def input_hash(sample: SampleRow) -> str:
    """A hash of what the model was given (system prompt and input turns).

    Identical inputs hash alike whatever the output was: the key for de-duplication
    and for the train/validation split (so one input never lands in both).
    """
    turns = sample.input_messages or ({"role": "user", "content": sample.input_text},)
    data = orjson.dumps([sample.system_prompt or "", list(turns)], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def split_of(hash_hex: str, validation_ratio: float) -> str:
    """ "validation" for a stable `validation_ratio` share of hashes, else "train"."""
    if validation_ratio <= 0:
        return "train"
    return "validation" if int(hash_hex[:8], 16) / 0x1_0000_0000 < validation_ratio else "train"


def _prompt(sample: SampleRow, clean: Clean) -> list[dict[str, Any]]:
    if not sample.input_messages:
        # `chat_messages` for a plain input, in short (the common case, a million times).
        if sample.system_prompt:
            system = {"role": "system", "content": clean(sample.system_prompt, "system prompt")}
            return [system, {"role": "user", "content": clean(sample.input_text, "input")}]
        return [{"role": "user", "content": clean(sample.input_text, "input")}]
    messages = chat_messages(sample.system_prompt, sample.input_text, sample.input_messages)
    turn = 0
    for message in messages:
        if message["role"] == "system" and turn == 0 and sample.system_prompt:
            label = "system prompt"
        else:
            turn += 1
            label = f"input turn {turn}"
        if isinstance(message.get("content"), str):
            message["content"] = clean(message["content"], label)
    return messages


def approves_conversation(resolved: Resolved) -> bool:
    """Whether the reviewers approved a multi-turn sample's earlier assistant turns.

    A review judges the sample as the reviewer saw it, the whole conversation, with one
    verdict; there is no per-turn judgment. Only a resolved verdict of "good" approves
    what production said before the final answer (the correction then polishes an
    approved reply). A "bad" or "unsure" verdict, or none, judged the final answer
    wrong or unclear and said nothing for the turns before it.
    """
    return resolved.verdict == "good"


def openai_record(sample: SampleRow, resolved: Resolved, clean: Clean) -> dict[str, Any]:
    """`{"messages": [system, user..., assistant=correction]}`.

    The earlier assistant turns of a multi-turn input are production's answers: unless
    the reviewers approved the conversation (`approves_conversation`) they carry
    `"weight": 0`, so OpenAI's fine-tuning does not train on them. The final turn, the
    correction, has no weight key: OpenAI trains on it (weight 1 is the default).
    """
    messages = _prompt(sample, clean)
    if sample.input_messages and not approves_conversation(resolved):
        for message in messages:
            if message["role"] == "assistant":
                message["weight"] = 0
    messages.append(
        {"role": "assistant", "content": clean(resolved.correction or "", "correction")}
    )
    return {"messages": messages}


def dpo_record(sample: SampleRow, resolved: Resolved, clean: Clean) -> dict[str, Any]:
    """TRL's conversational preference format: prompt, chosen (the correction),
    rejected (the original output)."""
    return {
        "prompt": _prompt(sample, clean),
        "chosen": [
            {"role": "assistant", "content": clean(resolved.correction or "", "correction")}
        ],
        "rejected": [{"role": "assistant", "content": clean(sample.output, "output")}],
    }


def regression_record(sample: SampleRow, resolved: Resolved, clean: Clean) -> dict[str, Any]:
    """An evaluation case: the input and the reference answer a new version must match.

    The reference is the correction, or the original output where reviewers judged it
    good, or null where they judged it bad without writing a better answer (still a case
    the next version must fix: its output is judged when it comes back).
    `original_output` and `verdict` say what production did; `id` is the case id that
    `redline prompts regression import` matches the new outputs by.
    """
    if resolved.correction:
        reference: str | None = clean(resolved.correction, "correction")
    elif resolved.verdict == "good":
        reference = clean(sample.output, "output")
    else:
        reference = None
    return {
        "id": str(sample.id),
        "external_id": sample.external_id,
        "prompt_name": sample.prompt_name,
        "prompt_version": sample.prompt_version,
        "messages": _prompt(sample, clean),
        "reference": reference,
        "original_output": clean(sample.output, "output"),
        "verdict": resolved.verdict,
        "categories": list(resolved.categories),
    }


TABLE_COLUMNS = [
    "sample_id", "external_id", "source", "captured_at", "model", "prompt_name",
    "prompt_version", "variant", "language", "system_prompt", "input_text",
    "input_messages", "output", "score", "decision", "verdict", "rating", "categories",
    "note", "correction", "flagged", "adjudicated", "agreement", "review_count",
    "reviewers", "time_spent_ms", "reviewed_at", "reviews", "input_hash", "split",
]  # fmt: skip


def table_record(
    sample: SampleRow, resolved: Resolved, clean: Clean, *, hash_hex: str, split: str
) -> dict[str, Any]:
    """One row with the sample, the resolved review and every individual review.

    Values keep their types (times as aware UTC datetimes, turns and reviews as lists
    of dicts): Parquet stores them as timestamp and list<struct> columns, CSV writes
    them as ISO 8601 and JSON text (`redline.export.writers.CsvSink`).
    """
    primary = resolved.primary
    messages = (
        [{"role": m.get("role"), "content": clean(str(m.get("content", "")), f"input turn {n}")}
         for n, m in enumerate(sample.input_messages, 1)]
        if sample.input_messages
        else None
    )  # fmt: skip
    reviews = []
    for review in sample.reviews:
        values = review._asdict()
        del values["updated_raw"]
        values["categories"] = list(review.categories)
        by = f"review by {review.reviewer}: "
        values["note"] = clean(review.note, by + "note")
        values["correction"] = (
            clean(review.correction, by + "correction") if review.correction else None
        )
        values["updated_at"] = review.updated_at
        reviews.append(values)
    return {
        "sample_id": str(sample.id),
        "external_id": sample.external_id,
        "source": sample.source,
        "captured_at": sample.captured_at,
        "model": sample.model,
        "prompt_name": sample.prompt_name,
        "prompt_version": sample.prompt_version,
        "variant": sample.variant,
        "language": sample.language,
        "system_prompt": (
            clean(sample.system_prompt, "system prompt") if sample.system_prompt else None
        ),
        "input_text": clean(sample.input_text, "input"),
        "input_messages": messages,
        "output": clean(sample.output, "output"),
        "score": sample.score,
        "decision": sample.decision,
        "verdict": resolved.verdict,
        "rating": primary.rating,
        "categories": list(resolved.categories),
        "note": clean(primary.note, "note"),
        "correction": clean(primary.correction, "correction") if primary.correction else None,
        "flagged": resolved.flagged,
        "adjudicated": resolved.adjudicated,
        "agreement": resolved.agreement,
        "review_count": len(sample.reviews),
        "reviewers": [r.reviewer for r in sample.reviews],
        "time_spent_ms": sum(r.time_spent_ms for r in sample.reviews),
        "reviewed_at": primary.updated_at,
        "reviews": reviews,
        "input_hash": hash_hex,
        "split": split,
    }


def parquet_schema() -> Any:
    """The Arrow schema of `table_record` rows (fixed, so every row group matches).

    Times are UTC timestamps, input turns list<struct<role, content>> and reviews
    list<struct<reviewer, verdict, ...>>, so `datasets` and pandas give real columns.
    """
    import pyarrow as pa

    text = pa.string()
    utc = pa.timestamp("us", tz="UTC")
    review = pa.struct(
        [
            ("reviewer", text),
            ("verdict", text),
            ("rating", pa.int32()),
            ("categories", pa.list_(text)),
            ("note", text),
            ("correction", text),
            ("flagged", pa.bool_()),
            ("adjudicated", pa.bool_()),
            ("time_spent_ms", pa.int64()),
            ("updated_at", utc),
        ]
    )
    types = {
        "captured_at": utc,
        "reviewed_at": utc,
        "input_messages": pa.list_(pa.struct([("role", text), ("content", text)])),
        "reviews": pa.list_(review),
        "score": pa.float64(),
        "rating": pa.int32(),
        "categories": pa.list_(text),
        "reviewers": pa.list_(text),
        "flagged": pa.bool_(),
        "adjudicated": pa.bool_(),
        "agreement": pa.int32(),
        "review_count": pa.int32(),
        "time_spent_ms": pa.int64(),
    }
    return pa.schema([(name, types.get(name, text)) for name in TABLE_COLUMNS])
