"""Chat records for fine-tuning: build them, check them the way OpenAI's checker does, count.

`validate_chat_record` follows the format checks of OpenAI's fine-tuning data
preparation guide (cookbook "Data preparation and analysis for chat model
fine-tuning"): the record is an object with a `messages` list; each message has a
`role` and `content`, no unknown keys, a known role, text content; there is an
assistant message, and (our addition, the API refuses it) no empty assistant turn.
Error codes keep the guide's names so a reader can match them; `weight` (0 or 1, on
assistant messages) is checked as the fine-tuning API checks it.

Token counts are an estimate without a tokenizer (none ships offline): about four
characters per token for Latin text and one per character for CJK and other scripts,
plus the guide's per-message overhead. Good for budgets and "too long" checks, not
for billing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CHAT_ROLES",
    "MAX_TOKENS_PER_RECORD",
    "chat_messages",
    "estimate_tokens",
    "validate_chat_record",
]

CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MESSAGE_KEYS = frozenset({"role", "content", "name", "function_call", "tool_calls", "weight"})
# OpenAI's context for fine-tuning examples on current chat models.
MAX_TOKENS_PER_RECORD = 65_536
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3


def chat_messages(
    system_prompt: str | None,
    input_text: str,
    input_messages: Sequence[dict[str, Any]] | None,
) -> list[dict[str, Any]]:
    """The conversation before the answer: system prompt, then the input turns.

    Multi-turn inputs are kept turn by turn; a plain input becomes one user turn.
    """
    messages: list[dict[str, Any]] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    if input_messages:
        for message in input_messages:
            messages.append({"role": message.get("role"), "content": message.get("content")})
    else:
        messages.append({"role": "user", "content": input_text})
    return messages


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and "text" in part
        )
    return ""


def validate_chat_record(record: Any) -> list[str]:
    """The format errors of one fine-tuning record (empty when it is valid).

    Codes: data_type, missing_messages_list, message_not_object, message_missing_key,
    message_unrecognized_key, unrecognized_role, missing_content, bad_content_type,
    invalid_weight (OpenAI accepts `weight` 0 or 1, on assistant messages only),
    example_missing_assistant_message, empty_assistant_message.
    """
    if not isinstance(record, dict):
        return ["data_type"]
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        return ["missing_messages_list"]
    if _plainly_valid(messages):
        return []
    errors: list[str] = []

    def add(code: str) -> None:
        if code not in errors:
            errors.append(code)

    has_assistant = False
    for message in messages:
        if not isinstance(message, dict):
            add("message_not_object")
            continue
        if "role" not in message or "content" not in message:
            add("message_missing_key")
        if set(message) - MESSAGE_KEYS:
            add("message_unrecognized_key")
        role = message.get("role")
        if role not in CHAT_ROLES:
            add("unrecognized_role")
        content = message.get("content")
        has_calls = bool(message.get("function_call") or message.get("tool_calls"))
        if content is None and not has_calls:
            add("missing_content")
        elif content is not None and not _content_type_ok(content):
            add("bad_content_type")
        if "weight" in message and (
            role != "assistant"
            or type(message["weight"]) is not int
            or message["weight"] not in (0, 1)
        ):
            add("invalid_weight")
        if role == "assistant":
            has_assistant = True
            if not has_calls and not _text_of(content).strip():
                add("empty_assistant_message")
    if not has_assistant:
        add("example_missing_assistant_message")
    return errors


def _plainly_valid(messages: list[Any]) -> bool:
    """The common case at exporting speed: only role + text content, known roles, a
    non-empty assistant turn. False means "check in full", not "invalid"."""
    has_assistant = False
    for message in messages:
        if type(message) is not dict or len(message) != 2:
            return False
        role, content = message.get("role"), message.get("content")
        if type(content) is not str or role not in CHAT_ROLES:
            return False
        if role == "assistant":
            if not content.strip():
                return False
            has_assistant = True
    return has_assistant


def _content_type_ok(content: Any) -> bool:
    if isinstance(content, str):
        return True
    if isinstance(content, list) and content:
        return all(
            isinstance(part, dict)
            and part.get("type") == "text"
            and isinstance(part.get("text"), str)
            for part in content
        )
    return False


def _text_tokens(text: str) -> int:
    # ASCII averages ~4 characters per token in BPE vocabularies; other scripts are
    # closer to one token per character (CJK) or two (accented Latin, Cyrillic).
    if text.isascii():
        return (len(text) + 3) // 4
    # The ASCII characters survive an "ignore" encode: a count at C speed.
    ascii_chars = len(text.encode("ascii", "ignore"))
    other = len(text) - ascii_chars
    return (ascii_chars + 3) // 4 + other


def estimate_tokens(messages: Sequence[dict[str, Any]]) -> int:
    """Estimated prompt + completion tokens of a chat record (see the module docstring)."""
    total = TOKENS_PER_REPLY + TOKENS_PER_MESSAGE * len(messages)
    role_tokens = _ROLE_TOKENS
    for message in messages:
        content, role = message.get("content"), message.get("role")
        text = content if type(content) is str else _text_of(content)
        # `_text_tokens` inline for ASCII text, the common case (a million records).
        total += (len(text) + 3) // 4 if text.isascii() else _text_tokens(text)
        known = role_tokens.get(role) if type(role) is str else None
        total += known if known is not None else _text_tokens(str(role or ""))
        if "name" in message:
            total += TOKENS_PER_NAME
    return total


_ROLE_TOKENS = {role: _text_tokens(role) for role in CHAT_ROLES}
