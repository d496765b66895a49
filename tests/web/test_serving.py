"""Serving the admin: the dashboard's short-lived data cache, its background engine check, and the
real ``broadcaster web`` server (gunicorn workers, each with its own database connections)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from conftest import free_port  # tests/ is on sys.path; "tests" is no package
from sqlalchemy import select, update

from broadcaster.db import utcnow
from broadcaster.models import AirStatus, AsRunEntry, ItemType, Occurrence, Programme, Role, User, Zone
from broadcaster.web import _cache, dashboard

from .conftest import CHEAP_HASH, META_CSRF, PASSWORD


class FakeClock:
    """Time that moves only when the test says (from now: entries made before stay consistent)."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    c = FakeClock()
    monkeypatch.setattr(dashboard, "_clock", c)  # the engine checks' times
    monkeypatch.setattr(_cache, "_clock", c)  # the kept data's times
    return c


@pytest.fixture(autouse=True)
def engines_known(monkeypatch):
    """A settled engine check, so pages do not depend on a background check's timing."""
    watch = dashboard.HealthWatch()
    answer = {"pyttsx3": {"available": True, "detail": "thử", "label": "Bộ đọc ngoại tuyến", "online": False}}
    monkeypatch.setattr(dashboard, "health_watch", watch)
    monkeypatch.setattr(watch, "get", lambda cfg: answer)
    return watch


def _aired(s, title: str) -> None:
    """Record one item played a minute ago, titled ``title``."""
    st_id = s.scalar(select(Zone.station_id))
    zone = s.scalar(select(Zone).where(Zone.station_id == st_id))
    now = utcnow()
    occ = Occurrence(
        station_id=st_id,
        zone_id=zone.id,
        scheduled_at=now - timedelta(minutes=1),
        title="Bản tin thử",
        status=AirStatus.PLAYED,
        started_at=now - timedelta(minutes=1),
    )
    s.add(occ)
    s.flush()
    s.add(
        AsRunEntry(
            station_id=st_id,
            occurrence_id=occ.id,
            position=0,
            zone_id=zone.id,
            item_type=ItemType.SEGMENT,
            title=title,
            started_at=now - timedelta(minutes=1),
            ended_at=now,
            duration_ms=60_000,
            status=AirStatus.PLAYED,
        )
    )


def _in_another_process(config, sql: str, *params: str) -> None:
    """Run one statement in a separate Python process (another web worker, the daemon, the CLI)."""
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute(sys.argv[2], sys.argv[3:]); c.commit()"
    )
    db = config.db_url.removeprefix("sqlite:///")
    subprocess.run([sys.executable, "-c", code, db, sql, *params], check=True, timeout=30)


def test_another_process_write_shows_at_once_and_its_reads_keep_the_cache(clock, operator, store, config):
    """With two web workers (the default) the page after a save may come from the worker that did
    not save: a write by any process drops the kept data at once (seen from the database's files,
    without a query), a read by another process does not."""
    with store.sessions.begin() as s:
        _aired(s, "Tên cũ")
    assert "Tên cũ" in operator.get("/").get_data(as_text=True)
    cache = dashboard.watch_writes(store.sessions)
    kept = dict(cache._entries)
    _in_another_process(config, "SELECT count(*) FROM as_run_entries WHERE title <> ?", "x")
    operator.get("/")
    assert cache._entries == kept  # served from the cache: nothing written
    _in_another_process(config, "UPDATE as_run_entries SET title = ? WHERE title = ?", "Tên mới", "Tên cũ")
    html = operator.get("/").get_data(as_text=True)  # the clock has not moved: no TTL involved
    assert "Tên mới" in html and "Tên cũ" not in html


def test_a_write_in_this_process_shows_at_once(clock, operator, store):
    assert "Mục vừa ghi" not in operator.get("/").get_data(as_text=True)
    with store.sessions.begin() as s:  # the app's own store: a page or a render thread writing
        _aired(s, "Mục vừa ghi")
    assert "Mục vừa ghi" in operator.get("/").get_data(as_text=True)
    # Same for what is coming up, in the JSON view.
    before = operator.get("/trang-thai.json").get_json()
    with store.sessions.begin() as s:
        st_id = s.scalar(select(Zone.station_id))
        s.add(
            Occurrence(
                station_id=st_id,
                scheduled_at=utcnow() + timedelta(hours=1),
                title="Buổi mới lên lịch",
                status=AirStatus.PENDING,
            )
        )
    after = operator.get("/trang-thai.json").get_json()
    assert [o["tieu_de"] for o in after["sap_phat"]] == [
        *[o["tieu_de"] for o in before["sap_phat"]],
        "Buổi mới lên lịch",
    ]


def test_an_orm_statement_write_in_this_process_shows_at_once(clock, operator, store):
    """Writes reach the cache through the ORM (flushed rows, insert/update/delete statements), not by
    reading SQL text: a bulk UPDATE through the session drops the cached data too."""
    with store.sessions.begin() as s:
        _aired(s, "Tên cũ")
    assert "Tên cũ" in operator.get("/").get_data(as_text=True)
    with store.sessions.begin() as s:
        s.execute(update(AsRunEntry).where(AsRunEntry.title == "Tên cũ").values(title="Tên mới"))
    html = operator.get("/").get_data(as_text=True)
    assert "Tên mới" in html and "Tên cũ" not in html


