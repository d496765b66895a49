"""District airings: who they are for (targeting) and ``publish`` (write, approve, render, schedule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Config
from ..content import (
    SegmentFields,
    add_item,
    approve,
    create_programme,
    create_segment,
    record,
    snapshot,
    submit,
)
from ..db import utcnow
from ..models import Priority, Recurrence, Schedule, Station
from ._stations import HubError, registered


def resolve_targets(session: Session, spec: str, home_code: str) -> list[Station]:
    """Give back the stations ``spec`` names: ``all``, ``group:NAME`` or ``CODE,CODE``.

    Raises HubError when it names nobody, or a code the hub does not know (nothing is guessed).
    """
    spec = (spec or "").strip()
    stations = registered(session, home_code)
    if spec == "all":
        chosen = stations
    elif spec.startswith("group:"):
        group = " ".join(spec[len("group:") :].split())
        chosen = [s for s in stations if group in (s.groups or [])]
        if not chosen:
            raise HubError(f"Không có đài nào trong nhóm «{group}».")
    else:
        codes = [c.strip() for c in spec.split(",") if c.strip()]
        by_code = {s.code: s for s in stations}
        unknown = [c for c in codes if c not in by_code]
        if unknown:
            raise HubError(
                f"Không có đài mã {', '.join(f'«{c}»' for c in unknown)} trong danh sách của huyện."
            )
        chosen = [by_code[c] for c in dict.fromkeys(codes)]
    if not chosen:
        raise HubError("Chưa chọn đài nào để gửi (dùng all, group:TÊN_NHÓM hoặc MÃ,MÃ).")
    return chosen


def parse_at(raw: str, config: Config, now: datetime | None = None) -> datetime:
    """Give back the aware UTC instant of an ISO 8601 time (no offset: the hub's zone); future only."""
    try:
        at = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        raise HubError(
            f"Thời điểm «{raw}» không đúng dạng ISO 8601 (ví dụ 2026-12-01T06:30+07:00)."
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=config.tz)
    at = at.astimezone(UTC)
    if at <= (now or utcnow()):
        raise HubError("Thời điểm phát đã qua: hãy chọn một thời điểm sắp tới.")
    return at


@dataclass(frozen=True)
class Published:
    schedule: Schedule
    sha256: str
    stations: list[str]


def publish(
    session: Session,
    config: Config,
    home: Station,
    *,
    text: str,
    title: str,
    at: datetime,
    targets: list[Station],
    priority: Priority = Priority.PRIORITY,
    kind: str = "cchc_news",
) -> Published:
    """Give back the one-off district airing made from ``text``: written, approved and rendered once
    here as the command line's system account (every step audited), then scheduled for ``targets``.

    Flushes only: the caller's unit of work commits, so a failed render leaves nothing behind.
    """
    from ..audio import render_segment

    seg = create_segment(session, home, None, SegmentFields(title=title.strip(), body=text, kind=kind))
    submit(session, seg, None)
    approve(session, seg, None, "Duyệt qua dòng lệnh của huyện.")
    asset = render_segment(session, config, seg)
    prog = create_programme(session, home, None, title)
    add_item(session, prog, None, "segment", segment_id=seg.id)
    local = at.astimezone(config.tz)
    sched = Schedule(
        station_id=home.id,
        programme_id=prog.id,
        name=title.strip()[:200],
        recurrence=Recurrence.ONCE,
        start_time=local.time().replace(microsecond=0),
        start_date=local.date(),
        skip_dates=[],
        priority=priority,
        targets=targets,
    )
    session.add(sched)
    session.flush()
    after = snapshot(sched)
    after["targets"] = [s.code for s in targets]
    record(
        session,
        user=None,
        action="create",
        entity="schedule",
        entity_id=sched.id,
        after=after,
        station_id=home.id,
    )
    return Published(sched, asset.sha256, [s.code for s in targets])


def district_schedules(session: Session, station: Station) -> list[Schedule]:
    """Give back the enabled hub schedules aimed at ``station``."""
    return list(
        session.scalars(
            select(Schedule)
            .where(Schedule.enabled.is_(True), Schedule.targets.any(Station.id == station.id))
            .order_by(Schedule.id)
        )
    )
