"""The pronunciation dictionary: shipped defaults in lexicon.tsv, merged with the caller's overrides.

Merge semantics: the caller's mapping is laid over the defaults key by key; for a key present in
both, the caller's expansion wins; keys are case-sensitive and compared exactly. An empty
expansion silences a key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

from ._errors import NormalizeError

_FIRST_RUN = re.compile(r"[^\W_]+")
_ALNUM = re.compile(r"[^\W_]")
#: Signs that join the parts of a compound abbreviation; officers put spaces around them or not
#: ("TT&TT", "TT & TT", "VH, TT & DL", "HC - VT"), so a key matches with any spacing there, and
#: a space in a key matches any run of whitespace (a PDF line break inside "Par Index").
_JOINERS = "&-,"


def _key_pattern(key: str) -> re.Pattern[str] | None:
    """Return a pattern for a key with joiners that allows any spacing around them, else None."""
    if not any(c in key for c in _JOINERS + " "):
        return None
    parts = []
    for ch in key:
        if ch in _JOINERS:
            parts.append(rf"\s*{re.escape(ch)}\s*")
        elif ch == " ":
            parts.append(r"\s+")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts))


def _read_tsv(name: str) -> dict[str, str]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, tab, value = line.partition("\t")
        if not tab or not key.strip():
            raise ValueError(f"{name}:{number}: expected KEY<TAB>expansion, got {line!r}")
        out[key.strip()] = value.strip()
    return out


@lru_cache(maxsize=1)
def _defaults() -> tuple[tuple[str, str], ...]:
    return tuple(_read_tsv("lexicon.tsv").items())


@lru_cache(maxsize=1)
def _url_words() -> dict[str, str]:
    return _read_tsv("urlwords.tsv")


@lru_cache(maxsize=1)
def _latin_words() -> dict[str, str]:
    return _read_tsv("latinwords.tsv")


def latin_words() -> dict[str, str]:
    """Return the table of Latin words villagers know (lower-case word → Vietnamese syllables)."""
    return dict(_latin_words())


def url_words() -> dict[str, str]:
    """Return the table of known words in web addresses (lower-case word → spoken form)."""
    return dict(_url_words())


def default_lexicon() -> dict[str, str]:
    """Return a fresh copy of the shipped pronunciation dictionary (abbreviation → expansion)."""
    return dict(_defaults())


class Lexicon:
    """A merged dictionary indexed for matching at token starts in running text."""

    def __init__(self, entries: Mapping[str, str], user_keys: frozenset[str] = frozenset()):
        self.entries = dict(entries)
        self.user_keys = user_keys
        index: dict[str, list[tuple[str, str, re.Pattern[str] | None]]] = {}
        for key, value in self.entries.items():
            m = _FIRST_RUN.match(key)
            if not m:
                continue  # keys must start with a letter or digit; others could never match
            index.setdefault(m.group(), []).append((key, value, _key_pattern(key)))
        for candidates in index.values():
            candidates.sort(key=lambda kv: len(kv[0]), reverse=True)
        self._index = index

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def match(self, text: str, pos: int) -> tuple[str, str, int] | None:
        """Return (key, expansion, end) of the longest key at text[pos:], or None."""
        m = _FIRST_RUN.match(text, pos)
        if not m:
            return None
        candidates = self._index.get(m.group())
        if not candidates:
            return None
        for key, value, pattern in candidates:
            if pattern is not None:
                found = pattern.match(text, pos)
                if found is None:
                    continue
                end = found.end()
            elif text.startswith(key, pos):
                end = pos + len(key)
            else:
                continue
            # A key ending in a letter or digit must end a word: "TT" is not a prefix of "TTHC".
            if _ALNUM.match(key[-1]) and end < len(text) and _ALNUM.match(text[end]):
                continue
            return key, value, end
        return None


@lru_cache(maxsize=1)
def _default_lexicon_object() -> Lexicon:
    return Lexicon(dict(_defaults()))


def build_lexicon(overrides: Mapping[str, str] | None) -> Lexicon:
    """Return the defaults with overrides laid over them (the caller's entries win)."""
    if not overrides:
        return _default_lexicon_object()
    if not isinstance(overrides, Mapping):
        raise NormalizeError("Từ điển phát âm phải là một bảng ánh xạ từ viết tắt sang cách đọc.")
    merged = dict(_defaults())
    user: set[str] = set()
    for key, value in overrides.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise NormalizeError(
                f"Mục từ điển không hợp lệ: {key!r} → {value!r}; cả hai phải là chuỗi ký tự."
            )
        key = key.strip()
        if not key:
            continue
        merged[key] = value.strip()
        user.add(key)
    return Lexicon(merged, frozenset(user))
