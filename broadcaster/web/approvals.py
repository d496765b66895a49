"""The approval queue: leaders approve or return submitted segments, never their own.

A segment whose text looks damaged (see segments.speech_check) shows the marked places; approving
it needs the approver's explicit "approve anyway".
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import content
from ..models import Role, Segment, SegmentStatus
from ._core import commit, db, me, roles, station
from .segments import speech_check, speech_setup

bp = Blueprint("approvals", __name__, url_prefix="/duyet")


def _queue() -> list[Segment]:
    return list(db().scalars(
        select(Segment)
        .where(Segment.station_id == station().id, Segment.status == SegmentStatus.SUBMITTED)
        .order_by(Segment.submitted_at, Segment.id)
    ))


def _page(rows: list[Segment], errors: dict, comments: dict | None = None, status: int = 200):
    setup = speech_setup()
    checks = {s.id: speech_check(s.body, setup, spoken=False) for s in rows if (s.body or "").strip()}
    return render_template("approvals/index.html", rows=rows, errors=errors, comments=comments,
                           checks=checks), status


@bp.route("/")
@roles(Role.ADMIN, Role.APPROVER)
def index():
    return _page(_queue(), {})


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
            if not request.form.get("van_duyet") and (seg.body or "").strip():
                check = speech_check(seg.body, speech_setup(), spoken=False)
                if check["count"]:
                    raise content.ContentError(
                        f"Chưa duyệt: văn bản có {check['count']} chỗ nghi bị lỗi chữ. Hãy trả lại để "
                        "người viết sửa, hoặc đánh dấu ô «Vẫn duyệt» nếu văn bản đúng như vậy."
                    )
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
        return _page(_queue(), {seg.id: str(exc)}, {seg.id: comment}, 400)
    return redirect(url_for("approvals.index"))
