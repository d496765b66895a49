"""A believable as-run log, random with a fixed seed: for tests and the benchmarks (not shipped).

Two sessions a day (05:30 and 17:00 local) on one or more village zones, a chime then a few items
of every kind and area, with the statuses real stations see (mostly played; some interrupted,
failed, missed, skipped) and their reasons. Rows go in through the models in bulk so ten years
take seconds, not minutes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from broadcaster.db import new_uid
from broadcaster.models import (
    KIND_LABELS,
    AirStatus,
    AsRunEntry,
    CchcArea,
    ItemType,
    Occurrence,
    Programme,
    Recurrence,
    Schedule,
    SegmentKind,
    Station,
    Zone,
)

PROCEDURES = ("khai sinh", "khai tử", "đăng ký kết hôn", "BHXH", "BHYT", "lý lịch tư pháp", "chứng thực")
REASONS = {
    AirStatus.MISSED: ("Mất điện, máy trạm tắt", "Máy trạm khởi động lại quá thời gian cho phép"),
    AirStatus.FAILED: ("Không mở được thiết bị âm thanh", "Thiếu tệp âm thanh đã dựng"),
    AirStatus.INTERRUPTED: (
        "Nhường giờ cho thông báo khẩn cấp",
        "Người trực đài dừng phát",
        "Mất điện giữa chừng",
    ),
    AirStatus.SKIPPED: ("Ngày lễ, không phát theo chỉ đạo",),
}
ON_DUTY = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", None)
KIND_WEIGHTS = {
    SegmentKind.CCHC_NEWS: 40,
    SegmentKind.PROCEDURE: 22,
    SegmentKind.HOTLINE: 10,
    SegmentKind.RELAY: 12,
    SegmentKind.GOOD_EXAMPLE: 5,
    SegmentKind.EMERGENCY: 2,
    SegmentKind.JINGLE: 9,
}
STATUS_WEIGHTS = {
    AirStatus.PLAYED: 84,
    AirStatus.INTERRUPTED: 4,
    AirStatus.FAILED: 3,
    AirStatus.MISSED: 6,
    AirStatus.SKIPPED: 3,
}


def _title(kind: SegmentKind, procedure: str | None, rnd: random.Random) -> str:
    if kind == SegmentKind.PROCEDURE and procedure:
        return f"Hướng dẫn thủ tục {procedure}"
    return f"{KIND_LABELS[kind]} số {rnd.randint(1, 400)}"


@dataclass
class SampleCounts:
    occurrences: int = 0
    entries: int = 0


def _zones(session: Session, station: Station, n: int) -> list[int]:
    ids = list(session.scalars(select(Zone.id).where(Zone.station_id == station.id).order_by(Zone.id)))
    names = ("Thôn Đông", "Thôn Tây", "Thôn Nam", "Thôn Bắc")
    while len(ids) < n:
        z = Zone(station_id=station.id, code=f"thon-{len(ids)}", name=names[(len(ids) - 1) % len(names)])
        session.add(z)
        session.flush()
        ids.append(z.id)
    return ids[:n]


def fill_sample_asrun(
    session: Session,
    station: Station,
    first: date,
    days: int,
    *,
    seed: int = 20251123,
    zones: int = 3,
    slots: tuple[time, ...] = (time(5, 30), time(17, 0)),
    no_good_example_months: frozenset[int] = frozenset(),
    adhoc_every: int = 23,
    items: tuple[int, int] = (2, 5),
) -> SampleCounts:
    """Give back how many occurrences and entries were written for ``days`` days from ``first``."""
    rnd = random.Random(seed)
    tz = ZoneInfo(station.timezone)
    zone_ids = _zones(session, station, zones)
    prog = Programme(station_id=station.id, title="Chuyên mục cải cách hành chính")
    session.add(prog)
    session.flush()
    schedules = []
    for t in slots:
        sch = Schedule(
            station_id=station.id,
            programme_id=prog.id,
            name=f"Buổi {t:%H:%M}",
            recurrence=Recurrence.DAILY,
            start_time=t,
            window_minutes=30,
            start_date=first,
            end_date=first + timedelta(days=days - 1),
            enabled=False,
        )
        session.add(sch)
        schedules.append(sch)
    session.flush()

    kinds, kw = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    statuses, sw = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    areas = list(CchcArea)
    counts = SampleCounts()
    occ_rows: list[dict] = []
    plans: list[tuple[AirStatus, int]] = []  # per occurrence: status, number of content items

    def occurrence(sched_id, zid, at, title) -> None:
        st = rnd.choices(statuses, sw)[0]
        reason = rnd.choice(REASONS[st]) if st in REASONS else None
        started = (
            at + timedelta(seconds=rnd.randint(0, 20))
            if st not in (AirStatus.MISSED, AirStatus.SKIPPED)
            else None
        )
        occ_rows.append(
            dict(
                uid=new_uid(),
                station_id=station.id,
                schedule_id=sched_id,
                programme_id=prog.id,
                zone_id=zid,
                scheduled_at=at,
                title=title,
                status=st,
                started_at=started,
                reason=reason,
                on_duty=rnd.choice(ON_DUTY),
            )
        )
        plans.append((st, rnd.randint(*items)))

    for d in range(days):
        day = first + timedelta(days=d)
        for sch, t in zip(schedules, slots, strict=True):
            at = datetime.combine(day, t, tzinfo=tz).astimezone(ZoneInfo("UTC"))
            for zid in rnd.sample(zone_ids, rnd.randint(1, len(zone_ids))):
                occurrence(sch.id, zid, at, f"Chuyên mục CCHC {t:%H:%M}")
        if adhoc_every and d % adhoc_every == adhoc_every - 1:
            at = datetime.combine(day, time(10, 15), tzinfo=tz).astimezone(ZoneInfo("UTC"))
            occurrence(None, rnd.choice(zone_ids), at, "Thông báo đột xuất")

    result = session.execute(
        insert(Occurrence).returning(Occurrence.id, sort_by_parameter_order=True), occ_rows
    )
    occ_ids = [r[0] for r in result]
    counts.occurrences = len(occ_ids)

    entries: list[dict] = []
    for occ_id, row, (st, n) in zip(occ_ids, occ_rows, plans, strict=True):
        if st in (AirStatus.MISSED, AirStatus.SKIPPED):
            continue
        t = row["started_at"]
        local_month = row["scheduled_at"].astimezone(tz).month
        # Chime first, then content; a failed occurrence dies on its first content item, an
        # interrupted one somewhere in the middle (the rest is never started).
        stop_at = (
            0 if st == AirStatus.FAILED else (rnd.randint(0, n - 1) if st == AirStatus.INTERRUPTED else n)
        )
        seq = [("chime", None)] + [("segment", i) for i in range(n)]
        for pos, (typ, i) in enumerate(seq):
            if typ == "chime":
                dur = 3000
                entries.append(
                    dict(
                        uid=new_uid(),
                        station_id=station.id,
                        occurrence_id=occ_id,
                        position=pos,
                        zone_id=row["zone_id"],
                        item_type=ItemType.CHIME,
                        title="Nhạc hiệu",
                        started_at=t,
                        ended_at=t + timedelta(milliseconds=dur),
                        duration_ms=dur,
                        status=AirStatus.PLAYED,
                        scheduled_at=row["scheduled_at"],
                    )
                )
                t += timedelta(milliseconds=dur)
                continue
            if i > stop_at:
                break
            kind = rnd.choices(kinds, kw)[0]
            if kind == SegmentKind.GOOD_EXAMPLE and local_month in no_good_example_months:
                kind = SegmentKind.CCHC_NEWS
            area = (
                None
                if kind in (SegmentKind.JINGLE, SegmentKind.HOTLINE) and rnd.random() < 0.7
                else (
                    CchcArea.PROCEDURE
                    if kind == SegmentKind.PROCEDURE and rnd.random() < 0.8
                    else rnd.choice(areas)
                )
            )
            proc = rnd.choice(PROCEDURES) if kind == SegmentKind.PROCEDURE and rnd.random() < 0.95 else None
            dur = rnd.randint(20_000, 240_000)
            item_status, reason = AirStatus.PLAYED, None
            if i == stop_at and st in (AirStatus.FAILED, AirStatus.INTERRUPTED):
                item_status, reason = st, row["reason"]
                dur = 0 if st == AirStatus.FAILED else rnd.randint(1000, dur)
            entries.append(
                dict(
                    uid=new_uid(),
                    station_id=station.id,
                    occurrence_id=occ_id,
                    position=pos,
                    zone_id=row["zone_id"],
                    item_type=ItemType.SEGMENT,
                    title=_title(kind, proc, rnd),
                    kind=kind,
                    area=area,
                    procedure=proc,
                    started_at=t,
                    ended_at=t + timedelta(milliseconds=dur),
                    duration_ms=dur,
                    status=item_status,
                    reason=reason,
                    scheduled_at=row["scheduled_at"],
                )
            )
            t += timedelta(milliseconds=dur)
            if item_status != AirStatus.PLAYED:
                break
    for k in range(0, len(entries), 5000):
        session.execute(insert(AsRunEntry), entries[k : k + 5000])
    counts.entries = len(entries)
    return counts
