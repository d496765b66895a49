"""The forecast: what the coming airings will really play, and what they will skip and why.

Officers must never learn from the as-run log that an airing skipped its items: an item that went
back to draft, a starter column never approved, a normal slot that gives way to a priority one.
:func:`forecast` answers before air time from the same rules the player and the planner use
(:func:`broadcaster.rules.why_not`, :func:`takeovers`), whether or not the daemon has planned the rows yet.
Every page, the ``status`` command and the segment form show what it gives.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..db import utcnow
from ..models import (
    AirStatus,
    ItemType,
    Occurrence,
    Origin,
    Priority,
    Programme,
    Schedule,
    Segment,
    Station,
)
from ..rules import enabled_schedules, expand_occurrences, validate_schedule, why_not
from ._conflicts import Slot, airing_end, programme_ms, takeovers
from ._snapshot import HOURS


@dataclass
class ItemProblem:
    """One item of an airing that will be skipped."""

    title: str
    segment_id: int | None
    short: str  # groups the items: "chưa duyệt", "hết hạn", ...
    reason: str


@dataclass
class Airing:
    """One coming airing of a programme (all its zones together) and what it will skip."""

    at: datetime  # aware UTC
    local: datetime  # the same instant in the station's zone
    title: str
    schedule_id: int | None
    schedule_name: str
    programme_id: int | None
    priority: Priority
    zones: list[str] = field(default_factory=list)
    segments: int = 0  # segment items in the running order
    relays: int = 0  # relay items (tiếp sóng): a broadcast too, with no bulletin of the station
    problems: list[ItemProblem] = field(default_factory=list)
    skipped: str | None = None  # the whole airing will not air, and why
    # Relay items whose chosen fallback item may not air that day (it would be silence), and why.
    fallbacks: list[ItemProblem] = field(default_factory=list)
    given_way: str | None = None  # some of its zones give way to a priority airing, and why

    @property
    def nothing(self) -> bool:
        """True when no bulletin at all will air (chimes and pauses alone are not a broadcast)."""
        return self.skipped is not None or len(self.problems) >= self.segments + self.relays

    @property
    def ok(self) -> bool:
        return not self.problems and not self.nothing and not self.given_way and not self.fallbacks

    @property
    def when(self) -> str:
        return f"lúc {self.local:%H:%M} ngày {self.local:%d/%m}"

    @property
    def counts(self) -> str:
        """Give back the skipped items counted by reason: "3 mục chưa duyệt, 1 mục hết hạn"."""
        return ", ".join(f"{n} mục {short}" for short, n in Counter(p.short for p in self.problems).items())

    @property
    def message(self) -> str:
        """Give back the officer's one line about this airing (empty when it airs in full)."""
        if self.given_way and not self.nothing:
            head = self._items_message()
            return (head + " " if head else "") + f"{self.given_way} ({self.when})."
        return self._items_message()

    def _items_message(self) -> str:
        head = self._skips_message()
        for p in self.fallbacks:
            head += (" " if head else "") + (
                f"Nếu mất sóng khi tiếp sóng {self.when}, sẽ phát im lặng thay vì bản tin «{p.title}»: "
                f"{p.reason}"
            )
        return head

    def _skips_message(self) -> str:
        if self.skipped is not None:
            return f"Sẽ không phát gì {self.when}: {self.skipped}"
        if self.segments + self.relays == 0:
            return f"Sẽ không phát gì {self.when}: chương trình chưa có bản tin nào."
        if self.nothing:
            return f"Sẽ không phát gì {self.when}: cả {self.counts}."
        if self.problems:
            return f"{self.counts} — sẽ bị bỏ qua {self.when}."
        return ""

    def as_dict(self) -> dict:
        """Give back the airing as JSON-ready values (``status --json``, the dashboard's JSON)."""
        return {
            "luc": self.local.isoformat(),
            "tieu_de": self.title,
            "lich": self.schedule_name,
            "cum_loa": self.zones,
            "uu_tien": self.priority.value,
            "so_ban_tin": self.segments,
            "khong_phat_gi": self.nothing,
            "bo_qua_ca_buoi": self.skipped,
            "muc_bi_bo_qua": [
                {"tieu_de": p.title, "ban_tin": p.segment_id, "ly_do": p.reason} for p in self.problems
            ],
            "phat_thay_khong_duoc": [
                {"tieu_de": p.title, "ban_tin": p.segment_id, "ly_do": p.reason} for p in self.fallbacks
            ],
            "canh_bao": self.message or None,
        }


def _problem(segment: Segment | None, segment_id: int | None, day: date) -> ItemProblem | None:
    """Give back why a segment item will not air that day (None: it will)."""
    if segment is None:  # the player fails such an item; it airs nothing either
        return ItemProblem("?", segment_id, "không còn", "Bản tin không còn trong cơ sở dữ liệu.")
    blocked = why_not(segment, day)
    return None if blocked is None else ItemProblem(segment.title, segment_id, blocked.short, blocked.reason)


def _problems(programme: Programme | None, day: date) -> dict:
    """Give back an airing's counts and problems: segment and relay items, the segments that will
    be skipped, the relay fallbacks that will not air."""
    if programme is None:
        return {}
    segments = [it for it in programme.items if it.item_type == ItemType.SEGMENT]
    relays = [it for it in programme.items if it.item_type == ItemType.RELAY]
    return {
        "segments": len(segments),
        "relays": len(relays),
        "problems": [p for it in segments if (p := _problem(it.segment, it.segment_id, day))],
        "fallbacks": [
            p
            for it in relays
            if it.fallback == "item" and (p := _problem(it.fallback_segment, it.fallback_segment_id, day))
        ],
    }


