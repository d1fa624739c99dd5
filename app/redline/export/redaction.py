"""Mask personal data before anything leaves Redline: emails, phones, cards, IBANs, IPs.

Each kind is a candidate regular expression plus, where a pattern alone would mask
look-alikes, a check on the match: card numbers must pass the Luhn check, IBANs
(upper or lower case) the ISO 13616 mod-97 check, IPv6 addresses must parse, and
phone numbers must be one: with an international prefix (+ or 00) a number whose
length `phonenumbers` (libphonenumber's metadata) says is possible for its country,
without one national digits with separators; never a date. So an order number that
fails Luhn, an invoice date or a version string stays.

Only these kinds (and the team's custom patterns) are masked: names, street
addresses, national ID and account numbers other than IBANs, and phone numbers
written as one bare run of digits without a prefix are NOT detected (`NOT_MASKED`).

Kinds run in a fixed order (cards and IBANs before phones, IPs before phones) so a
long digit run is judged as the most specific thing it can be. Custom patterns from
the settings run first: the team knows its own ticket and account formats best.

Speed (a million records, several texts each): most texts have nothing to mask, and
scanning a text with a pattern costs microseconds. So each built-in kind first asks
what any value of it must contain: an email an "@", an IPv6 address two ":", an IPv4
address four digits and three ".", a phone number eight digits (its check), a card
thirteen. Those counts are cheap (C-speed `count` and `translate`), and a pattern runs
only where it could find something; the result is the same as running every pattern.
A text seen recently (a system prompt repeats on every record) is masked once.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import phonenumbers

from redline.errors import RedlineError

__all__ = [
    "BUILTIN_KINDS",
    "MASKED",
    "NOT_MASKED",
    "Redactor",
    "compile_custom_patterns",
    "iban_valid",
    "luhn_valid",
]

BUILTIN_KINDS = ("email", "card", "iban", "ipv4", "ipv6", "phone")

# What each kind masks, and what nothing masks: for the README, the export dialog and
# the manifest, so nobody reads "personal data is masked" as more than this.
MASKED: dict[str, str] = {
    "email": "email addresses",
    "phone": "phone numbers with an international prefix (+ or 00, any separators, "
    "checked against the country's number lengths by phonenumbers), and national "
    "numbers of 9-12 digits written with separators; not dates",
    "card": "payment card numbers of 13-19 digits that pass the Luhn check",
    "iban": "IBANs, upper or lower case, that pass the ISO 13616 mod-97 check",
    "ipv4": "IPv4 addresses",
    "ipv6": "IPv6 addresses",
}
NOT_MASKED = (
    "names of people or companies (no name detection), street addresses, dates of "
    "birth, national ID, tax, customer and account numbers other than IBANs, phone "
    "numbers written as one run of digits with no prefix or separator, and any "
    "other personal data not listed above unless a custom pattern matches it"
)

_EMAIL = re.compile(r"(?<![\w.+'-])[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
# Digit kinds end at ASCII letters and digits only: CJK text runs straight into numbers
# ("電話番号は090-1234-5678です"), and Python's \w would count those characters as word.
_A = "A-Za-z0-9_"
# 13-19 digits, optionally grouped by single spaces or dashes.
_CARD = re.compile(rf"(?<![{_A}-])\d(?:[ -]?\d){{12,18}}(?![{_A}-])")
# Upper or lower case, not mixed: a lower-case IBAN must also name a country that
# has IBANs (see `_iban`), as lower-case hex ids often look like one.
_IBAN = re.compile(
    rf"(?<![{_A}])(?:[A-Z]{{2}}\d{{2}}(?: ?[A-Z0-9]){{11,30}}"
    rf"|[a-z]{{2}}\d{{2}}(?: ?[a-z0-9]){{11,30}})(?![{_A}])"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![{_A}.]){_OCTET}(?:\.{_OCTET}){{3}}(?![{_A}]|\.\d)")
_IPV6 = re.compile(
    rf"(?<![{_A}:.])(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:[0-9A-Fa-f]{{1,4}}|:)(?![{_A}:])"
)
# An optional international prefix, an optional area code in parentheses ("(555) ",
# "(0)30"), then digits with spaces, dots, dashes or slashes between them
# ("+1.415.555.0132").
_PHONE = re.compile(
    rf"(?<![{_A}+#/.-])(?:(?:\+|00)\d{{1,3}}[ .-]?)?(?:\(\d{{1,5}}\)[ .-]?)?\d[\d ./-]{{4,}}\d"
    rf"(?![{_A}/-]|\.\d)"
)
_DATE = re.compile(
    r"\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{4}|\d{1,2}:\d{2}"
)

# IBAN lengths by country (ISO 13616 registry, the common ones); other countries only
# need the checksum and a length within the standard's 15-34.
_IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18,
    "FR": 27, "GB": 22, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "SE": 24,
}  # fmt: skip
# Countries with IBANs (SWIFT's IBAN registry): a lower-case candidate must name one.
_IBAN_REGISTRY = (
    "AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB "
    "GE GI GL GR GT HN HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN "
    "MR MT MU NI NL NO OM PK PL PS PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR "
    "UA VA VG XK YE"
)
_IBAN_COUNTRIES = frozenset(_IBAN_REGISTRY.split())


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a digit string (payment card numbers carry one)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616: country, two check digits, then mod 97 of the rearranged number is 1."""
    iban = candidate.replace(" ", "").upper()
    if not 15 <= len(iban) <= 34 or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _card(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group())
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _iban(match: re.Match[str]) -> int:
    text = match.group()
    if text[0].islower() and text[:2].upper() not in _IBAN_COUNTRIES:
        return False
    # The pattern runs on over a following word of the same case ("de89 ... 00 bitte",
    # "gb82west12345698765432 please"): without it the IBAN may still be one.
    candidate = text
    while not iban_valid(candidate):
        cut = candidate.rfind(" ")
        if cut < 15:
            return False
        candidate = candidate[:cut]
    return True if candidate is text else len(candidate)


