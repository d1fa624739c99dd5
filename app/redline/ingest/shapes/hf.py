"""Hugging Face dataset shapes for preference and feedback data (JSONL or Parquet).

- **Preference pairs**: ``chosen`` / ``rejected`` (with or without ``prompt``), as
  Anthropic HH-RLHF transcripts (``"\\n\\nHuman: ...\\n\\nAssistant: ..."``), as message
  lists (UltraFeedback binarized, TRL's conversational format) or as plain answers
  beside a ``prompt``. Each pair becomes two samples with the same input and the same
  session id (the pair id), ``hf.preference`` = chosen / rejected: ready for pairwise
  review. ``score_chosen`` / ``score_rejected`` come along as ``hf.rating``.
- **UltraFeedback** (raw): an ``instruction`` with rated ``completions``; each
  completion is a sample with its model, and its ratings as ``ultrafeedback.*`` segments.
- **OpenAssistant** (oasst1/oasst2): message rows (``message_id``, ``parent_id``, ``role``
  prompter/assistant) or whole trees (``message_tree_id`` + nested ``prompt`` with
  ``replies``). Each assistant message is a sample whose input is the conversation
  above it; its labels, rank and review result come along as ``oasst.*`` segments and
  its +1/-1 emoji counts as the thumbs signal. Prompter rows are context, skipped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from redline.ingest.shapes.common import (
    Flat,
    Flattener,
    Items,
    Reject,
    Skip,
    ToolShape,
    add_segments,
    as_input,
    checked,
    first,
    label,
    messages_of,
    scalar,
    stateless,
    time_text,
)

# HH-RLHF transcripts: turns start with a blank line and the speaker.
_TURN = re.compile(r"\n\n(Human|Assistant): ?")
_HH_ROLES = {"Human": "user", "Assistant": "assistant"}


def _digest(value: Any) -> str:
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(data, digest_size=8).hexdigest()


# --------------------------------------------------------------------------- pairs


def is_pair(record: dict[str, Any]) -> bool:
    return "chosen" in record and "rejected" in record


def _transcript(text: str) -> list[dict[str, str]] | None:
    """An HH-RLHF transcript as messages, or None when `text` is not one."""
    parts = _TURN.split(text)
    if len(parts) < 3 or parts[0].strip():
        return None
    return [
        {"role": _HH_ROLES[speaker], "content": content}
        for speaker, content in zip(parts[1::2], parts[2::2], strict=True)
    ]


def _split(value: Any, prompt: Any) -> tuple[Any, str | None]:
    """(input, answer) of one side of a pair."""
    messages = _transcript(value) if isinstance(value, str) else messages_of(value)
    if messages is None:
        return as_input(prompt), value if isinstance(value, str) else None
    if not messages or messages[-1]["role"] != "assistant":
        return None, None
    before = messages[:-1]
    return (before if before else as_input(prompt)), messages[-1]["content"]


def flatten_pair(record: dict[str, Any]) -> Items:
    prompt = record.get("prompt")
    chosen_input, chosen = _split(record["chosen"], prompt)
    rejected_input, rejected = _split(record["rejected"], prompt)
    if chosen_input is None:
        yield Reject("the chosen answer has no prompt: expected a prompt field, a "
                     "Human/Assistant transcript or a list of messages")  # fmt: skip
        return
    if rejected_input is not None and rejected_input != chosen_input:
        yield Reject("chosen and rejected continue different conversations")
        return
    pair_id = label(first(record.get("prompt_id"), record.get("id"))) or _digest(chosen_input)
    for which, answer in (("chosen", chosen), ("rejected", rejected)):
        segments: dict[str, Any] = {"source_tool": "huggingface", "hf.preference": which}
        add_segments(segments, "hf", {"pair_id": pair_id, "rating": record.get(f"score_{which}")})
        yield checked(
            {
                "external_id": f"{pair_id}:{which}",
                "session_id": pair_id,
                "input": chosen_input,
                "output": answer,
                "segments": segments,
            }
        )


# --------------------------------------------------------------------------- UltraFeedback


def is_ultrafeedback(record: dict[str, Any]) -> bool:
    return isinstance(record.get("instruction"), str) and isinstance(
        record.get("completions"), list
    )


def flatten_ultrafeedback(record: dict[str, Any]) -> Items:
    instruction = record["instruction"]
    group = label(record.get("id")) or _digest(instruction)
    for index, completion in enumerate(record["completions"]):
        if not isinstance(completion, dict):
            yield Reject(f"completion {index + 1} is not an object")
            continue
        segments: dict[str, Any] = {"source_tool": "huggingface"}
        ratings = {
            aspect: _rating(annotation)
            for aspect, annotation in (completion.get("annotations") or {}).items()
        }
        add_segments(
            segments,
            "ultrafeedback",
            {
                "source": record.get("source"),
                "overall_score": completion.get("overall_score"),
                "fine_grained_score": completion.get("fine-grained_score"),
                "principle": completion.get("principle"),
                **ratings,
            },
        )
        system = completion.get("custom_system_prompt")
        yield checked(
            {
                "external_id": f"{group}:{index}",
                "session_id": group,
                "model": label(completion.get("model")),
                "system_prompt": system if isinstance(system, str) and system else None,
                "input": instruction,
                "output": completion.get("response"),
                "segments": segments,
            }
        )


def _rating(annotation: Any) -> Any:
    """An UltraFeedback aspect's rating ("4" -> 4; "N/A" stays text)."""
    if isinstance(annotation, list) and annotation:
        annotation = annotation[0]
    value = annotation.get("Rating") if isinstance(annotation, dict) else annotation
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return scalar(value)


