"""Fixtures of the reports room: a year of as-run log on a real SQLite store, and a small web app.

The year is generated once per module (random with a fixed seed, through the models) because the
figures tests only read it.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sample_asrun import fill_sample_asrun

from broadcaster.config import load
from broadcaster.models import User
from broadcaster.store import ensure_station, open_store

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


PASSWORD = "mật-khẩu-dài-123"


def make_app(store) -> Flask:
    """The real admin app (create_app) on the given store; forms without CSRF for brevity."""
    from broadcaster.web import create_app

    return create_app(store.config, store=store, TESTING=True, WTF_CSRF_ENABLED=False, SERVER_NAME="dai.test")


def client_as(app: Flask, uid: int):
    """A client signed in through the real login form as the user ``uid``."""
    store = app.extensions["broadcaster_store"]
    with store.sessions() as s:
        username = s.get(User, uid).username
    c = app.test_client()
    r = c.post("/dang-nhap", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)
    return c


@pytest.fixture
def users(year_store):
    """One user per role, created once per store."""
    from broadcaster.content import create_user

    out = {}
    with year_store.sessions.begin() as s:
        station = year_store.station(s)
        for role in ("admin", "approver", "editor", "operator"):
            existing = s.query(User).filter_by(username=f"u-{role}").one_or_none()
            u = existing or create_user(s, station, f"u-{role}", PASSWORD, role)
            s.flush()
            out[role] = u.id
    return out
