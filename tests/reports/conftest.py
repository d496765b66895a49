"""Fixtures of the reports room: a year of as-run log on a real SQLite store, and a small web app.

The year is generated once per module (random with a fixed seed, through the models) because the
figures tests only read it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask_login import LoginManager, UserMixin, login_user
from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader

from broadcaster.config import load
from broadcaster.models import User
from broadcaster.reports import fill_sample_asrun
from broadcaster.store import ensure_station, open_store

ROOT = Path(__file__).resolve().parents[2]
NO_GOOD_EXAMPLE_MONTHS = frozenset({3, 8})


@pytest.fixture(scope="module")
def year_store(tmp_path_factory):
    """A store holding the whole of 2025: 2 slots a day on 1–3 zones, a chime and 2–5 items each."""
    d = tmp_path_factory.mktemp("year")
    st = open_store(load({"BROADCASTER_DATA_DIR": str(d)}), upgrade=True)
    ensure_station(st)
    with st.sessions.begin() as s:
        counts = fill_sample_asrun(
            s, st.station(s), date(2025, 1, 1), 365, no_good_example_months=NO_GOOD_EXAMPLE_MONTHS
        )
    assert counts.occurrences > 1400 and counts.entries > 4000
    yield st
    st.engine.dispose()


class LoginUser(UserMixin):
    def __init__(self, user: User) -> None:
        self.id = user.id
        self.role = user.role
        self.username = user.username


MINIMAL_BASE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>{% block title %}{% endblock %}</title></head>
<body><main>{% block content %}{% endblock %}</main></body></html>"""


def make_app(store) -> Flask:
    """A small app with the real reports blueprint and real flask-login, on the given store.

    The base template is a minimal stand-in so these tests do not depend on the web room's
    layout; the reports templates themselves are the real files from web/templates.
    """
    from broadcaster.web.reports import bp

    app = Flask(__name__, template_folder=str(ROOT / "web" / "templates"))
    app.jinja_loader = ChoiceLoader(
        [DictLoader({"base.html": MINIMAL_BASE}), FileSystemLoader(str(ROOT / "web" / "templates"))]
    )
    app.config.update(SECRET_KEY="test", TESTING=True, SERVER_NAME="dai.test")
    app.extensions["store"] = store
    lm = LoginManager(app)

    @lm.user_loader
    def _load(uid: str):
        with store.sessions() as s:
            u = s.get(User, int(uid))
            return LoginUser(u) if u else None

    @app.route("/_test_login/<int:uid>")
    def _login(uid: int):
        with store.sessions() as s:
            login_user(LoginUser(s.get(User, uid)))
        return "ok"

    app.register_blueprint(bp)
    return app


@pytest.fixture
def users(year_store):
    """One user per role, created once per store."""
    from broadcaster.content import create_user

    out = {}
    with year_store.sessions.begin() as s:
        station = year_store.station(s)
        for role in ("admin", "approver", "editor", "operator"):
            existing = s.query(User).filter_by(username=f"u-{role}").one_or_none()
            u = existing or create_user(s, station, f"u-{role}", "mật-khẩu-dài-123", role)
            s.flush()
            out[role] = u.id
    return out
