"""`broadcaster status` with the daemon down right after a write (issue 10): the processes that
write keep its answer current (``playout._keeper``), so it prints without loading SQLAlchemy and
shows the write; a write racing with a rebuild never leaves a cache that hides it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import pytest
import requests
from conftest import free_port
from sqlalchemy import select, text

from broadcaster import content
from broadcaster.db import after_write
from broadcaster.models import Zone
from broadcaster.playout import _keeper, _status, keep_status, read_dead_air
from broadcaster.playout._snapshot import cache_key, cache_path, read_cache, snapshot_path

from .conftest import (
    add_once,
    add_programme,
    add_segment,
    bc,
    from_the_database,
    status_and_loads,
    wait_for,
    whole_seconds_from_now,
    zone_with_sink,
)

ALL_AIR = "mọi buổi phát đều có đủ bản tin"


def kept(config) -> bool:
    """Tell whether the cache left behind matches the store as it is now."""
    key = cache_key(config.db_url, config.station_code, config.timezone)
    return read_cache(config.data_dir, key, 1) is not None


@pytest.mark.slow
def test_after_a_cli_web_or_daemon_write_status_prints_the_answer_the_writer_left(env, config):
    """Real processes throughout: CLI writes, approvals through the web server's API, a daemon
    that stops; after each, ``status`` prints the change without loading SQLAlchemy."""
    bc(env, "init", "--no-starter")
    assert not cache_path(config.data_dir).parent.exists()  # no one asked here yet: nothing kept
    out, loaded = status_and_loads(env)  # the first answer: from the database, then kept
    assert loaded and "Không có buổi phát nào sắp tới." in out and ALL_AIR in out
    bc(env, "init")  # the starter column: two slots a day, their items still waiting for approval
    out, loaded = status_and_loads(env)
    assert not loaded and "CẢNH BÁO — 4 buổi phát" in out and "chưa được duyệt" in out

    bc(env, "user", "add", "lanhdao", "--role", "approver", "--password-stdin", stdin="mat-khau-dai-du-12\n")
    token = bc(env, "token", "add", "lanhdao", "--name", "thử").strip().splitlines()[-1]
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "BROADCASTER_WEB_WORKERS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Trang quản trị đang chạy" in web.stdout.readline()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        base = f"http://127.0.0.1:{port}/api/v1"
        waiting = api.get(f"{base}/approvals", timeout=30).json()["cho_duyet"]
        assert len(waiting) >= 10
        for seg in waiting:
            r = api.post(f"{base}/segments/{seg['id']}/approve", json={}, timeout=30)
            assert r.status_code == 200, r.text[:300]
        wait_for(lambda: kept(config), timeout=20)  # the web worker rebuilt it after the burst
        out, loaded = status_and_loads(env)
        assert not loaded and "CẢNH BÁO" not in out and ALL_AIR in out
    finally:
        web.send_signal(signal.SIGTERM)
        web.communicate(timeout=30)

    daemon = subprocess.Popen([sys.executable, "-m", "broadcaster.cli", "run"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: snapshot_path(config.data_dir).exists(), timeout=30)
        out, loaded = status_and_loads(env)
        assert not loaded and f"Bộ phát đang chạy (PID {daemon.pid})" in out
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    assert not snapshot_path(config.data_dir).exists()  # a stopped daemon answers for nothing
    out, loaded = status_and_loads(env)  # the daemon's last write (it stopped) left the answer
    assert not loaded and out.startswith("Bộ phát KHÔNG chạy") and ALL_AIR in out


def test_a_write_during_a_rebuild_never_leaves_a_cache_that_hides_it(
    store, env, config, session, station, monkeypatch
):
    """A rebuild is held after it read the view (write A) and before it keeps it; write B
    commits; the rebuild goes on. Its key is the version read with A's data, so ``status`` does
    not take that cache for B's state: it reads the database and shows B. The rebuild B set off
    then leaves a cache that shows B."""
    keep_status(store)
    cache_path(config.data_dir).parent.mkdir()  # as after a first ``status``: kept from now on
    # Each rebuild is held after it read its view until the test lets it go on.
    held, go = [threading.Event(), threading.Event()], [threading.Event(), threading.Event()]
    real = _status.status_view

    def slow_view(*args, **kw):
        view = real(*args, **kw)
        n = sum(e.is_set() for e in held)
        if n < len(held):
            held[n].set()
            assert go[n].wait(30)
        return view

    monkeypatch.setattr(_status, "status_view", slow_view)
    zone = zone_with_sink(session, station, "null")
    seg = add_segment(session, station, config, "Tin sáng")
    add_once(session, station, add_programme(session, station, [seg], title="Buổi chiều"), zone,
             whole_seconds_from_now(7200), config.tz)
    session.commit()  # write A
    assert held[0].wait(20)
    content.archive(session, seg, None)  # write B: the coming airing now has nothing to air
    session.commit()
    go[0].set()
    assert held[1].wait(20)  # the first rebuild is over; B's own waits
    out, loaded = status_and_loads(env)
    assert loaded and "CẢNH BÁO — 1 buổi phát" in out and "«Buổi chiều»" in out
    go[1].set()
    wait_for(lambda: kept(config), timeout=20)
    out, loaded = status_and_loads(env)
    assert not loaded and "CẢNH BÁO — 1 buổi phát" in out


def test_a_burst_of_writes_costs_one_rebuild_after_it_and_reads_cost_none(
    store, session, station, monkeypatch
):
    """The keeper waits for quiet: twenty commits in a row are kept once (or twice, should the
    machine stall between two of them for longer than the quiet time), none for reads or a
    rolled-back write; the engine tells of a write once it is visible to other connections."""
    rebuilds = []
    monkeypatch.setattr(_keeper.StatusKeeper, "rebuild", lambda self: rebuilds.append(1))
    seen = []

    def visible() -> None:  # called after the commit: another connection already sees it
        with store.engine.connect() as other:
            seen.append(other.execute(text("SELECT name FROM stations")).scalar())

    after_write(store.engine, visible)
    keeper = keep_status(store)
    for i in range(20):
        station.name = f"Xã {i}"
        session.commit()
    assert seen == [f"Xã {i}" for i in range(20)]
    wait_for(lambda: rebuilds, timeout=20)
    session.scalars(select(Zone)).all()
    session.commit()
    station.name = "Xã nháp"
    session.flush()
    session.rollback()
    keeper.flush()  # nothing pending: no rebuild
    assert 1 <= len(rebuilds) <= 2 and len(seen) == 20


@pytest.mark.slow
def test_a_daemon_stopped_during_dead_air_leaves_the_answer_the_database_gives(
    store, env, config, session, station
):
    """The daemon builds the kept answer as it stops, in its own process: an alarm on at that
    moment is shown as past ("until the daemon stopped"), the same answer as the database
    path's once the daemon is gone, never as still on."""
    cache_path(config.data_dir).parent.mkdir()  # as after a first ``status``
    zone = zone_with_sink(session, station, f"icecast://source:bi-mat@127.0.0.1:{free_port()}/thon-2.mp3")
    seg = add_segment(session, station, config, "Tin mười giây", freq=500, secs=10.0)
    add_once(session, station, add_programme(session, station, [seg]), zone, whole_seconds_from_now(2),
             config.tz)
    session.commit()
    daemon = subprocess.Popen([sys.executable, "-m", "broadcaster.cli", "run"],
                              env={**env, "BROADCASTER_DEAD_AIR": "2"}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: read_dead_air(config.data_dir), timeout=20)  # the output gets no sound
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    out, loaded = status_and_loads(env)
    assert not loaded and "MẤT TÍN HIỆU" not in out
    assert "Mất tín hiệu trong 24 giờ qua (1 lần)" in out and "đến khi bộ phát dừng" in out
    assert out == from_the_database(env, config)
