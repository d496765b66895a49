"""Programmes: ordered items (segments, chimes, pauses), their durations, and the monthly CCHC column.

Only approved segments go into a programme, and a programme whose segment has since gone back to
draft is reported as not airable: what airs is what a leader approved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import public_spec
from ..models import (
    RELAY_FALLBACKS,
    ItemType,
    Programme,
    ProgrammeItem,
    Segment,
    SegmentKind,
    SegmentStatus,
    Station,
    User,
)
from ..rules import (
    CHIME_LABELS,
    RELAY_LENGTH_ERROR,
    STREAM_URL_ERROR,
    relay_length_ok,
    stream_url_ok,
)
from ._audit import record, snapshot
from ._dates import to_month
from ._errors import ContentError
from ._refusals import InConflict, Missing, refuse_hub_origin

MAX_PAUSE_MS = 60_000


def _snap(programme: Programme) -> dict[str, Any]:
    data = snapshot(programme)
    data["items"] = [
        {"type": it.item_type.value, "segment_id": it.segment_id, "chime": it.chime, "pause_ms": it.pause_ms}
        # The audit trail is shown on pages: a stream's password stays out of it.
        | ({"stream_url": public_spec(it.stream_url), "duration_s": it.duration_s} if it.stream_url else {})
        | ({"fallback": it.fallback, "fallback_segment_id": it.fallback_segment_id} if it.fallback else {})
        for it in programme.items
    ]
    return data


def _check_month(month: str | None) -> str | None:
    try:
        return to_month(month)
    except ValueError as exc:
        raise ContentError(str(exc), "month") from None


def create_programme(
    session: Session,
    station: Station | int,
    user: User | None,
    title: str,
    description: str = "",
    month: str | None = None,
) -> Programme:
    """Give back a new, empty programme; ContentError names the bad field."""
    title = (title or "").strip()
    if not title:
        raise ContentError("Hãy nhập tên chương trình.", "title")
    if len(title) > 300:
        raise ContentError("Tên chương trình dài quá 300 ký tự.", "title")
    station_id = station if isinstance(station, int) else station.id
    prog = Programme(
        station_id=station_id, title=title, description=(description or "").strip(), month=_check_month(month)
    )
    session.add(prog)
    session.flush()
    record(
        session,
        user=user,
        action="create",
        entity="programme",
        entity_id=prog.id,
        after=_snap(prog),
        station_id=station_id,
    )
    return prog


def update_programme(
    session: Session,
    programme: Programme,
    user: User | None,
    title: str,
    description: str = "",
    month: str | None = None,
) -> None:
    """Change a programme's name, description and month (audited)."""
    refuse_hub_origin(programme)
    title = (title or "").strip()
    if not title:
        raise ContentError("Hãy nhập tên chương trình.", "title")
    if len(title) > 300:
        raise ContentError("Tên chương trình dài quá 300 ký tự.", "title")
    before = _snap(programme)
    programme.title, programme.description, programme.month = (
        title,
        (description or "").strip(),
        _check_month(month),
    )
    session.flush()
    _audit(session, user, "update", programme, before)


def _renumber(session: Session, programme: Programme, items: list[ProgrammeItem]) -> None:
    # Positions are unique per programme: park them out of the way first, then number 0..n-1.
    for it in programme.items:
        it.position = it.position + 100_000 if it.position >= 0 else it.position
    session.flush()
    for i, it in enumerate(items):
        it.position = i
    session.flush()
    programme.items.sort(key=lambda it: it.position)


def _approved_segment(
    session: Session, programme: Programme, segment_id: Any, field: str = "segment_id"
) -> Segment:
    try:
        seg = session.get(Segment, int(segment_id))
    except (TypeError, ValueError):
        seg = None
    if seg is None or seg.station_id != programme.station_id:
        raise ContentError("Không tìm thấy bản tin đã chọn.", field)
    if seg.status != SegmentStatus.APPROVED:
        raise ContentError(
            f"Bản tin «{seg.title}» chưa được duyệt nên chưa đưa vào chương trình được.", field
        )
    return seg


