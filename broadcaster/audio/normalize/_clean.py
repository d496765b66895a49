"""Cleaning raw text and finding its structure: paragraphs, and in them units (a sentence run, a
heading or a list item) that each end with a full stop.

Text pasted from a PDF wraps every line and often puts a blank line between wrapped lines, so
lines are joined back before a blank line is taken as a paragraph break: a line that starts in
lower case, follows a dangling "-", "," or "(", or follows a line that fills the page width
continues the sentence above it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from ._numbers import number_words, roman_to_int

_TAG = re.compile(r"<(?:/?[A-Za-z!?][^<>]{0,500})>")
_NEWLINES = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_KEEP_SYMBOLS = {"°", "№", "℃"}
_APOSTROPHES = {"\u2019": "'", "\u02bc": "'", "\u2018": "'"}

@lru_cache(maxsize=4096)
def _is_latin_letter(ch: str) -> bool:
    """Return whether a letter belongs to the Latin script (every Vietnamese letter does)."""
    return "LATIN" in unicodedata.name(ch, "")


def _other_number(ch: str) -> str:
    """Return a compatibility spelling of a numeric sign (½ → 1/2, ² → 2, Ⅻ → XII) or ""."""
    nk = unicodedata.normalize("NFKC", ch).replace("\u2044", "/")
    return "".join(c for c in nk if c.isascii() and (c.isalnum() or c == "/"))


def clean(text: str) -> str:
    """Return text in NFC with HTML, control characters, emoji and letters of other scripts gone,
    every digit ASCII. Letters lost by a PDF export are not guessed back: assess() shows them."""
    text = unicodedata.normalize("NFC", text)
    text = html.unescape(text)
    text = _TAG.sub(" ", text)
    text = _NEWLINES.sub("\n", text)
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            if ch == "\n" or " " <= ch <= "~":
                out.append(ch)
            elif ch == "\t":
                out.append(" ")
            continue
        cat = unicodedata.category(ch)
        major = cat[0]
        if major == "L":
            # Another script (Chinese, Cyrillic, Thai…) is neither read by the Vietnamese voice
            # nor by the announcer: espeak-ng would say "Chinese letter" in English.
            if _is_latin_letter(ch):
                out.append(unicodedata.normalize("NFKC", ch) if ord(ch) >= 0xFF00 else ch)
            else:
                out.append(" ")
        elif major == "M" or major == "P" or cat in ("Sm", "Sc"):
            out.append(_APOSTROPHES.get(ch, ch))
        elif cat == "Nd":
            out.append(str(unicodedata.decimal(ch, 0)))
        elif major == "N":
            out.append(_other_number(ch))
        elif cat == "Zs":
            out.append(" ")
        elif cat in ("Zl", "Zp"):
            out.append("\n")
        elif ch in _KEEP_SYMBOLS:
            out.append("°C" if ch == "℃" else ch)
        # Emoji and other pictographs (So), modifier signs (Sk), format, private-use and
        # unassigned characters carry nothing to read.
    text = unicodedata.normalize("NFC", "".join(out))
    # After composition every Vietnamese letter is one code point; a mark still standing alone
    # came with no letter to sit on.
    text = "".join(ch for ch in text if not unicodedata.combining(ch) and unicodedata.category(ch)[0] != "M")
    return text


# --- structure -----------------------------------------------------------------------------

_ROMAN_HEADING = re.compile(r"(?P<roman>[IVX]{1,6})[.)](?:\s+|$)")
_MARKER = re.compile(
    r"""(?:
        [-+•●○■□▪◦*–—·‣⁃](?:\s+|(?![0-9]))          # bullets and dashes
      | \#{1,6}\s*                                   # markdown headings
      | \(?[a-zđ]\)\s*                               # a)  (b)
      | [a-zđA-Z]\.\s+                               # a.  B.
      | \(?[0-9]{1,2}\)\s*                            # 1)  (2)
      | [0-9]{1,2}(?:\.[0-9]{1,2})*\.(?:\s+|$)         # 1.  3.2.
      | [0-9]{1,2}(?:\.[0-9]{1,2})+\s+                 # 1.1 Nội dung
    )""",
    re.X,
)
_PAGE_NUMBER = re.compile(r"[0-9]{1,3}")
#: The widest line a PDF page wraps text at, in characters.
_PAGE_WIDTH = 120
_TERMINAL = re.compile(r"[.;:!?…][\s\"'”’»)\]]*$")
_DANGLING = re.compile(r"[,(&/\-–—+]$")
_GLUED_HYPHEN = re.compile(r"[^\W_]-$")
# Words that cannot end a sentence or a heading: a line ending with one is cut mid-sentence.
_NEVER_LAST = {
    "của", "theo", "và", "với", "các", "cho", "về", "tại", "trong", "số", "ngày", "là", "những",
    "được", "để", "từ", "đến", "hoặc", "thuộc", "nhằm", "như", "bằng", "do", "mà", "thì", "nên",
    "tháng", "năm", "giữa", "trên", "dưới", "qua", "vào", "ra", "sự", "việc", "nhiều", "mọi",
}


@dataclass
class Unit:
    """A run of text read as one or more sentences, with words spoken before it (a heading number)."""

    lead: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    #: Started with a numbered marker ("1.", "3.2.", "II."): such a line is often a heading.
    numbered: bool = False

    @property
    def body(self) -> str:
        return "".join(self.lines)


def _strip_markers(line: str) -> tuple[list[str], str, bool]:
    """Return (words to say first, the line without its list markers, whether it was numbered)."""
    lead: list[str] = []
    numbered = False
    for _ in range(4):
        m = _ROMAN_HEADING.match(line)
        if m and roman_to_int(m.group("roman")):
            lead = [*number_words(roman_to_int(m.group("roman")) or 0), ","]
            line = line[m.end():]
            numbered = True
            continue
        m = _MARKER.match(line)
        if m and m.end() > 0:
            numbered = numbered or m.group()[0].isdigit()
            line = line[m.end():]
            continue
        break
    return lead, line.strip(), numbered


def _is_marker_line(line: str) -> bool:
    m = _ROMAN_HEADING.match(line)
    return bool((m and roman_to_int(m.group("roman"))) or _MARKER.match(line))


def _wrap_width(lines: list[str]) -> float:
    """Return the length from which a line looks wrapped by page width (no width: infinity)."""
    lengths = sorted(len(s) for s in lines if s)
    if len(lengths) < 4:
        return float("inf")
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    # A PDF page holds 80 to 110 characters a line; longer lines are paragraphs typed in Word or
    # Zalo, each its own sentence even without a final stop.
    return 0.8 * p90 if 40 <= p90 <= _PAGE_WIDTH else float("inf")


def _continues(prev: Unit, line: str, gap: int, width: float) -> bool:
    """Return whether line carries on the sentence of prev rather than starting a new unit."""
    if _is_marker_line(line):
        return False
    last = prev.lines[-1].rstrip()
    if _TERMINAL.search(last):
        return False
    first = line[0]
    if first.isalpha() and first.islower():
        return True
    if _DANGLING.search(last):
        return True
    words = last.split()
    if words and words[-1].lower() in _NEVER_LAST:
        return True
    if gap > 1:
        return False
    heading = prev.numbered and len(prev.lines) == 1
    # A short line is a line of its own ("Thời gian họp" then "7h30 sáng mai"); a line as wide
    # as the page was wrapped.
    return len(last) >= width and not last.isupper() and not heading


def structure(text: str) -> list[list[Unit]]:
    """Return the paragraphs of cleaned text, each a list of units."""
    raw = [" ".join(line.split()) for line in text.split("\n")]
    items: list[tuple[int, str]] = []
    gap = 0
    for i, line in enumerate(raw):
        if not line:
            gap += 1
            continue
        # A number alone between blank lines is a page number left by a PDF export.
        if _PAGE_NUMBER.fullmatch(line) and gap and items and i + 1 < len(raw) and not raw[i + 1]:
            gap += 1
            continue
        items.append((gap, line))
        gap = 0
    width = _wrap_width([line for _, line in items])

    paragraphs: list[list[Unit]] = []
    paragraph: list[Unit] = []
    unit: Unit | None = None
    for gap, line in items:
        if unit is not None and _continues(unit, line, gap, width):
            last = unit.lines[-1]
            unit.lines[-1] = last.rstrip()
            if not _GLUED_HYPHEN.search(unit.lines[-1]):
                unit.lines.append(" ")
            unit.lines.append(line)
            continue
        if unit is not None:
            paragraph.append(unit)
            if gap:
                paragraphs.append(paragraph)
                paragraph = []
        lead, body, numbered = _strip_markers(line)
        unit = Unit(lead=lead, lines=[body], numbered=numbered)
    if unit is not None:
        paragraph.append(unit)
    if paragraph:
        paragraphs.append(paragraph)
    return paragraphs
