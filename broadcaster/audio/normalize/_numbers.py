"""Vietnamese number words: cardinals, digit strings, years, decimals, ordinals, Roman numerals.

Rules (standard Vietnamese as announcers read it):
- units after "mươi" (20 and up): 1 is "mốt", 4 is "tư", 5 is "lăm"; after "mười" 5 is "lăm";
- a zero tens digit inside a number is "linh" (north/central) or "lẻ" (south): 105 một trăm linh năm;
- a group after a higher group is read in full: 1.005 một nghìn không trăm linh năm;
- a group that is all zeros is skipped: 1.000.005 một triệu không trăm linh năm;
- 10^3 is "nghìn" (north/central) or "ngàn" (south), 10^6 "triệu", 10^9 "tỷ", and above that the
  count of "tỷ" is itself read as a number (10^12 một nghìn tỷ).
"""

from __future__ import annotations

from ._errors import NormalizeError

DIALECTS = ("north", "central", "south")

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

_BILLION = 10**9


def _words(dialect: str) -> tuple[str, str]:
    """Return the dialect's words for the zero tens digit and for a thousand."""
    if dialect == "south":
        return "lẻ", "ngàn"
    return "linh", "nghìn"


def _triple(n: int, full: bool, dialect: str) -> list[str]:
    """Read 0 < n < 1000; full reads a missing hundreds digit as "không trăm" (inner groups)."""
    linh, _ = _words(dialect)
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    out: list[str] = []
    if hundreds or full:
        out += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if hundreds or full:
                out.append(linh)
            out.append(DIGITS[units])
    elif tens == 1:
        out.append("mười")
        if units:
            out.append("lăm" if units == 5 else DIGITS[units])
    else:
        out += [DIGITS[tens], "mươi"]
        if units == 1:
            out.append("mốt")
        elif units == 4:
            out.append("tư")
        elif units == 5:
            out.append("lăm")
        elif units:
            out.append(DIGITS[units])
    return out


def _below_billion(n: int, full: bool, dialect: str) -> list[str]:
    _, thousand = _words(dialect)
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    out: list[str] = []
    started = full
    if millions:
        out += _triple(millions, started, dialect) + ["triệu"]
        started = True
    if thousands:
        out += _triple(thousands, started, dialect) + [thousand]
        started = True
    if units:
        out += _triple(units, started, dialect)
    return out


def _check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise NormalizeError(
            f"Phương ngữ không hợp lệ: {dialect!r}. Chọn một trong: north, central, south."
        )
    return dialect


def number_words(n: int, dialect: str = "north") -> list[str]:
    """Return the cardinal reading of n as a list of words."""
    if n < 0:
        return ["âm", *number_words(-n, dialect)]
    if n == 0:
        return [DIGITS[0]]
    if n >= _BILLION:
        high, low = divmod(n, _BILLION)
        out = number_words(high, dialect) + ["tỷ"]
        if low:
            out += _below_billion(low, True, dialect)
        return out
    return _below_billion(n, False, dialect)


def read_number(n: int, dialect: str = "north") -> str:
    """Return the cardinal reading of n: 21 → "hai mươi mốt", 1005 → "một nghìn không trăm linh năm"."""
    _check_dialect(dialect)
    return " ".join(number_words(int(n), dialect))


def read_digits(digits: str | int) -> str:
    """Return digits read one by one: "0912" → "không chín một hai" (phones, codes, hotlines)."""
    return " ".join(DIGITS[int(c)] for c in str(digits) if "0" <= c <= "9")


def read_year(year: int, dialect: str = "north") -> str:
    """Return a year as announcers read it, a plain cardinal: 2021 → "hai nghìn không trăm hai mươi mốt"."""
    return read_number(year, dialect)


def fraction_words(frac: str, dialect: str = "north") -> list[str]:
    """Return the words after "phẩy": up to two digits without a leading zero as a number, else digits."""
    if len(frac) <= 2 and not frac.startswith("0"):
        return number_words(int(frac), dialect)
    return [DIGITS[int(c)] for c in frac]


def read_decimal(text: str, dialect: str = "north") -> str:
    """Return a Vietnamese decimal read aloud: "98,5" → "chín mươi tám phẩy năm" ("," is the mark)."""
    _check_dialect(dialect)
    whole, _, frac = text.partition(",")
    whole = whole.replace(".", "")
    if not whole.isdigit() or (frac and not frac.isdigit()):
        raise ValueError(f"not a decimal number: {text!r}")
    out = number_words(int(whole), dialect)
    if frac:
        out += ["phẩy", *fraction_words(frac, dialect)]
    return " ".join(out)


def ordinal_words(n: int, dialect: str = "north") -> list[str]:
    """Return the words after "thứ": 1 → nhất, 4 → tư, other numbers as cardinals."""
    if n == 1:
        return ["nhất"]
    if n == 4:
        return ["tư"]
    return number_words(n, dialect)


def read_ordinal(n: int, dialect: str = "north") -> str:
    """Return an ordinal with its "thứ": 1 → "thứ nhất", 4 → "thứ tư", 10 → "thứ mười"."""
    _check_dialect(dialect)
    return " ".join(["thứ", *ordinal_words(n, dialect)])


def month_words(n: int, dialect: str = "north") -> list[str]:
    """Return the words after "tháng": 4 is "tư", the others are cardinals."""
    return ["tư"] if n == 4 else number_words(n, dialect)


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_to_int(text: str) -> int | None:
    """Return the value of a strictly written Roman numeral (I…MMMCMXCIX), or None if it is not one."""
    if not text or any(c not in _ROMAN for c in text) or len(text) > 15:
        return None
    total = 0
    for i, c in enumerate(text):
        v = _ROMAN[c]
        if i + 1 < len(text) and _ROMAN[text[i + 1]] > v:
            total -= v
        else:
            total += v
    if not 0 < total < 4000 or int_to_roman(total) != text:
        return None
    return total


def int_to_roman(n: int) -> str:
    """Return the canonical Roman numeral of 0 < n < 4000."""
    out = []
    for value, sym in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)