def _relay_fallback(
    session: Session, programme: Programme, item: ProgrammeItem, fallback: str | None, segment_id: Any
) -> None:
    """Set what a relay item airs while its stream fails; ContentError names the bad field.

    Empty keeps the station's choice. A chosen item must be an approved segment of this station
    now; whether it may still air is checked again before air (the forecast warns, the player
    airs silence instead).
    """
    fallback = (fallback or "").strip() or None
    if fallback is not None and fallback not in RELAY_FALLBACKS:
        raise ContentError(
            "Cách phát thay khi mất sóng phải là: " + ", ".join(RELAY_FALLBACKS.values()).lower() + ".",
            "fallback",
        )
    item.fallback = fallback
    item.fallback_segment = None
    if fallback == "item":
        if segment_id in (None, ""):
            raise ContentError("Hãy chọn bản tin sẽ phát thay khi mất sóng.", "fallback_segment_id")
        item.fallback_segment = _approved_segment(session, programme, segment_id, "fallback_segment_id")


def add_item(
    session: Session,
    programme: Programme,
    user: User | None,
    item_type: str,
    *,
    segment_id: Any = None,
    chime: str | None = None,
    pause_ms: Any = None,
    position: int | None = None,
    stream_url: str | None = None,
    duration_s: Any = None,
    fallback: str | None = None,
    fallback_segment_id: Any = None,
) -> ProgrammeItem:
    """Give back the new item appended to the programme (or inserted at ``position``).

    A relay item takes ``fallback`` (see RELAY_FALLBACKS; "item" with ``fallback_segment_id``).
    """
    refuse_hub_origin(programme)
    try:
        kind = ItemType(item_type)
    except ValueError:
        raise ContentError("Loại mục không hợp lệ.", "item_type") from None
    item = ProgrammeItem(programme_id=programme.id, item_type=kind, position=-1)
    if kind == ItemType.SEGMENT:
        item.segment = _approved_segment(session, programme, segment_id)
    elif kind == ItemType.CHIME:
        if chime not in CHIME_LABELS:
            raise ContentError("Hãy chọn một nhạc hiệu có sẵn.", "chime")
        item.chime = chime
    elif kind == ItemType.RELAY:
        item.stream_url, item.duration_s = _relay_fields(stream_url, duration_s)
        _relay_fallback(session, programme, item, fallback, fallback_segment_id)
    else:
        try:
            ms = int(float(str(pause_ms).replace(",", ".")) * 1000) if pause_ms not in (None, "") else None
        except ValueError:
            ms = None
        if ms is None or not 0 < ms <= MAX_PAUSE_MS:
            raise ContentError("Khoảng lặng phải từ 0,1 đến 60 giây.", "pause_ms")
        item.pause_ms = ms
    before = _snap(programme)
    items = list(programme.items)
    at = len(items) if position is None else max(0, min(position, len(items)))
    items.insert(at, item)
    programme.items.append(item)
    session.flush()
    _renumber(session, programme, items)
    _audit(session, user, "add_item", programme, before)
    return item


def _relay_fields(url: str | None, minutes: Any) -> tuple[str, int]:
    """Give back a relay item's stream URL and length in seconds from the form (minutes, "15" or "7,5")."""
    url = (url or "").strip()
    if not stream_url_ok(url):
        raise ContentError(STREAM_URL_ERROR, "stream_url")
    try:
        secs = round(float(str(minutes).replace(",", ".")) * 60)
    except (ValueError, OverflowError):
        secs = 0
    if not relay_length_ok(secs):
        raise ContentError(RELAY_LENGTH_ERROR, "duration")
    return url, secs


