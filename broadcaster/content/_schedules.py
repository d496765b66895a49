"""Saving a schedule: the recurrence checked, conflicts found before saving, only approved content.

The rules of *when* belong to playout (``validate_schedule``, ``find_conflicts``, ``expand``); this
module turns a form into a schedule, refuses it whole when anything is wrong, and tells the daemon.
"""

from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import AirStatus, Occurrence, Priority, Programme, Recurrence, Schedule, Station, User, Zone
from ..rules import item_durations, replay_overlap_error
from ._audit import record, snapshot
from ._dates import to_date, to_time
from ._errors import ContentError
from ._programmes import programme_problems
from ._refusals import OFFERS_HINT, InConflict, refuse_hub_origin

FIELDS = (
    "name",
    "programme_id",
    "recurrence",
    "weekdays",
    "month_day",
    "nth",
    "nth_weekday",
    "start_time",
    "window_minutes",
    "start_date",
    "end_date",
    "skip_dates",
    "priority",
    "replay_count",
    "replay_gap_s",
    "replay_on",
    "misfire_grace_s",
    "overrun",
    "on_interrupt",
    "enabled",
)


class ScheduleError(ContentError):
    """A schedule cannot be saved; ``messages`` lists every reason (recurrence errors, conflicts)."""

    def __init__(self, messages: list[str], conflicts: list[str] | None = None) -> None:
        super().__init__(" ".join(messages + (conflicts or [])))
        self.messages = messages
        self.conflicts = conflicts or []


def _int(raw: Any, default: int | None = None, *, invalid: int | None = None) -> int | None:
    if raw is None or str(raw).strip() == "":
        return default
    try:
        return int(str(raw).strip())
    except ValueError:
        if invalid is not None:
            return invalid
        return None if default is None else -999_999  # invalid: validate_schedule names it


#: The form's label of ``replay_on``; its errors start with it (see :data:`FIELD_OF_ERROR`).
REPLAY_ON_LABEL = "Chỉ phát nhiều lần vào ngày"


def _gap_seconds(data: Any) -> int | None:
    """Give back the repeats' gap in seconds: the form's minutes ("Cách nhau (phút)"), else seconds.

    Minutes may have a decimal part (1,5 phút); text that is no number gives -999_999 so that
    :func:`validate_schedule` names the field.
    """
    raw = data.get("replay_gap_m")
    if raw is None:
        return _int(data.get("replay_gap_s"), 0)
    text = str(raw).strip().replace(",", ".")
    if not text:
        return 0
    try:
        minutes = float(text)
    except ValueError:
        return -999_999
    return round(minutes * 60) if minutes == minutes and abs(minutes) < 1e6 else -999_999


def _getlist(data: Any, key: str) -> list:
    if hasattr(data, "getlist"):
        return data.getlist(key)
    value = data.get(key)
    return value if isinstance(value, list) else ([] if value in (None, "") else [value])


def _named(label: str, lead: str, exc: ValueError) -> str:
    """Give back a date or time error with the field's name in front: "Từ ngày «31/02» không có…"."""
    text = str(exc)
    return label + " " + text[len(lead) :] if text.startswith(lead) else f"{label}: {text}"


