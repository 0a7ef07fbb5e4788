"""Text handling for the rule engine: normalisation, tokens, and typo-tolerant stem matching.

Keywords are *stems* matched at the start of a token ("заказ" matches "заказать",
"заказы"), so one entry covers a word's Russian inflections.  A stem marked with ``~`` also
matches with one typo (an edit or a swap of neighbours, "мнею" for "меню"); longer stems
(six letters and more) always do.  Short stems stay exact: "hell" must not become "help".
"""

from __future__ import annotations

import re
from functools import lru_cache

_PUNCTUATION = re.compile(r"[^\w\s#№+-]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    lowered = text.lower().replace("ё", "е").replace("’", "'")
    lowered = lowered.replace("'", "")  # what's -> whats, i'd -> id
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", lowered)).strip()


def tokens(normalized: str) -> list[str]:
    return [token.strip("-") for token in normalized.split(" ") if token.strip("-")]


@lru_cache(maxsize=65536)
def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus swaps of neighbours)."""
    if a == b:
        return 0
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


@lru_cache(maxsize=262144)
def token_matches(token: str, stem: str) -> bool:
    """Whether ``token`` is a form of ``stem`` (``stem~`` tolerates one typo)."""
    fuzzy = stem.endswith("~")
    stem = stem.rstrip("~")
    if token.startswith(stem):
        return True
    # A typo is tolerated after a correct first letter, in words long enough to tell apart.
    if not (fuzzy or len(stem) >= 6) or len(stem) < 4 or len(token) < 4 or token[0] != stem[0]:
        return False
    return any(
        _distance(token[:length], stem) <= 1
        for length in (len(stem) - 1, len(stem), len(stem) + 1)
        if 0 < length <= len(token) + 1
    )


def phrase_at(words: list[str], phrase: list[str]) -> int:
    """The index where the stems of ``phrase`` match consecutive words, or -1."""
    for start in range(len(words) - len(phrase) + 1):
        if all(token_matches(words[start + k], stem) for k, stem in enumerate(phrase)):
            return start
    return -1


@lru_cache(maxsize=4096)
def _parts(keyword: str) -> tuple[str, ...]:
    return tuple(keyword.split(" "))


def has_any(words: list[str], keywords: tuple[str, ...]) -> bool:
    """Whether any keyword (a stem, or several separated by spaces) occurs in ``words``."""
    for keyword in keywords:
        parts = _parts(keyword)
        if len(parts) == 1:
            stem = parts[0]
            for word in words:
                if token_matches(word, stem):
                    return True
        elif phrase_at(words, list(parts)) >= 0:
            return True
    return False
