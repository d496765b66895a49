"""The approval queue: leaders approve or return submitted segments, never their own."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import content
from ..models import Role, Segment, SegmentStatus
from ._core import commit, db, me, roles, station

bp = Blueprint("approvals", __name__, url_prefix="/duyet")


@bp.route("/")
@roles(Role.ADMIN, Role.APPROVER)
def index():
    rows = db().scalars(
        select(Segment)
        .where(Segment.station_id == station().id, Segment.status == SegmentStatus.SUBMITTED)
        .order_by(Segment.submitted_at, Segment.id)
    )
    return render_template("approvals/index.html", rows=list(rows), errors={})


@bp.route("/<int:segment_id>", methods=["POST"])
@roles(Role.ADMIN, Role.APPROVER)
def decide(segment_id: int):
    seg = db().get(Segment, segment_id)
    if seg is None or seg.station_id != station().id:
        abort(404)
    action = request.form.get("action")
    comment = (request.form.get("comment") or "").strip()
    try:
        if action == "approve":
            content.approve(db(), seg, me(), comment)
            msg = f"Đã duyệt tin «{seg.title}»."
        elif action == "reject":
            content.reject(db(), seg, me(), comment)
            msg = f"Đã trả lại tin «{seg.title}» cho người viết."
        else:
            raise content.ContentError("Hãy chọn Duyệt hoặc Trả lại.")
        commit()
        flash(msg, "success")
    except content.ContentError as exc:
        db().rollback()
        rows = list(
            db().scalars(
                select(Segment)
                .where(Segment.station_id == station().id, Segment.status == SegmentStatus.SUBMITTED)
                .order_by(Segment.submitted_at, Segment.id)
            )
        )
        return render_template(
            "approvals/index.html", rows=rows, errors={seg.id: str(exc)}, comments={seg.id: comment}
        ), 400
    return redirect(url_for("approvals.index"))
