"""Production-like records for every benchmark: one generator, varied like real traffic.

Repetitive data flatters every figure (SQLite pages compress into the cache, FTS posting
lists stay short, the language guess sees seven inputs). Real logs are diverse, so this
corpus is too:

- eleven languages, each with its own Zipf-distributed vocabulary of made-up words in
  its own script (Latin with diacritics, Cyrillic, Arabic and Hebrew right to left, Hindi,
  Chinese and Japanese without spaces), a few real function words on top so the language
  guess has something to find;
- input lengths log-normal from 20 to 20,000 characters (median ~300), answers log-normal
  too (median ~450);
- ~15 % chat records (`messages` with a system prompt and 2-8 turns, the last answer as
  `output`), ~5 % with tool steps (a tool call and its result), the rest flat;
- every input unique, realistic ids (`req-…`, UUID-like session ids) and timestamps a few
  seconds apart, out of order by up to a minute, models, prompt versions, scores, latency,
  token counts, implicit signals.

Deterministic: the same seed gives the same records. `python bench/corpus.py N FILE`
writes N records as JSON Lines.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Share of traffic per language (roughly a global support product's).
LANGUAGE_SHARE = {
    "en": 0.42, "de": 0.09, "fr": 0.08, "es": 0.09, "pt": 0.06, "ru": 0.05,
    "ja": 0.06, "zh": 0.06, "ar": 0.04, "he": 0.02, "hi": 0.03,
}  # fmt: skip
# Letters each language's made-up words are built from, and a few real words.
ALPHABETS = {
    "en": ("abcdefghiklmnoprstuvwy", "the and you to is it of for my can not with this"),
    "de": ("abcdefghiklmnoprstuvwzäöüß", "der die und ich nicht ist das mit sie ein für"),
    "fr": ("abcdefghijlmnopqrstuvéèêàçù", "le la les et je ne pas est des une pour vous"),
    "es": ("abcdefghijlmnopqrstuvzñáéíóú", "el la los que de y no es por una para mi"),
    "pt": ("abcdefghijlmnopqrstuvzãõçáéí", "o a os que de e não é para um uma você"),
    "ru": ("абвгдежзиклмнопрстуфхцчшыэюя", "и в не на я что он с как это по но"),
    "ar": ("ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "في من على أن هذا إلى ما لا هل مع"),
    "he": ("אבגדהוזחטיכלמנסעפצקרשת", "את של על זה לא אני מה עם גם כי"),
    "hi": ("कखगघचछजझटडतथदधनपफबभमयरलवशसह", "है के में की और का से को नहीं यह"),
    "ja": ("あいうえおかきくけこさしすせそたちつてとなにぬねのアイウエオカキクケコ日本語注文確認",
           "です ます は を に が の"),
    "zh": ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年", "的 是 我 不 了 在 有"),
}  # fmt: skip
NO_SPACES = frozenset({"ja", "zh"})
VOCABULARY = 20_000
ZIPF_S = 1.07
MODELS = ("gpt-4o-mini", "gpt-4.1", "claude-3-5-haiku", "claude-sonnet-4", "llama-3.1-70b",
          "gemini-2.0-flash", "mistral-large")  # fmt: skip
PROMPTS = (("support-assistant", ("v2", "v3", "v4")), ("summariser", ("v1", "v2")),
           ("triage", ("v5",)), ("sql-helper", ("v1", "v2", "v3")))  # fmt: skip
TOOLS = ("lookup_order", "search_kb", "refund_payment", "create_ticket", "get_weather")
CHAT_SHARE = 0.15
TOOL_SHARE = 0.05


@dataclass(frozen=True)
class Lengths:
    """Log-normal character lengths, clipped."""

    median: float
    sigma: float
    low: int
    high: int

    def draw(self, rng: random.Random) -> int:
        value = rng.lognormvariate(math.log(self.median), self.sigma)
        return max(self.low, min(self.high, int(value)))


INPUT_LENGTHS = Lengths(median=220, sigma=1.1, low=20, high=20_000)
OUTPUT_LENGTHS = Lengths(median=350, sigma=0.85, low=2, high=12_000)
TURN_LENGTHS = Lengths(median=120, sigma=0.8, low=10, high=3_000)
# Vowels of the alphabetic scripts: their words alternate consonants and vowels, so they
# read like words (and tokenise like them); the other scripts draw letters freely.
VOWELS = frozenset("aeiouyäöüéèêàáíóúãõùаеиоуыэюя")


class Language:
    """One language's vocabulary and its Zipf weights."""

    def __init__(self, code: str, rng: random.Random) -> None:
        letters, function_words = ALPHABETS[code]
        self.code = code
        self.joiner = "" if code in NO_SPACES else " "
        words: list[str] = function_words.split()
        seen = set(words)
        low, high = (1, 3) if code in NO_SPACES else (2, 11)
        vowels = [c for c in letters if c in VOWELS]
        consonants = [c for c in letters if c not in VOWELS]
        while len(words) < VOCABULARY:
            size = rng.randint(low, high)
            if vowels:
                first = rng.random() < 0.3
                word = "".join(
                    rng.choice(vowels if (k % 2 == 0) == first else consonants) for k in range(size)
                )
            else:
                word = "".join(rng.choices(letters, k=size))
            if word not in seen:
                seen.add(word)
                words.append(word)
        self.words = words
        weights = [1.0 / (rank**ZIPF_S) for rank in range(1, len(words) + 1)]
        self.cumulative = list(itertools.accumulate(weights))

    def text(self, rng: random.Random, chars: int) -> str:
        """About `chars` characters of this language: words in sentences."""
        per_word = 2.2 if self.joiner == "" else 6.5
        count = max(1, int(chars / per_word))
        words = rng.choices(self.words, cum_weights=self.cumulative, k=count)
        sentences, start = [], 0
        while start < len(words):
            end = start + rng.randint(4, 18)
            sentence = self.joiner.join(words[start:end])
            mark = "。" if self.joiner == "" else rng.choice((".", ".", ".", "?", "!"))
            sentences.append(sentence[:1].upper() + sentence[1:] + mark)
            start = end
        return self.joiner.join(sentences)[: max(chars, 1)]


