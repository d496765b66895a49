"""Damaging clean Vietnamese text the ways PDF exports, OCR and old fonts do, remembering where.

Used by the detection tests and by bench/bench_normalize_damage.py: the damaged places are
known, so a detector's hit rate can be measured.
"""

from __future__ import annotations

import random
import re
import unicodedata

_WORD = re.compile(r"[^\W\d_]+")
_MARKED = set("àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵăâêôơưđ")
#: Signs a Vietnamese letter turns into when a TCVN3/VNI text is shown in another font.
_GARBLE = "©¬®×µ¶ª«€¸¹"
KINDS = ("lost_vowel", "font", "no_tone", "stray")


def _strip_marks(word: str) -> str:
    nfd = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in nfd if not unicodedata.combining(c))


def damage(text: str, n: int, seed: int = 1) -> tuple[str, list[tuple[int, int, str]]]:
    """Return text with n places damaged, and those places as (start, end, kind) in the result.

    Kinds: a marked vowel lost to a space ("tình" → "t nh", "xã" → "x"), a marked letter shown
    as a sign ("tiêu" → "ti€u"), a line's words written without marks, a stray letter put in.
    """
    rng = random.Random(seed)
    words = [m for m in _WORD.finditer(text) if any(c in _MARKED for c in m.group().lower())]
    chosen = sorted(rng.sample(words, min(n, len(words))), key=lambda m: m.start())
    out: list[str] = []
    places: list[tuple[int, int, str]] = []
    pos = 0
    taken_to = 0
    for m in chosen:
        if m.start() < taken_to:
            continue
        kind = KINDS[rng.randrange(len(KINDS))]
        start, end = m.start(), m.end()
        word = m.group()
        if kind == "no_tone":
            # The rest of the line, up to five words, lost its marks.
            line_end = text.find("\n", start)
            line_end = len(text) if line_end < 0 else line_end
            run = list(_WORD.finditer(text, start, line_end))[:5]
            end = run[-1].end()
            new = _strip_marks(text[start:end])
        elif kind == "lost_vowel":
            i = next(i for i, c in enumerate(word) if c.lower() in _MARKED)
            new = word[:i] + " " + word[i + 1:]
            new = new.rstrip() if i == len(word) - 1 else new
        elif kind == "font":
            i = next(i for i, c in enumerate(word) if c.lower() in _MARKED)
            new = word[:i] + _GARBLE[rng.randrange(len(_GARBLE))] + word[i + 1:]
        else:
            new = word + " " + rng.choice("bcdghklmnqrstvx")
        out.append(text[pos:start])
        at = sum(len(p) for p in out)
        out.append(new)
        places.append((at, at + len(new), kind))
        pos = end
        taken_to = end
    out.append(text[pos:])
    return "".join(out), places
