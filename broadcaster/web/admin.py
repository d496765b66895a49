"""Administration: users, zones, settings, the pronunciation dictionary, API tokens, the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import content, rules
from ..models import ROLE_LABELS, ApiToken, Pronunciation, Role, User, Zone
from ._core import commit, config, db, me, roles, station

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")
ADMIN = Role.ADMIN


def _users_page(
    errors: dict | None = None, values: dict | None = None, status: int = 200, new_token: str = ""
):
    users = list(db().scalars(select(User).order_by(User.username)))
    tokens = list(db().scalars(select(ApiToken).order_by(ApiToken.id.desc())))
    locks = content.locks(db())
    return render_template(
        "admin/users.html",
        users=users,
        tokens=tokens,
        locks=locks,
        locked={lock.name: lock for lock in locks if not lock.is_address},
        limits=(content.ACCOUNT_LIMIT, content.ADDRESS_LIMIT),
        errors=errors or {},
        v=values or {},
        roles=ROLE_LABELS,
        new_token=new_token,
    ), status


@bp.route("/nguoi-dung", methods=["GET", "POST"])
@roles(ADMIN)
def users():
    if request.method == "GET":
        return _users_page()
    f = request.form
    try:
        user = content.create_user(
            db(),
            station(),
            f.get("username", ""),
            f.get("password", ""),
            f.get("role", ""),
            full_name=f.get("full_name", ""),
            actor=me(),
        )
        commit()
    except content.ContentError as exc:
        db().rollback()
        return _users_page({exc.field or "_": str(exc)}, {k: v for k, v in f.items() if k != "password"}, 400)
    flash(f"Đã tạo tài khoản «{user.username}».", "success")
    return redirect(url_for("admin.users"))


@bp.route("/nguoi-dung/<int:user_id>", methods=["GET", "POST"])
@roles(ADMIN)
def user(user_id: int):
    u = db().get(User, user_id)
    if u is None:
        abort(404)
    errors = {}
    if request.method == "POST":
        f = request.form
        try:
            content.update_user(
                db(),
                u,
                me(),
                full_name=f.get("full_name", ""),
                role=f.get("role", ""),
                active=bool(f.get("active")),
                password=f.get("password", ""),
            )
            commit()
            flash("Đã lưu tài khoản.", "success")
            return redirect(url_for("admin.users"))
        except content.ContentError as exc:
            db().rollback()
            errors[exc.field or "_"] = str(exc)
            u = db().get(User, user_id)
    return render_template("admin/user.html", u=u, errors=errors, roles=ROLE_LABELS), (400 if errors else 200)


@bp.route("/khoa-dang-nhap/mo", methods=["POST"])
@roles(ADMIN)
def unlock():
    key = request.form.get("key", "")
    if content.unlock(db(), key, actor=me()):
        commit()
        flash(f"Đã mở khoá đăng nhập cho {content.key_label(key)}.", "success")
    else:
        flash("Khoá này đã hết hạn hoặc đã được mở.", "info")
    return redirect(url_for("admin.users"))


@bp.route("/ma-truy-cap", methods=["POST"])
@roles(ADMIN)
def token_new():
    f = request.form
    u = db().get(User, f.get("user_id", type=int) or 0)
    try:
        if u is None:
            raise content.ContentError("Hãy chọn tài khoản.", "user_id")
        _row, token = content.create_token(db(), u, f.get("name", ""), actor=me())
        commit()
    except content.ContentError as exc:
        db().rollback()
        return _users_page({"token_" + (exc.field or "_"): str(exc)}, dict(f.items()), 400)
    return _users_page(new_token=token)


@bp.route("/ma-truy-cap/<int:token_id>/thu-hoi", methods=["POST"])
@roles(ADMIN)
def token_revoke(token_id: int):
    row = db().get(ApiToken, token_id)
    if row is None:
        abort(404)
    content.revoke_token(db(), row, me())
    commit()
    flash("Đã thu hồi mã truy cập.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/cum-loa", methods=["GET", "POST"])
@roles(ADMIN)
def zones():
    errors, values = {}, {}
    if request.method == "POST":
        f = request.form
        zone = None
        if f.get("zone_id"):
            zone = db().get(Zone, f.get("zone_id", type=int) or 0)
            if zone is None or zone.station_id != station().id:
                abort(404)
        try:
            content.save_zone(
                db(),
                station().id,
                me(),
                code=f.get("code", ""),
                name=f.get("name", ""),
                sink=f.get("sink", ""),
                enabled=bool(f.get("enabled")),
                zone=zone,
            )
            commit()
            flash("Đã lưu cụm loa.", "success")
            return redirect(url_for("admin.zones"))
        except content.ContentError as exc:
            db().rollback()
            errors = {f.get("zone_id") or "new": {exc.field or "_": str(exc)}}
            values = dict(f.items())
    rows = list(db().scalars(select(Zone).where(Zone.station_id == station().id).order_by(Zone.id)))
    return render_template("admin/zones.html", rows=rows, errors=errors, v=values), (400 if errors else 200)


@bp.route("/cai-dat", methods=["GET", "POST"])
@roles(ADMIN)
def settings():
    errors, values = {}, None
    if request.method == "POST":
        try:
            content.save_settings(db(), station().id, config(), me(), request.form)
            commit()
            flash("Đã lưu cài đặt.", "success")
            return redirect(url_for("admin.settings"))
        except content.ContentError as exc:
            db().rollback()
            errors[exc.field or "_"] = str(exc)
            values = dict(request.form.items())
    current = rules.get_settings(db(), station().id, config())
    shown = values or {k: content.setting_text(k, v) for k, v in current.items()}
    return render_template("admin/settings.html", defs=rules.SETTINGS, v=shown, errors=errors), (
        400 if errors else 200
    )


@bp.route("/phat-am", methods=["GET", "POST"])
@roles(ADMIN)
def pronunciations():
    errors, values = {}, {}
    if request.method == "POST":
        f = request.form
        entry = None
        if f.get("entry_id"):
            entry = db().get(Pronunciation, f.get("entry_id", type=int) or 0)
            if entry is None or entry.station_id != station().id:
                abort(404)
        try:
            if f.get("delete") and entry is not None:
                content.delete_pronunciation(db(), entry, me())
                msg = "Đã xoá mục trong từ điển."
            else:
                content.save_pronunciation(
                    db(), station().id, me(), f.get("term", ""), f.get("spoken", ""), entry
                )
                msg = "Đã lưu cách đọc."
            commit()
            flash(msg, "success")
            return redirect(url_for("admin.pronunciations"))
        except content.ContentError as exc:
            db().rollback()
            errors = {f.get("entry_id") or "new": {exc.field or "_": str(exc)}}
            values = dict(f.items())
    rows = list(
        db().scalars(
            select(Pronunciation).where(Pronunciation.station_id == station().id).order_by(Pronunciation.term)
        )
    )
    return render_template("admin/pronunciations.html", rows=rows, errors=errors, v=values), (
        400 if errors else 200
    )


@bp.route("/nhat-ky-thay-doi")
@roles(ADMIN)
def audit():
    page = max(1, request.args.get("trang", 1, type=int))
    entity = (request.args.get("doi_tuong") or "").strip()
    rows, more = content.audit_page(db(), station().id, entity=entity, page=page)

    tz = config().tz

    def changes(row):
        return content.audit_changes(row.before, row.after, tz)

    return render_template(
        "admin/audit.html",
        rows=rows,
        more=more,
        page=page,
        entity=entity,
        changes=changes,
        actions=content.ACTION_LABELS,
        entities=content.ENTITY_LABELS,
    )
