"""A fast language guess for records that carry none.

Non-Latin scripts are told apart by their Unicode ranges; Latin-script languages by
their most common function words (and a few letters only they use). It is a guess for
filtering and drift, not a translation-grade detector: it runs on every imported record,
so it must cost microseconds. An undecidable text gets None rather than a wrong label.
"""

from __future__ import annotations

import re

_SAMPLE_CHARS = 300

_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # kana: Japanese even amid kanji
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
)
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_NON_LATIN = re.compile(r"[^\x00-\u024f]")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are to of in it you that for with this was have not on my "
        "can how what be your do does please i"
    ),
    "de": _words(
        "der die das und ist nicht ich sie ein eine zu mit auf für den dem wie "
        "was bitte ich mein kann sind auch"
    ),
    "fr": _words(
        "le la les et est une un des du de pour pas que qui je vous dans ce "
        "sur avec mon comment est-ce bonjour"
    ),
    "es": _words(
        "el la los las y es un una de que en por para no con mi como qué cómo está hola puedo"
    ),
    "it": _words("il lo la gli le e è un una di che per non con mio come sono ciao della questo"),
    "pt": _words("o a os as e é um uma de que em para não com meu como você olá está do da"),
    "nl": _words("de het een en is niet ik je van dat met voor op zijn hoe wat mijn kan"),
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


def guess_language(text: str) -> str | None:
    """An ISO 639-1 code for `text`, or None when there is too little to tell."""
    sample = text[:_SAMPLE_CHARS]
    if _NON_LATIN.search(sample):
        for code, pattern in _SCRIPTS:
            if pattern.search(sample):
                if code == "ru" and _UKRAINIAN.search(sample):
                    return "uk"
                return code
    words = _WORD.findall(sample.lower())
    if not words:
        return None
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
    return best if scores[best] >= 2 else None