def _ipv6(match: re.Match[str]) -> bool:
    text = match.group()
    # At least three hex digits: "a::b" in code or "::" alone are not addresses.
    if sum(c not in ":" for c in text) < 3:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _phone(match: re.Match[str]) -> bool:
    text = match.group()
    if _DATE.fullmatch(text.strip("()")):
        return False
    digits = sum(c.isdigit() for c in text)
    if text.startswith(("+", "00")):
        return 8 <= digits <= 15 and _possible_international(text)
    separated = any(c in " ()./-" for c in text)
    # National numbers: with separators (a bare run of digits is an id, an amount or
    # an order number far more often than a phone number).
    return separated and 9 <= digits <= 12 and not re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text)


def _possible_international(text: str) -> bool:
    """A number with its country code whose length that country's numbers can have."""
    number = "+" + text[2:] if text.startswith("00") else text
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    # Possible, not valid: a valid-number check follows the ranges in use when this
    # metadata was made, and a number from a newer range is still personal data.
    return phonenumbers.is_possible_number(parsed)


# A match's check: False rejects it, True accepts it whole, another number accepts its
# first that many characters.
Check = Callable[[re.Match[str]], int]
# Masked texts remembered for reuse: enough for the system prompts and boilerplate of
# an export, few enough to stay small.
_RECENT_TEXTS = 1024


@dataclass(frozen=True)
class _Rule:
    """A kind: its pattern, the check a match must pass, and what a text must contain
    for the pattern to find a value that passes (`min_digits` decimal digits, `char`
    at least `char_count` times)."""

    kind: str
    pattern: re.Pattern[str]
    check: Check | None = None
    min_digits: int = 0
    char: str = ""
    char_count: int = 0


_BUILTIN_RULES: tuple[_Rule, ...] = (
    _Rule("email", _EMAIL, char="@", char_count=1),
    _Rule("iban", _IBAN, _iban, min_digits=2),
    _Rule("card", _CARD, _card, min_digits=13),
    _Rule("ipv6", _IPV6, _ipv6, char=":", char_count=2),
    _Rule("ipv4", _IPV4, min_digits=4, char=".", char_count=3),
    # A match the check passes has 8 to 15 digits; fewer and every match fails it.
    _Rule("phone", _PHONE, _phone, min_digits=8),
)

_DIGIT = re.compile(r"\d")
_ASCII_DIGITS = b"0123456789"


def _decimal_digits(text: str) -> int:
    """How many characters of `text` `\\d` matches (Unicode decimal digits)."""
    if text.isascii():
        # Deleting the digits of the bytes is a C loop: ~20 times faster than a regex.
        ascii_text = text.encode("ascii")
        return len(ascii_text) - len(ascii_text.translate(None, _ASCII_DIGITS))
    return len(_DIGIT.findall(text))


