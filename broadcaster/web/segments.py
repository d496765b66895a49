"""Segments: list with search and filters, write and edit, listen before saving, procedure notices.

Beside the written text the editor shows what the machine will read ("đọc thử thành chữ") and the
places that look damaged (letters lost in a PDF or OCR export, lost tones, font damage), marked in
the written text with the reason; a damaged text goes for approval only when the writer confirms.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import content, rules
from ..models import AREA_LABELS, KIND_LABELS, CchcArea, RenderJob, Role, Segment, SegmentKind
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


# --------------------------------------------------------------------------- what will be read


def speech_setup() -> tuple[dict[str, str], str]:
    """Return the station's pronunciation entries and dialect, as the renderer reads them."""
    from ..audio import station_lexicon

    cfg = rules.effective_config(db(), station().id, config())
    return station_lexicon(db(), station().id), cfg.dialect


def _pieces(text: str, spans) -> list[tuple[str, str | None]]:
    """Return text cut into pieces, each with the reason it looks damaged (None: clean)."""
    out: list[tuple[str, str | None]] = []
    at = 0
    for span in sorted(spans, key=lambda sp: (sp.start, -sp.end)):
        start, end = max(span.start, at), min(span.end, len(text))
        if end <= start:  # inside a place already marked
            continue
        if start > at:
            out.append((text[at:start], None))
        out.append((text[start:end], span.reason))
        at = end
    if at < len(text):
        out.append((text[at:], None))
    return out


def speech_check(text: str, setup: tuple[dict[str, str], str], spoken: bool = True) -> dict:
    """Return what a page shows about a text: marked pieces, the damaged places, the spoken text.

    ``setup`` is :func:`speech_setup` (looked up once for a page of several texts). The spoken
    text is left out when not asked for; when the text cannot be read, ``error`` says why.
    """
    from ..audio.normalize import NormalizeError, assess, describe, normalize

    lexicon, dialect = setup
    found = assess(text or "", lexicon)
    out = {"pieces": _pieces(text or "", found.spans), "places": describe(text or "", found),
           "count": len(found.spans), "spoken": "", "error": None}
    if spoken and (text or "").strip():
        try:
            out["spoken"] = normalize(text, dialect=dialect, lexicon=lexicon)
        except NormalizeError as exc:
            out["error"] = str(exc)
    return out


def _check_json(check: dict) -> dict:
    return {"doc": check["spoken"], "loi": check["error"], "so_cho_nghi": check["count"],
            "cho_nghi": check["places"], "manh": [[t, r] for t, r in check["pieces"]]}


def _form_page(
    seg: Segment | None,
    values: dict,
    errors: dict,
    status: int = 200,
    restored: bool = False,
    confirm: bool = False,
):
    body = values.get("body") or ""
    check = speech_check(body, speech_setup()) if body.strip() and len(body) <= MAX_PREVIEW else None
    return (
        render_template(
            "segments/form.html",
            seg=seg,
            v=values,
            errors=errors,
            kinds=KIND_LABELS,
            areas=AREA_LABELS,
            restored=restored,
            check=check,
            airs=_airs_soon(seg),
            confirm=confirm,
        ),
        status,
    )


#: How far ahead an edit of an approved segment is weighed against its airings.
AIRS_AHEAD_HOURS = 7 * 24


def _airs_soon(seg: Segment | None) -> list:
    """Give back the coming airings (7 days) that would play this approved segment, soonest first."""
    from ..models import SegmentStatus
    from ..playout import forecast

    if seg is None or seg.id is None or seg.status != SegmentStatus.APPROVED:
        return []
    return [
        a
        for a in forecast(db(), station(), segment_id=seg.id, hours=AIRS_AHEAD_HOURS)
        if a.skipped is None and all(p.segment_id != seg.id for p in a.problems)
    ]


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
        airing = []
        if seg is None:
            seg = content.create_segment(
                s, station(), me(), fields, upload_asset_id=asset_id if asset_id is not False else None
            )
            back = False
        else:
            # An approved segment that is about to air goes back to draft on a real change and
            # would then be skipped: the officer confirms first, and keeps what was typed.
            airing = _airs_soon(seg)
            back = content.update_segment(s, seg, me(), fields, upload_asset_id=asset_id)
            if back and airing and not form.get("xac_nhan"):
                s.rollback()
                values["_had_file"] = bool(upload and upload.filename)
                return _form_page(seg, values, {}, confirm=True)
        commit()
    except content.ContentError as exc:
        s.rollback()
        return _form_page(seg, values, {exc.field or "_": str(exc)}, 400)
    if back and airing:
        first = airing[0]
        flash(
            f"Đã lưu. Tin trở về bản nháp và sẽ bị bỏ qua {first.when} (chương trình «{first.title}») "
            "cho đến khi được duyệt lại: hãy gửi duyệt ngay.",
            "warning",
        )
    elif back:
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
    check = speech_check(seg.body, speech_setup(), spoken=False) if (seg.body or "").strip() else None
    return render_template("segments/view.html", seg=seg, can_edit=content.can_edit(current_user, seg),
                           check=check)


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
    if (seg.body or "").strip() and not request.form.get("van_gui"):
        check = speech_check(seg.body, speech_setup(), spoken=False)
        if check["count"]:
            # Damaged text goes to the approver only when the writer says so, having seen it.
            flash(f"Chưa gửi duyệt: văn bản có {check['count']} chỗ nghi bị lỗi chữ (đánh dấu bên dưới). "
                  "Hãy sửa, hoặc đánh dấu ô «Vẫn gửi duyệt» nếu văn bản đúng như vậy.", "error")
            return redirect(url_for("segments.view", segment_id=seg.id))
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
    """Ask the render worker for the segment's speech (kept, so it airs from the cache)."""
    from ..audio import enqueue_render

    seg = _segment(segment_id)
    apply(
        lambda: enqueue_render(db(), station().id, segment_id=seg.id),
        "Đã gửi yêu cầu chuyển văn bản thành giọng nói; âm thanh sẽ có sau ít phút.",
    )
    return redirect(url_for("segments.view", segment_id=seg.id))


