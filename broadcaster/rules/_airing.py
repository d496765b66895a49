"""The rule "can this item air": what a leader approved, on a day it is valid for.

The player's prepare step skips by it; the pages and ``status`` warn by it before air time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..models import STATUS_LABELS, Segment, SegmentStatus


@dataclass(frozen=True)
class Unairable:
    """Why an item will not air: ``short`` groups items in a forecast, ``reason`` is the full sentence."""

    short: str  # "chưa duyệt", "hết hạn", "chưa đến ngày phát"
    reason: str


def why_not(segment: Segment, local_day: date) -> Unairable | None:
    """Give back why ``segment`` may not air on ``local_day`` (station time), grouped; None when it may."""
    if segment.status != SegmentStatus.APPROVED:
        return Unairable(
            "chưa duyệt",
            f"Bản tin «{segment.title}» chưa được duyệt (đang ở trạng thái "
            f"«{STATUS_LABELS[segment.status]}»), không được phát.",
        )
    if segment.valid_to is not None and segment.valid_to < local_day:
        return Unairable(
            "hết hạn",
            f"Bản tin «{segment.title}» đã hết hạn phát (đến hết ngày {segment.valid_to:%d/%m/%Y}).",
        )
    if segment.valid_from is not None and segment.valid_from > local_day:
        return Unairable(
            "chưa đến ngày phát",
            f"Bản tin «{segment.title}» chưa đến ngày phát (từ ngày {segment.valid_from:%d/%m/%Y}).",
        )
    return None


def airability(segment: Segment, local_day: date) -> str | None:
    """Give back why ``segment`` may not air on ``local_day`` (station time), or None when it may."""
    blocked = why_not(segment, local_day)
    return blocked.reason if blocked else None
