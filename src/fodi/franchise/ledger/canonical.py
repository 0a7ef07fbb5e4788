"""Canonical entry bytes: sorted-key, compact, UTF-8 JSON of integers, strings, booleans, null.

``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.  Floats are
refused (their text form is not canonical across languages); amounts are integers.  Any
verifier re-serialising a parsed entry the same way gets the same bytes, hence the same leaf.
"""

from __future__ import annotations

import json
from typing import Any


class NotCanonical(ValueError):
    pass


def _no_float(text: str) -> Any:
    raise NotCanonical(f"a number with a fraction or exponent ({text}) is not allowed")


def _no_constant(text: str) -> Any:
    raise NotCanonical(f"{text} is not allowed")


def _dump(entry: Any) -> bytes:
    try:
        text = json.dumps(
            entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise NotCanonical(f"not a JSON document of allowed types: {exc}") from exc
    return text.encode()


def _load(data: bytes) -> Any:
    try:
        return json.loads(data, parse_float=_no_float, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotCanonical("not JSON") from exc


def canonical_bytes(entry: dict[str, Any]) -> bytes:
    """The entry's canonical bytes; NotCanonical for floats, non-string keys or other types.

    The C encoder writes floats without asking, so the bytes are read back once with a
    float hook (cheaper than walking the entry in Python), which also catches int keys that
    the encoder would have turned into strings.
    """
    data = _dump(entry)
    if _load(data) != entry:
        raise NotCanonical("the entry does not survive a JSON round trip (non-string keys?)")
    return data


def parse_entry(data: bytes) -> dict[str, Any]:
    """The entry of canonical bytes; :class:`NotCanonical` if they are not canonical."""
    entry = _load(data)
    if not isinstance(entry, dict) or _dump(entry) != data:
        raise NotCanonical("not in canonical form")
    return entry
