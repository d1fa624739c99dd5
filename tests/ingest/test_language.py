"""The language guess: ≥ 97 % right on short multilingual texts, no guess when unsure."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.ingest.helpers import samples, write_jsonl
from tests.ingest.language_sentences import SENTENCES

from redline.ingest import language
from redline.ingest.language import guess_input_language, guess_language
from redline.ingest.service import import_file


def test_the_test_set_is_big_varied_and_mixed() -> None:
    codes = {code for code, _ in SENTENCES}
    assert len(SENTENCES) >= 200
    assert len(codes) >= 10
    assert {"ja", "zh", "ko"} <= codes
    assert len({text for _, text in SENTENCES}) == len(SENTENCES)


def test_at_least_97_percent_of_short_multilingual_texts_are_right() -> None:
    wrong = [(code, guess_language(text), text) for code, text in SENTENCES]
    wrong = [item for item in wrong if item[0] != item[1]]
    assert len(wrong) <= len(SENTENCES) * 0.03, wrong


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("I need a refund for a broken lamp.", "en"),
        ("Can I get a new card sent to a different address?", "en"),
        ("Il a oublié son mot de passe.", "fr"),
        ("Elle a reçu un colis abîmé.", "fr"),
        ("Is the sushi place near Shinjuku open late? ありがとう", "en"),
        (
            "user: Where is the station?\n\nassistant: Turn left at the bank, 駅 is there."
            "\n\nuser: Thanks, and is it far?",
            "en",
        ),
        ("ラーメンを食べたい", "ja"),
        ("我想吃拉面", "zh"),
    ],
)
def test_articles_and_a_stray_kana_do_not_flip_the_language(text: str, code: str) -> None:
    assert guess_language(text) == code


@pytest.mark.parametrize("text", ["ok", "Merci!", "a", "42", "??", "", "ja", "はい"])
def test_too_short_texts_get_no_language(text: str) -> None:
    assert guess_language(text) is None


def test_an_undecided_detector_gives_no_language(monkeypatch: pytest.MonkeyPatch) -> None:
    # Words of several languages, and a detector with no clear winner: no guess.
    monkeypatch.setattr(language, "_detect", lambda sample: None)
    assert guess_language("Resume este artigo") is None


def test_the_detector_reads_the_bundled_model_and_never_downloads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the language detector tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    language._detector.cache_clear()
    try:
        assert language._detect("Vorrei disdire il mio abbonamento.") == "it"
    finally:
        language._detector.cache_clear()
    model = language._bundled_model()
    assert model is not None and model.name == "lid.176.ftz"
    assert model.stat().st_size < 2_000_000


def test_a_chat_is_guessed_from_the_user_turns_not_the_roles() -> None:
    messages = [
        {"role": "user", "content": "Bonjour, où est ma commande ?"},
        {"role": "assistant", "content": "Elle arrive demain."},
        {"role": "user", "content": "Merci, et le numéro de suivi ?"},
    ]
    rendered = "\n\n".join(f"{m['role']}: {m['content']}" for m in messages)
    assert guess_input_language(rendered, messages) == "fr"


def test_a_short_input_never_takes_the_outputs_language(engine: Engine, tmp_path: Path) -> None:
    records = [
        {"id": "1", "input": "ok", "output": "Très bien, je m'en occupe tout de suite."},
        {"id": "2", "input": "Danke", "output": "Gern geschehen, bis bald!"},
    ]
    import_file(write_jsonl(tmp_path / "short.jsonl", records), engine=engine)
    assert {s.external_id: s.language for s in samples(engine)} == {"1": None, "2": None}


def test_a_guess_costs_microseconds() -> None:
    """Generous bound (a loaded 2-core machine): the README has the measured figures."""
    texts = [text for _, text in SENTENCES]
    for text in texts:
        guess_language(text)  # load the model
    start = time.perf_counter()
    for text in texts:
        guess_language(text)
    per_text = (time.perf_counter() - start) / len(texts)
    assert per_text < 500e-6
