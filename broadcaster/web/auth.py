"""Signing in and out, with login throttling."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from .. import content
from ..db import utcnow
from ..models import User
from ._core import LoginUser, commit, config, db, store

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never send the officer to another host after login.
    if not target:
        return url_for("dashboard.index")
    # A control character cannot go in a Location header (werkzeug raises: a 500), and browsers
    # drop tabs and newlines from URLs, so "/\n/host" would become "//host".
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
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
    error, locked = None, False
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        keys = content.throttle_keys(username, request.remote_addr)
        # The try is counted in its own transaction, committed before the password is checked:
        # parallel tries see each other's count and the limit holds.
        with store().sessions.begin() as s:
            attempt = content.reserve_attempt(s, keys)
        if attempt.refused is not None:
            error, locked = attempt.refused.message(config().tz), True
        else:
            s = db()
            user = content.authenticate(s, username, password)
            if user is not None:
                content.record_success(s, keys)
                user.last_login_at = utcnow()
                commit()
                stash = session.get("stash")
                session.clear()  # a fresh session on login (no fixation), the stash carried over
                if stash:
                    session["stash"] = stash
                login_user(LoginUser(user))
                session.permanent = True
                return redirect(_safe_next(next_url))
            if attempt.locks is not None:
                error, locked = attempt.locks.message(config().tz), True
            else:
                error = "Tên đăng nhập hoặc mật khẩu không đúng."
    expired = request.args.get("het_han") == "1"
    page = render_template("login.html", error=error, username=username, next=next_url, expired=expired)
    return page, 429 if locked else 200


@bp.route("/dang-xuat", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # Signing out here signs the account out everywhere (a shared PC, a lost phone).
        user = db().get(User, current_user.id)
        if user is not None:
            content.end_sessions(user)
            commit()
    logout_user()
    session.clear()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
