"""The hub's emergency page (hub mode only): send a district emergency, stop it, follow it live.

Admins and approvers only, with the typed confirmation the station's control page uses, for
sending and for stopping. The progress of each emergency (sent → received → started → finished,
per station) is one partial, refreshed in place by hub-live.js (``data-refresh-url``) and served as
JSON too. Thin: the work is :mod:`broadcaster.hub`'s.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from .. import hub
from ..models import Emergency, Role
from ._core import config, db, me, roles, station
from .control import CONFIRM_WORD

bp = Blueprint("emergency", __name__, url_prefix="/huyen/khan-cap")
SENDERS = (Role.ADMIN, Role.APPROVER)
REFRESH_S = 2
#: Which field a refusal of ``check_request`` belongs under (by its words), else the text's.
_FIELD_WORDS = (("Số lần", "repeat"), ("Khoảng nghỉ", "gap"), ("hiệu lực", "valid"))


def _number(name: str, default: float, errors: dict, label: str) -> float:
    raw = (request.form.get(name) or "").strip().replace(",", ".")
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        errors[name] = f"{label} phải là một số."
        return default


def _rows(limit: int = 10) -> list[dict]:
    rows = [hub.progress(em) for em in hub.recent_emergencies(db(), station(), limit)]
    for r in rows:
        for key in ("sent_at", "valid_until", "stopped_at"):
            r[key + "_dt"] = datetime.fromisoformat(r[key]) if r[key] else None
        for st in r["stations"]:
            for key in [k for k in st if k.endswith("_at")]:
                st[key + "_dt"] = datetime.fromisoformat(st[key]) if st[key] else None
    return rows


def _page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    groups = sorted({g for s in hub.registered(db(), config().station_code) for g in (s.groups or [])})
    return render_template(
        "hub/emergency.html",
        rows=_rows(),
        groups=groups,
        errors=errors or {},
        v=values or {},
        confirm_word=CONFIRM_WORD,
        refresh_s=REFRESH_S,
        default_valid=hub.DEFAULT_VALID_MIN,
    ), status


@bp.route("/")
@roles(*SENDERS)
def index():
    return _page()


@bp.route("/bang")
@roles(*SENDERS)
def table():
    """The progress table alone, for the page's refresh in place."""
    return render_template("hub/_emergency_table.html", rows=_rows(), confirm_word=CONFIRM_WORD)


@bp.route("/<uid>.json")
@roles(*SENDERS)
def progress_json(uid: str):
    em = db().query(Emergency).filter(Emergency.uid == uid).one_or_none()
    if em is None:
        abort(404)
    return jsonify(hub.progress(em))


@bp.route("/", methods=["POST"])
@roles(*SENDERS)
def send():
    values = dict(request.form.items())
    errors: dict[str, str] = {}
    if (request.form.get("confirm") or "").strip().upper() != CONFIRM_WORD:
        errors["confirm"] = f"Gõ «{CONFIRM_WORD}» để xác nhận gửi thông báo khẩn cấp."
    to = (request.form.get("to") or "").strip()
    if to == "codes":
        to = (request.form.get("codes") or "").strip()
    repeat = _number("repeat", 1, errors, "Số lần phát")
    gap = _number("gap", 0, errors, "Khoảng nghỉ")
    valid = _number("valid", hub.DEFAULT_VALID_MIN, errors, "Thời hạn hiệu lực")
    upload = request.files.get("audio")
    if errors:
        return _page(errors, values, 400)
    tmp = None
    try:
        if upload is not None and upload.filename:
            fd, tmp = tempfile.mkstemp(prefix="khan-cap-", dir=config().data_dir)
            with os.fdopen(fd, "wb") as fh:
                upload.save(fh)
        req = hub.EmergencyRequest(
            text=request.form.get("text") or "",
            audio_file=Path(tmp) if tmp else None,
            audio_name=upload.filename if upload is not None and upload.filename else "",
            title=request.form.get("title") or "",
            repeat=int(repeat) if repeat == int(repeat) else -1,
            gap_minutes=gap,
            valid_minutes=valid,
        )
        field = "text"
        try:
            hub.check_request(req)
        except hub.HubError as exc:
            field = next((k for w, k in _FIELD_WORDS if w in str(exc)), "text")
            raise
        field = "to"
        targets = hub.resolve_targets(db(), to, config().station_code)
        field = "text"
        em = hub.send_emergency(db(), config(), station(), targets, req, user=me())
        uid, n = em.uid, len(targets)
        db().commit()
    except hub.HubError as exc:
        db().rollback()
        return _page({field: str(exc)}, values, 400)
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
    flash(f"Đã gửi thông báo khẩn cấp tới {n} đài (mã {uid[:8]}). Theo dõi từng đài ở bảng dưới.", "warning")
    return redirect(url_for("emergency.index"))


@bp.route("/<uid>/dung", methods=["POST"])
@roles(*SENDERS)
def stop(uid: str):
    if (request.form.get("confirm") or "").strip().upper() != CONFIRM_WORD:
        flash(f"Gõ «{CONFIRM_WORD}» để xác nhận dừng thông báo khẩn cấp.", "error")
        return redirect(url_for("emergency.index"))
    try:
        em = hub.find_emergency(db(), uid)
        codes = hub.stop_emergency(db(), config(), em, user=me())
        db().commit()
    except hub.HubError as exc:
        db().rollback()
        flash(str(exc), "error")
        return redirect(url_for("emergency.index"))
    told = f"đã báo {len(codes)} đài dừng" if codes else "không còn đài nào đang phát"
    flash(f"Đã dừng thông báo khẩn cấp {uid[:8]}: {told}.", "success")
    return redirect(url_for("emergency.index"))
