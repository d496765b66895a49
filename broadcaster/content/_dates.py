"""Dates, times and months as Vietnamese officers type them, whatever the browser's language.

Forms use plain text fields: a date is typed ``25/11/2026`` (day first), a time ``05:30`` (24 h),
a month ``11/2026``. The ISO forms (``2026-11-25``, ``2026-11``) are accepted too, so links,
scripts and the API keep working. Errors are ValueError with a Vietnamese message.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_HM = re.compile(r"(\d{1,2})\s*[:hHgG]\s*(\d{2})(?:\s*:\s*(\d{2}))?")
_MY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{4})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")

#: Shown as placeholders and in messages: what to type.
DATE_HINT = "dd/mm/yyyy"
TIME_HINT = "HH:MM"
MONTH_HINT = "mm/yyyy"


def to_date(raw: Any) -> date | None:
    """Give back the date typed as dd/mm/yyyy or yyyy-mm-dd (None when empty); ValueError otherwise."""
    if raw is None or isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    m = _DMY.fullmatch(text)
    if m:
        d, mo, y = (int(x) for x in m.groups())
    else:
        m = _ISO.fullmatch(text)
        if not m:
            raise ValueError(f"Ngày «{text}» không đúng dạng ngày/tháng/năm (ví dụ 25/11/2026).")
        y, mo, d = (int(x) for x in m.groups())
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"Ngày «{text}» không có trên lịch (ngày/tháng/năm, ví dụ 25/11/2026).") from None


def to_time(raw: Any) -> time | None:
    """Give back the time typed as HH:MM (24 h; HH:MM:SS too) or None when empty; ValueError otherwise."""
    if raw is None or isinstance(raw, time):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    m = _HM.fullmatch(text)
    if not m:
        raise ValueError(f"Giờ «{text}» không đúng dạng giờ:phút, 24 giờ (ví dụ 05:30 hoặc 17:00).")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if not (0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 59):
        raise ValueError(f"Giờ «{text}» không có thật: giờ từ 00 đến 23, phút từ 00 đến 59.")
    return time(h, mi, s)


def to_month(raw: Any) -> str | None:
    """Give back "YYYY-MM" from a month typed mm/yyyy or yyyy-mm (None when empty); else ValueError."""
    text = str(raw or "").strip()
    if not text:
        return None
    m = _MY.fullmatch(text)
    if m:
        mo, y = int(m.group(1)), int(m.group(2))
    else:
        m = _ISO_MONTH.fullmatch(text)
        if not m:
            raise ValueError(f"Tháng «{text}» không đúng dạng tháng/năm (ví dụ 11/2026).")
        y, mo = int(m.group(1)), int(m.group(2))
    if not 1 <= mo <= 12:
        raise ValueError(f"Tháng «{text}» không có thật: tháng từ 1 đến 12 (ví dụ 11/2026).")
    return f"{y:04d}-{mo:02d}"


def show_date(value: Any) -> str:
    """Give back a date as dd/mm/yyyy; text that is not a date comes back as typed ("" for None)."""
    if value is None or value == "":
        return ""
    try:
        d = to_date(value)
    except ValueError:
        return str(value)
    return d.strftime("%d/%m/%Y") if d else ""


def show_time(value: Any) -> str:
    """Give back a time as HH:MM (HH:MM:SS when it has seconds); odd text comes back as typed."""
    if value is None or value == "":
        return ""
    try:
        t = to_time(value)
    except ValueError:
        return str(value)
    if t is None:
        return ""
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


def show_month(value: Any) -> str:
    """Give back a "YYYY-MM" month as mm/yyyy; odd text comes back as typed."""
    if not value:
        return ""
    try:
        month = to_month(value)
    except ValueError:
        return str(value)
    return f"{month[5:]}/{month[:4]}" if month else ""