def parse_schedule_form(data: Any) -> dict[str, Any]:
    """Give back schedule values from a form (or JSON) mapping; odd values are left for validation.

    Dates are read as dd/mm/yyyy or yyyy-mm-dd, the start time as HH:MM (HH:MM:SS too, for a
    once-off airing to the second). What was typed is kept in ``_raw`` to show it back on an error.
    """
    errors: list[str] = []
    raw_texts: dict[str, str] = {}
    raw_time = str(data.get("start_time") or "").strip()
    raw_texts["start_time"] = raw_time
    try:
        start_time = to_time(raw_time)
    except ValueError as exc:
        errors.append(_named("Giờ bắt đầu", "Giờ ", exc))
        start_time = None
    if start_time is None and not errors:
        errors.append("Cần nhập giờ bắt đầu.")

    def day(key: str, label: str) -> date | None:
        raw = str(data.get(key) or "").strip()
        raw_texts[key] = raw
        try:
            return to_date(raw)
        except ValueError as exc:
            errors.append(_named(label, "Ngày ", exc))
            return None

    skips = []
    raw_texts["skip_dates"] = str(data.get("skip_dates") or "")
    for raw in str(data.get("skip_dates") or "").replace(",", "\n").replace(";", "\n").splitlines():
        raw = raw.strip()
        if raw:
            try:
                skips.append(to_date(raw).isoformat())
            except ValueError as exc:
                errors.append(_named("Ngày nghỉ", "Ngày ", exc))
    if data.get("replay_gap_m") is not None:
        raw_texts["replay_gap_m"] = str(data.get("replay_gap_m"))
    values = {
        "name": (data.get("name") or "").strip()[:200],
        "programme_id": _int(data.get("programme_id")),
        "recurrence": (data.get("recurrence") or "").strip(),
        "weekdays": sorted({w for w in (_int(x) for x in _getlist(data, "weekdays")) if w is not None}),
        "month_day": _int(data.get("month_day")),
        "nth": _int(data.get("nth")),
        "nth_weekday": _int(data.get("nth_weekday")),
        "start_time": start_time or time(0, 0),
        "window_minutes": _int(data.get("window_minutes"), 30),
        "start_date": day("start_date", "Từ ngày"),
        "end_date": day("end_date", "Đến ngày"),
        "skip_dates": skips,
        "priority": (data.get("priority") or Priority.NORMAL.value).strip(),
        "replay_count": _int(data.get("replay_count"), 1),
        "replay_gap_s": _gap_seconds(data),
        "replay_on": day("replay_on", REPLAY_ON_LABEL),
        # Left empty, the schedule follows the station's grace (settings), even when it changes later.
        "misfire_grace_s": _int(data.get("misfire_grace_s"), None, invalid=-999_999),
        "overrun": (data.get("overrun") or "stop").strip(),
        "on_interrupt": (data.get("on_interrupt") or "resume").strip(),
        "enabled": str(data.get("enabled", "1")).lower() in ("1", "on", "true", "yes"),
        "zone_ids": sorted({z for z in (_int(x) for x in _getlist(data, "zone_ids")) if z is not None}),
        "_parse_errors": errors,
        "_raw": raw_texts,
    }
    return values


#: Which form field a schedule error belongs to, by how its message starts ("" when none does).
FIELD_OF_ERROR = (
    ("Giờ bắt đầu", "start_time"),
    ("Cần nhập giờ bắt đầu", "start_time"),
    ("Từ ngày", "start_date"),
    ("Cần chọn ngày bắt đầu", "start_date"),
    ("Ngày bắt đầu hoặc", "start_date"),
    ("Đến ngày", "end_date"),
    ("Ngày kết thúc", "end_date"),
    ("Lịch phát một lần", "start_date"),
    ("Ngày nghỉ", "skip_dates"),
    ("Kiểu lặp lại", "recurrence"),
    ("Lịch này không có ngày phát", "recurrence"),
    ("Lịch hằng tuần", "weekdays"),
    ("Ngày trong tuần", "weekdays"),
    ("Ngày trong tháng", "month_day"),
    ("Tuần thứ", "nth"),
    ("Cần chọn ngày trong tuần cho lịch", "nth_weekday"),
    ("Khung giờ phát", "window_minutes"),
    ("Số lần phát", "replay_count"),
    ("Lần phát lại thứ", "replay_count"),
    ("Phát lại nhiều lần", "replay_gap_s"),
    ("Chỉ phát nhiều lần vào ngày", "replay_on"),
    ("Thời gian cho phép phát trễ", "misfire_grace_s"),
    ("Cách xử lý khi quá", "overrun"),
    ("Cách xử lý khi bị ngắt", "on_interrupt"),
    ("Cần chọn ít nhất một cụm loa", "zone_ids"),
    ("Mức ưu tiên", "priority"),
    ("Gửi đến", "targets"),
    ("Hãy chọn chương trình", "programme_id"),
    ("Chương trình «", "programme_id"),
    ("Bản tin «", "programme_id"),
)


def error_field(message: str) -> str:
    """Give back the form field a schedule error is about ("" for the schedule as a whole)."""
    for prefix, field in FIELD_OF_ERROR:
        if message.startswith(prefix):
            return field
    return ""