def test_a_rolled_back_write_does_not_matter_and_reads_keep_the_cache(clock, operator, store):
    operator.get("/")
    cache = dashboard.watch_writes(store.sessions)
    kept = dict(cache._entries)
    assert kept
    with store.sessions() as s:
        _aired(s, "Không lưu")
        s.flush()
        s.rollback()
    with store.sessions() as s:
        s.scalar(select(User).limit(1))
        s.commit()
    assert cache._entries == kept
    assert "Không lưu" not in operator.get("/").get_data(as_text=True)


def test_two_users_never_see_each_others_token_or_name(clock, app, client_for):
    a, b = client_for(Role.ADMIN), client_for(Role.OPERATOR)
    pages = {}
    for _ in range(2):  # the second round is served from the cached data
        for who, c in (("admin", a), ("trucdai", b)):
            html = c.get("/").get_data(as_text=True)
            pages.setdefault(who, []).append((META_CSRF.search(html).group(1), html))
    (ta1, ha1), (ta2, ha2) = pages["admin"]
    (tb1, hb1), (tb2, hb2) = pages["trucdai"]
    assert {ta1, ta2}.isdisjoint({tb1, tb2})
    for html in (ha1, ha2):
        assert "Người dùng admin" in html and "Người dùng trucdai" not in html
    for html in (hb1, hb2):
        assert "Người dùng trucdai" in html and "Người dùng admin" not in html
    # Each token works for its own session only.
    assert b.post("/dang-xuat", data={"csrf_token": ta2}).status_code == 400
    assert b.post("/dang-xuat", data={"csrf_token": tb2}).status_code == 302


def test_engine_check_never_holds_up_a_page(operator, monkeypatch, config):
    import broadcaster.audio

    watch = dashboard.HealthWatch()
    monkeypatch.setattr(dashboard, "health_watch", watch)
    release, started = threading.Event(), threading.Event()

    def slow_health(cfg):  # a dead network: the check hangs until released
        started.set()
        release.wait(10)
        return {
            "gtts": {"available": False, "detail": "Không có mạng.", "label": "Giọng Google", "online": True}
        }

    monkeypatch.setattr(broadcaster.audio, "engine_health", slow_health)
    html = operator.get("/").get_data(as_text=True)
    assert started.is_set() and not release.is_set()
    assert "Đang kiểm tra các bộ đọc" in html  # answered while the check still hangs
    release.set()
    deadline = time.monotonic() + 10
    while watch.get(config) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    html = operator.get("/").get_data(as_text=True)
    assert "Giọng Google" in html and "không dùng được" in html


def test_web_workers_setting_is_checked(env):
    res = subprocess.run(
        [sys.executable, "-m", "broadcaster.cli", "web"],
        env={**env, "BROADCASTER_WEB_WORKERS": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "BROADCASTER_WEB_WORKERS" in res.stderr


def _db_fds(pid: int, db: Path) -> int:
    n = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd).startswith(str(db)):
                n += 1
        except OSError:
            continue
    return n


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.slow
def test_server_runs_workers_with_their_own_connections_and_any_worker_answers_a_job(
    env, config, store, render_worker
):
    with store.sessions.begin() as s:
        st = store.station(s)
        s.add(
            User(
                station_id=st.id,
                username="bientap",
                full_name="Biên tập",
                password_hash=CHEAP_HASH,
                role=Role.EDITOR,
            )
        )
        prog = Programme(station_id=st.id, title="Chương trình trống")
        s.add(prog)
        s.flush()
        prog_id = prog.id
    store.engine.dispose()
    render_worker()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "web", "--port", str(port)],
        env={**env, "BROADCASTER_WEB_WORKERS": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "Trang quản trị đang chạy" in line and "gunicorn, 2 tiến trình" in line, line
        base = f"http://127.0.0.1:{port}"
        http = requests.Session()
        html = http.get(f"{base}/dang-nhap", timeout=30).text
        token = META_CSRF.search(html).group(1)
        r = http.post(
            f"{base}/dang-nhap",
            data={"username": "bientap", "password": PASSWORD, "csrf_token": token, "next": ""},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 302
        token = META_CSRF.search(http.get(f"{base}/", timeout=30).text).group(1)
        r = http.post(
            f"{base}/chuong-trinh/{prog_id}/doc",
            headers={"X-CSRFToken": token, "Accept": "application/json"},
            timeout=30,
        )
        assert r.status_code == 202, r.text[:300]
        job_url = base + r.json()["url"]
        # New connections land on either worker: every one answers from the job's row.
        deadline = time.monotonic() + 30
        states = []
        while time.monotonic() < deadline:
            answer = requests.get(
                job_url, cookies=http.cookies, headers={"Connection": "close"}, timeout=30
            ).json()
            states.append(answer["trang_thai"])
            if answer["trang_thai"] not in ("queued", "running") and len(states) >= 6:
                break
            time.sleep(0.05)
        assert states[-1] in ("done", "failed")
        assert set(states) <= {"queued", "running", "done", "failed"}
        # The master made the schema then let go of the database before forking; workers have their own.
        db = config.data_dir.resolve() / "broadcaster.db"
        children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert len(children) == 2
        assert _db_fds(proc.pid, db) == 0
        assert any(_db_fds(pid, db) for pid in children)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_repeated_dashboard_request_reads_nothing_from_the_database(clock, client_for, store):
    """The menu's offer count is kept with the dashboard's data: an approver's second look at the
    dashboard within the cache's life runs no SQL statement (it ran one per page before)."""
    from sqlalchemy import event

    approver = client_for(Role.ADMIN)  # admins and approvers see the "Tin từ huyện" count
    approver.get("/")
    statements: list[str] = []

    def _count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", _count)
    try:
        assert approver.get("/").status_code == 200
    finally:
        event.remove(store.engine, "before_cursor_execute", _count)
    assert statements == []