@bp.route("/<int:segment_id>/am-thanh")
@roles(*READERS, Role.OPERATOR)
def audio(segment_id: int):
    return send_asset(_segment(segment_id).audio)


#: What the page says when no render worker serves the station (speech is never made in a request).
NO_WORKER = (
    "Bộ chuyển giọng nói (dịch vụ broadcaster-worker) đang không chạy nên chưa nghe thử được. "
    "Hãy nhờ quản trị viên bật nó rồi bấm «Nghe thử» lại."
)


@bp.route("/nghe-thu", methods=["POST"])
@roles(*READERS)
def preview():
    """Queue the text being written for the render worker and give back (JSON, 202) where to
    follow it; 503 with a Vietnamese reason when no worker runs (nothing is queued then)."""
    from ..audio import enqueue_preview, worker_running

    try:
        text = _text(_posted(), "nghe thử")
    except _Bad as exc:
        return jsonify({"loi": str(exc)}), 400
    if not worker_running(config().data_dir):
        return jsonify({"loi": NO_WORKER}), 503
    job = enqueue_preview(db(), station().id, text)
    commit()
    return jsonify({"job": job.id, "url": url_for("segments.preview_job", job_id=job.id)}), 202


@bp.route("/nghe-thu/viec/<int:job_id>.json")
@roles(*READERS)
def preview_job(job_id: int):
    """Give back (JSON) how a listen-before-saving job stands, and where to listen once done."""
    from ..audio import worker_running
    from .programmes import JOB_LABELS

    job = db().get(RenderJob, job_id)
    if job is None or job.station_id != station().id or job.text is None:
        abort(404)
    answer: dict[str, Any] = {"trang_thai": job.status, "nhan": JOB_LABELS.get(job.status, "Có lỗi")}
    if job.status == "done" and job.result:
        r = job.result
        answer |= {
            "url": url_for("segments.preview_audio", key=r["key"], ext=r["ext"]),
            "thoi_luong_ms": r["duration_ms"],
            "bo_doc": r["engine"],
        }
    elif job.status == "failed":
        answer["loi"] = job.error or "Không nghe thử được."
    elif not worker_running(config().data_dir):
        answer["loi"] = NO_WORKER  # it stopped after the job was queued
    return jsonify(answer)


class _Bad(ValueError):
    """A posted body that cannot be used; the message is Vietnamese."""


def _posted() -> Any:
    """Return the posted JSON object (read safely) or form; raise _Bad when it is not usable."""
    if not request.is_json:
        return request.form
    try:
        data = parse_json(request.get_data(cache=True))
    except BadJson as exc:
        raise _Bad(str(exc)) from None
    if not isinstance(data, dict):
        raise _Bad("Nội dung gửi lên phải là một đối tượng JSON.")
    return data


def _text(data: Any, verb: str) -> str:
    """Return the posted text to listen to or read (``verb``); raise _Bad when there is none."""
    text = data.get("body") or data.get("text") or ""
    if not isinstance(text, str):
        raise _Bad(f"Nội dung {verb} phải là chuỗi chữ.")
    if not text.strip():
        raise _Bad(f"Chưa có nội dung để {verb}.")
    if len(text) > MAX_PREVIEW:
        raise _Bad(f"{verb.capitalize()} tối đa {MAX_PREVIEW:,} ký tự một lần.".replace(",", "."))
    return text.strip()


@bp.route("/doc-thu-chu", methods=["POST"])
@roles(*READERS)
def spoken():
    """Give back (JSON) the text as the machine will read it and the places that look damaged."""
    try:
        text = _text(_posted(), "đọc thử")
    except _Bad as exc:
        return jsonify({"loi": str(exc)}), 400
    return jsonify(_check_json(speech_check(text, speech_setup())))


@bp.route("/cach-doc", methods=["POST"])
@roles(Role.ADMIN)
def add_pronunciation():
    """Save a pronunciation entry from the editor (the dictionary is the admin's, as on its own
    page) and give back (JSON) the text read again with it."""
    try:
        data = _posted()
    except _Bad as exc:
        return jsonify({"loi": str(exc)}), 400
    term, said = data.get("term"), data.get("spoken")
    if not isinstance(term, str) or not isinstance(said, str):
        return jsonify({"loi": "Hãy nhập từ và cách đọc.", "truong": "term"}), 400
    try:
        entry = content.save_pronunciation(db(), station().id, me(), term, said)
        commit()
    except content.ContentError as exc:
        db().rollback()
        return jsonify({"loi": str(exc), "truong": exc.field}), 400
    answer = {"da_luu": f"Đã lưu cách đọc «{entry.term}» → «{entry.spoken}»."}
    try:
        answer |= _check_json(speech_check(_text(data, "đọc thử"), speech_setup()))
    except _Bad:
        pass  # saved; no text to read again
    return jsonify(answer)


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
