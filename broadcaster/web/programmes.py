"""Programmes: running order, durations, rendering with a progress bar, the monthly CCHC column."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import content, rules
from ..models import (
    KIND_LABELS,
    RELAY_FALLBACKS,
    Programme,
    RenderJob,
    Role,
    Schedule,
    Segment,
    SegmentStatus,
)
from ._core import apply, commit, config, db, has_role, me, roles, station

bp = Blueprint("programmes", __name__, url_prefix="/chuong-trinh")
EDITORS = (Role.ADMIN, Role.EDITOR)
READERS = (Role.ADMIN, Role.EDITOR, Role.APPROVER)


def _programme(programme_id: int) -> Programme:
    prog = db().get(Programme, programme_id)
    if prog is None or prog.station_id != station().id:
        abort(404)
    return prog


def _approved() -> list[Segment]:
    return list(
        db().scalars(
            select(Segment)
            .where(Segment.station_id == station().id, Segment.status == SegmentStatus.APPROVED)
            .order_by(Segment.kind, Segment.title)
        )
    )


def _slot_warnings(prog: Programme, total_ms: int) -> list[str]:
    """Give back warnings for each schedule whose window the programme outlasts (or the shortest slot)."""
    from ..playout import overrun_warning

    scheds = list(db().scalars(select(Schedule).where(Schedule.programme_id == prog.id, Schedule.enabled)))
    out = []
    for sc in scheds:
        w = overrun_warning(sc, total_ms)
        if w:
            out.append(f"Lịch «{sc.name or sc.id}»: {w}")
    if not scheds:
        slots = rules.get_settings(db(), station().id, config())["slots"]
        if slots:

            def minutes(s: dict) -> int:
                a, b = (datetime.strptime(s[k], "%H:%M") for k in ("start", "end"))
                return int((b - a).total_seconds() // 60)

            shortest = min(slots, key=minutes)
            if total_ms > minutes(shortest) * 60_000:
                out.append(
                    f"Tổng thời lượng vượt khung giờ «{shortest['name']}» "
                    f"({minutes(shortest)} phút) trong cài đặt."
                )
    return out


@bp.route("/")
@roles(*READERS)
def index():
    progs = list(
        db().scalars(
            select(Programme)
            .where(Programme.station_id == station().id)
            .order_by(Programme.month.desc().nullslast(), Programme.id.desc())
        )
    )
    totals = {p.id: content.item_durations(p)[1] for p in progs}
    return render_template("programmes/index.html", progs=progs, totals=totals)


@bp.route("/moi", methods=["GET", "POST"])
@roles(*EDITORS)
def new():
    values, errors = dict(request.form.items()), {}
    if request.method == "POST":
        try:
            prog = content.create_programme(
                db(),
                station(),
                me(),
                values.get("title", ""),
                values.get("description", ""),
                values.get("month"),
            )
            commit()
            flash("Đã tạo chương trình. Thêm các mục vào chương trình.", "success")
            return redirect(url_for("programmes.edit", programme_id=prog.id))
        except content.ContentError as exc:
            db().rollback()
            errors[exc.field or "_"] = str(exc)
    return render_template("programmes/new.html", v=values, errors=errors), (400 if errors else 200)


def _edit_page(prog: Programme, errors: dict | None = None, status: int = 200):
    from ..playout import forecast, warnings

    durations, total = content.item_durations(prog)
    return (
        render_template(
            "programmes/edit.html",
            prog=prog,
            durations=durations,
            total=total,
            errors=errors or {},
            warnings=_slot_warnings(prog, total),
            problems=content.programme_problems(prog),
            forecast=warnings(forecast(db(), station(), programme_id=prog.id)),
            approved=_approved(),
            chimes=rules.CHIME_LABELS,
            fallbacks=RELAY_FALLBACKS,
            kinds=KIND_LABELS,
            job_id=request.args.get("job", type=int),
        ),
        status,
    )


@bp.route("/<int:programme_id>", methods=["GET", "POST"])
@roles(*READERS)
def edit(programme_id: int):
    prog = _programme(programme_id)
    if request.method == "POST":
        if not has_role(*EDITORS):
            abort(403)
        f = request.form
        try:
            content.update_programme(
                db(), prog, me(), f.get("title", ""), f.get("description", ""), f.get("month")
            )
            commit()
            flash("Đã lưu thông tin chương trình.", "success")
            return redirect(url_for("programmes.edit", programme_id=prog.id))
        except content.ContentError as exc:
            db().rollback()
            return _edit_page(_programme(programme_id), {exc.field or "_": str(exc)}, 400)
    return _edit_page(prog)


@bp.route("/<int:programme_id>/muc", methods=["POST"])
@roles(*EDITORS)
def add_item(programme_id: int):
    prog = _programme(programme_id)
    f = request.form
    try:
        content.add_item(
            db(),
            prog,
            me(),
            f.get("item_type", ""),
            segment_id=f.get("segment_id"),
            chime=f.get("chime"),
            pause_ms=f.get("pause_s"),
            stream_url=f.get("stream_url"),
            duration_s=f.get("relay_min"),
            fallback=f.get("fallback"),
            fallback_segment_id=f.get("fallback_segment_id"),
        )
        commit()
    except content.ContentError as exc:
        db().rollback()
        return _edit_page(_programme(programme_id), {"item_" + (exc.field or "_"): str(exc)}, 400)
    return redirect(url_for("programmes.edit", programme_id=prog.id) + "#muc")


@bp.route("/<int:programme_id>/muc/<int:item_id>/<action>", methods=["POST"])
@roles(*EDITORS)
def item_action(programme_id: int, item_id: int, action: str):
    prog = _programme(programme_id)
    if action == "xoa":
        apply(lambda: content.remove_item(db(), prog, me(), item_id), "")
    elif action == "phat-thay":
        f = request.form
        apply(
            lambda: content.set_relay_fallback(
                db(), prog, me(), item_id, f.get("fallback"), f.get("fallback_segment_id")
            ),
            "Đã lưu cách phát thay khi mất sóng.",
        )
    elif action in ("len", "xuong"):
        step = -1 if action == "len" else 1
        apply(lambda: content.move_item(db(), prog, me(), item_id, step), "")
    else:
        abort(404)
    return redirect(url_for("programmes.edit", programme_id=prog.id) + "#muc")


@bp.route("/<int:programme_id>/xoa", methods=["POST"])
@roles(*EDITORS)
def delete(programme_id: int):
    prog = _programme(programme_id)
    if apply(lambda: content.delete_programme(db(), prog, me()), "Đã xoá chương trình."):
        return redirect(url_for("programmes.index"))
    return redirect(url_for("programmes.edit", programme_id=programme_id))


@bp.route("/<int:programme_id>/doc", methods=["POST"])
@roles(*EDITORS, Role.APPROVER)
def render(programme_id: int):
    """Ask the render worker for the programme's speech; a second click follows the job under way."""
    from ..audio import enqueue_render

    prog = _programme(programme_id)
    job = enqueue_render(db(), station().id, programme_id=prog.id)
    commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"job": job.id, "url": url_for("programmes.job", job_id=job.id)}), 202
    return redirect(url_for("programmes.edit", programme_id=prog.id, job=job.id))


