"""The store, configuration and command line: the foundation every room stands on."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import free_port  # tests/ is on sys.path; "tests" is no package
from sqlalchemy import select

from broadcaster.config import ConfigError, load
from broadcaster.db import Base
from broadcaster.models import Segment, SegmentStatus, Station, Zone
from broadcaster.store import StoreError, open_store


def run_cli(env, *args, stdin: str = ""):
    return subprocess.run(
        [sys.executable, "-m", "broadcaster.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrations_match_models(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_store_is_wal_and_has_station(store, session):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    station = session.scalar(select(Station))
    assert station.code == "xa-mau" and len(station.uid) == 36
    assert session.scalar(select(Zone).where(Zone.station_id == station.id)).code == "toan-xa"


def test_every_write_changes_the_data_version_and_nothing_else_does(store, config):
    """Whoever writes (ORM flush, ORM or Core statements, a migration) commits a new
    ``PRAGMA user_version`` with the write; reads and rolled-back writes keep it. ``status`` with
    the daemon down trusts its cache by this value (issue 10)."""
    import sqlite3

    from sqlalchemy import delete, insert, update

    from broadcaster.store import open_store as reopen

    def version() -> int:
        conn = sqlite3.connect(config.data_dir / "broadcaster.db")
        try:
            return conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()

    seen = [version()]

    def changed() -> bool:
        seen.append(version())
        return seen[-1] != seen[-2]

    assert seen[0] != 0  # the migrations of ``init`` wrote
    with store.sessions() as s:
        s.scalars(select(Zone)).all()
    assert not changed()
    with store.sessions.begin() as s:
        s.scalar(select(Zone)).name = "Thôn 1"
    assert changed()
    with store.sessions.begin() as s:
        s.execute(update(Zone).values(name="Thôn 2"))
    assert changed()
    with store.engine.begin() as conn:
        conn.execute(insert(Zone.__table__).values(station_id=1, code="thon-3", name="Thôn 3", enabled=True))
    assert changed()
    with store.sessions() as s:
        s.execute(delete(Zone).where(Zone.code == "thon-3"))
        s.rollback()
    assert not changed()
    with store.sessions.begin() as s:
        s.execute(delete(Zone).where(Zone.code == "thon-3"))
    assert changed()
    reopen(config, upgrade=True)  # nothing to migrate: no write
    assert not changed()


def test_naive_datetimes_are_refused(session, station):
    seg = Segment(
        station_id=station.id, title="t", body="b", kind="cchc_news", created_at=datetime(2026, 1, 1)
    )
    session.add(seg)
    with pytest.raises(Exception, match="naive"):
        session.flush()


def test_datetimes_come_back_aware_utc(session, station):
    seg = Segment(station_id=station.id, title="t", body="b", kind="cchc_news")
    session.add(seg)
    session.commit()
    session.expire_all()
    got = session.get(Segment, seg.id).created_at
    assert got.tzinfo is not None and got.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "name,value,needle",
    [
        ("TIMEZONE", "Mars/Olympus", "múi giờ"),
        ("WEB_PORT", "tám", "số nguyên"),
        ("WEB_PORT", "70000", "1–65535"),
        ("SINK", "loa loa", "auto"),
        ("STATION_CODE", "Xã Mẫu", "chữ thường"),
        ("SECURE_COOKIES", "maybe", "hoặc 0"),
        # A name the station does not know is refused, with the closest known one.
        ("WEB_PROT", "8080", "BROADCASTER_WEB_PORT"),
        ("MISFIRE_GRACE_S", "60", "BROADCASTER_MISFIRE_GRACE"),
        ("FROBNICATE", "1", "không có thiết lập này"),
    ],
)
def test_bad_settings_fail_with_one_line(name, value, needle):
    with pytest.raises(ConfigError, match=needle) as info:
        load({f"BROADCASTER_{name}": value})
    assert "\n" not in str(info.value)


def test_cli_bad_config_exits_2(env):
    res = run_cli({**env, "BROADCASTER_TIMEZONE": "Nowhere/City"}, "init")
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "múi giờ" in res.stderr


@pytest.mark.parametrize(
    "command,name,value,needle",
    [
        (("run",), "TTS_ORDER", "gtts,festival", "festival"),
        (("web", "--port", "1"), "SINK", "loa:x", "loa:x"),
        (("status",), "SINKK", "null", "BROADCASTER_SINK?"),
    ],
)
def test_cli_refuses_names_not_in_the_registries_or_the_settings(env, command, name, value, needle):
    """Engine and sink names are checked against the audio and playout registries at a service's
    start; an unknown BROADCASTER_* name stops any command. One Vietnamese line, exit 2."""
    res = run_cli({**env, f"BROADCASTER_{name}": value}, *command)
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and needle in res.stderr and "cấu hình sai" in res.stderr


def test_every_broadcaster_name_the_project_uses_is_known():
    """Makefile, systemd units, README, tests and code use only names config.load accepts."""
    import re

    from broadcaster.config import VARIABLES

    root = Path(__file__).resolve().parents[1]
    used = set()
    for path in [root / "Makefile", root / "README.md", *root.glob("systemd/*"), *root.glob("**/*.py")]:
        if ".venv" in path.parts or not path.is_file():
            continue
        used |= set(re.findall(r"BROADCASTER_([A-Z0-9_]+[A-Z0-9])", path.read_text(encoding="utf-8")))
    assert used - set(VARIABLES) == set()


def test_cli_unknown_option_one_line(env):
    res = run_cli(env, "init", "--frobnicate")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "--frobnicate" in res.stderr


def test_init_is_idempotent_and_loads_starter_once(env, data_dir):
    first = run_cli(env, "init")
    assert first.returncode == 0, first.stderr
    assert "nội dung mẫu" in first.stdout
    second = run_cli(env, "init")
    assert second.returncode == 0 and "nội dung mẫu" not in second.stdout
    st = open_store(load(env))
    with st.sessions() as s:
        segs = list(s.scalars(select(Segment)))
        assert len(segs) == 10
        assert {x.status for x in segs} == {SegmentStatus.SUBMITTED}
        assert {x.kind.value for x in segs} >= {"good_example", "procedure", "hotline", "jingle", "cchc_news"}


def test_corrupt_database_is_not_overwritten(env, data_dir):
    db = data_dir / "broadcaster.db"
    db.write_bytes(b"this is not a database at all" * 10)
    before = db.read_bytes()
    res = run_cli(env, "init")
    assert res.returncode == 1 and "hỏng" in res.stderr and res.stderr.count("\n") == 1
    assert db.read_bytes() == before


def test_unwritable_data_dir(env, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = run_cli({**env, "BROADCASTER_DATA_DIR": str(blocker / "sub")}, "init")
    assert res.returncode == 1 and "thư mục dữ liệu" in res.stderr


def test_user_add_via_stdin(env):
    assert run_cli(env, "init", "--no-starter").returncode == 0  # accounts need no starter content
    ok = run_cli(env, "user", "add", "canbo", "--role", "editor", "--password-stdin", stdin="mat-khau-dai\n")
    assert ok.returncode == 0, ok.stderr
    dup = run_cli(env, "user", "add", "canbo", "--role", "editor", "--password-stdin", stdin="mat-khau-dai\n")
    assert dup.returncode == 1 and "đã có" in dup.stderr
    short = run_cli(env, "user", "add", "ai", "--role", "editor", "--password-stdin", stdin="x\n")
    assert short.returncode == 1


def test_open_without_init_says_so(config):
    with pytest.raises(StoreError, match="broadcaster init"):
        open_store(config)


def test_web_port_taken_is_one_vietnamese_line(env):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        res = run_cli(env, "web", "--port", str(port))
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0
    assert "cổng đã có chương trình khác dùng" in res.stderr


@pytest.mark.parametrize("command", ["web", "run", "worker"])
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_services_stop_on_signal_even_as_background_jobs(env, store, command, sig):
    """`make run` starts the services as shell background jobs, which begin with SIGINT ignored;
    Ctrl-C (INT) and the Makefile's clean-up (TERM) must still stop them with exit code 0."""
    import signal
    import time
    import urllib.request

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "broadcaster.cli",
            command,
            *(["--port", str(port)] if command == "web" else []),
        ],
        env={**env, "BROADCASTER_WEB_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        ready = {
            "web": "Trang quản trị đang chạy",
            "run": "Bộ phát của đài đã chạy",
            "worker": "Bộ chuyển giọng nói sẵn sàng",
        }[command]
        stream = proc.stdout if command == "web" else proc.stderr
        deadline = time.monotonic() + 30
        line = ""
        while ready not in line and time.monotonic() < deadline and proc.poll() is None:
            line = stream.readline()
        assert ready in line, f"service did not start: {line!r}"
        if command == "web":
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/dang-nhap") as resp:
                assert resp.status == 200
        proc.send_signal(getattr(signal, sig))
        code = proc.wait(timeout=20)
        # Seen once in a loaded full run: the web ended 3 (gunicorn's "worker failed to boot");
        # its journal says why if it happens again.
        assert code == 0, proc.stderr.read()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_every_service_has_a_hardened_unit_under_the_target():
    """systemd/: one unit per process (station: daemon, web, render worker, link to the hub; hub:
    web and render worker in hub mode), each wanted by its target, hardened the same way, refusing
    to restart-loop on a bad configuration (exit 2)."""
    root = Path(__file__).resolve().parents[1] / "systemd"
    units = {p.name: p.read_text(encoding="utf-8") for p in root.glob("*.service")}
    commands = {name: text.split("ExecStart=", 1)[1].split()[0:2] for name, text in units.items()}
    hub = {n for n in units if n.startswith("broadcaster-hub-")}
    # The hub's MQTT broker is Debian's mosquitto on the files `hub mqtt-config` writes.
    broker = "broadcaster-hub-mqtt.service"
    assert commands.pop(broker) == ["/usr/sbin/mosquitto", "-c"]
    assert sorted(c[1] for n, c in commands.items() if n not in hub) == ["run", "sync", "web", "worker"]
    assert sorted(commands[n][1] for n in hub - {broker}) == ["hub", "web", "worker"]
    for name, text in units.items():
        target_name = "broadcaster-hub.target" if name in hub else "broadcaster.target"
        target = (root / target_name).read_text(encoding="utf-8")
        assert name in target and f"PartOf={target_name}" in text, name
        assert ("Environment=BROADCASTER_MODE=hub" in text) == (name in hub - {broker}), name
        for line in (
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "Restart=always",
            "RestartPreventExitStatus=3" if name == broker else "RestartPreventExitStatus=2",
            "ReadWritePaths=/var/lib/broadcaster",
        ):
            assert line in text, (name, line)
    makefile = (root.parent / "Makefile").read_text(encoding="utf-8")
    for c in commands.values():
        # `make run` is a station without a hub: the link runs only where HUB_URL/HUB_TOKEN are set;
        # `make hub` runs the hub's web and worker the same way.
        # The live link needs a broker: `make hub` leaves `hub live` out.
        if c[1] not in ("sync", "hub"):
            assert f"$(BIN)/broadcaster {c[1]} &" in makefile, c
    assert "ExecCondition=" in units["broadcaster-sync.service"]


