"""The operator's desk: what is on air, play approved content now, stop, emergency after confirmation."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import content
from ..models import Programme, Role, Segment, SegmentStatus, Zone
from ._core import apply, commit, db, me, roles, station

bp = Blueprint("control", __name__, url_prefix="/dieu-khien")
OPERATORS = (Role.ADMIN, Role.OPERATOR)
CONFIRM_WORD = "KHẨN CẤP"


def _page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    from ..playout import MAX_EMERGENCY_CHARS, daemon_alive, on_air, upcoming
    from ..rules import vn_int

    s, st = db(), station()
    progs = [
        p
        for p in s.scalars(
            select(Programme).where(Programme.station_id == st.id).order_by(Programme.id.desc())
        )
        if not content.programme_problems(p)
    ]
    segs = list(
        s.scalars(
            select(Segment)
            .where(Segment.station_id == st.id, Segment.status == SegmentStatus.APPROVED)
            .order_by(Segment.id.desc())
            .limit(200)
        )
    )
    zones = list(s.scalars(select(Zone).where(Zone.station_id == st.id, Zone.enabled).order_by(Zone.id)))
    return render_template(
        "control/index.html",
        on_air=on_air(s, st.id),
        upcoming=upcoming(s, st.id, 5),
        progs=progs,
        segs=segs,
        zones=zones,
        alive=daemon_alive(s, st.id),
        errors=errors or {},
        v=values or {},
        confirm_word=CONFIRM_WORD,
        max_text=vn_int(MAX_EMERGENCY_CHARS),
    ), status


@bp.route("/")
@roles(*OPERATORS)
def index():
    return _page()


def _zone_arg() -> int | None:
    z = request.form.get("zone_id", type=int)
    return z or None


@bp.route("/phat-ngay", methods=["POST"])
@roles(*OPERATORS)
def play_now():
    from ..playout import PlayoutError, request_play_now

    what = request.form.get("what", "")
    kind, _, ident = what.partition(":")
    try:
        if kind == "p" and ident.isdigit():
            prog = db().get(Programme, int(ident))
            problems = content.programme_problems(prog) if prog else ["Không có chương trình này."]
            if problems:
                raise PlayoutError(problems[0])
            request_play_now(db(), station().id, programme_id=int(ident), by=me().username, zone=_zone_arg())
        elif kind == "s" and ident.isdigit():
            request_play_now(db(), station().id, segment_id=int(ident), by=me().username, zone=_zone_arg())
        else:
            raise PlayoutError("Hãy chọn chương trình hoặc bản tin đã duyệt để phát.")
        content.record(
            db(),
            user=me(),
            action="play_now",
            entity="control",
            entity_id=what,
            after={"what": what, "zone_id": _zone_arg()},
        )
        commit()
    except PlayoutError as exc:
        db().rollback()
        return _page({"what": str(exc)}, dict(request.form.items()), 400)
    flash("Đã gửi lệnh phát ngay tới bộ phát.", "success")
    return redirect(url_for("control.index"))


@bp.route("/truc-tiep", methods=["POST"])
@roles(*OPERATORS)
def live():
    from ..playout import PlayoutError, request_live

    raw = (request.form.get("minutes") or "").strip()
    try:
        try:
            minutes = float(raw.replace(",", "."))
        except ValueError:
            raise PlayoutError(f"Thời lượng «{raw}» không phải là số phút.") from None
        if minutes != minutes:  # NaN
            raise PlayoutError(f"Thời lượng «{raw}» không phải là số phút.")
        request_live(db(), station().id, round(minutes * 60), by=me().username, zone=_zone_arg())
        content.record(
            db(),
            user=me(),
            action="live",
            entity="control",
            entity_id="live",
            after={"minutes": minutes, "zone_id": _zone_arg()},
        )
        commit()
    except PlayoutError as exc:
        db().rollback()
        return _page({"minutes": str(exc)}, dict(request.form.items()), 400)
    flash(f"Đã gửi lệnh phát trực tiếp {raw} phút tới bộ phát: hãy nói vào micrô.", "success")
    return redirect(url_for("control.index"))


@bp.route("/dung", methods=["POST"])
@roles(*OPERATORS)
def stop():
    from ..playout import PlayoutError, request_stop

    def stop_now() -> None:
        request_stop(db(), station().id, me().username, zone=_zone_arg())
        content.record(db(), user=me(), action="stop", entity="control", after={"zone_id": _zone_arg()})

    apply(stop_now, "Đã gửi lệnh dừng phát.", PlayoutError)
    return redirect(url_for("control.index"))


@bp.route("/khan-cap", methods=["POST"])
@roles(*OPERATORS)
def emergency():
    from ..playout import PlayoutError, request_emergency

    text = (request.form.get("text") or "").strip()
    values = dict(request.form.items())
    if (request.form.get("confirm") or "").strip().upper() != CONFIRM_WORD:
        return _page({"confirm": f"Gõ «{CONFIRM_WORD}» để xác nhận phát thông báo khẩn cấp."}, values, 400)
    if not text:
        return _page({"text": "Hãy nhập nội dung thông báo khẩn cấp."}, values, 400)
    try:
        cmd = request_emergency(db(), station().id, text=text, zone=_zone_arg(), by=me().username)
        content.record(
            db(),
            user=me(),
            action="emergency",
            entity="control",
            entity_id=cmd.id,
            after={"text": text, "zone_id": _zone_arg()},
        )
        commit()
    except PlayoutError as exc:
        db().rollback()
        return _page({"text": str(exc)}, values, 400)
    flash("Đã gửi thông báo khẩn cấp: bộ phát ngắt chương trình đang phát để phát ngay.", "warning")
    return redirect(url_for("control.index"))