def set_relay_fallback(
    session: Session,
    programme: Programme,
    user: User | None,
    item_id: Any,
    fallback: str | None,
    fallback_segment_id: Any = None,
) -> ProgrammeItem:
    """Give back the relay item with its new fallback (the rules of :func:`add_item`, audited)."""
    refuse_hub_origin(programme)
    item = _find(programme, item_id)
    if item.item_type != ItemType.RELAY:
        raise ContentError("Chỉ mục tiếp sóng mới có cách phát thay khi mất sóng.", "fallback")
    before = _snap(programme)
    _relay_fallback(session, programme, item, fallback, fallback_segment_id)
    session.flush()
    _audit(session, user, "set_fallback", programme, before)
    return item


def _audit(session: Session, user: User | None, action: str, programme: Programme, before: dict) -> None:
    """Record a change to ``programme`` (its state ``before`` and now) in the change log."""
    record(
        session,
        user=user,
        action=action,
        entity="programme",
        entity_id=programme.id,
        before=before,
        after=_snap(programme),
        station_id=programme.station_id,
    )


def _find(programme: Programme, item_id: Any) -> ProgrammeItem:
    for it in programme.items:
        if str(it.id) == str(item_id):
            return it
    raise Missing("Mục này không còn trong chương trình.", "item_id")


def remove_item(session: Session, programme: Programme, user: User | None, item_id: Any) -> None:
    """Take one item out of the programme and close the gap."""
    refuse_hub_origin(programme)
    item = _find(programme, item_id)
    before = _snap(programme)
    programme.items.remove(item)
    session.delete(item)
    session.flush()
    _renumber(session, programme, list(programme.items))
    _audit(session, user, "remove_item", programme, before)


def move_item(session: Session, programme: Programme, user: User | None, item_id: Any, step: int) -> None:
    """Move an item one place up (step -1) or down (step +1); nothing happens at either end."""
    refuse_hub_origin(programme)
    item = _find(programme, item_id)
    items = list(programme.items)
    i = items.index(item)
    j = i + (1 if step > 0 else -1)
    if not 0 <= j < len(items):
        return
    before = _snap(programme)
    items[i], items[j] = items[j], items[i]
    _renumber(session, programme, items)
    _audit(session, user, "move_item", programme, before)


def programme_problems(programme: Programme) -> list[str]:
    """Give back why the programme may not air (empty when every segment is approved)."""
    problems = []
    if not programme.items:
        problems.append(f"Chương trình «{programme.title}» chưa có mục nào.")
    for it in programme.items:
        seg = it.segment
        if it.item_type == ItemType.SEGMENT and (seg is None or seg.status != SegmentStatus.APPROVED):
            title = seg.title if seg else "?"
            problems.append(f"Bản tin «{title}» trong chương trình chưa được duyệt (hoặc đã bị sửa lại).")
    return problems


# --------------------------------------------------------------------------- monthly CCHC column


def approved_for_month(session: Session, station_id: int, month: str) -> list[Segment]:
    """Give back approved segments valid at some point of the month, newest first."""
    from ..rules import parse_period

    period = parse_period(_check_month(month) or "")
    first, last = period.first, period.last
    q = (
        select(Segment)
        .where(Segment.station_id == station_id, Segment.status == SegmentStatus.APPROVED)
        .order_by(Segment.approved_at.desc().nullslast(), Segment.id.desc())
    )
    return [
        s
        for s in session.scalars(q)
        if (s.valid_from is None or s.valid_from <= last) and (s.valid_to is None or s.valid_to >= first)
    ]


