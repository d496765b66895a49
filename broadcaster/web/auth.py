"""Signing in and out, with login throttling."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from .. import content
from ..db import utcnow
from ._core import LoginUser, commit, db, local

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never send the officer to another host after login.
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    # A backslash is a slash to browsers: "/\\host" would leave the site.
    bad = "\\" in target or parts.scheme or parts.netloc
    if bad or not target.startswith("/") or target.startswith("//"):
        return url_for("dashboard.index")
    return target


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(next_url))
    error = None
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        s = db()
        keys = content.throttle_keys(username, request.remote_addr)
        until = content.locked_until(s, keys)
        if until is None:
            user = content.authenticate(s, username, password)
            if user is not None:
                content.record_success(s, username)
                user.last_login_at = utcnow()
                commit()
                stash = session.get("stash")
                session.clear()  # a fresh session on login (no fixation), the stash carried over
                if stash:
                    session["stash"] = stash
                login_user(LoginUser(user))
                session.permanent = True
                return redirect(_safe_next(next_url))
            until = content.record_failure(s, keys)
            commit()
            if until is None:
                error = "Tên đăng nhập hoặc mật khẩu không đúng."
        if until is not None:
            error = (
                "Đăng nhập sai quá 5 lần: tài khoản hoặc máy này bị tạm khoá "
                f"15 phút, thử lại sau {local(until, '%H:%M')}."
            )
    expired = request.args.get("het_han") == "1"
    return render_template("login.html", error=error, username=username, next=next_url, expired=expired), (
        429 if error and "tạm khoá" in error else 200
    )


@bp.route("/dang-xuat", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