class Corpus:
    """Records like a production log; the same seed gives the same records."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.languages = {code: Language(code, self.rng) for code in LANGUAGE_SHARE}
        self.codes = list(LANGUAGE_SHARE)
        self.shares = list(LANGUAGE_SHARE.values())
        self.start = datetime(2026, 10, 1, tzinfo=UTC)
        self._short_inputs: set[bytes] = set()

    def language(self) -> Language:
        return self.languages[self.rng.choices(self.codes, weights=self.shares)[0]]

    def text(self, lengths: Lengths, language: Language | None = None) -> str:
        return (language or self.language()).text(self.rng, lengths.draw(self.rng))

    def unique_input(self, language: Language) -> str:
        """An input no other record has (short ones are checked; long ones cannot clash)."""
        while True:
            text = self.text(INPUT_LENGTHS, language)
            if len(text) > 120:
                return text
            key = hashlib.blake2b(text.encode(), digest_size=12).digest()
            if key not in self._short_inputs:
                self._short_inputs.add(key)
                return text

    def records(self, count: int) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for i in range(count):
            language = self.language()
            name, versions = rng.choice(PROMPTS)
            when = self.start + timedelta(seconds=i * 3 + rng.randint(-60, 60))
            record: dict[str, Any] = {
                "id": f"req-{rng.getrandbits(64):016x}-{i}",
                "timestamp": when.isoformat(),
                "model": rng.choice(MODELS),
                "prompt_name": name,
                "prompt_version": rng.choice(versions),
                "variant": rng.choice(("A", "B")),
                "session_id": f"{rng.getrandbits(128):032x}",
            }
            kind = rng.random()
            question = self.unique_input(language)
            answer = self.text(OUTPUT_LENGTHS, language)
            if kind < CHAT_SHARE:
                record["messages"] = self._conversation(language, question, answer)
            else:
                record["input"] = question
                record["output"] = answer
                if kind < CHAT_SHARE + TOOL_SHARE:
                    record["tool_calls"] = self._tool_steps(language)
            record.update(
                score=round(rng.random(), 4),
                latency_ms=int(rng.lognormvariate(math.log(900), 0.6)),
                prompt_tokens=len(question) // 3 + rng.randint(50, 400),
                completion_tokens=len(answer) // 3 + rng.randint(1, 40),
                copied=rng.random() < 0.2,
                thumbs=rng.choice(("up", "down", None, None, None, None)),
            )
            # Most production logs carry a locale; a quarter don't and get a guess.
            if rng.random() < 0.75:
                record["language"] = language.code
            yield record

    def _conversation(self, language: Language, question: str, answer: str) -> list[Any]:
        rng = self.rng
        turns = rng.randint(2, 8)
        messages: list[dict[str, str]] = [
            {"role": "system", "content": self.text(TURN_LENGTHS, self.languages["en"])}
        ]
        for turn in range(turns - 1):
            role = "user" if turn % 2 == 0 else "assistant"
            messages.append({"role": role, "content": self.text(TURN_LENGTHS, language)})
        if messages[-1]["role"] == "user":
            messages.append({"role": "assistant", "content": self.text(TURN_LENGTHS, language)})
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer})
        return messages

    def _tool_steps(self, language: Language) -> list[dict[str, Any]]:
        rng = self.rng
        tool = rng.choice(TOOLS)
        return [
            {
                "id": f"call_{rng.getrandbits(48):012x}",
                "name": tool,
                "arguments": json.dumps(
                    {"query": self.text(TURN_LENGTHS, language)[:80], "limit": rng.randint(1, 20)}
                ),
                "result": self.text(TURN_LENGTHS, language),
            }
        ]


def write_jsonl(path: Path, count: int, seed: int = 1) -> None:
    """Write `count` corpus records to `path` as JSON Lines."""
    with path.open("w", encoding="utf-8") as out:
        for record in Corpus(seed).records(count):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write_jsonl(Path(sys.argv[2]), int(sys.argv[1]))
