# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an API token may look like, and the removal of every rendering of it from what the collection reports.

The rule: whitespace around the token is dropped (what ``echo "$TOKEN" | ansible-vault encrypt_string`` and a
copy from a web page add); what is left must be a bearer token as RFC 6750 writes it (``b64token``: letters,
digits and ``-._~+/``, then ``=`` padding). Hetzner Cloud tokens are 64 letters and digits; the simulator's and
the tests' tokens use the other characters. A token that does not follow the rule is refused before any request,
saying what is wrong with it and never showing it. Within the rule the token is the same in a message, in
``repr``, in JSON and in a header dump, which is what makes it possible to hide everywhere.

Defence in depth: every token the process was given is remembered, and the one failure path (``_failure``) removes
every rendering of each (raw, stripped, ``repr``-escaped, JSON-escaped, URL-encoded) from messages and traces.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import quote, quote_plus

# RFC 6750, section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
BEARER_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")
TOKEN_CHARACTER = re.compile(r"[A-Za-z0-9._~+/=-]")
HIDDEN = "********"

_remembered: set[str] = set()
_lock = threading.Lock()


def stripped_token(token: Any) -> str:
    """The token without the whitespace around it; ``""`` for none."""
    return "" if token is None else str(token).strip()


def token_problem(token: str) -> str | None:
    """What is wrong with a (stripped, non-empty) token, in words that do not show it; ``None`` if nothing."""
    if BEARER_TOKEN.fullmatch(token):
        return None
    position, kind = first_bad_character(token)
    return (
        f"the API token has {kind} (character {position} of {len(token)}; the token is not shown): a token is letters and digits "
        "(Hetzner Cloud's are 64 of them) or, in general, an RFC 6750 bearer token (letters, digits and -._~+/, then = padding); "
        "copy it again from the Hetzner Cloud Console (Security, API tokens)"
    )


def first_bad_character(token: str) -> tuple[int, str]:
    """The 1-based position and the kind of the first character that breaks the rule."""
    for index, char in enumerate(token):
        if not TOKEN_CHARACTER.fullmatch(char):
            return index + 1, character_kind(char)
    return token.index("=") + 1, "an '=' that is not padding at its end"


def character_kind(char: str) -> str:
    """A word for a character, never the character itself."""
    if char.isspace():
        return "whitespace (a space, tab or line break)"
    if not char.isprintable():
        return "a control character"
    if not char.isascii():
        return "a non-ASCII character"
    return "a punctuation character a token cannot have"


def remember(*tokens: Any) -> None:
    """Remember tokens this process was given, so that ``redact`` removes them (and their renderings) from any text."""
    with _lock:
        _remembered.update(form for token in tokens for form in renderings(token))


def renderings(token: Any) -> set[str]:
    """The ways a token can show in a text: raw, stripped, URL-encoded, and each of those escaped once or twice
    (``repr``, JSON, ``unicode_escape``, a ``bytes`` repr: a message quoted in a trace, then dumped as JSON)."""
    if token is None or not str(token).strip():
        return set()
    forms: set[str] = set()
    for value in (str(token), str(token).strip()):
        forms.update((value, quote(value, safe=""), quote(value), quote_plus(value)))
    for _level in range(2):
        forms.update(escaped for form in list(forms) for escaped in escapes(form))
    return {form for form in forms if form}


def escapes(text: str) -> tuple[str, ...]:
    """``text`` as ``repr``, JSON (ASCII or not), ``unicode_escape`` and a UTF-8 ``bytes`` repr write it, without quotes."""
    return (
        repr(text)[1:-1],
        json.dumps(text)[1:-1],
        json.dumps(text, ensure_ascii=False)[1:-1],
        text.encode("unicode_escape").decode("ascii"),
        repr(text.encode("utf-8"))[2:-1],
    )


def censored_forms(token: Any) -> set[str]:
    """The values Ansible's ``no_log`` censoring needs besides the raw one: the token as sent, and URL-encoded."""
    sent = stripped_token(token)
    return {form for form in (sent, quote(sent, safe="")) if form}


def redact(text: str) -> str:
    """``text`` without any rendering of any remembered token, longest first."""
    with _lock:
        forms = sorted(_remembered, key=len, reverse=True)
    for form in forms:
        text = text.replace(form, HIDDEN)
    return text


def redacted(value: Any) -> Any:
    """``value`` (a result: dicts, lists, strings) with ``redact`` applied to every string in it."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redacted(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redacted(item) for item in value)
    return value
