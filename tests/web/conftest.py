"""The admin web under test: the real app over the real SQLite store, one signed-in client per role.

Accounts get a cheap pbkdf2 hash (the app accepts any werkzeug hash) so signing in through the real
login form stays fast; the one test of the default (scrypt) hash is in test_auth.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from broadcaster import content
from broadcaster.models import Role, Segment, SegmentStatus, User
from broadcaster.web import create_app

PASSWORD = "mat-khau-thu-1"
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
USERS = {
    "admin": Role.ADMIN,
    "bientap": Role.EDITOR,
    "bientap2": Role.EDITOR,
    "lanhdao": Role.APPROVER,
    "trucdai": Role.OPERATOR,
}
ROLE_USER = {Role.ADMIN: "admin", Role.EDITOR: "bientap", Role.APPROVER: "lanhdao", Role.OPERATOR: "trucdai"}
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class _KeptTemplates(BytecodeCache):
    """Compiled page templates kept for the run, by source checksum: each test's app is a new Jinja
    environment that would otherwise compile every page it shows again (~0.1 s a test)."""

    def __init__(self) -> None:
        self.kept: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        hit = self.kept.get(bucket.key)
        if hit is not None and hit[0] == bucket.checksum:
            bucket.code = hit[1]

    def dump_bytecode(self, bucket) -> None:
        self.kept[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATES = _KeptTemplates()


class Client(FlaskClient):
    """A test client that sends the CSRF token the page would (form field), once it has one."""

    csrf_token: str | None = None

    def fetch_csrf(self, path: str = "/") -> str:
        html = self.get(path).get_data(as_text=True)
        m = META_CSRF.search(html)
        assert m, f"no csrf meta tag on {path}"
        self.csrf_token = m.group(1)
        return self.csrf_token

    def form(self, path: str, data: dict | None = None, **kw):
        """POST a form the way the browser does: with the csrf_token field."""
        data = dict(data or {})
        if self.csrf_token is None:
            self.fetch_csrf()
        data.setdefault("csrf_token", self.csrf_token)
        return self.post(path, data=data, **kw)

    def api(self, method: str, path: str, **kw):
        """Call like the page's JavaScript: X-CSRFToken header on state-changing calls."""
        headers = dict(kw.pop("headers", {}) or {})
        if method.upper() not in ("GET", "HEAD"):
            if self.csrf_token is None:
                self.fetch_csrf()
            headers.setdefault("X-CSRFToken", self.csrf_token)
        headers.setdefault("Accept", "application/json")
        return self.open(path, method=method, headers=headers, **kw)


@pytest.fixture
def app(config, store) -> Flask:
    with store.sessions.begin() as s:
        st = store.station(s)
        for username, role in USERS.items():
            s.add(
                User(
                    station_id=st.id,
                    username=username,
                    full_name=f"Người dùng {username}",
                    password_hash=CHEAP_HASH,
                    role=role,
                )
            )
    app = create_app(config, store=store)
    app.jinja_env.bytecode_cache = TEMPLATES
    app.test_client_class = Client
    return app


def login(
    client: Client,
    username: str,
    password: str = PASSWORD,
    remote_addr: str = "127.0.0.1",
    page: str = "/dang-nhap",
):
    """Sign in through the login form found at ``page`` (its hidden ``next`` field is sent back)."""
    html = client.get(page, environ_base={"REMOTE_ADDR": remote_addr}).get_data(as_text=True)
    token = META_CSRF.search(html).group(1)
    nxt = re.search(r'name="next" value="([^"]*)"', html)
    return client.post(
        "/dang-nhap",
        data={
            "username": username,
            "password": password,
            "csrf_token": token,
            "next": nxt.group(1).replace("&amp;", "&") if nxt else "",
        },
        environ_base={"REMOTE_ADDR": remote_addr},
    )


@pytest.fixture
def client_for(app) -> Callable[[str | Role | None], Client]:
    """Give back a client signed in as a username or a role's user (None: anonymous)."""
    made: dict = {}

    def make(who: str | Role | None) -> Client:
        if who in made:
            return made[who]
        c = app.test_client()
        if who is not None:
            username = ROLE_USER[who] if isinstance(who, Role) else who
            r = login(c, username)
            assert r.status_code == 302, r.get_data(as_text=True)[:500]
            c.fetch_csrf()
        made[who] = c
        return c

    return make


@pytest.fixture
def admin(client_for) -> Client:
    return client_for(Role.ADMIN)


@pytest.fixture
def editor(client_for) -> Client:
    return client_for(Role.EDITOR)


@pytest.fixture
def approver(client_for) -> Client:
    return client_for(Role.APPROVER)


@pytest.fixture
def operator(client_for) -> Client:
    return client_for(Role.OPERATOR)


@pytest.fixture
def anon(client_for) -> Client:
    return client_for(None)


@pytest.fixture
def starter(app, store) -> dict:
    """The starter content loaded and approved by the leadership (as a station does on day one)."""
    with store.sessions.begin() as s:
        st = store.station(s)
        content.load_starter(s, st)
        boss = s.scalar(select(User).where(User.username == "lanhdao"))
        for seg in s.scalars(select(Segment).where(Segment.status == SegmentStatus.SUBMITTED)):
            content.approve(s, seg, boss, "Đồng ý phát.")
        ids = {seg.kind.value: seg.id for seg in s.scalars(select(Segment).order_by(Segment.id))}
    return ids


def count(store, model, *where) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def user_id(store, username: str) -> int:
    with store.sessions() as s:
        return s.scalar(select(User.id).where(User.username == username))


def make_segment(store, author: str = "bientap", status: SegmentStatus = SegmentStatus.DRAFT, **kw) -> int:
    """Give back the id of a new segment written by ``author`` (and moved to ``status``)."""
    with store.sessions.begin() as s:
        st = store.station(s)
        who = s.scalar(select(User).where(User.username == author))
        fields = content.SegmentFields.from_mapping(
            {
                "title": kw.get("title", "Tin thử"),
                "body": kw.get("body", "Xin chào bà con."),
                "kind": kw.get("kind", "cchc_news"),
            }
        )
        seg = content.create_segment(s, st, who, fields)
        if status in (SegmentStatus.SUBMITTED, SegmentStatus.APPROVED, SegmentStatus.REJECTED):
            content.submit(s, seg, who)
        if status == SegmentStatus.APPROVED:
            content.approve(s, seg, s.scalar(select(User).where(User.username == "lanhdao")), "")
        if status == SegmentStatus.REJECTED:
            content.reject(s, seg, s.scalar(select(User).where(User.username == "lanhdao")), "Sửa lại")
        return seg.id


def schedule_form(programme_id, **kw) -> dict:
    """A valid schedule form (daily at 05:30 on zone 1 from 2030-01-01); ``kw`` overrides fields."""
    form = {
        "programme_id": str(programme_id),
        "recurrence": "daily",
        "start_time": "05:30",
        "window_minutes": "30",
        "start_date": "2030-01-01",
        "priority": "normal",
        "zone_ids": "1",
        "replay_count": "1",
        "replay_gap_s": "0",
        "misfire_grace_s": "600",
        "overrun": "stop",
        "on_interrupt": "resume",
    }
    form.update(kw)
    return form
