"""The rule "can this item air": what a leader approved, on a day it is valid for.

The player's prepare step skips by it; the pages and ``status`` warn by it before air time.
"""

from __future__ import annotations

from datetime import date

from ..models import STATUS_LABELS, Segment, SegmentStatus


def airability(segment: Segment, local_day: date) -> str | None:
    """Give back why ``segment`` may not air on ``local_day`` (station time), or None when it may."""
    if segment.status != SegmentStatus.APPROVED:
        return (
            f"Bản tin «{segment.title}» chưa được duyệt (đang ở trạng thái "
            f"«{STATUS_LABELS[segment.status]}»), không được phát."
        )
    if segment.valid_to is not None and segment.valid_to < local_day:
        return f"Bản tin «{segment.title}» đã hết hạn phát (đến hết ngày {segment.valid_to:%d/%m/%Y})."
    if segment.valid_from is not None and segment.valid_from > local_day:
        return f"Bản tin «{segment.title}» chưa đến ngày phát (từ ngày {segment.valid_from:%d/%m/%Y})."
    return None
