"""One guarded JSON parser: bounded depth and number size, every failure an InvalidInput.

``json.loads`` recurses once per nesting level (a 30,000-deep body raises RecursionError) and
turns a 5,000-digit integer into a ValueError (Python's int conversion limit): neither is a
JSONDecodeError, so callers that caught only that answered 500 or stalled a stream. Depth is
measured before parsing, over the bytes outside strings, so a deep body costs one linear scan.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from finguard.core.errors import InvalidInput

MAX_JSON_DEPTH = 64
# A JSON number longer than this is no amount, id or count we accept (money: core.money bounds digits).
MAX_NUMBER_CHARS = 40

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_KEEP = b"[]{}"
_DROP = bytes(b for b in range(256) if b not in _KEEP)
_LONG_NUMBER = re.compile(rb"[-+0-9.eE]{%d,}" % (MAX_NUMBER_CHARS + 1))
# A \ud800-\udfff escape: a surrogate, valid only as the first or second half of a pair.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _lone_surrogate(value: Any, path: str) -> str | None:
    """Where in a parsed document a string (or key) holds half a surrogate pair, if anywhere:
    JSON's ``\\ud800`` escapes parse into text that cannot be written as UTF-8 (a store, a
    stream or a response would fail on it later, far from the input)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            name = key.encode("utf-8", "backslashreplace").decode("utf-8")  # the error may quote it
            where = f"{path}.{name}" if path else name
            if _lone_surrogate(key, where) is not None:
                return where
            found = _lone_surrogate(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found = _lone_surrogate(item, f"{path}[{n}]")
            if found is not None:
                return found
    return None


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in ``data`` (0 for a scalar), strings ignored."""
    return _depth(_STRING.sub(b"", data))


def _depth(unquoted: bytes) -> int:
    """:func:`json_depth` of a document whose strings are already taken out (or emptied)."""
    brackets = unquoted.translate(None, _DROP)
    opening = brackets.count(b"[") + brackets.count(b"{")
    if opening <= 1:
        return opening
    if opening <= MAX_JSON_DEPTH:  # no deeper than its count of openings: the usual small body
        depth = level = 0
        for code in brackets:
            level += 1 if code in (0x5B, 0x7B) else -1
            depth = max(depth, level)
        return depth
    import numpy as np  # vectorised over large bodies; loaded by the first body checked, not by every command

    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps, dtype=np.int64).max())


def check_json(data: bytes, field: str = "body", max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse (InvalidInput naming ``field``) a document nested deeper than ``max_depth`` or
    holding a number longer than :data:`MAX_NUMBER_CHARS` characters, before anything parses it."""
    unquoted = _STRING.sub(b'""', data)  # once for both checks (#19): the quotes left are not brackets
    if _depth(unquoted) > max_depth:
        raise InvalidInput.for_field(field, f"is nested deeper than {max_depth} levels")
    if _LONG_NUMBER.search(unquoted):
        raise InvalidInput.for_field(field, f"holds a number longer than {MAX_NUMBER_CHARS} characters")


def loads(data: bytes | str, field: str = "body", *, exact: bool = True, max_depth: int = MAX_JSON_DEPTH, checked: bool = False) -> Any:
    """Parse JSON, bounded; numbers with a fraction become Decimal when ``exact`` (never a float).
    ``checked``: :func:`check_json` already passed these bytes with this ``field`` and ``max_depth``."""
    raw = data.encode() if isinstance(data, str) else data
    if not checked:
        check_json(raw, field, max_depth)
    try:
        value = json.loads(raw, parse_float=Decimal) if exact else json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput.for_field(field, f"is not JSON: {exc}") from None
    except (ValueError, RecursionError) as exc:  # bounded above; kept so no parse can escape as a 500
        raise InvalidInput.for_field(field, f"cannot be parsed: {type(exc).__name__}") from None
    if _SURROGATE_ESCAPE.search(raw):  # rare: only then is the document walked
        where = _lone_surrogate(value, "")
        if where is not None:
            raise InvalidInput.for_field(where or field, "holds half a surrogate pair (\\ud800-\\udfff), which is not text")
    return value
