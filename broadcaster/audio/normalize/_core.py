"""normalize(): the whole pipeline, from pasted official text to what the announcer says."""

from __future__ import annotations

from collections.abc import Mapping

from ._clean import clean, structure
from ._errors import MAX_CHARS, NormalizeError, format_count
from ._lexicon import build_lexicon
from ._numbers import _check_dialect
from ._reader import PAUSE, STOPS, Reader

_STRENGTH = {PAUSE: 1, ".": 2, "!": 3, "?": 3}


def render(tokens: list[str]) -> str:
    """Return words and pause marks as one or more sentences, the last one closed."""
    parts: list[str] = []
    pending: str | None = None
    for tok in tokens:
        if tok in _STRENGTH:
            if pending is None or _STRENGTH[tok] > _STRENGTH[pending]:
                pending = tok
            continue
        word = "".join(ch for ch in tok if ch.isalpha())
        if not word:
            continue
        if parts and pending:
            parts[-1] += pending
        pending = None
        parts.append(word)
    if not parts:
        return ""
    parts[-1] += pending if pending in STOPS else "."
    return " ".join(parts)


def normalize(text: str, dialect: str = "north", lexicon: Mapping[str, str] | None = None) -> str:
    """Return text as a careful announcer reads it: Vietnamese words, sentences and pauses only.

    Paragraphs are separated by a blank line, each sentence ends with ".", "?" or "!", and a
    short pause inside a sentence is ", ". Raises NormalizeError (Vietnamese message) for empty
    or over-long input, an unknown dialect, a malformed lexicon, or text with nothing to read.
    """
    if not isinstance(text, str):
        raise NormalizeError("Văn bản phải là chuỗi ký tự.")
    if len(text) > MAX_CHARS:
        raise NormalizeError(
            f"Văn bản quá dài: {format_count(len(text))} ký tự, "
            f"tối đa {format_count(MAX_CHARS)} ký tự. Hãy chia thành nhiều bản tin."
        )
    if not text.strip():
        raise NormalizeError("Văn bản trống, không có gì để đọc.")
    _check_dialect(dialect)
    lex = build_lexicon(lexicon)
    paragraphs = []
    for paragraph in structure(clean(text)):
        sentences = []
        for unit in paragraph:
            spoken = render(Reader(unit.body, lex, dialect, unit.lead).run())
            if spoken:
                sentences.append(spoken)
        if sentences:
            paragraphs.append(" ".join(sentences))
    if not paragraphs:
        raise NormalizeError("Văn bản không có chữ nào đọc được.")
    return "\n\n".join(paragraphs)
