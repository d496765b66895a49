"""Property tests of the normalizer: numbers read back to themselves, and no text breaks it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadcaster.audio.normalize import MAX_CHARS, NormalizeError, normalize, read_number

# --- an independent reader of Vietnamese number words ------------------------------------------

_DIGIT = {
    "không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5,
    "sáu": 6, "bảy": 7, "tám": 8, "chín": 9,
}


def _parse_below_thousand(words: list[str]) -> int:
    value, i = 0, 0
    if len(words) >= 2 and words[1] == "trăm":
        value += 100 * _DIGIT[words[0]]
        i = 2
    rest = words[i:]
    if not rest:
        return value
    if rest[0] in ("linh", "lẻ"):
        assert len(rest) == 2 and rest[1] in ("một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
        return value + _DIGIT[rest[1]]
    if rest[0] == "mười":
        assert len(rest) <= 2
        if len(rest) == 2:
            assert rest[1] not in ("mốt", "tư", "không", "năm")  # 15 is "mười lăm", 11 "mười một"
        return value + 10 + (_DIGIT[rest[1]] if len(rest) == 2 else 0)
    if len(rest) >= 2 and rest[1] == "mươi":
        assert len(rest) <= 3
        if len(rest) == 3:
            assert rest[2] not in ("một", "năm", "không")  # 21 mốt, 25 lăm
        return value + 10 * _DIGIT[rest[0]] + (_DIGIT[rest[2]] if len(rest) == 3 else 0)
    assert len(rest) == 1 and i == 0, words
    return value + _DIGIT[rest[0]]


def _parse_below_billion(words: list[str]) -> int:
    total = 0
    for scale_word, scale in (("triệu", 10**6), ("nghìn", 10**3), ("ngàn", 10**3)):
        if scale_word in words:
            k = words.index(scale_word)
            total += _parse_below_thousand(words[:k]) * scale
            words = words[k + 1:]
    return total + (_parse_below_thousand(words) if words else 0)


def parse_vietnamese_number(text: str) -> int:
    """Return the integer that Vietnamese number words name (the inverse of read_number)."""
    words = text.split()
    if "tỷ" in words:
        k = len(words) - 1 - words[::-1].index("tỷ")
        return parse_vietnamese_number(" ".join(words[:k])) * 10**9 + _parse_below_billion(words[k + 1:])
    if words == ["không"]:
        return 0
    return _parse_below_billion(words)


@settings(max_examples=1500, deadline=timedelta(seconds=1))
@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["north", "central", "south"]))
def test_every_integer_reads_back_to_itself(n: int, dialect: str) -> None:
    text = read_number(n, dialect)
    assert not any(ch.isdigit() for ch in text)
    assert parse_vietnamese_number(text) == n
    words = text.split()
    assert ("tỷ" in words) == (n >= 10**9)
    assert ("triệu" in words) == ((n % 10**9) // 10**6 > 0)
    thousand = "ngàn" if dialect == "south" else "nghìn"
    if (n % 10**6) // 1000 or (n >= 10**12):
        assert thousand in words
    assert ("lẻ" in words) <= (dialect == "south") and ("linh" in words) <= (dialect != "south")


@settings(max_examples=400, deadline=timedelta(seconds=1))
@given(st.integers(min_value=0, max_value=10**12))
def test_numbers_with_thousand_dots_read_as_read_number(n: int) -> None:
    written = f"{n:,}".replace(",", ".")
    assert normalize(f"có {written} người") == f"có {read_number(n)} người."


@settings(max_examples=300, deadline=timedelta(seconds=1))
@given(
    st.integers(min_value=1, max_value=28),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1900, max_value=2100),
)
def test_every_date_reads_with_its_day_month_and_year(day: int, month: int, year: int) -> None:
    spoken = normalize(f"ngày {day:02d}/{month}/{year}")
    month_word = "tư" if month == 4 else read_number(month)
    assert spoken == f"ngày {read_number(day)} tháng {month_word} năm {read_number(year)}."


# --- arbitrary text --------------------------------------------------------------------------------

_PARAGRAPH = re.compile(r"[^\W\d_]+(?:(?:, | |[.?!] )[^\W\d_]+)*[.?!]")


def _check_contract(text: str) -> None:
    try:
        out = normalize(text)
    except NormalizeError as exc:
        assert str(exc)  # a message for the officer, never empty
        return
    assert isinstance(out, str)
    assert not any(ch.isdigit() for ch in out)
    for paragraph in out.split("\n\n"):
        assert _PARAGRAPH.fullmatch(paragraph), (text, out)


_FRAGMENTS = [
    "4906/QĐ-UBND", "ngày", "29/12/2020", "Quý II/2025", " - ", "\n", "\n\n", "0768.221.221", "7h30",
    "1.000", ",5", "%", "(", ")", "II.", "XIII", "khóa", "thứ", "TT", "CN", "CT", "UBND", "@", "www.",
    ".gov.vn", "/", "-", "–", "…", "...", "./.", "0", "00000000000", "+84", "a)", "+ ", "• ", "x", "'",
    "Đắk R'Lấp", "số", "tháng", "&", "<b>", "&amp;", "😀", "\u0301", "²", "½", "Ⅻ", "٣", "1900", "113",
    "gọi", "°C", "km/h", "đ", "TP.", "B/c", "mức độ", "3/4", "Par Index", " ", "KẾ HOẠCH", "\u00a0",
]
official_like = st.lists(
    st.one_of(
        st.sampled_from(_FRAGMENTS),
        st.text(max_size=6),
        st.integers(min_value=0, max_value=10**16).map(str),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=500, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_gives_speech_or_a_normalize_error(text: str) -> None:
    _check_contract(text)


@settings(max_examples=500, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])
@given(official_like)
def test_official_looking_text_keeps_the_output_contract(text: str) -> None:
    _check_contract(text)


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1))
def test_digits_of_any_script_never_survive(text: str) -> None:
    _check_contract(text)


# --- size --------------------------------------------------------------------------------------------

SEEDS = Path("/work/shared/seeds")


def _long_text() -> str:
    seeds = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    base = "".join(p.read_text(encoding="utf-8") for p in seeds)
    if not base:
        base = "Quyết định số 4906/QĐ-UBND ngày 29/12/2020 của UBND huyện; gọi 0768.221.221.\n\n" * 20
    return (base * (MAX_CHARS // len(base) + 1))[:MAX_CHARS]


def test_a_text_of_the_maximum_size_completes() -> None:
    text = _long_text()
    assert len(text) == MAX_CHARS
    out = normalize(text)
    assert out and not any(ch.isdigit() for ch in out)


@pytest.mark.parametrize("unit", ["a", "1", "1.", "a.", "(", "-\n", "0 ", "a@", "www.", "CCHC "])
def test_pathological_repetitions_complete(unit: str) -> None:
    text = (unit * (MAX_CHARS // len(unit)))[:MAX_CHARS]
    try:
        out = normalize(text)
    except NormalizeError:
        return
    assert not any(ch.isdigit() for ch in out)


def test_over_the_limit_is_refused_naming_the_limit() -> None:
    with pytest.raises(NormalizeError, match=r"200\.000 ký tự"):
        normalize("a" * (MAX_CHARS + 1))
