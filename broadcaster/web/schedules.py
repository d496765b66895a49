"""Schedules: week and month calendars, the recurrence form, conflicts shown before saving."""

from __future__ import annotations

import calendar as cal
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import content, rules
from ..db import utcnow
from ..models import (
    AIR_STATUS_LABELS,
    PRIORITY_LABELS,
    RECURRENCE_LABELS,
    WEEKDAY_NAMES,
    AirStatus,
    Origin,
    Priority,
    Programme,
    Role,
    Schedule,
    Zone,
)
from ._core import commit, config, db, me, roles, station

bp = Blueprint("schedules", __name__, url_prefix="/lich-phat")
EDITORS = (Role.ADMIN, Role.EDITOR, Role.APPROVER)

#: Form field → (id of its input, its label): where an error is shown and what the summary links to.
FIELD_TARGETS = {
    "programme_id": ("f-programme", "Chương trình"),
    "recurrence": ("f-recurrence", "Lặp lại"),
    "start_time": ("f-start_time", "Giờ bắt đầu"),
    "window_minutes": ("f-window", "Khung giờ"),
    "weekdays": ("f-weekdays", "Các ngày trong tuần"),
    "month_day": ("f-md", "Ngày trong tháng"),
    "nth": ("f-nth", "Tuần thứ"),
    "nth_weekday": ("f-nthw", "Vào"),
    "start_date": ("f-start_date", "Từ ngày"),
    "end_date": ("f-end_date", "Đến ngày"),
    "priority": ("f-priority", "Mức ưu tiên"),
    "targets": ("f-targets", "Gửi đến"),
    "zone_ids": ("f-zones", "Cụm loa"),
    "replay_count": ("f-rc", "Số lần phát"),
    "replay_gap_s": ("f-rg", "Cách nhau"),
    "replay_on": ("f-replay_on", "Chỉ phát nhiều lần vào ngày"),
    "misfire_grace_s": ("f-grace", "Cho phép phát trễ"),
    "overrun": ("f-overrun", "Khi quá khung giờ"),
    "on_interrupt": ("f-oi", "Khi bị ngắt"),
    "skip_dates": ("f-skip", "Ngày nghỉ"),
}


def _placed(errors: list[str]) -> list[dict]:
    """Give back each error with the field it goes next to: {"o", "id", "ten", "loi", "con_lai"}.

    ``con_lai`` is what the summary writes after the field's name (a link): the message without the
    name when it starts with it ("Giờ bắt đầu «25:00» …"), else ": " and the message.
    """
    out = []
    for message in errors:
        field = content.error_field(message)
        target, label = FIELD_TARGETS.get(field, ("", ""))
        rest = message[len(label) :] if label and message.startswith(label + " ") else f": {message}"
        field = field if target else ""
        out.append({"o": field, "id": target, "ten": label, "loi": message, "con_lai": rest})
    return out


#: Levels a district officer picks on this form; an emergency has its own page.
HUB_LEVELS = (Priority.NORMAL, Priority.PRIORITY)


def _hub() -> bool:
    return config().mode == "hub"


def _schedule(schedule_id: int) -> Schedule:
    sc = db().get(Schedule, schedule_id)
    if sc is None or sc.station_id != station().id:
        abort(404)
    return sc


#: Month view cells are narrow: titles are cut to this many characters (the full one is on hover).
SHORT_TITLE = 22
#: When several zones aired one slot differently, the calendar shows the worst.
_WORST = (
    AirStatus.FAILED,
    AirStatus.MISSED,
    AirStatus.INTERRUPTED,
    AirStatus.SKIPPED,
    AirStatus.PLAYING,
    AirStatus.PENDING,
    AirStatus.PLAYED,
)


def _short(title: str) -> str:
    return title if len(title) <= SHORT_TITLE else title[: SHORT_TITLE - 1].rstrip() + "…"


