"""Letter names for spelling acronyms, and a test of whether a token is a Vietnamese syllable.

The syllable test is what tells a heading in capitals ("KẾ HOẠCH", "NỘI DUNG") from an acronym
("CCHC", "PAPI"): the first is made of words a speaker reads, the second is spelled.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: How announcers name Latin letters when spelling an acronym (the French-derived names used on
#: Vietnamese radio and television). Multi-syllable names are written with spaces, never hyphens:
#: the output contract allows no punctuation but . , ? !
LETTER_NAMES = {
    "a": "a", "ă": "á", "â": "ớ", "b": "bê", "c": "xê", "d": "đê", "đ": "đê", "e": "e", "ê": "ê",
    "f": "ép", "g": "gờ", "h": "hát", "i": "i", "j": "gi", "k": "ca", "l": "e lờ", "m": "em mờ",
    "n": "en nờ", "o": "o", "ô": "ô", "ơ": "ơ", "p": "pê", "q": "quy", "r": "e rờ", "s": "ét",
    "t": "tê", "u": "u", "ư": "ư", "v": "vê", "w": "vê kép", "x": "ích xì", "y": "i dài",
    "z": "dét",
}

#: Consonant sounds used when an ethnic-minority place name glues a bare consonant to a syllable
#: with an apostrophe (Đắk R'Lấp, H'Mông): the consonant is voiced with a short "ờ".
CONSONANT_SOUNDS = {
    "b": "bờ", "c": "cờ", "d": "dờ", "đ": "đờ", "g": "gờ", "h": "hờ", "k": "cờ", "l": "lờ",
    "m": "mờ", "n": "nờ", "p": "pờ", "r": "rờ", "s": "sờ", "t": "tờ", "v": "vờ", "x": "xờ",
}

_TONES = {"\u0300": "huyền", "\u0301": "sắc", "\u0303": "ngã", "\u0309": "hỏi", "\u0323": "nặng"}

_ONSET = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
# "k" closes syllables only in Central Highlands names (Đắk Nông, Đắk Lắk), which headings contain.
_CODA = "ch|ng|nh|c|k|m|n|p|t|i|y|o|u"
_SYLLABLE = re.compile(
    rf"(?P<on>{_ONSET})?(?P<med>o(?=[aăe])|u(?=[âêơy]|ya))?"
    rf"(?P<nuc>iê|yê|ia|ya|uô|ua|ươ|ưa|a|ă|â|e|ê|i|o|ô|ơ|u|ư|y)(?P<coda>{_CODA})?"
)
# Without diacritics (web addresses): each vowel stands for all its accented forms.
_ASCII_SYLLABLE = re.compile(
    rf"(?P<on>{_ONSET.replace('|đ', '')})?(?P<med>o(?=[ae])|u(?=[aeoy]))?"
    rf"(?P<nuc>ie|ye|ia|ya|uo|ua|a|e|i|o|u|y)(?P<coda>{_CODA})?"
)


def split_tone(syllable: str) -> tuple[str, str | None]:
    """Return the syllable without its tone mark, and the tone's name (None for the level tone)."""
    tone = None
    kept = []
    for ch in unicodedata.normalize("NFD", syllable):
        if ch in _TONES:
            tone = _TONES[ch]
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def fold(text: str) -> str:
    """Return text lower-cased with every diacritic removed (đ → d), for loose comparisons."""
    nfd = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(ch for ch in nfd if not unicodedata.combining(ch))


@lru_cache(maxsize=16384)
def is_vietnamese_syllable(token: str) -> bool:
    """Return whether token (any case) is spelled like one Vietnamese syllable, tone rules included."""
    if not token or len(token) > 8:
        return False
    base, tone = split_tone(token.lower())
    m = _SYLLABLE.fullmatch(base)
    if not m:
        return False
    onset, medial, nucleus, coda = m.group("on"), m.group("med"), m.group("nuc"), m.group("coda")
    first = (medial or nucleus)[0]
    if onset in ("k", "gh", "ngh") and first not in "ieêy":
        return False
    if (onset == "c" and first in "ieêy") or (onset == "ng" and first in "ieê"):
        return False
    if onset == "g" and first in "eê":
        return False
    if nucleus in ("ă", "â", "iê", "yê", "uô", "ươ") and not coda:
        return False  # open syllables write these as ia, ya, ua, ưa
    # A syllable closed by a stop consonant carries the rising or the heavy tone.
    return not (coda in ("c", "ch", "k", "p", "t") and tone not in ("sắc", "nặng"))