def errors_by_field(messages: list[str]) -> dict[str, list[str]]:
    """Give back the schedule errors grouped by the form field they are about ("" for the rest)."""
    out: dict[str, list[str]] = {}
    for m in messages:
        out.setdefault(error_field(m), []).append(m)
    return out


def past_error(values: dict[str, Any], tz: Any, now: datetime) -> str | None:
    """Give back why a schedule lies wholly in the past (nothing left to air), or None.

    Only enabled schedules are judged: a disabled one kept for the record may end in the past.
    """
    if not values.get("enabled", True):
        return None
    start, end, at = values.get("start_date"), values.get("end_date"), values.get("start_time")
    if not isinstance(start, date) or not isinstance(at, time):
        return None
    local_now = now.astimezone(tz)
    if values.get("recurrence") == Recurrence.ONCE.value:
        when = datetime.combine(start, at, tz)
        if when <= local_now:
            return (
                f"Lịch phát một lần vào ngày {start:%d/%m/%Y} lúc {at:%H:%M} đã qua "
                f"(bây giờ là {local_now:%H:%M} ngày {local_now:%d/%m/%Y}): hãy chọn ngày giờ sắp tới."
            )
    elif isinstance(end, date) and end < local_now.date():
        return f"Ngày kết thúc ({end:%d/%m/%Y}) đã qua: lịch này không còn buổi phát nào."
    return None


def check_schedule(
    session: Session,
    station_id: int,
    values: dict[str, Any],
    schedule_id: int | None = None,
    *,
    now: datetime | None = None,
) -> tuple[list[str], list[str], str | None]:
    """Give back (errors, conflicts, warning) for schedule values, saving nothing.

    The warning joins the overrun notice and the normal airings a priority slot takes over (which
    are allowed, as Circular 39 says, but never silently).
    """
    from zoneinfo import ZoneInfo

    from ..playout import find_conflicts, find_takeovers, overrun_warning, validate_schedule

    now = now or utcnow()

    errors = list(values.get("_parse_errors") or [])
    if values.get("priority") not in {p.value for p in Priority}:
        errors.append("Mức ưu tiên không hợp lệ.")
    prog = session.get(Programme, values["programme_id"]) if values.get("programme_id") else None
    if prog is None or prog.station_id != station_id:
        errors.append("Hãy chọn chương trình để phát.")
        prog = None
    else:
        errors.extend(programme_problems(prog))
    zones = [z for z in (session.get(Zone, z) for z in values.get("zone_ids") or []) if z is not None]
    zones = [z for z in zones if z.station_id == station_id]
    ns = SimpleNamespace(
        **{k: v for k, v in values.items() if not k.startswith("_") and k != "zone_ids"},
        zones=zones,
        station_id=station_id,
        id=schedule_id,
    )
    parsed_bad = {error_field(e) for e in errors}
    for e in validate_schedule(ns, require_zones=True):
        if error_field(e) in parsed_bad & {"start_date", "end_date", "start_time", "skip_dates"}:
            continue  # what was typed is already named; "needs a date" would only repeat it
        errors.append(e)
    if prog is not None and not errors:
        overlap = replay_overlap_error(ns, item_durations(prog)[1])
        if overlap:
            errors.append(overlap)
    station = session.get(Station, station_id)
    if not errors:
        past = past_error(values, ZoneInfo(station.timezone if station else "Asia/Ho_Chi_Minh"), now)
        if past:
            errors.append(past)
    active = not errors and values.get("enabled", True)
    conflicts = find_conflicts(session, ns, now=now) if active else []
    notes = find_takeovers(session, ns, now=now) if active else []
    if prog is not None and not errors:
        _, total = item_durations(prog)
        notes.insert(0, overrun_warning(ns, total) or "")
    warning = " ".join(n for n in notes if n) or None
    return errors, conflicts, warning


