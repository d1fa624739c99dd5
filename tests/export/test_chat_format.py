"""The OpenAI fine-tuning record check rejects each kind of broken record."""

from __future__ import annotations

from typing import Any

import pytest

from redline.export.chat_format import chat_messages, estimate_tokens, validate_chat_record

GOOD = {
    "messages": [
        {"role": "system", "content": "You are a support agent."},
        {"role": "user", "content": "How do I reset my password?"},
        {"role": "assistant", "content": "Open Settings → Account and choose Reset."},
    ]
}


def test_a_good_record_passes() -> None:
    assert validate_chat_record(GOOD) == []
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]},
                          {"role": "assistant", "content": "Hello!", "weight": 1}]}  # fmt: skip
    assert validate_chat_record(parts) == []


def _with(*messages: Any) -> dict[str, Any]:
    return {"messages": list(messages)}


USER = {"role": "user", "content": "Hi"}
ASSISTANT = {"role": "assistant", "content": "Hello"}


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (["not", "an", "object"], "data_type"),
        ("just text", "data_type"),
        ({"prompt": "Hi", "completion": "Hello"}, "missing_messages_list"),
        ({"messages": []}, "missing_messages_list"),
        ({"messages": "Hi"}, "missing_messages_list"),
        (_with("Hi", ASSISTANT), "message_not_object"),
        (_with({"content": "Hi"}, ASSISTANT), "message_missing_key"),
        (_with({"role": "user"}, ASSISTANT), "message_missing_key"),
        (_with({**USER, "mood": "happy"}, ASSISTANT), "message_unrecognized_key"),
        (_with({"role": "customer", "content": "Hi"}, ASSISTANT), "unrecognized_role"),
        (_with({"role": "user", "content": None}, ASSISTANT), "missing_content"),
        (_with({"role": "user", "content": 42}, ASSISTANT), "bad_content_type"),
        (
            _with({"role": "user", "content": [{"type": "image_url"}]}, ASSISTANT),
            "bad_content_type",
        ),
        (_with(USER), "example_missing_assistant_message"),
        (_with(USER, {**ASSISTANT, "weight": 2}), "invalid_weight"),
        (_with(USER, {**ASSISTANT, "weight": 0.5}), "invalid_weight"),
        (_with(USER, {**ASSISTANT, "weight": True}), "invalid_weight"),
        (_with({**USER, "weight": 0}, ASSISTANT), "invalid_weight"),
        (_with(USER, {"role": "assistant", "content": "   "}), "empty_assistant_message"),
        (_with(USER, {"role": "assistant", "content": ""}), "empty_assistant_message"),
    ],
)
def test_each_kind_of_broken_record_is_named(record: Any, code: str) -> None:
    assert code in validate_chat_record(record)


def test_multi_turn_inputs_keep_every_turn_after_the_system_prompt() -> None:
    turns = [
        {"role": "user", "content": "My invoice is wrong."},
        {"role": "assistant", "content": "Which invoice?"},
        {"role": "user", "content": "March."},
    ]
    messages = chat_messages("Be brief.", "ignored display text", turns)
    assert messages == [{"role": "system", "content": "Be brief."}, *turns]
    assert chat_messages(None, "Hello", None) == [{"role": "user", "content": "Hello"}]


def test_token_estimate_grows_with_text_and_counts_cjk_per_character() -> None:
    short = estimate_tokens(GOOD["messages"])
    assert 20 < short < 60
    english = estimate_tokens([{"role": "user", "content": "a" * 400}])
    japanese = estimate_tokens([{"role": "user", "content": "あ" * 400}])
    assert english < japanese
    assert 100 <= english <= 110