@lru_cache(maxsize=16384)
def is_ascii_syllable(token: str) -> bool:
    """Return whether a lower-case ASCII run could be a Vietnamese syllable written without marks."""
    if not token or len(token) > 7:
        return False
    m = _ASCII_SYLLABLE.fullmatch(token)
    return m is not None and (m.group("coda") is not None or m.group("nuc") not in ("ie", "ye", "uo"))


_MARKLESS_VOWELS = (("uye", "uyê"), ("ie", "iê"), ("ye", "yê"), ("uo", "uô"))


def vietnamese_reading(word: str) -> str:
    """Return a lower-case word the Vietnamese voice reads as Vietnamese, not as English.

    espeak-ng switches to English for a Latin word that is not a Vietnamese syllable ("viec",
    "thuc", "lien"), so a syllable written without its marks gets the fewest marks that make it
    one: "ie" iê, "uo" uô, and the rising tone on a syllable closed by c, ch, p or t (the only
    tones such syllables take). The text is still flagged by assess(); this is only what the
    voice says until the officer fixes it.
    """
    if is_vietnamese_syllable(word):
        return word
    if not word.isascii() and split_tone(word)[1] is None:
        marked = with_rising_tone(word)
        if is_vietnamese_syllable(marked):
            return marked  # "thưc": a stop-closed syllable typed without its tone
    if not word.isascii() or not is_ascii_syllable(word):
        # Syllables written together ("panô", "thachthanh"): said one by one.
        pieces = segment_syllables(word) if not word.isascii() else segment_ascii(word)
        if pieces and len(pieces) > 1:
            return " ".join(vietnamese_reading(p) for p in pieces)
        return word
    fixed = word
    for plain, marked in _MARKLESS_VOWELS:
        if plain in fixed:
            fixed = fixed.replace(plain, marked, 1)
            break
    if not is_vietnamese_syllable(fixed):
        fixed = with_rising_tone(fixed)
    return fixed if is_vietnamese_syllable(fixed) else word


def with_rising_tone(syllable: str) -> str:
    """Return syllable with the rising tone on its main vowel (the last vowel before the coda)."""
    m = _SYLLABLE.fullmatch(syllable)
    if m is None:
        return syllable
    nucleus_end = m.end("nuc")
    # The mark sits on the second vowel of iê/uô/ươ/oa… and on the only vowel otherwise.
    at = nucleus_end - 1 if m.group("coda") else max(m.start("nuc"), nucleus_end - 2)
    if m.group("nuc") in ("ia", "ya", "ua", "ưa") and not m.group("coda"):
        at = m.start("nuc")
    chars = list(syllable)
    chars[at] = unicodedata.normalize("NFC", chars[at] + "\u0301")
    return "".join(chars)


def segment_ascii(run: str) -> list[str] | None:
    """Return run cut into unmarked Vietnamese syllables ("dichvucong" → dich vu cong), or None."""
    if not run or not run.isascii():
        return None
    return _segment(run, is_ascii_syllable, 7)


def segment_syllables(word: str) -> list[str] | None:
    """Return a word cut into Vietnamese syllables written together ("panô" → pa nô), or None."""
    return _segment(unicodedata.normalize("NFC", word), is_vietnamese_syllable, 8)


def _segment(run: str, is_syllable, longest: int) -> list[str] | None:
    """Return run cut into the fewest syllables by is_syllable (vowel-initial ones cost more)."""
    if not run or len(run) > 40 or not run.isalpha():
        return None
    run = run.lower()
    inf = float("inf")
    best: list[tuple[float, int]] = [(0.0, 0)] + [(inf, 0)] * len(run)
    for end in range(1, len(run) + 1):
        for start in range(max(0, end - longest), end):
            if best[start][0] == inf:
                continue
            piece = run[start:end]
            if not is_syllable(piece):
                continue
            # A syllable without an initial consonant is rarer: "hanoi" is ha noi, not han oi.
            cost = best[start][0] + (1.5 if fold(piece[0]) in "aeiouy" else 1.0)
            if cost < best[end][0]:
                best[end] = (cost, start)
    if best[-1][0] == inf:
        return None
    pieces = []
    end = len(run)
    while end:
        start = best[end][1]
        pieces.append(run[start:end])
        end = start
    return pieces[::-1]


def spell(token: str) -> str:
    """Return the letters of token by their Vietnamese names: "PCI" → "pê xê i"."""
    names = []
    for ch in token.lower():
        if ch in LETTER_NAMES:
            names.append(LETTER_NAMES[ch])
        elif ch.isalpha():
            names.append(ch)
    return " ".join(names)