def _past_events(lo: datetime, hi: datetime) -> list[dict]:
    """Give back what happened in [lo, hi): the occurrence rows with their as-run status.

    They come from the log, not from the schedules, so an airing stays on the calendar after its
    schedule was disabled or changed, and plays without a schedule (play now, emergencies) show too.
    """
    tz = config().tz
    rows = content.occurrences_between(db(), station().id, lo, hi)
    grouped: dict[tuple, dict] = {}
    for r in rows:
        occ_id, sid, at, ended, title = r["id"], r["schedule_id"], r["at"], r["ended_at"], r["title"]
        status, reason, priority, zone = r["status"], r["reason"], r["priority"], r["zone_name"]
        key = (sid, at) if sid is not None else (None, occ_id)
        ev = grouped.get(key)
        if ev is None:
            local_at = at.astimezone(tz)
            ev = grouped[key] = {
                "at": local_at,
                "end": ended.astimezone(tz) if ended else local_at,
                "title": title,
                "short": _short(title),
                "schedule_id": sid,
                "priority": priority,
                "status": status,
                "label": AIR_STATUS_LABELS[status],
                "note": reason or "",
                "zones": [],
                "past": True,
            }
        if zone:
            ev["zones"].append(zone)
        if _WORST.index(status) < _WORST.index(ev["status"]):
            ev["status"], ev["label"], ev["note"] = status, AIR_STATUS_LABELS[status], reason or ""
    for ev in grouped.values():
        ev["state"] = f"st-{ev['status'].value}"
    return list(grouped.values())


def _future_events(lo: datetime, hi: datetime) -> list[dict]:
    """Give back what will happen in [lo, hi): the schedules' airings as the forecast sees them."""
    from ..playout import forecast

    if hi <= lo:
        return []
    tz = config().tz
    out = []
    for a in forecast(db(), station(), now=lo, hours=(hi - lo).total_seconds() / 3600):
        sc = db().get(Schedule, a.schedule_id) if a.schedule_id is not None else None
        minutes = sc.window_minutes if sc is not None else 0
        local_at = a.at.astimezone(tz)
        out.append(
            {
                "at": local_at,
                "end": local_at + timedelta(minutes=minutes),
                "title": a.title,
                "short": _short(a.title),
                "schedule_id": a.schedule_id,
                "priority": a.priority,
                "status": None,
                "state": "fc-nothing" if a.nothing else ("fc-partial" if a.problems else ""),
                "label": "Sẽ không phát gì" if a.nothing else ("Sẽ bỏ qua mục" if a.problems else ""),
                "note": a.message,
                "zones": a.zones,
                "past": False,
            }
        )
    return out


def _calendar(first: date, last: date) -> dict[date, list[dict]]:
    """Give back, per local day in [first, last], what aired (from the log) and what will air."""
    tz = config().tz
    lo = datetime.combine(first, time(0), tz)
    hi = datetime.combine(last + timedelta(days=1), time(0), tz)
    now = utcnow()
    days: dict[date, list[dict]] = {first + timedelta(days=i): [] for i in range((last - first).days + 1)}
    events = _past_events(lo, min(hi, now)) + _future_events(max(lo, now), hi)
    for ev in events:
        days.setdefault(ev["at"].date(), []).append(ev)
    for items in days.values():
        items.sort(key=lambda x: x["at"])
    return days


