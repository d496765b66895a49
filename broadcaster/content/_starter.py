from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import (
    CchcArea,
    ItemType,
    Programme,
    ProgrammeItem,
    Recurrence,
    Schedule,
    Segment,
    SegmentKind,
    SegmentStatus,
    Station,
    Zone,
)
from ._audit import record

STARTER_DIR = Path(__file__).resolve().parents[2] / "playlists"


def load_starter(session: Session, station: Station, path: Path | None = None) -> int:
    """Give back how many records were added from the starter file; loading twice adds none.

    Segments arrive ``submitted``: the commune leadership approves them before they air.
    """
    path = path or STARTER_DIR / "starter.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    added = 0
    by_key: dict[str, Segment] = {}
    for row in data.get("segments", []):
        seg = session.scalar(select(Segment).where(Segment.uid == row["uid"]))
        if seg is None:
            seg = Segment(
                uid=row["uid"],
                station_id=station.id,
                title=row["title"],
                body=row["body"].strip(),
                kind=SegmentKind(row["kind"]),
                area=CchcArea(row["area"]) if row.get("area") else None,
                procedure=row.get("procedure"),
                audience=row.get("audience", ""),
                status=SegmentStatus.SUBMITTED,
                submitted_at=utcnow(),
                review_comment=row.get("note"),
            )
            session.add(seg)
            added += 1
        by_key[row["key"]] = seg
    session.flush()

    programmes: dict[str, Programme] = {}
    for row in data.get("programmes", []):
        prog = session.scalar(select(Programme).where(Programme.uid == row["uid"]))
        if prog is None:
            prog = Programme(
                uid=row["uid"],
                station_id=station.id,
                title=row["title"],
                description=row.get("description", ""),
            )
            for pos, item in enumerate(row["items"]):
                if "segment" in item:
                    prog.items.append(
                        ProgrammeItem(
                            position=pos, item_type=ItemType.SEGMENT, segment_id=by_key[item["segment"]].id
                        )
                    )
                elif "chime" in item:
                    prog.items.append(
                        ProgrammeItem(position=pos, item_type=ItemType.CHIME, chime=item["chime"])
                    )
                else:
                    prog.items.append(
                        ProgrammeItem(position=pos, item_type=ItemType.PAUSE, pause_ms=int(item["pause"]))
                    )
            session.add(prog)
            added += 1
        programmes[row["uid"]] = prog
    session.flush()

    zones = list(session.scalars(select(Zone).where(Zone.station_id == station.id).order_by(Zone.id)))
    today = datetime.now(ZoneInfo(station.timezone)).date()
    for row in data.get("schedules", []):
        if session.scalar(select(Schedule).where(Schedule.uid == row["uid"])) is not None:
            continue
        hh, mm = (int(p) for p in row["start_time"].split(":"))
        sched = Schedule(
            uid=row["uid"],
            station_id=station.id,
            programme_id=programmes[row["programme"]].id,
            name=row["name"],
            recurrence=Recurrence(row["recurrence"]),
            start_time=time(hh, mm),
            window_minutes=int(row["window_minutes"]),
            start_date=today,
            skip_dates=[],
        )
        sched.zones = zones[:1]
        session.add(sched)
        added += 1
    if added:
        session.flush()
        record(
            session,
            user=None,
            action="load_starter",
            entity="station",
            entity_id=station.id,
            after={"added": added, "file": path.name},
            station_id=station.id,
        )
    return added
