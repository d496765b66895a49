"""Audio uploads: a recording becomes a segment (draft) after it is probed and normalized."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import content
from ..models import KIND_LABELS, AudioAsset, Role
from ._core import commit, db, me, roles, station
from ._files import import_file, send_asset

bp = Blueprint("uploads", __name__, url_prefix="/tep-am-thanh")


def _page(errors: dict, values: dict, status: int = 200):
    assets = list(
        db().scalars(
            select(AudioAsset)
            .where(AudioAsset.station_id == station().id, AudioAsset.source == "upload")
            .order_by(AudioAsset.id.desc())
            .limit(100)
        )
    )
    return render_template(
        "uploads/index.html", assets=assets, errors=errors, v=values, kinds=KIND_LABELS
    ), status


@bp.route("/", methods=["GET", "POST"])
@roles(Role.ADMIN, Role.EDITOR)
def index():
    if request.method == "GET":
        return _page({}, {"kind": "relay"})
    from ..audio import AudioError

    values = dict(request.form.items())
    upload = request.files.get("audio")
    if upload is None or not upload.filename:
        return _page({"audio": "Hãy chọn một tệp âm thanh."}, values, 400)
    fields = content.SegmentFields.from_mapping({**values, "title": values.get("title") or upload.filename})
    try:
        fields.cleaned(has_audio=True)
        try:
            asset = import_file(upload)
        except AudioError as exc:
            raise content.ContentError(str(exc), "audio") from None
        seg = content.create_segment(db(), station(), me(), fields, upload_asset_id=asset.id)
        commit()
    except content.ContentError as exc:
        db().rollback()
        return _page({exc.field or "_": str(exc)}, values, 400)
    flash(f"Đã tải lên và tạo bản tin «{seg.title}» (bản nháp).", "success")
    return redirect(url_for("segments.view", segment_id=seg.id))


@bp.route("/<int:asset_id>")
@roles(Role.ADMIN, Role.EDITOR)
def play(asset_id: int):
    asset = db().get(AudioAsset, asset_id)
    return send_asset(asset if asset is not None and asset.station_id == station().id else None)