def save_schedule(
    session: Session,
    station: Station | int,
    user: User | None,
    values: dict[str, Any],
    schedule: Schedule | None = None,
    targets: list[Station] | None = None,
) -> Schedule:
    """Give back the saved schedule; ScheduleError (nothing saved) on any error or conflict.

    ``targets`` (a hub's schedule): the stations it is for, set and audited with the rest.
    """
    refuse_hub_origin(schedule, OFFERS_HINT)
    from ..playout import bump_plan

    station_id = station if isinstance(station, int) else station.id
    errors, conflicts, _warning = check_schedule(
        session, station_id, values, schedule.id if schedule else None
    )
    if errors or conflicts:
        raise ScheduleError(errors, conflicts)
    before = snapshot(schedule) if schedule is not None else None
    if before is not None and targets is not None:
        before["targets"] = [s.code for s in schedule.targets]
    if schedule is None:
        schedule = Schedule(station_id=station_id, created_by_id=getattr(user, "id", None))
        session.add(schedule)
    for k in FIELDS:
        v = values[k]
        if k == "recurrence":
            v = Recurrence(v)
        elif k == "priority":
            v = Priority(v)
        setattr(schedule, k, v)
    schedule.zones = list(session.scalars(select(Zone).where(Zone.id.in_(values["zone_ids"]))))
    if targets is not None:
        schedule.targets = targets
    session.flush()
    after = snapshot(schedule)
    after["zone_ids"] = values["zone_ids"]
    if targets is not None:
        after["targets"] = [s.code for s in targets]
    record(
        session,
        user=user,
        action="update" if before else "create",
        entity="schedule",
        entity_id=schedule.id,
        before=before,
        after=after,
        station_id=station_id,
    )
    bump_plan(session, station_id)
    return schedule


def set_schedule_enabled(session: Session, schedule: Schedule, user: User | None, enabled: bool) -> None:
    """Turn a schedule on or off (kept, since its past airings refer to it), conflicts checked when on.

    A district airing is refused: a normal one is accepted or declined as an offer, a priority one
    is the district's to withdraw.
    """
    refuse_hub_origin(schedule, OFFERS_HINT)
    from ..playout import bump_plan, find_conflicts

    if enabled and not schedule.enabled:  # conflicts are with the other enabled schedules
        from zoneinfo import ZoneInfo

        conflicts = find_conflicts(session, schedule)
        problems = programme_problems(schedule.programme)
        tz = ZoneInfo(session.get(Station, schedule.station_id).timezone)
        past = past_error({**schedule_values(schedule), "enabled": True}, tz, utcnow())
        if past:
            problems.append(past)
        if conflicts or problems:
            raise ScheduleError(problems, conflicts)
    before = snapshot(schedule)
    schedule.enabled = enabled
    session.flush()
    record(
        session,
        user=user,
        action="enable" if enabled else "disable",
        entity="schedule",
        entity_id=schedule.id,
        before=before,
        after=snapshot(schedule),
        station_id=schedule.station_id,
    )
    bump_plan(session, schedule.station_id)


def schedule_values(schedule: Schedule) -> dict[str, Any]:
    """Give back a schedule's values in the shape ``parse_schedule_form`` gives (for the edit form)."""
    values = {k: getattr(schedule, k) for k in FIELDS}
    values["recurrence"] = schedule.recurrence.value
    values["priority"] = schedule.priority.value
    values["zone_ids"] = [z.id for z in schedule.zones]
    return values


def delete_schedule(session: Session, schedule: Schedule, user: User | None) -> None:
    """Delete a schedule that never reached the as-run log (InConflict otherwise: turn it off).

    Its pending airings go with it, as the planner would drop them for a disabled schedule; an
    airing that started, was missed or skipped is evidence and keeps the schedule alive.
    """
    refuse_hub_origin(schedule, OFFERS_HINT)
    from ..playout import bump_plan

    done = session.scalar(
        select(Occurrence.id)
        .where(Occurrence.schedule_id == schedule.id, Occurrence.status != AirStatus.PENDING)
        .limit(1)
    )
    if done is not None:
        raise InConflict(
            f"Lịch «{schedule.name or schedule.id}» đã có buổi phát trong nhật ký, phải giữ lại làm "
            "bằng chứng: hãy tắt lịch thay vì xoá."
        )
    before = snapshot(schedule)
    before["zone_ids"] = [z.id for z in schedule.zones]
    for occ in session.scalars(select(Occurrence).where(Occurrence.schedule_id == schedule.id)):
        session.delete(occ)
    schedule.zones = []
    session.flush()
    session.delete(schedule)
    session.flush()
    record(
        session,
        user=user,
        action="delete",
        entity="schedule",
        entity_id=before["id"],
        before=before,
        station_id=before["station_id"],
    )
    bump_plan(session, before["station_id"])
