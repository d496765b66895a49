"""Segments: list with search and filters, write and edit, listen before saving, procedure notices."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import content, rules
from ..models import AREA_LABELS, KIND_LABELS, CchcArea, Role, Segment, SegmentKind
from ._core import apply, commit, config, db, me, roles, station
from ._files import import_file, send_asset, send_audio
from ._json import BadJson, parse_json

bp = Blueprint("segments", __name__, url_prefix="/ban-tin")
READERS = (Role.ADMIN, Role.EDITOR, Role.APPROVER)
WRITERS = (Role.ADMIN, Role.EDITOR)
MAX_PREVIEW = 20_000


def _segment(segment_id: int) -> Segment:
    seg = db().get(Segment, segment_id)
    if seg is None or seg.station_id != station().id:
        abort(404)
    return seg


@bp.route("/")
@roles(*READERS)
def index():
    args = request.args
    filters = {k: (args.get(k) or "").strip() for k in ("q", "thang", "loai", "linh_vuc", "trang_thai")}
    error = None
    try:
        month = content.to_month(filters["thang"]) or ""
    except ValueError as exc:
        month, error = None, str(exc)
    try:
        if month is None:
            raise content.ContentError(error, "thang")
        rows = content.search_segments(
            db(),
            station().id,
            q=filters["q"],
            month=month,
            kind=filters["loai"],
            area=filters["linh_vuc"],
            status=filters["trang_thai"],
            tz=config().tz,
        )
    except content.ContentError as exc:
        rows, error = [], str(exc)
    return render_template("segments/index.html", rows=rows, filters=filters, error=error), (
        400 if error else 200
    )


def _form_page(seg: Segment | None, values: dict, errors: dict, status: int = 200, restored: bool = False):
    return (
        render_template(
            "segments/form.html",
            seg=seg,
            v=values,
            errors=errors,
            kinds=KIND_LABELS,
            areas=AREA_LABELS,
            restored=restored,
        ),
        status,
    )


def _values_of(seg: Segment) -> dict:
    return {
        "title": seg.title,
        "body": seg.body,
        "kind": seg.kind.value,
        "area": seg.area.value if seg.area else "",
        "procedure": seg.procedure or "",
        "audience": seg.audience or "",
        "valid_from": seg.valid_from.isoformat() if seg.valid_from else "",
        "valid_to": seg.valid_to.isoformat() if seg.valid_to else "",
        "chime_before": seg.chime_before,
    }


def _restore(endpoint: str, values: dict) -> bool:
    """Put back text typed before the session expired (kept by the CSRF handler), once."""
    stash = session.get("stash")
    if not stash or stash.get("endpoint") != endpoint or stash.get("args") != dict(request.view_args or {}):
        return False
    session.pop("stash", None)
    values.update(stash.get("form") or {})
    return True


def _save(seg: Segment | None):
    """Validate and store the posted form; nothing is saved when anything is wrong."""
    form = request.form
    fields = content.SegmentFields.from_mapping(form)
    values = dict(form.items())
    upload = request.files.get("audio")
    s = db()
    try:
        fields.cleaned(has_audio=bool(upload and upload.filename) or bool(seg and seg.upload_asset_id))
        asset_id: int | None | bool = False
        if upload and upload.filename:
            from ..audio import AudioError

            try:
                asset_id = import_file(upload).id
            except AudioError as exc:
                raise content.ContentError(str(exc), "audio") from None
        elif form.get("remove_audio") and seg is not None:
            asset_id = None
        if seg is None:
            seg = content.create_segment(
                s, station(), me(), fields, upload_asset_id=asset_id if asset_id is not False else None
            )
            back = False
        else:
            back = content.update_segment(s, seg, me(), fields, upload_asset_id=asset_id)
        commit()
    except content.ContentError as exc:
        s.rollback()
        return _form_page(seg, values, {exc.field or "_": str(exc)}, 400)
    if back:
        flash("Đã lưu. Tin đã được duyệt trước đây nay trở về bản nháp: cần gửi duyệt lại.", "warning")
    else:
        flash("Đã lưu bản tin.", "success")
    return redirect(url_for("segments.view", segment_id=seg.id))


@bp.route("/moi", methods=["GET", "POST"])
@roles(*WRITERS)
def new():
    if request.method == "POST":
        return _save(None)
    values = {"kind": request.args.get("loai") or SegmentKind.CCHC_NEWS.value, "title": "", "body": ""}
    restored = _restore("segments.new", values)
    return _form_page(None, values, {}, restored=restored)


@bp.route("/<int:segment_id>")
@roles(*READERS)
def view(segment_id: int):
    seg = _segment(segment_id)
    return render_template("segments/view.html", seg=seg, can_edit=content.can_edit(current_user, seg))


@bp.route("/<int:segment_id>/sua", methods=["GET", "POST"])
@roles(*WRITERS)
def edit(segment_id: int):
    seg = _segment(segment_id)
    if not content.can_edit(current_user, seg):
        abort(403)
    if request.method == "POST":
        return _save(seg)
    values = _values_of(seg)
    restored = _restore("segments.edit", values)
    return _form_page(seg, values, {}, restored=restored)


@bp.route("/<int:segment_id>/gui-duyet", methods=["POST"])
@roles(*WRITERS)
def submit(segment_id: int):
    seg = _segment(segment_id)
    apply(lambda: content.submit(db(), seg, me()), "Đã gửi tin cho lãnh đạo duyệt.")
    return redirect(url_for("segments.view", segment_id=seg.id))


@bp.route("/<int:segment_id>/luu-tru", methods=["POST"])
@roles(*WRITERS)
def archive(segment_id: int):
    seg = _segment(segment_id)
    if not content.can_edit(current_user, seg):
        abort(403)
    apply(lambda: content.archive(db(), seg, me()), "Đã chuyển tin vào lưu trữ.")
    return redirect(url_for("segments.view", segment_id=seg.id))


@bp.route("/<int:segment_id>/doc", methods=["POST"])
@roles(*WRITERS, Role.APPROVER)
def render(segment_id: int):
    """Render the segment's speech now (kept, so it airs from the cache)."""
    from ..audio import AudioError, render_segment

    seg = _segment(segment_id)
    apply(
        lambda: render_segment(db(), rules.effective_config(db(), station().id, config()), seg),
        "Đã chuyển văn bản thành giọng nói.",
        AudioError,
    )
    return redirect(url_for("segments.view", segment_id=seg.id))


