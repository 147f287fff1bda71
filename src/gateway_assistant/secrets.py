"""The one way gateway-assistant shows a secret: masked. Every value read from the environment,
a settings file, a URL's user:password part or a helper's output goes through `mask`,
`redact_url` or `scrub` before it is printed."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

# Environment variables whose values are keys.
SECRET_VARS = ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY")
SHOWN = 4  # trailing characters shown of a key long enough to hide the rest
MIN_SHOWN = 10  # shorter keys show nothing at all
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s@]*)@")


def _escaped(text: str) -> str:
    """ASCII only: control and non-ASCII characters as escapes (\\r, \\n, \\u00e9)."""
    return "".join(c if " " < c < "\x7f" else ascii(c)[1:-1] for c in text)


def mask(value) -> str:
    """A key as `…abcd`: its last 4 characters (escaped, so a trailing \\r shows as `\\r`) when
    it is at least 10 long, else `…`. Never more of it."""
    text = "" if value is None else str(value)
    if len(text) < MIN_SHOWN:
        return "…"
    return "…" + _escaped(text[-SHOWN:])


def redact_url(url) -> str:
    """The URL with the password of its user:password@ part replaced by `***` (the user name
    kept, escaped); a URL that cannot be parsed is scrubbed as text."""
    text = "" if url is None else str(url)
    try:
        parts = urlsplit(text)
        netloc = parts.netloc
    except ValueError:
        return _USERINFO.sub(lambda m: m.group(1) + "***@", text)
    if "@" not in netloc:
        return _USERINFO.sub(lambda m: m.group(1) + "***@", text)
    userinfo, _, hostport = netloc.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    shown = _escaped(user) + (":***" if colon else "") + "@" + hostport
    return urlunsplit(parts._replace(netloc=shown))


def strip_userinfo(url: str) -> str:
    """The URL without user:password@ (what is sent never carries it)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def known(extra=()) -> list[str]:
    """The secret values this process could print by accident: the key variables, `extra`."""
    values = [os.environ.get(k, "") for k in SECRET_VARS] + [str(v) for v in extra if v]
    return sorted({v for v in values if len(v.strip()) >= 4}, key=len, reverse=True)


def scrub(text, extra=()) -> str:
    """Free text (an error message, a reply) with every known secret masked and every URL's
    password removed, including a key's form without surrounding whitespace."""
    out = "" if text is None else str(text)
    for secret in known(extra):
        forms = {secret, secret.strip(), repr(secret)[1:-1], repr(secret.encode())[2:-1]}
        for form in sorted(forms, key=len, reverse=True):
            if len(form) >= 4:
                out = out.replace(form, mask(secret))
    return _USERINFO.sub(lambda m: m.group(1) + "***@", out)


_KEYLIKE = re.compile(r"[A-Za-z0-9_\-.+=]{20,}")


def mask_words(text: str) -> str:
    """Text (a helper command, say) with each key-like word — 20 or more letters, digits and
    `-_.+=`, with at least one digit and one letter — masked."""
    def one(m):
        word = m.group(0)
        key = any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
        return mask(word) if key else word
    return _KEYLIKE.sub(one, text)


def header_problem(value: str) -> str | None:
    """Why `value` cannot be sent as a header (said without showing it), or None."""
    if any(c in value for c in "\r\n"):
        return "contains a line break (a file saved with Windows line endings?)"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "contains a control character"
    if any(ord(c) > 255 for c in value):
        return "contains characters that cannot be sent in an HTTP header"
    if value != value.strip():
        return "starts or ends with a space"
    return None
