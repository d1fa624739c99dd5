"""PII redaction: recall on realistic PII in several languages, and no masking of look-alikes."""

from __future__ import annotations

import pytest

from redline.errors import RedlineError
from redline.export.redaction import (
    _BUILTIN_RULES,
    BUILTIN_KINDS,
    MASKED,
    NOT_MASKED,
    Redactor,
    compile_custom_patterns,
    iban_valid,
    luhn_valid,
)

# (text, the PII value in it, its kind)
POSITIVES = [
    ("Send it to jane.doe+billing@example.co.uk please", "jane.doe+billing@example.co.uk", "email"),
    ("Schreiben Sie an jürgen.müller@beispiel.de.", "jürgen.müller@beispiel.de", "email"),
    ("Contact: o'brien_99@mail.example.ie", "o'brien_99@mail.example.ie", "email"),
    ("Call +1-202-555-0143 tomorrow", "+1-202-555-0143", "phone"),
    ("SF office +1.415.555.0132, ask for Sam", "+1.415.555.0132", "phone"),
    ("Numéro : +33.6.12.34.56.78 le soir", "+33.6.12.34.56.78", "phone"),
    ("US office (555) 123-4567.", "(555) 123-4567", "phone"),
    ("Línea 24/7 (900 555 019) gratuita", "900 555 019", "phone"),
    ("Ruf mich an: +49 (0)30 1234567", "+49 (0)30 1234567", "phone"),
    ("Mobil 0151 23456789, abends", "0151 23456789", "phone"),
    ("Appelez le 06 12 34 56 78 ou", "06 12 34 56 78", "phone"),
    ("Llámame al +34 612 345 678 hoy", "+34 612 345 678", "phone"),
    ("電話番号は090-1234-5678です", "090-1234-5678", "phone"),
    ("UK: 0044 20 7946 0958", "0044 20 7946 0958", "phone"),
    ("Visa 4111 1111 1111 1111 expires", "4111 1111 1111 1111", "card"),
    ("card 5500-0000-0000-0004 charged", "5500-0000-0000-0004", "card"),
    ("Amex 378282246310005.", "378282246310005", "card"),
    ("IBAN DE89 3704 0044 0532 0130 00 bitte", "DE89 3704 0044 0532 0130 00", "iban"),
    ("Virement sur FR1420041010050500013M02606", "FR1420041010050500013M02606", "iban"),
    ("pay GB82WEST12345698765432 now", "GB82WEST12345698765432", "iban"),
    ("iban de89 3704 0044 0532 0130 00, danke", "de89 3704 0044 0532 0130 00", "iban"),
    ("to gb82west12345698765432 please", "gb82west12345698765432", "iban"),
    ("BE68 5390 0754 7034 AND MORE", "BE68 5390 0754 7034", "iban"),
    ("login from 203.0.113.42 failed", "203.0.113.42", "ipv4"),
    ("IPv6 2001:db8::8a2e:370:7334 blocked", "2001:db8::8a2e:370:7334", "ipv6"),
    ("fe80:0000:0000:0000:0202:b3ff:fe1e:8329 seen", "fe80:0000:0000:0000:0202:b3ff:fe1e:8329",
     "ipv6"),
    ("server dead::beef:cafe down", "dead::beef:cafe", "ipv6"),  # hex letters, no digit
]  # fmt: skip

# Look-alikes that must stay as they are.
NEGATIVES = [
    "Order 4111 1111 1111 1112 has shipped",  # 16 digits, fails Luhn
    "Your order #123456789 ships on 2026-03-15.",
    "Rechnung vom 15.03.2026, Kundennummer 12345678",
    "Meeting 12:30:45 in room 4",
    "Version 1.2.3.4.5 of the app",
    "Total 1.234.567 EUR or 12,345,678 USD",
    "Reference INV-2026-001234 and ORD-2026-118823",
    "Account DE89370400440532013001 (a typo, checksum fails)",
    "account de89370400440532013001 (lower case, checksum fails)",
    "iban De89 3704 0044 0532 0130 00 (mixed case is no IBAN)",
    "Build +1 2026 03 15 (no North American number has 9 digits)",
    "std::vector<int> and a::b in C++",
    "Tracking number 1Z999AA10123456784",
    "Between 2026-03-01 and 2026-03-31",
    "See section 4.2.1 or call extension 4711",
    "notification@ without a domain, or user at example dot com",
]


