"""Finding damaged text before it airs: letters lost by a PDF or OCR export, tones lost, font damage.

Nothing here changes the text. A repair guessed from a damaged word is wrong about as often as
it is right ("d ng" is dựng as often as dòng), so the officer is shown where the text is
suspicious and fixes it; the normalizer reads what is written.

What is flagged, each with a short Vietnamese reason the pages and the CLI show:

- font damage: a letter outside the Vietnamese alphabet in a word (TCVN3/VNI text shown in a
  Unicode font: "nhiÖm", "vieäc", "cµa"), a sign between two letters ("ti€u", "nh©n") or an
  old-font sign at a word's edge ("©ỐC");
- a letter standing alone ("x Tân Hòa", "n m 2024", "lo i"), except labels (điểm b, khu B),
  units and signs after a number (5 m, 3 x 4), lists of letters and the halves of "đ/c";
- a run of consonants without a vowel that is not an acronym ("T nh h nh", "ph ng");
- a word that lost its first letters: a marked vowel after two spaces or a lone consonant
  ("quy  ịnh", "n ớc");
- a word written without its marks: a syllable that only exists with a mark ("viec", "nguoi"),
  with the unmarked words around it in a heading ("KE HOACH"), and a run of unmarked syllables
  that are not among those often written without marks (unmarked.tsv);
- a lower-case word that is neither Vietnamese nor a known Latin word nor in the dictionary
  (a fragment such as "qu", or a foreign word the voice has no reading for).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ._letters import (
    is_ascii_syllable,
    is_vietnamese_syllable,
    segment_ascii,
    segment_syllables,
    vietnamese_reading,
)
from ._lexicon import build_lexicon, latin_words
from ._reader import _TOKEN

FONT = "chữ lạ do lỗi phông"
STRAY = "chữ cái đứng riêng"
NO_VOWEL = "thiếu nguyên âm"
NO_TONE = "thiếu dấu thanh"
MISSING = "mất chữ cái"
UNKNOWN = "từ lạ, chưa rõ cách đọc"

_VIET_LOWER = set(
    "abcdefghijklmnopqrstuvwxyzđ"
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
)
_VOWELS = set("aeiouyăâêôơư")
#: Vowels that are never a word alone in a notice (unlike "ở", "ý", "y", "a"): left by a lost mark.
_LONE_VOWELS = set("iuoưăâ")
#: Words after which a single letter is a label, not damage (điểm b, khu B, Phụ lục A).
_LABELS = {
    "điểm", "tiết", "mục", "khoản", "khu", "dãy", "lô", "nhà", "phòng", "tầng", "hạng", "loại",
    "nhóm", "vitamin", "tổ", "đội", "ô", "lục", "phụ", "block", "trục", "cổng", "cửa", "số",
    "bảng", "biểu", "mẫu", "phần", "chữ", "ký", "kí", "cấp", "tuýp", "type", "đợt", "ca", "vòng",
    "lớp", "khối", "ngõ", "ngách", "hẻm", "kiệt", "đường", "văn", "thị", "bà", "ông", "anh",
    "chị", "em", "cháu", "cô", "chú", "bác", "cụ",
}
#: The same for a lower-case letter, which only legal references and formulas put alone.
_LOWER_LABELS = {"điểm", "tiết", "khoản", "mục", "chữ", "ký", "kí", "vitamin"}
_CONSONANTS = set("bcdđghklmnpqrstvxfjwz")
#: Signs that may sit between two letters in clean text (ra-đi-ô, H'Mông, đ/c, TP.HCM, TT&TT).
_JOINERS = set("-‐‑–'’./&+_@:,")
#: Signs that stand for Vietnamese letters when TCVN3/VNI text is shown in a Unicode font.
_FONT_SIGNS = set("©¬®×µ¶ª¸¹¼½¾¿¡¢¤¥¦§¨¯´·º÷€£")
#: A run of letters; superscript digits (m²) are \w but not letters.
_WORD = re.compile(r"[^\W\d_¹²³\u2070-\u209f]+")
#: A lone letter right after a number is a unit or a sign (5 m, 2 l, 500 k, 7 h, 3 x 4).
_AFTER_NUMBER = re.compile(r"[0-9][.,]?\s{0,2}$")
#: Unmarked syllables in a row that clean text hardly ever has: three with two uncommon ones
#: ("ke hoach thuc" but not "khai sinh cho"), or six of any kind.
_RUN = 3
_LONG_RUN = 6


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
                if not _is_viet_letter(ch) and (ord(ch) < 0x250 or "LATIN" in unicodedata.name(ch, "")):
                    bad = True  # µ ª Ö ä ñ: a TCVN3/VNI letter shown in a Unicode font
                    break
                continue
            if ch in "0123456789" or ch in _JOINERS or unicodedata.combining(ch):
                continue
            before = run[i - 1] if i else ""
            after = run[i + 1] if i + 1 < len(run) else ""
            if before.isalpha() and (after.isalpha() or unicodedata.category(ch) == "Cf"):
                bad = True
                break
            if ch in _FONT_SIGNS and (before.isalpha() or after.isalpha()):
                bad = True  # "©ỐC", "¬ịa": a letter of an old font at a word's edge
                break
        if bad:
            stripped = run.strip("\"'“”‘’()[]{}.,;:!?")
            start = m.start() + run.index(stripped) if stripped else m.start()
            out.append(Suspicion(start, start + len(stripped or run), stripped or run, FONT))
    return out


def _words(text: str, skip: list[tuple[int, int]], lex) -> list[_Word]:
    """Return the words to check: not in a web address, a damaged run, or a dictionary entry."""
    words = []
    known_to = -1
    for m in _WORD.finditer(text):
        if m.start() < known_to or any(a <= m.start() < b for a, b in skip):
            continue
        hit = lex.match(text, m.start())
        if hit is not None and hit[1] is not None:
            known_to = hit[2]  # "Par Index", "CA xã", "VH, TT & DL": the dictionary knows them
            continue
        words.append(_Word(m.start(), m.end(), m.group()))
    return words


def _only_spaces(text: str, a: int, b: int) -> bool:
    gap = text[a:b]
    return gap != "" and gap.strip(" \t") == ""


def _word_reason(text: str, words: list[_Word], i: int, lex, known: Mapping[str, str]) -> str | None:
    """Return why one word looks damaged, or None."""
    w = words[i]
    token = w.text
    low = token.lower()
    if lex.get(token) is not None or low in known:
        return None
    if _lost_first_letter(text, words, i):
        return MISSING
    if len(token) == 1:
        return _lone_letter_reason(text, words, i)
    if not {_fold_letter(c) for c in low} & _VOWELS:
        return None if token.isupper() else NO_VOWEL
    if not token.isascii():
        if vietnamese_reading(low) != low and is_vietnamese_syllable(vietnamese_reading(low)):
            return NO_TONE  # "thưc": only a tone makes it a word
        if is_vietnamese_syllable(low) or token.isupper() or _readable_pieces(segment_syllables(low)):
            return None
        return UNKNOWN  # "ngườii", "thàng": a typing or OCR slip the voice cannot read
    if is_ascii_syllable(low):
        # Only a syllable that some marks would make Vietnamese lost them; "Kon" (Kon Tum) is a
        # name in a minority language's spelling.
        return NO_TONE if vietnamese_reading(low) != low else None
    if token.isupper() or not token[1:].islower():
        return None  # an acronym (CCHC) or a brand written in mixed case
    if _readable_pieces(segment_ascii(low)):
        return None  # syllables written together (Campuchia, thachthanh): read one by one
    # A fragment of a word ("qu", "ngh") or a foreign word with no known reading.
    return UNKNOWN


def _readable_pieces(pieces: list[str] | None) -> bool:
    """Return whether a word cut into syllables is read as they are: two or more, none a vowel
    that is never a word alone ("ngườii" is not người + i; "Êđê" is ê đê)."""
    return bool(pieces) and len(pieces) > 1 and not any(p in _LONE_VOWELS for p in pieces)


def _lost_first_letter(text: str, words: list[_Word], i: int) -> bool:
    """Return whether a word starting with a marked vowel lost its first letters ("quy  ịnh",
    "n ớc"): two spaces before it on its line, or a lone consonant right before it."""
    w = words[i]
    if w.text[0].isascii() or _fold_letter(w.text[0]) not in _VOWELS:
        return False
    if text[max(0, w.start - 2):w.start] in ("  ", "\t", " \t", "\t "):
        return True
    prev = words[i - 1] if i else None
    return (
        prev is not None and len(prev.text) == 1 and prev.text.lower() in _CONSONANTS
        and _only_spaces(text, prev.end, w.start)
    )


def _lone_letter_reason(text: str, words: list[_Word], i: int) -> str | None:
    """Return why a one-letter word looks damaged ("x Tân Hòa", "n m", "lo i"), or None."""
    w = words[i]
    low = w.text.lower()
    if low not in _CONSONANTS and low not in _LONE_VOWELS:
        return None
    prev = words[i - 1].text if i else ""
    nxt = words[i + 1] if i + 1 < len(words) else None
    if nxt is not None and _only_spaces(text, w.end, nxt.start) and _lost_first_letter(text, words, i + 1):
        return MISSING  # "n ớc": the vowel after the letter went
    labels = _LABELS if w.text.isupper() else _LOWER_LABELS
    if prev.lower() in labels or _AFTER_NUMBER.search(text[max(0, w.start - 6):w.start]):
        return None  # điểm b, khu B, 5 m, 3 x 4
    before = text[w.start - 1] if w.start else ""
    after = text[w.end:w.end + 2]
    if before in "/'’(" or after[:1] in "/'’)" or (after[:1] == "." and after[1:2].isalpha()):
        return None  # đ/c, H'Mông, (a), p.Tân Phong
    if re.match(r"\s*[,;]\s*[^\W\d_](?![^\W\d_])", text[w.end:w.end + 4]) or (
        i and len(words[i - 1].text) == 1 and re.fullmatch(r"\s*,\s*", text[words[i - 1].end:w.start])
    ):
        return None  # a list of letters: "điểm a, b, c"
    if w.text.isupper():
        # A capital alone is a label (khu B, Phụ lục A) unless it sits in a heading in capitals
        # or in running text after a lower-case word ("thực hiện K hoạch", "phòng S Y tế").
        gap_ok = i and _only_spaces(text, words[i - 1].end, w.start)
        running = bool(gap_ok and prev[:1].islower() and prev.isalpha())
        return STRAY if running or _in_capitals(text, words, i) else None
    return STRAY


def _in_capitals(text: str, words: list[_Word], i: int) -> bool:
    """Return whether the words right before or after words[i] are capitalised syllables."""
    for j in (i - 1, i + 1):
        if 0 <= j < len(words):
            w = words[j]
            a, b = (w.end, words[i].start) if j < i else (words[i].end, w.start)
            capital = len(w.text) > 1 and w.text.isupper() and is_vietnamese_syllable(w.text)
            if capital and _only_spaces(text, a, b):
                return True
    return False


def assess(text: str, lexicon: Mapping[str, str] | None = None) -> Assessment:
    """Return how clean text looks and the places an officer must fix before it airs.

    Offsets in the spans are into text exactly as given (not normalized), so a page can
    highlight them. The lexicon (the station's pronunciation entries) names words that are
    known even though they look damaged.
    """
    given = text or ""
    text, origin = _composed(given)
    lex = build_lexicon(lexicon)
    known = latin_words()
    font = _font_damage(text)
    # Web and e-mail addresses are found as the reader finds them; their parts are not words.
    web = [m.span() for m in _TOKEN.finditer(text) if m.lastgroup in ("url", "email")]
    skip = [(s.start, s.end) for s in font] + web
    words = _words(text, skip, lex)

    for i, w in enumerate(words):
        w.reason = _word_reason(text, words, i, lex, known)

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

    _flag_unmarked_runs(text, words, lex)
    spans = _merge(text, words) + font
    spans.sort(key=lambda s: s.start)
    total = max(1, len(_WORD.findall(text)))
    bad = sum(len(_WORD.findall(s.text)) or 1 for s in spans)
    score = max(0.0, 1.0 - bad / total)
    if origin is not None:
        spans = [
            Suspicion(origin[s.start], origin[s.end], given[origin[s.start]:origin[s.end]], s.reason)
            for s in spans
        ]
    return Assessment(round(score, 4), spans)


def _composed(text: str) -> tuple[str, list[int] | None]:
    """Return text in NFC and, when that changed it, the offset in text of every NFC offset.

    Text pasted from a Mac or some PDF tools carries its marks as separate combining
    characters; words are checked composed, spans point into the text as given.
    """
    nfc = unicodedata.normalize("NFC", text)
    if nfc == text:
        return text, None
    out: list[str] = []
    origin: list[int] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i < len(text) and unicodedata.combining(text[i]):
            continue
        piece = unicodedata.normalize("NFC", text[start:i])
        out.append(piece)
        origin.extend([start] * len(piece))
        start = i
    origin.append(len(text))
    return "".join(out), origin


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


def _flag_unmarked_runs(text: str, words: list[_Word], lex) -> None:
    """Flag runs of syllables without marks: around a word that needs a tone, or a long run.

    Clean text has short runs of syllables that are often unmarked ("khai sinh cho con qua");
    a run with two syllables rarely written without marks, or a very long run, lost its marks.
    An acronym between them (CCHC, UBND) neither breaks nor lengthens a run.
    """
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    last_end = -1
    for w in words:
        acronym = w.text.isupper() and len(w.text) > 1 and (
            lex.get(w.text) is not None or not is_ascii_syllable(w.text.lower()))
        joined = bool(current) and _only_spaces(text, last_end, w.start)
        if acronym and joined:
            last_end = w.end
            continue
        plain = w.text.isascii() and is_ascii_syllable(w.text.lower()) and lex.get(w.text) is None
        if plain and joined:
            current.append(w)
        else:
            if current:
                runs.append(current)
            current = [w] if plain else []
        last_end = w.end
    if current:
        runs.append(current)
    common = _common_unmarked()
    for run in runs:
        # Around a word that cannot be unmarked, a heading in capitals lost all its marks
        # ("KE HOACH"); in running text only that word is sure ("triển khai viec").
        capitals = all(w.text.isupper() for w in run)
        rare = sum(w.text.lower() not in common for w in run)
        long_run = len(run) >= _LONG_RUN or (len(run) >= _RUN and rare >= 2)
        if long_run or (capitals and any(w.reason == NO_TONE for w in run)):
            for w in run:
                if w.reason is None:
                    w.reason = NO_TONE


@lru_cache(maxsize=1)
def _common_unmarked() -> frozenset[str]:
    text = resources.files(__package__).joinpath("unmarked.tsv").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


#: When neighbours with different reasons are joined, the span keeps the most telling one.
_PRIORITY = {FONT: 0, NO_VOWEL: 1, MISSING: 2, NO_TONE: 3, STRAY: 4, UNKNOWN: 5}


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