def forecast(
    session: Session,
    station: Station,
    *,
    now: datetime | None = None,
    hours: float = HOURS,
    schedule_id: int | None = None,
    programme_id: int | None = None,
    segment_id: int | None = None,
) -> list[Airing]:
    """Give back the airings of the next ``hours`` (all, soonest first) with what each will skip.

    Filters keep the airings of one schedule, one programme, or the programmes holding a segment.
    Airings come from the enabled schedules (planned or not yet) and ad-hoc plays already queued.
    """
    tz = ZoneInfo(station.timezone)
    now = now or utcnow()
    hi = now + timedelta(hours=hours)
    schedules = [sc for sc in enabled_schedules(session, station.id) if not validate_schedule(sc)]
    durations: dict[int | None, int | None] = {}

    def ms(pid: int | None) -> int | None:
        if pid not in durations:
            durations[pid] = programme_ms(session, pid)
        return durations[pid]

    # Every schedule is expanded (a filtered view still needs the others: they may take its slot).
    slots: list[Slot] = []
    starts: list[tuple[Schedule, datetime]] = []
    for sc in schedules:
        zones = [z for z in sc.zones if z.enabled]
        for at, k in expand_occurrences(sc, now, hi, tz):
            starts.append((sc, at))
            end = airing_end(sc, at, k, ms(sc.programme_id))
            title = sc.programme.title if sc.programme else sc.name
            for z in zones:
                slots.append(
                    Slot((sc.id, z.id, at), z.id, at, end, sc.priority, title, sc.origin == Origin.HUB)
                )
    yielded = takeovers(slots, tz)
    # What the planner already decided stands (a row skipped for a priority slot that was since
    # planned differently is the planner's business; it rewrites it on its next round).
    rows = session.execute(
        select(Occurrence.schedule_id, Occurrence.zone_id, Occurrence.scheduled_at, Occurrence.reason).where(
            Occurrence.station_id == station.id,
            Occurrence.schedule_id.is_not(None),
            Occurrence.scheduled_at >= now,
            Occurrence.scheduled_at < hi,
            Occurrence.status == AirStatus.SKIPPED,
        )
    ).all()
    for sid, zid, at, reason in rows:
        yielded.setdefault((sid, zid, at), reason or "")

    cache: dict[tuple[int | None, date], dict] = {}
    out: list[Airing] = []
    for sc, at in starts:
        if schedule_id is not None and sc.id != schedule_id:
            continue
        if programme_id is not None and sc.programme_id != programme_id:
            continue
        prog = sc.programme
        if segment_id is not None and (prog is None or all(it.segment_id != segment_id for it in prog.items)):
            continue
        local = at.astimezone(tz)
        key = (sc.programme_id, local.date())
        if key not in cache:
            cache[key] = _problems(prog, local.date())
        zones = [z for z in sc.zones if z.enabled]
        airing = Airing(
            at=at,
            local=local,
            title=prog.title if prog else sc.name,
            schedule_id=sc.id,
            schedule_name=sc.name or f"Lịch số {sc.id}",
            programme_id=sc.programme_id,
            priority=sc.priority,
            zones=[z.name for z in zones],
            **cache[key],
        )
        reasons = [yielded[(sc.id, z.id, at)] for z in zones if (sc.id, z.id, at) in yielded]
        if not zones:
            airing.skipped = "lịch không có cụm loa nào đang bật."
        elif len(reasons) == len(zones):
            airing.skipped = reasons[0]
        elif reasons:
            skipped_on = [z.name for z in zones if (sc.id, z.id, at) in yielded]
            airing.given_way = f"Cụm loa {', '.join(skipped_on)} không phát: {reasons[0].rstrip('.')}"
            airing.zones = [z for z in airing.zones if z not in skipped_on]
        out.append(airing)
    out += _adhoc(session, station, tz, now, hi, programme_id, segment_id)
    out.sort(key=lambda a: (a.at, a.title))
    return out


def _adhoc(
    session: Session,
    station: Station,
    tz: ZoneInfo,
    now: datetime,
    hi: datetime,
    programme_id: int | None,
    segment_id: int | None,
) -> list[Airing]:
    """Give back the queued plays of a programme without a schedule (``broadcaster play --at``)."""
    rows = session.scalars(
        select(Occurrence)
        .where(
            Occurrence.station_id == station.id,
            Occurrence.schedule_id.is_(None),
            Occurrence.programme_id.is_not(None),
            Occurrence.status == AirStatus.PENDING,
            Occurrence.scheduled_at >= now,
            Occurrence.scheduled_at < hi,
        )
        .options(selectinload(Occurrence.programme).selectinload(Programme.items))
    ).all()
    out = []
    for occ in rows:
        prog = occ.programme
        if programme_id is not None and occ.programme_id != programme_id:
            continue
        if segment_id is not None and (prog is None or all(it.segment_id != segment_id for it in prog.items)):
            continue
        local = occ.scheduled_at.astimezone(tz)
        out.append(
            Airing(
                at=occ.scheduled_at,
                local=local,
                title=occ.title,
                schedule_id=None,
                schedule_name="Phát một lần",
                programme_id=occ.programme_id,
                priority=occ.priority,
                zones=[occ.zone.name] if occ.zone else [],
                **_problems(prog, local.date()),
            )
        )
    return out


def warnings(airings: list[Airing]) -> list[Airing]:
    """Give back the airings that will skip something, loudest (nothing airs) first, then soonest."""
    return sorted((a for a in airings if not a.ok), key=lambda a: (not a.nothing, a.at))