@pytest.mark.parametrize(("text", "value", "kind"), POSITIVES)
def test_every_kind_of_pii_is_masked(text: str, value: str, kind: str) -> None:
    redactor = Redactor()
    assert redactor.redact(text) == text.replace(value, f"[{kind.upper()}]")
    assert redactor.counts == {kind: 1}


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alikes_are_left_alone(text: str) -> None:
    redactor = Redactor()
    assert redactor.redact(text) == text
    assert not redactor.counts


def test_several_values_in_one_text_are_counted_by_kind() -> None:
    redactor = Redactor()
    text = (
        "Hi, I'm ana@example.com (work: ana.b@corp.example), phone +44 20 7946 0958, "
        "paid with 4111-1111-1111-1111 from 198.51.100.7; order 4111 1111 1111 1112."
    )
    redacted = redactor.redact(text)
    assert redacted == (
        "Hi, I'm [EMAIL] (work: [EMAIL]), phone [PHONE], "
        "paid with [CARD] from [IPV4]; order 4111 1111 1111 1112."
    )
    assert redactor.counts == {"email": 2, "phone": 1, "card": 1, "ipv4": 1}


def test_what_is_and_is_not_masked_is_stated() -> None:
    assert set(MASKED) == set(BUILTIN_KINDS)
    assert NOT_MASKED.startswith("names of people")
    # Names are not detected: a customer's name stays as it is.
    assert Redactor().redact("Thanks, Maria García") == "Thanks, Maria García"


def test_checksums() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert not iban_valid("DE88 3704 0044 0532 0130 00")
    assert not iban_valid("DE89 3704 0044 0532 0130")  # German IBANs have 22 characters
    assert iban_valid("de89 3704 0044 0532 0130 00")


def test_custom_patterns_run_with_their_own_token() -> None:
    redactor = Redactor({"ticket": r"TCK-\d{6}", "employee id": r"\bEMP\d{4}\b"})
    assert redactor.redact("See TCK-004211 by EMP0042.") == "See [TICKET] by [EMPLOYEE_ID]."
    assert redactor.counts == {"ticket": 1, "employee id": 1}


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        ({"ticket": "TCK-(\\d{6}"}, "custom redaction pattern 'ticket' is not a valid regular"),
        ({"ticket": "[a-"}, "unterminated character set at position 0"),
        ({"anything": "x*"}, "custom redaction pattern 'anything' matches empty text"),
        ({"blank": ""}, "custom redaction pattern 'blank' is empty"),
        ({"": "abc"}, "a custom redaction pattern has no name"),
    ],
)
def test_bad_custom_patterns_say_which_and_why(patterns: dict[str, str], message: str) -> None:
    with pytest.raises(RedlineError) as caught:
        compile_custom_patterns(patterns)
    assert message in caught.value.what
    assert caught.value.where == "settings: redaction_patterns"


def _every_pattern(text: str) -> list[tuple[int, int, str]]:
    """What the built-in kinds mask when every pattern runs on every text with a digit,
    an "@" or two ":" (redaction before its pre-checks: the result must not change)."""
    if not any(c.isdigit() or c == "@" for c in text) and text.count(":") < 2:
        return []
    taken: list[tuple[int, int, str]] = []
    for rule in _BUILTIN_RULES:
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            if start == end or any(s < end and start < e for s, e, _ in taken):
                continue
            accepted = True if rule.check is None else rule.check(match)
            if accepted:
                taken.append((start, end if accepted is True else start + accepted, rule.kind))
    return sorted(taken)


EDGES = [
    "０９０-１２３４-５６７８ (fullwidth digits)",
    "٠١٥١ ٢٣٤٥٦٧٨٩ and ٤١١١ ١١١١ ١١١١ ١١١١",  # Arabic-Indic digits
    "x² dead::beef:cafe",  # a superscript digit, and an IPv6 address with no digit
    "dead::beef:cafe alone",
    "1234567 and 1.2.3 and 12:34::56",
    "DE89 3704 0044 0532 0130 00, +44 20 7946 0958, a@b.example, 10.0.0.1",
    "",
]


@pytest.mark.parametrize(
    "text",
    [t for t, _, _ in POSITIVES] + NEGATIVES + EDGES + [" ".join(t for t, _, _ in POSITIVES)],
)
def test_pre_checks_mask_exactly_what_every_pattern_would(text: str) -> None:
    redactor = Redactor()
    assert [(s.start, s.end, s.kind) for s in redactor.spans(text)] == _every_pattern(text)
    # A text masked again comes from the cache, and is counted again.
    first = redactor.redact(text)
    counts = dict(redactor.counts)
    assert redactor.redact(text) == first
    assert redactor.counts == {kind: 2 * n for kind, n in counts.items()}
