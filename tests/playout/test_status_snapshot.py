"""`broadcaster status` from the daemon's snapshot (issue 10): same output as the database path,
no SQLAlchemy loaded, follows content changes, and not trusted once its daemon is dead. With the
daemon down, from the cache of its last database answer while nothing was written since."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from broadcaster import content
from broadcaster.db import utcnow
from broadcaster.models import SegmentStatus
from broadcaster.playout import plan
from broadcaster.playout._snapshot import cache_path, render, snapshot_path

from .conftest import (
    add_once,
    add_programme,
    add_segment,
    bc,
    from_the_database,
    loads_sqlalchemy,
    status_and_loads,
    wait_for,
    whole_seconds_from_now,
    zone_with_sink,
)


def snapshot(config) -> dict | None:
    try:
        return json.loads(snapshot_path(config.data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@pytest.fixture
def daemon(store, env, config, session, station):
    """A real `broadcaster run` with two airings ahead; gives back (Popen, the segment they air)."""
    zone = zone_with_sink(session, station, "null")
    seg = add_segment(session, station, config, "Tin sáng")
    prog = add_programme(session, station, [seg], title="Chuyên mục sáng")
    add_once(session, station, prog, zone, whole_seconds_from_now(3600), config.tz)
    add_once(session, station, prog, zone, whole_seconds_from_now(7200), config.tz)
    session.commit()
    proc = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: (snapshot(config) or {}).get("pid") == proc.pid, timeout=30)
        yield proc, seg
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=20)


def both_ways(proc, config, env, *args) -> tuple[str, str]:
    """Give back ``status``'s output from the snapshot, then from the database (snapshot moved
    away), with the daemon paused in between so that neither its heartbeat nor the file moves."""
    path = snapshot_path(config.data_dir)
    aside = path.with_name("aside.json")
    proc.send_signal(signal.SIGSTOP)
    try:
        from_snapshot, loaded = status_and_loads(env, *args)
        assert not loaded  # the snapshot path is the one taken
        path.rename(aside)
        try:
            return from_snapshot, bc(env, "status", *args)
        finally:
            aside.rename(path)
    finally:
        proc.send_signal(signal.SIGCONT)


def agreeing(proc, config, env, *args) -> tuple[str, str]:
    """Give back :func:`both_ways`, tried again if the daemon was paused between a heartbeat's
    commit and the snapshot that carries it (the time it shows would differ)."""
    for _ in range(5):
        snap, db = both_ways(proc, config, env, *args)
        if snap == db:
            break
        time.sleep(0.5)
    return snap, db


@pytest.mark.slow
def test_status_from_the_snapshot_is_the_database_s_output(daemon, env, config):
    proc, _ = daemon
    for args in ((), ("--json",), ("-n", "1"), ("--json", "-n", "1")):
        snap, db = agreeing(proc, config, env, *args)
        assert snap == db
    out = bc(env, "status")
    assert f"Bộ phát đang chạy (PID {proc.pid})" in out and out.count("Chuyên mục sáng") == 2
    assert bc(env, "status", "-n", "1").count("Chuyên mục sáng") == 1
    first = json.loads(bc(env, "status", "--json"))["sap_phat"][0]
    assert {"at", "title", "origin"} <= first.keys()


def test_the_snapshot_path_does_not_load_sqlalchemy(daemon, env):
    assert not loads_sqlalchemy(env)
    assert not loads_sqlalchemy(env, "--json", "-n", "5")
    assert loads_sqlalchemy(env, "-n", "21")  # more than the snapshot holds: the database


def test_a_content_change_reaches_the_snapshot_s_forecast(daemon, env, config, session):
    proc, seg = daemon
    assert "CẢNH BÁO" not in bc(env, "status")
    content.archive(session, seg, None)
    session.commit()
    wait_for(lambda: (snapshot(config) or {}).get("view", {}).get("payload", {}).get("canh_bao"), timeout=10)
    assert not loads_sqlalchemy(env)
    assert "CẢNH BÁO — 2 buổi phát" in bc(env, "status")
    snap, db = agreeing(proc, config, env)
    assert snap == db


def test_a_killed_daemon_s_snapshot_is_not_used(daemon, env, config):
    proc, _ = daemon
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert snapshot(config)["pid"] == proc.pid  # still there, and fresh
    assert loads_sqlalchemy(env)
    out = bc(env, "status")
    assert "Bộ phát KHÔNG chạy" in out and "Chuyên mục sáng" in out
    assert json.loads(bc(env, "status", "--json"))["bo_phat_hoat_dong"] is False


def test_a_stale_or_broken_snapshot_sends_status_to_the_database(daemon, env, config):
    proc, _ = daemon
    proc.send_signal(signal.SIGSTOP)  # alive but silent: its snapshot ages
    try:
        path = snapshot_path(config.data_dir)
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["generated_at"] -= 60
        path.write_text(json.dumps(doc), encoding="utf-8")
        assert loads_sqlalchemy(env)
        # On a loaded machine the paused daemon's heartbeat may age past 30 s meanwhile: then it
        # counts as down and that answer is cached, rightly; this test is about the snapshot.
        cache_path(config.data_dir).unlink(missing_ok=True)
        path.write_text("{", encoding="utf-8")
        assert loads_sqlalchemy(env)
        assert "Chuyên mục sáng" in bc(env, "status")
    finally:
        proc.send_signal(signal.SIGCONT)


@pytest.mark.slow
def test_with_the_daemon_down_status_answers_from_a_cache_no_write_has_outdated(
    store, env, config, session, station
):
    """No daemon: the first ``status`` reads the database and keeps its answer; the next ones print
    it without SQLAlchemy, saying the daemon is down, dropping airings as they pass; any write
    (here: a segment archived, the store's own session; a user added by another process) is seen
    by the very next ``status`` (this test's own store keeps no cache: the next ``status`` reads
    the database; the CLI keeps it: the next ``status`` prints the answer it left)."""
    zone = zone_with_sink(session, station, "null")
    ok = add_segment(session, station, config, "Tin sáng")
    draft = add_segment(session, station, config, "Tin nháp", status=SegmentStatus.DRAFT)
    soon = whole_seconds_from_now(10)  # the first status (the database path) answers before it
    add_once(session, station, add_programme(session, station, [ok, draft], title="Sắp tới"), zone, soon,
             config.tz)
    add_once(session, station, add_programme(session, station, [ok], title="Buổi chiều"), zone,
             whole_seconds_from_now(7200), config.tz)
    plan(session, station, utcnow(), hours=48)  # the rows a daemon that ran would have left
    session.commit()
    out, loaded = status_and_loads(env)
    assert loaded  # first: the database, and the answer is kept
    assert "CẢNH BÁO — 1 buổi phát" in out and "«Sắp tới»" in out and out.count("Buổi chiều") == 1
    while utcnow() <= soon:  # the first airing passes (it would have aired: the daemon is down)
        time.sleep(0.2)
    out, loaded = status_and_loads(env)
    assert not loaded and out.startswith("Bộ phát KHÔNG chạy") and out.count("Buổi chiều") == 1
    assert "mọi buổi phát đều có đủ bản tin" in out and "«Sắp tới»" not in out
    assert out == from_the_database(env, config)
    assert loads_sqlalchemy({**env, "BROADCASTER_TIMEZONE": "Asia/Bangkok"})  # another key

    content.archive(session, ok, None)  # a write: the coming airing now has nothing to air
    session.commit()
    out, loaded = status_and_loads(env)
    assert loaded and "CẢNH BÁO — 1 buổi phát" in out and "«Buổi chiều»" in out and "Tin sáng" in out
    assert not loads_sqlalchemy(env)  # the new answer is kept in turn
    bc(env, "user", "add", "canbo", "--role", "editor", "--password-stdin", stdin="mat-khau-dai-du-12\n")
    # Another process wrote, and kept the answer current on its way out (``_keeper``).
    assert not loads_sqlalchemy(env)


def test_an_older_view_drops_what_has_passed():
    """The cached view is printed as of now: coming airings up to a minute late, warnings of the
    next 48 hours only (the cache holds an hour more)."""
    from datetime import datetime, timedelta, timezone

    tz = timezone(timedelta(hours=7))
    t0 = datetime(2026, 12, 1, 5, 0, tzinfo=tz)

    def airing(minutes: float) -> dict:
        at = t0 + timedelta(minutes=minutes)
        return {"at": at.isoformat(), "luc": at.isoformat(), "tieu_de": f"+{minutes}", "cum_loa": [],
                "khong_phat_gi": True, "muc_bi_bo_qua": [], "canh_bao": f"lúc +{minutes}"}

    times = (0, 30, 48 * 60 + 10)
    view = {
        "alive": False, "pid": None, "heartbeat": None, "timezone": "Asia/Ho_Chi_Minh",
        "payload": {"bo_phat_hoat_dong": False, "dang_phat": [], "sap_phat": [airing(m) for m in times],
                    "canh_bao": [airing(m) for m in times]},
        "lines": {"now": ["Đang phát: không có."], "next": [f"dòng +{m}" for m in times]},
    }
    at_t0 = render(view, as_json=False, count=10, now=t0)
    assert "dòng +0" in at_t0 and "lúc +0" in at_t0 and "lúc +2890" not in at_t0  # beyond 48 h
    late = render(view, as_json=False, count=10, now=t0 + timedelta(seconds=30))
    assert "dòng +0" in late and "lúc +0" not in late and "lúc +2890" not in late  # up to a minute late
    later = render(view, as_json=False, count=10, now=t0 + timedelta(minutes=20))
    assert "dòng +0" not in later and "dòng +30" in later and "lúc +2890" in later
    later = render(view, as_json=False, count=10, now=t0 + timedelta(minutes=31, seconds=1))
    assert "dòng +30" not in later and "dòng +2890" in later and "CẢNH BÁO — 1 buổi phát" in later
    data = json.loads(render(view, as_json=True, count=10, now=t0 + timedelta(minutes=20)))
    assert [a["tieu_de"] for a in data["sap_phat"]] == ["+30", "+2890"]
    assert [a["tieu_de"] for a in data["canh_bao"]] == ["+30", "+2890"]
