"""Secrets out of device text before it is stored as evidence: passwords, password hashes, SNMP
communities and keys are replaced by `<redacted>`, token by token, so line numbers and layout stay."""

from __future__ import annotations

import re

#: Words after which the next token is a secret.
_SECRET_AFTER = {"password", "secret", "cipher", "irreversible-cipher", "simple", "hash", "community", "key",
                 "shared-key", "key-string", "passwd", "encrypted-password"}
#: Words after which the next token is a secret on SNMPv3 user lines only.
_SNMP_AFTER = {"authentication-mode", "privacy-mode", "auth", "priv"}
#: Tokens that sit between the keyword and the secret (encryption types, access words, algorithm names).
_NOT_SECRET = {"0", "5", "6", "7", "8", "9", "read", "write", "ro", "rw", "sha", "md5", "sha-1", "sha224", "sha256",
               "sha384", "sha512", "aes", "aes128", "aes192", "aes256", "des", "des56", "3des", "128", "192", "256",
               "cipher", "simple", "hash", "irreversible-cipher", "encrypted", "pbkdf2", "policy", "administrator",
               "expire", "history", "alert", "control", "view", "context", "version", "v1", "v2c", "v3"}
_SPLIT = re.compile(r"(\s+)")


_ANY_KEYWORD = re.compile("|".join(sorted(_SECRET_AFTER | _SNMP_AFTER, key=len, reverse=True)))


def line(text: str) -> str:
    low = text.lower()
    if not _ANY_KEYWORD.search(low):
        return text
    after = _SECRET_AFTER | (_SNMP_AFTER if ("usm-user" in low or "snmp-server user" in low) else set())
    parts = _SPLIT.split(text)
    pending = False
    for i, part in enumerate(parts):
        if not part or part.isspace():
            continue
        word = part.lower()
        if pending and word not in _NOT_SECRET and word not in after:
            parts[i] = "<redacted>"
            pending = False
        elif word in after:
            pending = True
    return "".join(parts)


def text(value: str) -> str:
    return "\n".join(line(x) for x in value.split("\n"))
