"""The gTTS phrase splitter: ≤ 100 characters, never inside a number or a name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcaster.audio._split import paragraphs, sentences, split_phrases

SEEDS = sorted(Path("/work/shared/seeds").glob("*.txt"))
NUMBER = re.compile(r"\d+(?:[.,/:\-]\d+)+")


def _check(text: str, phrases: list[str], protected: list[str], limit: int = 100) -> None:
    assert all(0 < len(p) <= limit for p in phrases), [p for p in phrases if len(p) > limit]
    # Nothing lost, nothing added: joining gives back the text with whitespace collapsed.
    assert " ".join(phrases) == " ".join(text.split())
    for item in protected:
        assert any(item in p for p in phrases), f"{item!r} was cut"


def test_number_and_name_stay_whole_in_a_long_sentence() -> None:
    text = (
        "Theo Quyết định số 4906/QĐ-UBND, gia đình bà Nguyễn Thị Hòa ở thôn Đông được hỗ trợ "
        "1.500.000 đồng để sửa nhà sau bão, ông Trần Văn Minh nhận 2.750.000 đồng và chị Lê Thị Hòa "
        "nhận 980.000 đồng vào ngày 15/3/2024 tại trụ sở Ủy ban nhân dân xã"
    )
    phrases = split_phrases(text)
    assert len(phrases) >= 3
    _check(text, phrases, ["1.500.000", "2.750.000", "980.000", "15/3/2024", "Nguyễn Thị Hòa",
                           "Trần Văn Minh", "Lê Thị Hòa", "4906/QĐ-UBND"])


@pytest.mark.parametrize("pad", range(0, 40, 3))
def test_a_name_at_every_position_around_the_limit_is_never_cut(pad: int) -> None:
    text = "x" * pad + " " + "bà con " * 12 + "Nguyễn Thị Hòa nhận 1.500.000 đồng hỗ trợ từ xã"
    _check(text, split_phrases(text), ["Nguyễn Thị Hòa", "1.500.000"])


def test_prefers_sentence_then_clause_boundaries() -> None:
    a = "Đây là câu thứ nhất khá dài để không thể ghép chung với câu sau trong một yêu cầu."
    b = "Câu thứ hai, có một chỗ ngắt ngắn, rồi tiếp tục thêm vài từ nữa cho đủ dài để phải tách."
    phrases = split_phrases(f"{a} {b}")
    assert phrases[0] == a
    assert all(p.endswith((".", ",")) for p in phrases)


def test_a_single_token_longer_than_the_limit_is_cut_as_a_last_resort() -> None:
    token = "a" * 250
    assert split_phrases(f"xem {token} nhé") == ["xem", "a" * 100, "a" * 100, "a" * 50 + " nhé"]


def test_short_text_is_one_phrase_and_empty_text_none() -> None:
    assert split_phrases("  Xin   chào  ") == ["Xin chào"]
    assert split_phrases(" \n ") == []


def test_sentences_and_paragraphs_of_normalized_text() -> None:
    text = "câu một. câu hai? câu ba!\n\nđoạn hai, có ngắt. hết."
    assert paragraphs(text) == [["câu một.", "câu hai?", "câu ba!"], ["đoạn hai, có ngắt.", "hết."]]
    assert sentences("số 1.500.000 đồng. xong.") == ["số 1.500.000 đồng.", "xong."]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_seed_documents(seed: Path) -> None:
    text = seed.read_text("utf-8")
    for block in re.split(r"\n\s*\n", text):
        if not block.strip():
            continue
        phrases = split_phrases(block)
        numbers = [m.group() for m in NUMBER.finditer(" ".join(block.split()))]
        _check(block, phrases, numbers)


NAMES = ["Nguyễn Thị Hòa", "Trần Văn Minh", "Lê Thị Hòa", "Phạm Ngọc Lan Anh", "Đắk Nông", "Thạch Thành"]
word = st.sampled_from(["bà", "con", "xã", "đăng", "ký", "khai", "sinh", "hồ", "sơ", "nộp", "tại", "ngày",
                        "thủ", "tục", "hành", "chính", "tháng", "nhận"])
number = st.integers(1, 999_999_999).map(lambda n: f"{n:,}".replace(",", "."))
punct = st.sampled_from(["", "", "", ",", ".", ";", ":"])


@st.composite
def documents(draw) -> tuple[str, list[str]]:
    parts, protected = [], []
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.integers(0, 9))
        if kind == 0 and not (parts and parts[-1] in NAMES):  # names back to back merge into one
            tok = draw(st.sampled_from(NAMES))
            protected.append(tok)
        elif kind == 1:
            tok = draw(number)
            protected.append(tok)
        else:
            tok = draw(word)
            kind = 2
        parts.append(tok + (draw(punct) if kind > 1 else ""))
    return " ".join(parts), protected


@settings(max_examples=300, deadline=None)
@given(documents(), st.integers(40, 120))
def test_property_limit_and_protected_spans(doc: tuple[str, list[str]], limit: int) -> None:
    text, protected = doc
    _check(text, split_phrases(text, limit), protected, limit)
