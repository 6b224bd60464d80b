"""Mask secrets in device config text (diffs) before it goes into a document. Pure.

Any value that follows a word naming a secret (``password``, ``secret``, ``key``,
``community``, ``token``, and compounds such as ``key-string`` or ``auth_key``) becomes
``********``. Encryption-type digits and hash names just after the word stay, so
``password 7 0822455D0A16`` reads ``password 7 ********``. Over-masking is preferred to
leaking: everything after the secret word up to the end of the line is masked.
"""

from __future__ import annotations

import re

MASK = "********"
SECRET_WORDS = frozenset({"password", "passwd", "secret", "key", "community", "token"})
_KEEP = re.compile(
    r"^(\d|md5|sha1|sha256|sha384|sha512|hmac-sha-?\d+|encrypted|plain(text)?)$", re.IGNORECASE
)
_TOKEN = re.compile(r"\S+")
_ASSIGN = re.compile(r"^([^=\s]+)=(.+)$")
_TRAILING = re.compile(r"[;,]+$")


def _is_secret_name(word: str) -> bool:
    word = word.lstrip("+-!<>").rstrip(":=").strip("\"'").lower()
    return any(part in SECRET_WORDS for part in re.split(r"[-_.]", word) if part)


def mask_line(line: str) -> str:
    """One line with secret values masked.

    >>> mask_line(" password 7 0822455D0A16")
    ' password 7 ********'
    >>> mask_line('api_key="abc123";')
    'api_key=********;'
    >>> mask_line("no password")
    'no password'
    >>> mask_line(" description ke dist-1 Gi0/1")
    ' description ke dist-1 Gi0/1'
    """
    tokens = list(_TOKEN.finditer(line))
    for i, tok in enumerate(tokens):
        text = tok.group()
        m = _ASSIGN.match(text)
        if m and _is_secret_name(m.group(1)):  # password=foo; api_key="x"
            trail = _TRAILING.search(m.group(2))
            end = trail.group() if trail and trail.start() > 0 else ""
            return line[: tok.start()] + f"{m.group(1)}={MASK}{end}"
        if not _is_secret_name(text):
            continue
        j = i + 1
        while j < len(tokens) - 1 and _KEEP.match(tokens[j].group()):
            j += 1
        if j >= len(tokens):
            return line  # "no password": nothing to hide
        rest = line[tokens[j].start() :].rstrip()
        trail = _TRAILING.search(rest)
        end = trail.group() if trail and trail.start() > 0 else ""
        return line[: tokens[j].start()] + MASK + end
    return line


def mask_secrets(text: str) -> str:
    """Every line of ``text`` with secret values masked (line endings kept).

    >>> mask_secrets("+snmp-server community s3cr3t RO\\r\\n ip address 10.0.0.1/30\\n")
    '+snmp-server community ********\\r\\n ip address 10.0.0.1/30\\n'
    """
    return "".join(
        mask_line(ln.rstrip("\r\n")) + ln[len(ln.rstrip("\r\n")) :] for ln in text.splitlines(keepends=True)
    )
