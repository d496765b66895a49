"""What every blueprint shares: the request's session, the signed-in user, role checks, time display."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import abort, current_app, flash, g, jsonify, render_template, request
from flask_login import UserMixin, current_user, login_required
from sqlalchemy.orm import Session

from ..config import Config
from ..content import ContentError
from ..models import ROLE_LABELS, Role, Station, User
from ..store import Store


class LoginUser(UserMixin):
    """The signed-in account as Flask-Login keeps it: a detached copy, no database session needed.

    Its session id is "<user id>:<auth epoch>" (Flask-Login's alternative id): when the account's
    epoch moves on (sign-out, new password, disabled), sessions holding the old id no longer load.
    """

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.epoch = user.auth_epoch or 0
        self.username = user.username
        self.full_name = user.full_name or user.username
        self.role = Role(user.role)
        self.station_id = user.station_id
        self.active = bool(user.active)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.epoch}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


def store() -> Store:
    """Give back the app's open store."""
    return current_app.extensions["broadcaster_store"]


def config() -> Config:
    """Give back the station configuration the app was made with."""
    return current_app.extensions["broadcaster_config"]


def db() -> Session:
    """Give back this request's database session (opened on first use, closed at teardown)."""
    if "db" not in g:
        g.db = store().sessions()
    return g.db


def station() -> Station:
    """Give back this station's row in the request's session."""
    if "station" not in g:
        g.station = store().station(db())
    return g.station


def me() -> User:
    """Give back the signed-in user's row in the request's session (for services that audit)."""
    if "me" not in g:
        user = db().get(User, current_user.id)
        if user is None:
            abort(403)
        g.me = user
    return g.me


def has_role(*roles: Role | str) -> bool:
    """Tell whether the signed-in user holds one of the roles."""
    return bool(current_user.is_authenticated and current_user.role in {Role(r) for r in roles})


def roles(*allowed: Role | str) -> Callable:
    """Give back a decorator: sign-in required, then 403 unless the user holds one of ``allowed``."""
    wanted = {Role(r) for r in allowed}

    def deco(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*a: Any, **kw: Any):
            if current_user.role not in wanted:
                abort(403)
            return view(*a, **kw)

        wrapped.allowed_roles = wanted  # read by the route matrix test and the nav
        return wrapped

    return deco


def local(dt: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """Give back an aware UTC time shown in the station's zone ("" for None)."""
    if dt is None:
        return ""
    return dt.astimezone(config().tz).strftime(fmt)


def wants_json() -> bool:
    """Tell whether the caller is a script or the page's JavaScript rather than a browser page load."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_page(code: int, title: str, message: str):
    """Give back a Vietnamese error answer: JSON for the API, a page otherwise."""
    if wants_json():
        return jsonify({"loi": message, "ma": code}), code
    return render_template("error.html", code=code, title=title, message=message), code


def commit() -> None:
    """Commit the request's unit of work."""
    db().commit()


def apply(change: Callable[[], object], done: str, catch: type[Exception] = ContentError) -> bool:
    """Run one state change as the request's unit of work and tell the user how it went.

    Commits and flashes ``done`` (when given), or rolls back and flashes the Vietnamese error of
    the ``catch`` kind (a content rule by default). Gives back whether the change went through.
    """
    try:
        change()
        commit()
    except catch as exc:
        db().rollback()
        flash(str(exc), "error")
        return False
    if done:
        flash(done, "success")
    return True
