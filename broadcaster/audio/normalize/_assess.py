"""Finding damaged text before it airs: letters lost by a PDF or OCR export, tones lost, font damage.

Nothing here changes the text. A repair guessed from a damaged word is wrong about as often as
it is right ("d ng" is dựng as often as dòng), so the officer is shown where the text is
suspicious and fixes it; the normalizer reads what is written.

What is flagged, each with a short Vietnamese reason the pages and the CLI show:

- font damage: a letter outside the Vietnamese alphabet inside a word (TCVN3/VNI text shown in
  another font: "nhiÖm", "vieäc") or a sign between two letters ("ti€u", "nh©n");
- a lower-case consonant standing alone ("x Tân Hòa", "n m 2024"), except units and signs after
  a number (5 m, 3 x 4) and the halves of "đ/c";
- a run of consonants without a vowel that is not an acronym ("T nh h nh", "ph ng");
- a word written without its marks: a syllable that only exists with a tone ("HOACH", "viec",
  "nguoi"), and with it the unmarked words around it ("KE HOACH"); also a long run of unmarked
  syllables, or a heading in capitals with none of its marks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._letters import is_ascii_syllable, is_vietnamese_syllable
from ._lexicon import build_lexicon, latin_words

FONT = "chữ lạ do lỗi phông"
STRAY = "chữ cái đứng riêng"
NO_VOWEL = "thiếu nguyên âm"
NO_TONE = "thiếu dấu thanh"

_VIET_LOWER = set(
    "abcdefghijklmnopqrstuvwxyzđ"
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
)
_VOWELS = set("aeiouyăâêôơư")
_CONSONANTS = set("bcdđghklmnpqrstvxfjwz")
#: Signs that may sit between two letters in clean text (ra-đi-ô, H'Mông, đ/c, TP.HCM, TT&TT).
_JOINERS = set("-‐‑–'’./&+_@:,")
_WORD = re.compile(r"[^\W\d_]+")
_WEB = re.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:[\w-]+\.)+(?:vn|com|net|org|gov|edu|info|io)\b\S*",
    re.IGNORECASE,
)
#: A lone letter right after a number is a unit or a sign (5 m, 2 l, 500 k, 7 h, 3 x 4).
_AFTER_NUMBER = re.compile(r"[0-9][.,]?\s{0,2}$")
#: Unmarked syllables in a row that clean text hardly ever has (lower case, then capitals).
_RUN_LOWER = 5
_RUN_UPPER = 3


@dataclass(frozen=True)
class Suspicion:
    """One suspicious place: offsets into the text as given, the text there, and why."""

    start: int
    end: int
    text: str
    reason: str


@dataclass(frozen=True)
class Assessment:
    """How clean a text looks: a score from 0 (all damaged) to 1 (clean) and the places to fix."""

    score: float
    spans: list[Suspicion] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return whether nothing in the text needs the officer's attention."""
        return not self.spans


def _fold_letter(ch: str) -> str:
    return unicodedata.normalize("NFD", ch.lower())[0] if ch.lower() != "đ" else "đ"


def _is_viet_letter(ch: str) -> bool:
    return ch.lower() in _VIET_LOWER


def _unmarked(word: str) -> bool:
    return word.isascii()


@dataclass
class _Word:
    start: int
    end: int
    text: str
    reason: str | None = None


def _font_damage(text: str) -> list[Suspicion]:
    """Return the non-space runs damaged by a wrong font or code page."""
    out = []
    for m in re.finditer(r"\S+", text):
        run = m.group()
        bad = False
        for i, ch in enumerate(run):
            if ch.isalpha():
                if not _is_viet_letter(ch) and "LATIN" in unicodedata.name(ch, ""):
                    bad = True
                    break
                continue
            if ch.isdigit() or ch in _JOINERS or unicodedata.combining(ch):
                continue
            before = run[i - 1] if i else ""
            after = run[i + 1] if i + 1 < len(run) else ""
            if before.isalpha() and (after.isalpha() or unicodedata.category(ch) == "Cf"):
                bad = True
                break
        if bad:
            stripped = run.strip("\"'“”‘’()[]{}.,;:!?")
            start = m.start() + run.index(stripped) if stripped else m.start()
            out.append(Suspicion(start, start + len(stripped or run), stripped or run, FONT))
    return out


def _words(text: str, skip: list[tuple[int, int]]) -> list[_Word]:
    words = []
    for m in _WORD.finditer(text):
        if any(a <= m.start() < b for a, b in skip):
            continue
        words.append(_Word(m.start(), m.end(), m.group()))
    return words


def _only_spaces(text: str, a: int, b: int) -> bool:
    gap = text[a:b]
    return gap != "" and gap.strip(" \t") == ""


