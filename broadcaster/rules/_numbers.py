"""Numbers and times written the Vietnamese way: 1.234 and 12,5."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def vn_int(n: int) -> str:
    """Give back ``n`` with dots between thousands (1.234)."""
    return f"{n:,}".replace(",", ".")


def vn_fixed(x: float, digits: int = 1) -> str:
    """Give back ``x`` with exactly ``digits`` decimals after a comma, thousands dots (1.234,50)."""
    digits = max(0, int(digits))
    if round(x, digits) == 0:
        x = 0.0  # no "-0,0"
    s = f"{x:,.{digits}f}"
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_num(x: float, digits: int = 1) -> str:
    """Give back ``x`` with a decimal comma and thousands dots (1.234,5); whole numbers lose ",0"."""
    if float(x).is_integer():
        return vn_int(int(x))
    return vn_fixed(x, digits)


def vn_pct(x: float | None) -> str:
    """Give back a percent like 97,5%, or a dash when there is nothing to divide."""
    return "—" if x is None else f"{vn_num(x)}%"


def aware_instant(raw: object) -> datetime | None:
    """Give back the aware time an ISO 8601 text names, or None for anything else (no zone, not
    text, not a time): for fields another process wrote, which must never break a reader."""
    if not isinstance(raw, str):
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def show_local(dt: datetime | None, tz: str | ZoneInfo, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """Give back an aware time shown in the station's zone, or a dash."""
    if dt is None:
        return "—"
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return dt.astimezone(zone).strftime(fmt)


def show_duration(ms: int | None) -> str:
    """Give back a duration as m:ss (or h:mm:ss), or a dash."""
    if not ms:
        return "—"
    s = round(ms / 1000)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