def test_the_daemon_and_web_do_not_load_numpy_until_audio_is_made():
    """numpy and scipy (~80 MB) load when audio is rendered, not with the packages: the station
    daemon's memory budget (≤ 100 MB, bench/bench_playout.py) depends on it."""
    code = (
        "import sys, broadcaster.playout, broadcaster.audio, broadcaster.web, broadcaster.cli;"
        "print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_free_port_keeps_out_of_the_ephemeral_range_and_apart_per_parallel_worker(monkeypatch):
    """A port for a test's server: never from the kernel's ephemeral range (any outgoing
    connection may take it before the server binds), never one another parallel worker may pick
    (≡ the worker's number modulo their count), never twice in a process, never one in use."""
    import itertools
    import socket

    from broadcaster import pgserver

    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    ports = [free_port() for _ in range(60)]
    assert all(pgserver.PORTS_FROM <= p < pgserver._ephemeral_start() and p % 3 == 2 for p in ports)
    assert len(set(ports)) == len(ports)

    with socket.create_server(("127.0.0.1", ports[0])):  # in use now: the next candidate is given
        picks = itertools.chain([ports[0]], itertools.count(ports[0] + 3, 3))
        monkeypatch.setattr(pgserver.random, "randrange", lambda *_: next(picks))
        pgserver._given.discard(ports[0])
        assert free_port() not in (ports[0], *ports)
