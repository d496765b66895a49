"""What the web and the command line ask of the station daemon, through the database as mailbox.

Each ``request_*`` adds a :class:`ControlCommand` to the caller's session; the commit pokes the
daemon's wake-up socket, so it picks the command up at once (or within its fallback poll of about a
second when the poke cannot reach it). ``upcoming`` and ``on_air`` read the plan and log.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..config import Config
from ..db import utcnow
from ..models import (
    AirStatus,
    ControlCommand,
    Occurrence,
    Programme,
    Segment,
    SegmentKind,
    SegmentStatus,
    StationState,
    Zone,
)
from ..rules import vn_int
from ._commands import AirNow, Command, Replan, Stop, to_row
from ._snapshot import LATE_S
from ._wake import wake_after_commit

HEARTBEAT_STALE = timedelta(seconds=30)
#: Longest emergency text taken: about half an hour of speech (a pasted document, not a notice).
#: Checked when it is sent, so the officer learns at once, not when the daemon reads it aloud.
MAX_EMERGENCY_CHARS = 20_000


class PlayoutError(ValueError):
    """A playout request cannot be done; the message is one Vietnamese sentence for the user."""


def _zone(session: Session, station_id: int, zone: str | int | None) -> Zone | None:
    if zone is None or zone == "":
        return None
    q = select(Zone).where(Zone.station_id == station_id)
    q = q.where(Zone.id == zone) if isinstance(zone, int) else q.where(Zone.code == str(zone))
    found = session.scalar(q)
    if found is None:
        raise PlayoutError(f"Không có cụm loa «{zone}».")
    return found


def _command(session: Session, station_id: int, command: Command, by: str | None) -> ControlCommand:
    action, payload = to_row(command)
    cmd = ControlCommand(station_id=station_id, action=action, payload=payload, requested_by=by)
    session.add(cmd)
    session.flush()
    wake_after_commit(session)
    return cmd


def request_stop(
    session: Session,
    station_id: int,
    by: str | None,
    *,
    zone: str | int | None = None,
    item_only: bool = False,
) -> ControlCommand:
    """Give back the queued command that stops what is on air (only the current item with ``item_only``)."""
    z = _zone(session, station_id, zone)
    return _command(session, station_id, Stop(zone_id=z.id if z else None, item_only=item_only), by)


def import_audio(config: Config, path: Path | str) -> str:
    """Give back the media-relative path of a copy of a sound file, so the daemon can read it.

    The daemon runs sandboxed (no access to home folders or /tmp), so files are copied under the
    data dir's media folder first.
    """
    src = Path(path)
    if not src.is_file():
        raise PlayoutError(f"Không tìm thấy tệp âm thanh «{src}».")
    rel = Path("adhoc") / f"{uuid.uuid4().hex[:12]}-{src.name}"
    dest = config.media_dir / rel
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    except OSError as exc:
        raise PlayoutError(
            f"Không chép được tệp «{src.name}» vào thư mục dữ liệu: {exc.strerror or exc}."
        ) from None
    return str(rel)


def request_emergency(
    session: Session,
    station_id: int,
    *,
    asset_path: str | None = None,
    text: str | None = None,
    zone: str | int | None = None,
    by: str | None = None,
    segment_id: int | None = None,
    title: str | None = None,
) -> ControlCommand:
    """Give back the queued command that airs an emergency now, cutting whatever plays.

    ``asset_path``: a sound file, absolute or relative to the media dir (see :func:`import_audio`).
    ``text``: spoken by the offline engine; it is kept as an approved emergency segment, the record
    of what was said (under ``title`` when given). ``segment_id``: such a segment again (a
    repeat), spoken the same way.
    """
    if segment_id is not None and asset_path is None and text is None:
        z = _zone(session, station_id, zone)
        cmd = AirNow(urgent=True, zone_id=z.id if z else None, segment_id=segment_id, engine="pyttsx3")
        return _command(session, station_id, cmd, by)
    if (asset_path is None) == (text is None or not text.strip()) or segment_id is not None:
        raise PlayoutError("Thông báo khẩn cấp cần đúng một trong hai: tệp âm thanh hoặc nội dung văn bản.")
    if text is not None and len(text.strip()) > MAX_EMERGENCY_CHARS:
        raise PlayoutError(
            f"Thông báo khẩn cấp dài {vn_int(len(text.strip()))} ký tự, quá giới hạn "
            f"{vn_int(MAX_EMERGENCY_CHARS)} ký tự (khoảng nửa giờ đọc). "
            "Hãy rút gọn; bài dài hãy soạn thành bản tin."
        )
    z = _zone(session, station_id, zone)
    zone_id = z.id if z else None
    if text is not None and text.strip():
        now = utcnow()
        seg = Segment(
            station_id=station_id,
            title=(title or f"Thông báo khẩn cấp {now:%Y-%m-%d %H:%M} UTC")[:300],
            body=text.strip(),
            kind=SegmentKind.EMERGENCY,
            status=SegmentStatus.APPROVED,
            approved_at=now,
            submitted_at=now,
            review_comment=f"Phát khẩn cấp ngay theo yêu cầu của {by or 'người trực đài'}.",
        )
        session.add(seg)
        session.flush()
        cmd = AirNow(urgent=True, zone_id=zone_id, segment_id=seg.id, engine="pyttsx3")
    else:
        cmd = AirNow(urgent=True, zone_id=zone_id, asset_path=str(asset_path))
    return _command(session, station_id, cmd, by)


def request_play_now(
    session: Session,
    station_id: int,
    *,
    programme_id: int | None = None,
    segment_id: int | None = None,
    by: str | None = None,
    zone: str | int | None = None,
) -> ControlCommand:
    """Give back the queued command that airs a programme or a segment now, with priority."""
    if (programme_id is None) == (segment_id is None):
        raise PlayoutError("Cần chọn đúng một chương trình hoặc một bản tin để phát.")
    if programme_id is not None and session.get(Programme, programme_id) is None:
        raise PlayoutError(f"Không có chương trình số {programme_id}.")
    if segment_id is not None:
        seg = session.get(Segment, segment_id)
        if seg is None:
            raise PlayoutError(f"Không có bản tin số {segment_id}.")
        if seg.status != SegmentStatus.APPROVED:
            raise PlayoutError(f"Bản tin «{seg.title}» chưa được duyệt nên không thể phát.")
    z = _zone(session, station_id, zone)
    cmd = AirNow(urgent=False, zone_id=z.id if z else None, programme_id=programme_id, segment_id=segment_id)
    return _command(session, station_id, cmd, by)


def request_live(
    session: Session, station_id: int, seconds: float, *, by: str | None = None, zone: str | int | None = None
) -> ControlCommand:
    """Give back the queued command that puts the station's capture input on air now, with priority."""
    from ._live import MAX_LIVE_S

    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 1 <= seconds <= MAX_LIVE_S:
        raise PlayoutError(
            f"Thời lượng phát trực tiếp phải từ 1 đến {vn_int(MAX_LIVE_S)} giây (nhận được {seconds})."
        )
    z = _zone(session, station_id, zone)
    cmd = AirNow(urgent=False, zone_id=z.id if z else None, live_s=float(seconds))
    return _command(session, station_id, cmd, by)