@bp.route("/")
@roles(*EDITORS, Role.OPERATOR)
def index():
    view = request.args.get("xem", "tuan")
    tz = config().tz
    try:
        day = (
            date.fromisoformat(request.args["ngay"]) if request.args.get("ngay") else datetime.now(tz).date()
        )
    except ValueError:
        day = datetime.now(tz).date()
    if view == "thang":
        first = day.replace(day=1)
        last = first.replace(day=cal.monthrange(first.year, first.month)[1])
        grid_first = first - timedelta(days=first.weekday())
        grid_last = last + timedelta(days=6 - last.weekday())
        prev_day = (first - timedelta(days=1)).replace(day=1)
        next_day = last + timedelta(days=1)
    else:
        view = "tuan"
        first = grid_first = day - timedelta(days=day.weekday())
        last = grid_last = first + timedelta(days=6)
        prev_day, next_day = first - timedelta(days=7), first + timedelta(days=7)
    days = _calendar(grid_first, grid_last)
    weeks = [list(days.items())[i : i + 7] for i in range(0, len(days), 7)]
    return render_template(
        "schedules/calendar.html",
        view=view,
        weeks=weeks,
        first=first,
        last=last,
        weekdays=WEEKDAY_NAMES,
        prev_day=prev_day,
        next_day=next_day,
        today=datetime.now(tz).date(),
    )


@bp.route("/danh-sach")
@roles(*EDITORS, Role.OPERATOR)
def list_():
    from ..playout import describe

    rows = list(
        db().scalars(
            select(Schedule)
            .where(Schedule.station_id == station().id)
            .order_by(Schedule.enabled.desc(), Schedule.start_time)
        )
    )
    from ..playout import forecast, warnings

    by_schedule: dict[int | None, list] = {}
    for a in warnings(forecast(db(), station())):
        by_schedule.setdefault(a.schedule_id, []).append(a)
    return render_template("schedules/list.html", rows=rows, describe=describe, forecast=by_schedule)


def _form(
    sc: Schedule | None,
    values: dict,
    errors: list[str],
    conflicts: list[str],
    warning: str | None = None,
    status: int = 200,
):
    progs = list(
        db().scalars(
            select(Programme).where(Programme.station_id == station().id).order_by(Programme.id.desc())
        )
    )
    zones = list(db().scalars(select(Zone).where(Zone.station_id == station().id).order_by(Zone.id)))
    coming = []
    if sc is not None and sc.id is not None:
        from ..playout import forecast, warnings

        coming = warnings(forecast(db(), station(), schedule_id=sc.id))
    hub_stations = []
    if _hub():
        from ..hub import registered

        hub_stations = registered(db(), station().code)
    return render_template(
        "schedules/form.html",
        forecast=coming,
        sc=sc,
        v=values,
        errors=errors,
        placed=_placed(errors),
        field_errors={f: ms for f, ms in content.errors_by_field(errors).items() if f in FIELD_TARGETS},
        conflicts=conflicts,
        warning=warning,
        programmes=progs,
        zones=zones,
        weekdays=WEEKDAY_NAMES,
        recurrences=RECURRENCE_LABELS,
        priorities={p: PRIORITY_LABELS[p] for p in HUB_LEVELS} if _hub() else PRIORITY_LABELS,
        hub=_hub(),
        hub_stations=hub_stations,
        hub_groups=sorted({g for s in hub_stations for g in (s.groups or [])}),
        station_grace=rules.effective_config(db(), station().id, config()).misfire_grace,
    ), status


def _defaults() -> dict:
    tz = config().tz
    zones = list(db().scalars(select(Zone.id).where(Zone.station_id == station().id, Zone.enabled)))
    return {
        "recurrence": "daily",
        "start_time": time(5, 30),
        "window_minutes": 30,
        "start_date": datetime.now(tz).date(),
        "priority": "normal",
        "replay_count": 1,
        "replay_gap_s": 0,
        "replay_on": None,
        "misfire_grace_s": None,  # the station's grace, whatever it is when the slot comes
        "overrun": "stop",
        "on_interrupt": "resume",
        "enabled": True,
        "zone_ids": zones[:1],
        "weekdays": [],
        "skip_dates": [],
        "programme_id": request.args.get("chuong_trinh", type=int),
    }


