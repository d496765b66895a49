"""JSON text read safely: what json.loads lets through but nothing downstream can take.

json.loads accepts lone surrogates ("\\ud800", unstorable in SQLite and PostgreSQL), nests as deep
as the interpreter's recursion allows (then raises RecursionError, not ValueError), and turns
``1e999`` into infinity and 100,000-digit literals into integers no column holds. Every caller of
JSON bodies (the API, the page's listen-before-saving call) reads through :func:`parse_json`.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Largest integer or number a body may carry: far above any real value, and below SQLite's 64 bits.
MAX_NUMBER = 10**15
#: How deep a body may nest: the deepest real body is an object holding a list of numbers.
MAX_DEPTH = 8


#: Kinds of parsed value with nothing inside to check.
_PLAIN = frozenset({int, float, bool, type(None)})


class BadJson(ValueError):
    """JSON text that is refused; the message is Vietnamese, ``field`` the top-level key at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class _Refused:
    """A number the parser would not take as it is (too large, NaN, infinite), kept as typed."""

    def __init__(self, text: str) -> None:
        self.text = text[:40]


def _parse_int(text: str) -> Any:
    # Refused before int() runs: a 100,000-digit literal costs real time to convert.
    too_long = len(text.lstrip("-")) > len(str(MAX_NUMBER))
    return _Refused(text) if too_long or abs(int(text)) > MAX_NUMBER else int(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) and abs(value) <= MAX_NUMBER else _Refused(text)


def parse_json(raw: bytes) -> Any:
    """Give back the JSON value in ``raw``; BadJson (a Vietnamese message) for anything unsafe.

    Refused: text that is not UTF-8 JSON, nesting deeper than MAX_DEPTH (thousands of levels
    would exhaust the parser's recursion), lone surrogates ("\\ud800" cannot be stored), NaN and
    Infinity, and numbers beyond MAX_NUMBER. The field at fault is named where there is one.
    """
    try:
        value = json.loads(raw, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_Refused)
    except RecursionError:
        raise BadJson(f"Nội dung JSON lồng nhau quá sâu (tối đa {MAX_DEPTH} tầng).") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        where = f" (vị trí {exc.pos})" if isinstance(exc, json.JSONDecodeError) else ""
        raise BadJson(f"Nội dung gửi lên không phải JSON hợp lệ{where}.") from None
    # Walk without recursion: the value is already in memory, its depth is what is being checked.
    # Scalars are looked at where they stand; only containers (and refused numbers) are stacked.
    stack: list[tuple[Any, int, str | None]] = [(value, 1, None)]
    while stack:
        item, depth, top = stack.pop()
        if depth > MAX_DEPTH:
            raise BadJson(f"Nội dung JSON lồng nhau quá sâu (tối đa {MAX_DEPTH} tầng).", top)
        if isinstance(item, _Refused):
            raise BadJson(
                f"Số «{item.text}» không hợp lệ hoặc quá lớn (tối đa {MAX_NUMBER:,}).".replace(",", "."), top
            )
        if isinstance(item, str):
            _check_text(item, top)
        elif isinstance(item, dict):
            for k, v in item.items():
                _check_text(k, top)
                if type(v) not in _PLAIN:
                    stack.append((v, depth + 1, top if top is not None else k))
        elif isinstance(item, list):
            stack.extend((v, depth + 1, top) for v in item if type(v) not in _PLAIN)
    return value


def _check_text(text: str, top: str | None) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJson(
            "Văn bản có ký tự không hợp lệ (nửa cặp mã UTF-16 như \\ud800); hãy gõ lại đoạn đó.", top
        ) from None