#: What the progress bar says for each job state; "trang_thai" is the code the page's script follows.
JOB_LABELS = {
    "queued": "Đang chờ bộ chuyển giọng nói…",
    "running": "Đang chuyển giọng nói…",
    "done": "Đã xong",
    "failed": "Có lỗi",
}
#: A job still queued after this long probably has no worker to take it: say so.
NO_WORKER_AFTER = timedelta(minutes=1)


@bp.route("/tien-do/<int:job_id>.json")
@roles(*READERS)
def job(job_id: int):
    from ..db import utcnow

    job = db().get(RenderJob, job_id)
    if job is None or job.station_id != station().id:
        abort(404)
    pct = (
        100
        if job.status in ("done", "failed") and job.total == 0
        else int(job.done * 100 / job.total)
        if job.total
        else 0
    )
    error = job.error
    if job.status == "queued" and job.created_at and utcnow() - job.created_at > NO_WORKER_AFTER:
        error = "Bộ chuyển giọng nói (broadcaster worker) có vẻ chưa chạy; việc sẽ được làm khi nó chạy."
    return jsonify(
        {
            "trang_thai": job.status,
            "nhan": JOB_LABELS.get(job.status, "Có lỗi"),
            "xong": job.done,
            "tong": job.total,
            "phan_tram": pct,
            "loi": error,
        }
    )


@bp.route("/chuyen-muc-thang", methods=["GET", "POST"])
@roles(*EDITORS)
def monthly():
    """Propose the month's CCHC column from approved segments; the officer adjusts and saves."""
    from ..db import utcnow

    month = (request.values.get("month") or utcnow().astimezone(config().tz).strftime("%Y-%m")).strip()
    errors: dict = {}
    try:
        month = content.to_month(month) or month  # typed 11/2026 or 2026-11
    except ValueError:
        pass  # propose_monthly names it
    items: list = []
    title = request.form.get("title") or ""
    segs = {}
    try:
        if request.method == "POST" and request.form.get("save"):
            items = _posted_items()
            prog = content.save_monthly(db(), station(), me(), month, title, items)
            commit()
            flash("Đã lưu chuyên mục tháng. Có thể chỉnh thêm thứ tự ở đây.", "success")
            return redirect(url_for("programmes.edit", programme_id=prog.id))
        items = content.propose_monthly(db(), station().id, month)
        title = title or content.month_title(month)
    except content.ContentError as exc:
        db().rollback()
        errors[exc.field or "_"] = str(exc)
        if request.method == "POST" and not items:
            items = []
    for it in items:
        if it.get("segment_id"):
            segs[int(it["segment_id"])] = db().get(Segment, int(it["segment_id"]))
    approved = content.approved_for_month(db(), station().id, month) if "month" not in errors else []
    return render_template(
        "programmes/monthly.html",
        month=month,
        items=items,
        segs=segs,
        title=title,
        errors=errors,
        approved=approved,
        chimes=rules.CHIME_LABELS,
        kinds=KIND_LABELS,
    ), (400 if errors else 200)


def _posted_items() -> list[dict]:
    """Give back the running order posted by the builder: kept rows in the order of their numbers."""
    f = request.form
    rows = []
    for i, kind in enumerate(f.getlist("type")):
        keep = f.getlist("keep")
        if str(i) not in keep:
            continue
        try:
            order = float(f.getlist("order")[i])
        except (ValueError, IndexError):
            order = i
        rows.append(
            (
                order,
                i,
                {
                    "type": kind,
                    "segment_id": f.getlist("segment_id")[i] or None,
                    "chime": f.getlist("chime")[i] or None,
                    "pause_ms": int(f.getlist("pause_ms")[i] or 0) or None,
                },
            )
        )
    # Added segments go before the closing item (the closing chime), in the order chosen.
    before_last = max((r[0] for r in rows), default=0) - 0.5
    for n, sid in enumerate(x for x in f.getlist("add_segment") if x):
        rows.append((before_last + n * 0.001, 0, {"type": "segment", "segment_id": sid}))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]