def request_replan(session: Session, station_id: int, by: str | None = None) -> ControlCommand:
    """Give back the queued command that makes the daemon rebuild its plan now."""
    return _command(session, station_id, Replan(), by)


def upcoming_select(station_id: int, n: int, *columns: Any, now: datetime | None = None) -> Select:
    """Give back the query for the next ``n`` planned occurrences (pending, not yet past), soonest
    first: of whole occurrences, or of ``columns`` (which must start with an Occurrence column)."""
    now = now or utcnow()
    return (
        select(*(columns or (Occurrence,)))
        .where(
            Occurrence.station_id == station_id,
            Occurrence.status == AirStatus.PENDING,
            Occurrence.scheduled_at >= now - timedelta(seconds=LATE_S),
        )
        .order_by(Occurrence.scheduled_at, Occurrence.priority, Occurrence.id)
        .limit(n)
    )


def upcoming(
    session: Session, station_id: int, n: int = 10, *, now: datetime | None = None
) -> list[Occurrence]:
    """Give back the next ``n`` planned occurrences (pending, not yet past), soonest first."""
    return list(session.scalars(upcoming_select(station_id, n, now=now)))


def on_air(session: Session, station_id: int) -> list[Occurrence]:
    """Give back the occurrences on air now (one per zone at most)."""
    return list(
        session.scalars(
            select(Occurrence)
            .where(Occurrence.station_id == station_id, Occurrence.status == AirStatus.PLAYING)
            .order_by(Occurrence.started_at)
        )
    )


def daemon_alive(session: Session, station_id: int, *, now: datetime | None = None) -> bool:
    """Tell whether the station daemon reported a heartbeat recently."""
    state = session.get(StationState, station_id)
    now = now or utcnow()
    return bool(
        state and state.daemon_pid and state.heartbeat_at and now - state.heartbeat_at < HEARTBEAT_STALE
    )


def command_result(session: Session, command_id: int) -> ControlCommand | None:
    """Give back a command as the daemon left it (``done_at`` and ``result`` once handled)."""
    session.expire_all()
    return session.get(ControlCommand, command_id)
