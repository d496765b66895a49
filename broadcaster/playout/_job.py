"""One airing waiting for, or on, its player, and the ways an airing can be cut.

Below both the player (which queues, claims and closes a job) and the airing's item loop (which
reads the job and notes a cut): each names a cut by the same words.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from ..models import PRIORITY_RANK, Priority
from ._prepare import Content, Prepared

CUT_REASONS = {
    "stop": "Dừng theo lệnh của người trực đài",
    "skip": "Bỏ qua mục đang phát theo lệnh của người trực đài",
    "emergency": "Ngắt để phát thông báo khẩn cấp",
    "live": "Ngắt để chuyển sang phát trực tiếp",
    "window": "Hết khung giờ phát",
    "shutdown": "Dịch vụ phát dừng",
}
#: What cuts in on an airing like a priority item; the cut airing follows the schedule's rule
#: (``on_interrupt``: resume from the cut item afterwards, or just log it interrupted).
CUT_INS = ("emergency", "live")


@dataclass
class Cut:
    kind: str
    reason: str


@dataclass
class Job:
    """One airing waiting for, or on, its player."""

    occurrence_id: int
    station_id: int
    zone_id: int | None
    sink_spec: str
    scheduled_at: datetime
    priority: Priority = Priority.NORMAL
    content: Content = field(default_factory=Content)
    title: str = ""
    window_end: datetime | None = None
    overrun: str = "allow"
    on_interrupt: str = "log"
    grace_s: int = 600
    prepared: Prepared | None = None
    resume_from: int = 0
    attempt: int = 0
    claimed: bool = False
    done: bool = False
    # Items aired early inside a relay's slot (its fallback): not aired again, even after a resume.
    aired_early: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def cut_kind(self) -> str | None:
        """Give back how this airing cuts in on what plays ("emergency", "live"), None if it waits."""
        if self.priority == Priority.EMERGENCY:
            return "emergency"
        if self.content.live_s is not None:
            return "live"
        return None

    def rank(self) -> tuple:
        # A cut-in goes before the airing it cut, even one of its own priority resuming.
        return (PRIORITY_RANK[self.priority], self.cut_kind is None, self.scheduled_at, self.occurrence_id)
