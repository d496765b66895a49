"""Number types for the command line: a bad number is one Vietnamese line, never a traceback.

``float("nan")``, ``float("inf")`` and ``1e400`` all parse; nothing downstream (timedelta, SQLite
integers, ports) takes them, so every numeric option states its range and is checked here.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

#: Largest id an SQLite or PostgreSQL integer column holds (a bigger one overflows the driver).
MAX_ID = 2**31 - 1


def _show(value: float) -> str:
    # Vietnamese writing: a dot between thousands, a comma before decimals.
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:g}".replace(".", ",")


def number(lo: float, hi: float, *, unit: str = "", integer: bool = False) -> Callable[[str], float | int]:
    """Give back an argparse type accepting a finite number from ``lo`` to ``hi`` (whole if ``integer``)."""
    what = "số nguyên" if integer else "số"
    span = f"từ {_show(lo)} đến {_show(hi)}" + (f" {unit}" if unit else "")

    def parse(raw: str) -> float | int:
        text = (raw or "").strip().replace(",", ".") if not integer else (raw or "").strip()
        try:
            value: float | int = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"«{raw}» không phải {what}; cần {what} {span}.") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"«{raw}» không phải {what} hợp lệ; cần {what} {span}.")
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"«{raw}» nằm ngoài khoảng cho phép: cần {what} {span}.")
        return value

    parse.__name__ = what  # argparse names the type in its own messages
    return parse


def record_id(raw: str) -> int:
    """Give back a record number (1 to :data:`MAX_ID`) or an ArgumentTypeError in Vietnamese."""
    return int(number(1, MAX_ID, integer=True)(raw))