# --------------------------------------------------------------------------- OpenAssistant

_OASST_ROLES = {"prompter": "user", "assistant": "assistant"}


def is_oasst_row(record: dict[str, Any]) -> bool:
    return (
        "message_id" in record
        and "parent_id" in record
        and record.get("role") in _OASST_ROLES
        and "text" in record
    )


def is_oasst_tree(record: dict[str, Any]) -> bool:
    return "message_tree_id" in record and isinstance(record.get("prompt"), dict)


def is_oasst(record: dict[str, Any]) -> bool:
    return is_oasst_row(record) or is_oasst_tree(record)


def _oasst_sample(
    message: dict[str, Any], history: list[dict[str, str]], tree: Any
) -> Flat | Reject:
    segments: dict[str, Any] = {"source_tool": "huggingface"}
    labels = message.get("labels") or {}
    names, values = labels.get("name") or [], labels.get("value") or []
    emojis = message.get("emojis") or {}
    emoji_counts = dict(zip(emojis.get("name") or [], emojis.get("count") or [], strict=False))
    add_segments(
        segments,
        "oasst",
        {
            "rank": message.get("rank"),
            "review_result": message.get("review_result"),
            "deleted": message.get("deleted") or None,
            "synthetic": message.get("synthetic") or None,
            "tree_state": message.get("tree_state"),
            **dict(zip(names, values, strict=False)),
            **{f"emoji.{name}": n for name, n in emoji_counts.items()},
        },
    )
    ups, downs = emoji_counts.get("+1", 0), emoji_counts.get("-1", 0)
    return checked(
        {
            "external_id": label(message.get("message_id")),
            "captured_at": time_text(message.get("created_date")),
            "model": label(message.get("model_name")),
            "session_id": label(tree),
            "language": message.get("lang") or None,
            "input": list(history),
            "output": message.get("text"),
            "signal_thumbs": 1 if ups > downs else -1 if downs > ups else None,
            "segments": segments,
        }
    )


class _OasstRows:
    """Message rows: each assistant row's conversation is rebuilt from its ancestors.

    Rows of one tree come together (as the dataset is published), so only the
    current tree's messages are kept: memory stays bounded by the largest tree.
    """

    def __init__(self) -> None:
        self.tree: Any = None
        self.messages: dict[str, tuple[Any, str, str]] = {}

    def __call__(self, record: dict[str, Any]) -> Items:
        if is_oasst_tree(record):
            yield from _walk(record["prompt"], [], record.get("message_tree_id"))
            return
        tree = record.get("message_tree_id")
        if tree != self.tree:
            self.tree, self.messages = tree, {}
        role = _OASST_ROLES[record["role"]]
        text = record.get("text")
        self.messages[str(record["message_id"])] = (record.get("parent_id"), role, text or "")
        if role != "assistant":
            yield Skip("prompter message")
            return
        history: list[dict[str, str]] = []
        parent = record.get("parent_id")
        while parent is not None:
            found = self.messages.get(str(parent))
            if found is None:
                yield Reject(
                    f"the conversation above message {record['message_id']} is incomplete: "
                    f"its ancestor {parent} is not in the rows before it"
                )
                return
            parent, parent_role, parent_text = found
            history.append({"role": parent_role, "content": parent_text})
        history.reverse()
        yield _oasst_sample(record, history, tree)


def _walk(
    node: dict[str, Any], history: list[dict[str, str]], tree: Any
) -> Iterator[Flat | Skip | Reject]:
    role = _OASST_ROLES.get(str(node.get("role")))
    if role is None:
        yield Reject(f"message {node.get('message_id')} has an unknown role {node.get('role')!r}")
        return
    if role == "assistant":
        yield _oasst_sample(node, history, tree)
    else:
        yield Skip("prompter message")
    here = [*history, {"role": role, "content": str(node.get("text") or "")}]
    for reply in node.get("replies") or ():
        if isinstance(reply, dict):
            yield from _walk(reply, here, tree)


def _prepare_oasst(path: Any, companions: Any) -> Callable[[], Flattener]:
    stateless(lambda record: iter(()))(path, companions)  # refuses companions alike
    return _OasstRows


PAIRS = ToolShape(
    name="hf_preference",
    label="Hugging Face preference pairs (chosen/rejected)",
    matches=is_pair,
    prepare=stateless(flatten_pair),
    fields=("external_id", "session_id", "input", "output", "segments"),
)
ULTRAFEEDBACK = ToolShape(
    name="hf_ultrafeedback",
    label="UltraFeedback rated completions",
    matches=is_ultrafeedback,
    prepare=stateless(flatten_ultrafeedback),
    fields=("external_id", "session_id", "model", "system_prompt", "input", "output", "segments"),
)
OASST = ToolShape(
    name="hf_oasst",
    label="OpenAssistant conversation trees",
    matches=is_oasst,
    prepare=_prepare_oasst,
    fields=(
        "external_id", "captured_at", "model", "session_id", "language", "input", "output",
        "signal_thumbs", "segments",
    ),
)  # fmt: skip
