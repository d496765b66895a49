"""Sentences and short phrases: how text is cut before it reaches a speech engine.

Google's endpoint takes at most 100 characters a request. gTTS's own tokenizer cuts at any
punctuation, including the dots of "1.500.000", and then at the last space before the limit, which
can split "Nguyễn Thị | Hòa" between two requests (two intonation contours in the middle of a
name). This splitter cuts at sentence ends first, then at clause pauses (, ; :), then between
words, and never inside a protected span: a number with separators, or a run of capitalised words
(a person's or place's name). Only a single unbroken token longer than the limit is ever cut, and
then between characters: nothing else can be done with it.
"""

from __future__ import annotations

import re

LIMIT = 100

# A number written with group or decimal separators, a date, a phone: digits joined by . , / : -
_NUMBER = re.compile(r"\d+(?:[.,/:\-]\d+)+")
_WORD = re.compile(r"\S+")
# Sentence end: . ? ! (possibly repeated, possibly closed by a quote/bracket) then whitespace.
_SENTENCE_END = re.compile(r"[.?!…]+[\"'”’)\]]*\s+")
_CLAUSE_END = re.compile(r"[,;:]\s+")


def _capitalised(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return bool(letters) and letters[0].isupper()


def _names(text: str) -> list[tuple[int, int]]:
    """Return spans of two or more capitalised words in a row ("Nguyễn Thị Hòa", "Đắk Nông").

    A run stops at a word that ends in punctuation: "Hòa, Nguyễn" are two names in a list.
    """
    spans: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    for m in _WORD.finditer(text):
        word = m.group()
        if _capitalised(word):
            run.append(m.span())
            if not word[-1].isalnum():
                if len(run) > 1:
                    spans.append((run[0][0], run[-1][1]))
                run = []
            continue
        if len(run) > 1:
            spans.append((run[0][0], run[-1][1]))
        run = []
    if len(run) > 1:
        spans.append((run[0][0], run[-1][1]))
    return spans


def _protected(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _NUMBER.finditer(text)]
    return sorted(spans + _names(text))


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < pos < b for a, b in spans)


def _cuts(text: str, pattern: re.Pattern[str], spans: list[tuple[int, int]]) -> list[str]:
    """Return text cut after every match of pattern that is not inside a protected span."""
    parts: list[str] = []
    start = 0
    for m in pattern.finditer(text):
        if _inside(m.start(), spans):
            continue
        parts.append(text[start:m.end()])
        start = m.end()
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def sentences(text: str) -> list[str]:
    """Return the sentences of one paragraph, each stripped, end punctuation kept."""
    text = " ".join(text.split())
    return [p.strip() for p in _cuts(text + " ", _SENTENCE_END, _protected(text))]


def paragraphs(text: str) -> list[list[str]]:
    """Return the text as paragraphs (split at blank lines) of sentences; empty ones dropped."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        sents = sentences(block)
        if sents:
            out.append(sents)
    return out


def _words(text: str) -> list[str]:
    """Return the text as unbreakable atoms: words, with protected spans kept whole."""
    spans = _protected(text)
    atoms: list[str] = []
    start = 0
    for m in re.finditer(r"\s+", text):
        if _inside(m.start(), spans):
            continue
        atoms.append(text[start:m.start()])
        start = m.end()
    atoms.append(text[start:])
    return [a for a in atoms if a]


def _pack(pieces: list[str], limit: int, sep: str) -> list[str]:
    """Return pieces greedily joined with ``sep`` into chunks of at most ``limit`` characters."""
    out: list[str] = []
    cur = ""
    for piece in pieces:
        cand = f"{cur}{sep}{piece}" if cur else piece
        if len(cand) <= limit:
            cur = cand
            continue
        if cur:
            out.append(cur)
        cur = piece
    if cur:
        out.append(cur)
    return out


def split_phrases(text: str, limit: int = LIMIT) -> list[str]:
    """Return text cut into phrases of at most ``limit`` characters at the best boundaries.

    Preference: sentence ends, then clause pauses, then spaces between words; never inside a
    number with separators or a run of capitalised words. Joining the phrases with single
    spaces gives back the text with its whitespace collapsed.
    """
    if limit < 10:
        raise ValueError("limit too small")
    text = " ".join(text.split())
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    out: list[str] = []
    spans = _protected(text)
    for sent in _cuts(text + " ", _SENTENCE_END, spans):
        sent = sent.strip()
        if len(sent) <= limit:
            out.append(sent)
            continue
        clauses = [c.strip() for c in _cuts(sent + " ", _CLAUSE_END, _protected(sent))]
        small: list[str] = []
        for clause in clauses:
            if len(clause) <= limit:
                small.append(clause)
                continue
            small.extend(_pack(_words(clause), limit, " "))
        pieces: list[str] = []
        for piece in small:
            if len(piece) <= limit:
                pieces.append(piece)
                continue
            # A protected run longer than the limit (names written back to back): between its
            # words; a single token longer than the limit: nothing to do but cut it.
            for w in _pack(piece.split(" "), limit, " "):
                pieces.extend(w[i:i + limit] for i in range(0, len(w), limit))
        out.extend(_pack(pieces, limit, " "))
    # Neighbouring short sentences share a request: fewer requests, less throttling.
    return _pack(out, limit, " ")
