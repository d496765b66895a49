"""Template filters that show numbers, dates and the as-run log the Vietnamese way.

- ``num``: a decimal comma and a dot between thousands (``-16,2``; ``1.250``);
- ``vdate`` / ``vtime`` / ``vmonth``: what a text field shows, dd/mm/yyyy, HH:MM, mm/yyyy;
- ``by_airing``: as-run rows grouped by airing (newest airing first), each airing's items in air order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..content import show_date, show_month, show_time
from ..rules import vn_fixed


def num(value: Any, digits: int = 1) -> str:
    """Give back a number with a decimal comma and dots between thousands ("" for None)."""
    if value is None or value == "":
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return vn_fixed(number, digits)


def _get(row: Any, key: str, default: Any = None) -> Any:
    if isinstance(row, dict):
        return row.get(key, default)
    return getattr(row, key, default)


def _at(row: Any) -> datetime | None:
    return _get(row, "started_at") or _get(row, "at") or _get(row, "scheduled_at")


def by_airing(rows: Iterable[Any]) -> list[tuple[Any, bool]]:
    """Give back (row, starts an airing) for as-run rows: airings (``occurrence_id``) newest first,
    each airing's items in air order (``position``, then time)."""
    groups: dict[Any, list[Any]] = {}
    for r in rows:
        groups.setdefault(_get(r, "occurrence_id"), []).append(r)
    floor = datetime.min
    for members in groups.values():
        members.sort(key=lambda r: (_get(r, "position") or 0, _naive(_at(r)) or floor, _get(r, "id") or 0))

    def started(group: list[Any]) -> datetime:
        times = [_naive(_at(r)) for r in group if _at(r) is not None]
        return min(times) if times else floor

    airings = sorted(groups.values(), key=started, reverse=True)
    return [(r, i == 0) for group in airings for i, r in enumerate(group)]


def _naive(dt: datetime | None) -> datetime | None:
    """Give back a UTC-naive time so aware and naive rows compare (the store keeps UTC)."""
    if dt is None:
        return None
    if dt.tzinfo is not None:
        return dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def voice_detail(detail: Any) -> str:
    """Give back a voice engine's detail without a leading "ready" (the card says it already)."""
    text = str(detail or "").strip()
    low = text.lower()
    for lead in ("sẵn sàng", "đã sẵn sàng"):
        if low.startswith(lead):
            text = text[len(lead) :].lstrip(" ,.;:—-")
            return text[:1].upper() + text[1:]
    return text


FILTERS = {
    "voice_detail": voice_detail,
    "num": num,
    "vdate": show_date,
    "vtime": show_time,
    "vmonth": show_month,
    "by_airing": by_airing,
}