def propose_monthly(session: Session, station_id: int, month: str) -> list[dict[str, Any]]:
    """Give back a proposed running order for the month's CCHC column, as item dicts.

    Opening chime, a station jingle if any, CCHC news, at least one "người tốt, việc tốt" item
    (01 mục/tháng in the plans), procedure notices, the hotline, closing chime. Segments not used
    by another month's column come first.
    """
    month = _check_month(month)
    if not month:
        raise ContentError("Hãy chọn tháng.", "month")
    segs = approved_for_month(session, station_id, month)
    used = set(
        session.scalars(
            select(ProgrammeItem.segment_id)
            .join(Programme)
            .where(Programme.station_id == station_id, Programme.month.is_not(None), Programme.month != month)
        )
    )

    def pick(kind: SegmentKind, n: int) -> list[Segment]:
        of_kind = [s for s in segs if s.kind == kind]
        of_kind.sort(key=lambda s: s.id in used)  # stable: fresh ones first, newest first within
        return of_kind[:n]

    items: list[dict[str, Any]] = [{"type": "chime", "chime": "mo-dau"}]
    for s in pick(SegmentKind.JINGLE, 1):
        items.append({"type": "segment", "segment_id": s.id})
    for kind, n in (
        (SegmentKind.CCHC_NEWS, 2),
        (SegmentKind.GOOD_EXAMPLE, 1),
        (SegmentKind.PROCEDURE, 3),
        (SegmentKind.HOTLINE, 1),
    ):
        for s in pick(kind, n):
            items.append({"type": "segment", "segment_id": s.id})
            items.append({"type": "pause", "pause_ms": 1000})
    if items[-1]["type"] == "pause":
        items.pop()
    items.append({"type": "chime", "chime": "ket-thuc"})
    return items


def month_title(month: str) -> str:
    """Give back the usual name of a month's column: "Chuyên mục cải cách hành chính tháng 11/2026"."""
    y, m = month.split("-")
    return f"Chuyên mục cải cách hành chính tháng {int(m)}/{y}"


def save_monthly(
    session: Session,
    station: Station | int,
    user: User | None,
    month: str,
    title: str,
    items: list[dict[str, Any]],
) -> Programme:
    """Give back the saved monthly column; refused (nothing saved) without a "người tốt, việc tốt" item."""
    month = _check_month(month)
    if not month:
        raise ContentError("Hãy chọn tháng.", "month")
    station_id = station if isinstance(station, int) else station.id
    seg_ids = [it.get("segment_id") for it in items if it.get("type") == "segment"]
    try:
        found = [session.get(Segment, int(i)) for i in seg_ids if i]
    except (TypeError, ValueError):
        raise ContentError("Danh sách mục có tin không hợp lệ.", "items") from None
    kinds = {seg.kind for seg in found if seg is not None}
    if SegmentKind.GOOD_EXAMPLE not in kinds:
        raise ContentError(
            "Chuyên mục tháng cần ít nhất một tin «Nêu gương người tốt, việc tốt» đã duyệt.", "items"
        )
    with session.begin_nested():
        prog = create_programme(session, station_id, user, title or month_title(month), month=month)
        for it in items:
            add_item(
                session,
                prog,
                user,
                it.get("type", ""),
                segment_id=it.get("segment_id"),
                chime=it.get("chime"),
                pause_ms=(it["pause_ms"] / 1000 if it.get("pause_ms") else None),
            )
    return prog


def delete_programme(session: Session, programme: Programme, user: User | None) -> None:
    """Delete a programme that no schedule uses (ContentError otherwise)."""
    refuse_hub_origin(programme)
    from ..models import Occurrence, Schedule

    if session.scalar(select(Schedule.id).where(Schedule.programme_id == programme.id).limit(1)):
        raise InConflict("Chương trình đang có lịch phát: hãy xoá hoặc đổi lịch trước.")
    if session.scalar(select(Occurrence.id).where(Occurrence.programme_id == programme.id).limit(1)):
        raise InConflict("Chương trình đã từng phát, phải giữ lại làm bằng chứng trong nhật ký phát.")
    before = _snap(programme)
    session.delete(programme)
    session.flush()
    record(
        session,
        user=user,
        action="delete",
        entity="programme",
        entity_id=before["id"],
        before=before,
        station_id=before["station_id"],
    )