def assess(text: str, lexicon: Mapping[str, str] | None = None) -> Assessment:
    """Return how clean text looks and the places an officer must fix before it airs.

    Offsets in the spans are into text exactly as given (not normalized), so a page can
    highlight them. The lexicon (the station's pronunciation entries) names words that are
    known even though they look damaged.
    """
    text = text or ""
    lex = build_lexicon(lexicon)
    known = latin_words()
    font = _font_damage(text)
    skip = [(s.start, s.end) for s in font] + [m.span() for m in _WEB.finditer(text)]
    words = _words(text, skip)

    for w in words:
        token = w.text
        low = token.lower()
        if lex.get(token) is not None or low in known:
            continue
        if len(token) == 1:
            if low not in _CONSONANTS or token.isupper():
                continue
            before = text[w.start - 1] if w.start else ""
            after = text[w.end] if w.end < len(text) else ""
            if before in "/'’.(" or after in "/'’.)":
                continue
            if _AFTER_NUMBER.search(text[max(0, w.start - 6):w.start]):
                continue
            w.reason = STRAY
            continue
        letters = {_fold_letter(c) for c in low}
        if not letters & _VOWELS:
            if not token.isupper():
                w.reason = NO_VOWEL
            continue
        if token.isascii() and is_ascii_syllable(low) and not is_vietnamese_syllable(low):
            w.reason = NO_TONE

    # In capitals a vowel-less fragment looks like an acronym; next to a lone letter it is the
    # rest of a word that lost its vowel ("T NH H NH"). A lone capital next to a vowel-less
    # fragment belongs to it ("T nh").
    for i, w in enumerate(words):
        if w.reason is None and len(w.text) > 1 and w.text.isupper() and _lone_letter_next(text, words, i):
            if not {_fold_letter(c) for c in w.text.lower()} & _VOWELS and lex.get(w.text) is None:
                w.reason = NO_VOWEL
    for i, w in enumerate(words):
        if w.reason is None and len(w.text) == 1 and w.text.isupper():
            nxt = words[i + 1] if i + 1 < len(words) else None
            if nxt is not None and nxt.reason == NO_VOWEL and _only_spaces(text, w.end, nxt.start):
                w.reason = NO_VOWEL

    _flag_unmarked_runs(text, words)
    spans = _merge(text, words) + font
    spans.sort(key=lambda s: s.start)
    total = max(1, len(_WORD.findall(text)))
    bad = sum(len(_WORD.findall(s.text)) or 1 for s in spans)
    score = max(0.0, 1.0 - bad / total)
    return Assessment(round(score, 4), spans)


def _lone_letter_next(text: str, words: list[_Word], i: int) -> bool:
    """Return whether a single letter stands right before or after words[i] on its line."""
    w = words[i]
    if i and len(words[i - 1].text) == 1 and _only_spaces(text, words[i - 1].end, w.start):
        return True
    nxt = words[i + 1] if i + 1 < len(words) else None
    return nxt is not None and len(nxt.text) == 1 and _only_spaces(text, w.end, nxt.start)


def line_col(text: str, offset: int) -> tuple[int, int]:
    """Return the line and column (both from 1) of an offset into text."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def describe(text: str, assessment: Assessment, limit: int = 50) -> list[str]:
    """Return one Vietnamese line per suspicious place ("dòng 3, cột 12: «x» (chữ cái đứng riêng)")."""
    lines = []
    for span in assessment.spans[:limit]:
        line, col = line_col(text, span.start)
        shown = " ".join(span.text.split())
        lines.append(f"dòng {line}, cột {col}: «{shown}» ({span.reason})")
    if len(assessment.spans) > limit:
        lines.append(f"… và {len(assessment.spans) - limit} chỗ khác")
    return lines


def _flag_unmarked_runs(text: str, words: list[_Word]) -> None:
    """Flag runs of syllables without marks: around a word that needs a tone, or a long run."""
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    for w in words:
        plain = w.text.isascii() and is_ascii_syllable(w.text.lower())
        joined = bool(current) and _only_spaces(text, current[-1].end, w.start)
        if plain and (joined or not current):
            current.append(w)
            continue
        if current:
            runs.append(current)
        current = [w] if plain else []
    if current:
        runs.append(current)
    for run in runs:
        upper = all(w.text.isupper() for w in run)
        long_run = len(run) >= (_RUN_UPPER if upper else _RUN_LOWER)
        if long_run or any(w.reason == NO_TONE for w in run):
            for w in run:
                if w.reason is None:
                    w.reason = NO_TONE


#: When neighbours with different reasons are joined, the span keeps the most telling one.
_PRIORITY = {FONT: 0, NO_VOWEL: 1, NO_TONE: 2, STRAY: 3}


def _merge(text: str, words: list[_Word]) -> list[Suspicion]:
    """Return flagged words as spans, neighbours on the same line joined into one ("T nh h nh")."""
    spans: list[Suspicion] = []
    for w in words:
        if w.reason is None:
            continue
        if spans and _only_spaces(text, spans[-1].end, w.start):
            last = spans.pop()
            reason = min(last.reason, w.reason, key=_PRIORITY.__getitem__)
            spans.append(Suspicion(last.start, w.end, text[last.start:w.end], reason))
            continue
        spans.append(Suspicion(w.start, w.end, w.text, w.reason))
    return spans