@bp.route("/<int:segment_id>/am-thanh")
@roles(*READERS, Role.OPERATOR)
def audio(segment_id: int):
    return send_asset(_segment(segment_id).audio)


@bp.route("/nghe-thu", methods=["POST"])
@roles(*READERS)
def preview():
    """Render the text being written and give back where to listen to it (JSON)."""
    from ..audio import AudioError, render_text, station_lexicon

    data: Any = request.form
    if request.is_json:
        try:
            data = parse_json(request.get_data(cache=True))
        except BadJson as exc:
            return jsonify({"loi": str(exc)}), 400
        if not isinstance(data, dict):
            return jsonify({"loi": "Nội dung gửi lên phải là một đối tượng JSON."}), 400
    text = data.get("body") or data.get("text") or ""
    if not isinstance(text, str):
        return jsonify({"loi": "Nội dung nghe thử phải là chuỗi chữ."}), 400
    text = text.strip()
    if not text:
        return jsonify({"loi": "Chưa có nội dung để nghe thử."}), 400
    if len(text) > MAX_PREVIEW:
        return jsonify({"loi": f"Nghe thử tối đa {MAX_PREVIEW:,} ký tự một lần.".replace(",", ".")}), 400
    cfg = rules.effective_config(db(), station().id, config())
    try:
        r = render_text(text, cfg, lexicon=station_lexicon(db(), station().id))
    except AudioError as exc:
        return jsonify({"loi": str(exc)}), 422
    return jsonify(
        {
            "url": url_for("segments.preview_audio", key=r.cache_key, ext=r.path.suffix.lstrip(".")),
            "thoi_luong_ms": r.duration_ms,
            "bo_doc": r.engine,
        }
    )


@bp.route("/nghe-thu/<key>.<ext>")
@roles(*READERS)
def preview_audio(key: str, ext: str):
    from ..audio import cache_path

    if not re.fullmatch(r"[0-9a-f]{64}", key):
        abort(404)
    path = cache_path(config(), key)
    if path.suffix.lstrip(".") != ext:
        abort(404)
    return send_audio(path)


@bp.route("/thu-tuc", methods=["GET", "POST"])
@roles(*WRITERS)
def procedure():
    """The structured procedure-notice form; it produces an editable text for a new segment."""
    values = dict(request.form.items()) if request.method == "POST" else {"online": "1"}
    errors = {}
    if request.method == "POST":
        try:
            title, body = content.procedure_text(request.form)
        except content.ContentError as exc:
            errors[exc.field or "_"] = str(exc)
        else:
            seg_values = {
                "title": title,
                "body": body,
                "kind": SegmentKind.PROCEDURE.value,
                "area": CchcArea.PROCEDURE.value,
                "procedure": request.form.get("procedure_name", "").strip(),
                "audience": request.form.get("who", "").strip()[:200],
            }
            flash("Đã soạn văn bản từ các mục đã nhập. Hãy đọc lại, sửa nếu cần, rồi bấm Lưu.", "info")
            return _form_page(None, seg_values, {})
    return render_template(
        "segments/procedure.html", v=values, errors=errors, fields=content.PROCEDURE_FIELDS
    ), (400 if errors else 200)
