"""`broadcaster status` from the daemon's snapshot (issue 10): same output as the database path,
no SQLAlchemy loaded, follows content changes, and not trusted once its daemon is dead."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from broadcaster import content
from broadcaster.playout._snapshot import snapshot_path

from .conftest import add_once, add_programme, add_segment, wait_for, whole_seconds_from_now, zone_with_sink


def bc(env, *args):
    res = subprocess.run(
        [sys.executable, "-m", "broadcaster.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def snapshot(config) -> dict | None:
    try:
        return json.loads(snapshot_path(config.data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def loads_sqlalchemy(env, *args) -> bool:
    code = (
        "import contextlib, io, sys, broadcaster.cli as c\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert c.main({['status', *args]!r}) == 0\n"
        "print('sqlalchemy' in sys.modules)"
    )
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip().splitlines()[-1] == "True"


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
        assert not loads_sqlalchemy(env, *args)  # the snapshot path is the one taken
        from_snapshot = bc(env, "status", *args)
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
        path.write_text("{", encoding="utf-8")
        assert loads_sqlalchemy(env)
        assert "Chuyên mục sáng" in bc(env, "status")
    finally:
        proc.send_signal(signal.SIGCONT)
