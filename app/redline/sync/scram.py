"""SCRAM-SHA-256 password verifiers computed on the client (RFC 5802, RFC 7677), in the
form PostgreSQL stores in pg_authid.

Why: `CREATE ROLE ... PASSWORD 'plaintext'` puts the password in the statement, which
the server logs with `log_statement = ddl` (and on any error of that statement). Given
a verifier instead, PostgreSQL stores it as it is and never sees the password; psycopg 3
has no helper for it (libpq's PQencryptPasswordConn needs a connection object psycopg
does not expose through SQLAlchemy).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import stringprep
import unicodedata

__all__ = ["ITERATIONS", "saslprep", "scram_verifier"]

# PostgreSQL's default (scram_iterations, 16+) and the RFC's minimum.
ITERATIONS = 4096
SALT_BYTES = 16

_PROHIBITED = (
    stringprep.in_table_c12,
    stringprep.in_table_c21_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
)


def saslprep(password: str) -> bytes:
    """The password as PostgreSQL hashes it (its `pg_saslprep`): ASCII as it is; else
    SASLprep (RFC 4013) normalised, or the raw UTF-8 when SASLprep refuses the string
    (a prohibited character, bad bidirectional text), as the server does too."""
    raw = password.encode("utf-8")
    if password.isascii():
        return raw
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch
        for ch in password
        if not stringprep.in_table_b1(ch)
    )
    normal = unicodedata.normalize("NFKC", mapped)
    if not normal:
        return raw
    if any(check(ch) for ch in normal for check in _PROHIBITED):
        return raw
    if any(stringprep.in_table_d1(ch) for ch in normal):
        # Right-to-left text: no left-to-right character, and it starts and ends RTL.
        if any(stringprep.in_table_d2(ch) for ch in normal):
            return raw
        if not (stringprep.in_table_d1(normal[0]) and stringprep.in_table_d1(normal[-1])):
            return raw
    return normal.encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS
) -> str:
    """`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64), what
    `CREATE/ALTER ROLE ... PASSWORD` accepts in place of the password."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", saslprep(password), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"