def _hub_targets(values: dict) -> tuple[list, list[str]]:
    """Give back the stations the form aims a hub schedule at and the errors about them and its level."""
    from ..hub import HubError, resolve_targets

    values["targets"] = spec = (request.form.get("targets") or "").strip()
    errors = []
    if values.get("priority") == Priority.EMERGENCY.value:
        errors.append("Mức ưu tiên khẩn cấp không gửi từ lịch phát: hãy dùng trang Khẩn cấp.")
    try:
        return resolve_targets(db(), spec, station().code), errors
    except HubError as exc:
        return [], [*errors, f"Gửi đến: {exc}"]


def _save(sc: Schedule | None):
    values = content.parse_schedule_form(request.form)
    targets, refused = _hub_targets(values) if _hub() else ([], [])
    try:
        # Same unit of work: the commit hooks (manifest caches, MQTT nudge) see the new targets.
        saved = content.save_schedule(db(), station(), me(), values, sc, targets if _hub() else None)
        if refused:
            raise content.ScheduleError(refused, [])
        commit()
    except content.ScheduleError as exc:
        db().rollback()
        return _form(
            sc, values, refused + [m for m in exc.messages if m not in refused], exc.conflicts, status=400
        )
    except content.ContentError as exc:  # a district airing is not the commune's to edit
        db().rollback()
        return _form(sc, values, [str(exc)], [], status=400)
    flash("Đã lưu lịch phát.", "success")
    _flash_forecast(saved, values)
    return redirect(url_for("schedules.index", ngay=saved.start_date.isoformat()))


def _flash_forecast(saved: Schedule, values: dict) -> None:
    """Say at once what the saved schedule's coming airings will skip, and whom a priority slot displaces."""
    from ..playout import find_takeovers, forecast, warnings

    for note in find_takeovers(db(), saved):
        flash(note, "warning")
    for a in warnings(forecast(db(), station(), schedule_id=saved.id))[:3]:
        flash(f"«{a.title}»: {a.message}", "error" if a.nothing else "warning")


@bp.route("/moi", methods=["GET", "POST"])
@roles(*EDITORS)
def new():
    if request.method == "POST":
        return _save(None)
    return _form(None, _defaults(), [], [])


@bp.route("/<int:schedule_id>/sua", methods=["GET", "POST"])
@roles(*EDITORS)
def edit(schedule_id: int):
    sc = _schedule(schedule_id)
    if request.method == "POST":
        return _save(sc)
    # A district airing is shown as it is, with the reason it cannot be saved from here.
    told = [content.HUB_ROW_REFUSAL] if sc.origin == Origin.HUB else []
    values = content.schedule_values(sc)
    values["targets"] = ",".join(s.code for s in sc.targets)
    return _form(sc, values, told, [])


@bp.route("/kiem-tra", methods=["POST"])
@roles(*EDITORS)
def check():
    """Give back (JSON) the errors, conflicts and overrun warning of the form as it stands."""
    values = content.parse_schedule_form(request.form)
    sid = request.form.get("schedule_id", type=int)
    errors, conflicts, warning = content.check_schedule(db(), station().id, values, sid)
    if _hub():
        errors = _hub_targets(values)[1] + errors
    db().rollback()
    return jsonify(
        {"loi": errors, "loi_theo_o": _placed(errors), "trung_gio": conflicts, "canh_bao": warning}
    )


@bp.route("/<int:schedule_id>/bat-tat", methods=["POST"])
@roles(*EDITORS)
def toggle(schedule_id: int):
    sc = _schedule(schedule_id)
    try:
        content.set_schedule_enabled(db(), sc, me(), not sc.enabled)
        commit()
        flash("Đã bật lịch phát." if sc.enabled else "Đã tắt lịch phát.", "success")
    except content.ScheduleError as exc:
        db().rollback()
        for m in exc.messages + exc.conflicts:
            flash(m, "error")
    except content.ContentError as exc:  # a district airing: decided on the offers page, not here
        db().rollback()
        flash(str(exc), "error")
    return redirect(url_for("schedules.list_"))