def compile_custom_patterns(
    patterns: Mapping[str, str], *, where: str = "settings: redaction_patterns"
) -> dict[str, re.Pattern[str]]:
    """Compile the team's redaction patterns (name -> regex), or say which one is wrong.

    Raises:
        RedlineError: a name is empty or not a string, a pattern does not compile, or
            a pattern matches the empty string (it would mask between every character).
    """
    if not isinstance(patterns, Mapping):
        raise RedlineError(
            "custom redaction patterns must be a mapping of name to regular expression",
            where=where,
            hint='e.g. {"ticket": "TCK-\\\\d{6}"}',
        )
    compiled: dict[str, re.Pattern[str]] = {}
    for name, pattern in patterns.items():
        if not isinstance(name, str) or not name.strip():
            raise RedlineError("a custom redaction pattern has no name", where=where)
        if not isinstance(pattern, str) or not pattern:
            raise RedlineError(
                f"custom redaction pattern '{name}' is empty or not text",
                where=where,
                hint="give a regular expression, e.g. TCK-\\d{6}",
            )
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            position = f" at position {exc.pos}" if exc.pos is not None else ""
            raise RedlineError(
                f"custom redaction pattern '{name}' is not a valid regular expression: "
                f"{exc.msg}{position}: {pattern}",
                where=where,
                hint="fix the pattern (Python regular expression syntax) or remove it",
            ) from exc
        if regex.fullmatch(""):
            raise RedlineError(
                f"custom redaction pattern '{name}' matches empty text: {pattern}",
                where=where,
                hint="make it require at least one character (e.g. + instead of *)",
            )
        compiled[name.strip()] = regex
    return compiled


@dataclass(frozen=True)
class Span:
    """One masked value: where it was, what it was, and its kind."""

    start: int
    end: int
    kind: str
    text: str


@dataclass
class Redactor:
    """Masks PII in text and counts what it masked, by kind.

    A masked value becomes `[EMAIL]`, `[CARD]`, ... or `[NAME]` for a custom pattern
    (upper-cased). `counts` accumulates over every call, for the manifest; `masked`
    lists the same kinds in masking order, so `rollback` can take a record's back.
    """

    custom: Mapping[str, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    masked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        custom = compile_custom_patterns(self.custom)
        self._rules = tuple(_Rule(name, regex) for name, regex in custom.items()) + (_BUILTIN_RULES)
        # Every built-in kind needs a digit or an "@" (see `spans`); customs may match
        # anything.
        self._always = bool(custom)
        # text -> (masked text, kinds masked in it), for texts that repeat.
        self._recent: dict[str, tuple[str, tuple[str, ...]]] = {}

    def _may_hold_pii(self, text: str, digits: int) -> bool:
        # Every built-in kind needs a decimal digit or an "@", except IPv6, which may be
        # all hex letters ("dead::beef:cafe") but always has two colons.
        return self._always or bool(digits) or "@" in text or text.count(":") >= 2

    def spans(self, text: str) -> list[Span]:
        """What `redact` would mask in `text`, in order (earlier kinds win overlaps)."""
        if not text:
            return []
        digits = _decimal_digits(text)
        if not self._may_hold_pii(text, digits):
            return []
        return self._scan(text, digits)

    def _scan(self, text: str, digits: int) -> list[Span]:
        taken: list[Span] = []
        for rule in self._rules:
            if digits < rule.min_digits or (rule.char and text.count(rule.char) < rule.char_count):
                continue  # no value of this kind can be in the text (see _Rule)
            for match in rule.pattern.finditer(text):
                start, end = match.span()
                if start == end or any(s.start < end and start < s.end for s in taken):
                    continue
                if rule.check is not None:
                    accepted = rule.check(match)
                    if not accepted:
                        continue
                    if accepted is not True:
                        end = start + accepted
                taken.append(Span(start, end, rule.kind, text[start:end]))
        taken.sort(key=lambda s: s.start)
        return taken

    def redact(self, text: str, label: str = "") -> str:
        """`text` with every PII value replaced by its kind's token (counted).

        `label` names the text (the record builders pass it, for the preview); masking
        does not depend on it.
        """
        if not text:
            return text
        digits = _decimal_digits(text)
        if not self._may_hold_pii(text, digits):
            return text
        known = self._recent.get(text)
        if known is None:
            spans = self._scan(text, digits)
            known = (_masked(text, spans), tuple(span.kind for span in spans))
            if len(self._recent) >= _RECENT_TEXTS:
                self._recent.clear()
            self._recent[text] = known
        if known[1]:
            self.counts.update(known[1])
            self.masked.extend(known[1])
        return known[0]

    def rollback(self, position: int) -> None:
        """Uncount what was masked since `len(self.masked)` was `position` (the texts of
        a record that is not written after all)."""
        for kind in self.masked[position:]:
            self.counts[kind] -= 1
            if not self.counts[kind]:
                del self.counts[kind]
        del self.masked[position:]

    def redact_optional(self, text: str | None) -> str | None:
        return None if text is None else self.redact(text)


def _masked(text: str, spans: list[Span]) -> str:
    if not spans:
        return text
    parts: list[str] = []
    position = 0
    for span in spans:
        parts.append(text[position : span.start])
        parts.append(token(span.kind))
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


@functools.cache
def token(kind: str) -> str:
    """The placeholder a masked value of this kind becomes."""
    return "[" + re.sub(r"\W+", "_", kind).upper() + "]"
