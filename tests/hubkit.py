"""What the hub and live-link tests share: ``broadcaster`` commands as real processes, a database
of its own on the session's PostgreSQL, the hub's web as a subprocess, and signing in with chromium.

Imported as ``from hubkit import ...``: tests/ is on sys.path (pytest's rootdir insert), "tests" is
no package.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import requests

from broadcaster.config import load
from broadcaster.pgserver import free_port
from broadcaster.store import Store, ensure_station, open_store

BC = [sys.executable, "-m", "broadcaster.cli"]
#: A short MQTT keepalive (2 s) and heartbeat (1 s): the broker sends a killed station's last will
#: after 1.5 keepalives, so "offline" arrives ~3 s after a kill -9 (≤ 90 s with the defaults).
FAST_MQTT = {"BROADCASTER_MQTT_KEEPALIVE": "2", "BROADCASTER_MQTT_HEARTBEAT": "1"}


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Give back the result of one ``broadcaster`` command; a failure (with ``check``) says its output."""
    return run_all((env, *args), check=check)[0]


def run_all(*calls: tuple, check: bool = True) -> list[subprocess.CompletedProcess]:
    """Run ``broadcaster`` commands side by side, each ``(env, *args)``; give back their results.

    Independent commands at once: each pays Python's start, the suite need not pay them in a row.
    """
    procs = [
        (
            args,
            subprocess.Popen(
                [*BC, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            ),
        )
        for env, *args in calls
    ]
    done = []
    for args, p in procs:
        out, err = p.communicate(timeout=120)
        result = subprocess.CompletedProcess(p.args, p.returncode, out, err)
        if check and p.returncode != 0:
            raise AssertionError(f"broadcaster {' '.join(args)} → {p.returncode}\n{out}\n{err}")
        done.append(result)
    return done


def start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    """Give back a running ``broadcaster`` command, its output appended to ``log``."""
    fh = open(log, "ab")  # noqa: SIM115 - kept open for the child
    return subprocess.Popen([*BC, *args], env=env, stdout=fh, stderr=fh)


def stop(proc: subprocess.Popen) -> None:
    """Stop a process as its service manager would (SIGTERM, then SIGKILL after 20 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def base_env(root: Path) -> dict[str, str]:
    """Give back the environment of a process keeping its files under ``root`` (made here):
    offline voice, null sound card, this tree on the path."""
    root.mkdir(parents=True, exist_ok=True)
    return {
        "BROADCASTER_DATA_DIR": str(root),
        "BROADCASTER_TTS_ORDER": "pyttsx3",
        "BROADCASTER_SINK": "null",
        "PATH": os.environ.get("PATH", ""),
        "TZ": os.environ.get("TZ", "UTC"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }


def store_of(env: dict[str, str], *, upgrade: bool = False) -> Store:
    """Give back the store the processes started with ``env`` use (opened in this process)."""
    return open_store(load({k: v for k, v in env.items() if k.startswith("BROADCASTER_")}), upgrade=upgrade)


#: The session's PostgreSQL URL → a database migrated once, which new databases are copies of.
_MIGRATED: dict[str, str] = {}


def new_database(pg_url: str, prefix: str) -> str:
    """Give back the URL of a new database on the session's PostgreSQL server, migrated and with no
    station row: a copy (``CREATE DATABASE … TEMPLATE``, ~0.1 s) of one migrated once a run, not
    the migrations again (~0.6 s); the migrations themselves are tested in test_postgres."""
    admin = pg_url.replace("postgresql+psycopg", "postgresql")
    base = pg_url.rsplit("/", 1)[0]
    with psycopg.connect(admin, autocommit=True) as conn:
        template = _MIGRATED.get(pg_url)
        if template is None:
            template = f"migrated_{uuid.uuid4().hex[:8]}"
            conn.execute(f"CREATE DATABASE {template}")
            with tempfile.TemporaryDirectory() as d:
                env = {"BROADCASTER_DATA_DIR": d, "BROADCASTER_DATABASE_URL": f"{base}/{template}"}
                open_store(load(env), upgrade=True).engine.dispose()  # no connection left: a template
            _MIGRATED[pg_url] = template
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return f"{base}/{name}"


def answers(url: str, status: int | None = None) -> bool:
    """Give back whether ``url`` answers (with ``status``, if one is given)."""
    try:
        code = requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return False
    return status is None or code == status


def wait_until(pred: Callable[[], object], timeout: float, what: str, proc: subprocess.Popen | None = None,
               log: Path | None = None) -> None:  # fmt: skip
    """Return once ``pred()`` is true; fail saying ``what`` (and the log) after ``timeout`` seconds
    or as soon as ``proc`` has stopped."""
    deadline = time.monotonic() + timeout
    while not pred():
        tail = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
        assert proc is None or proc.poll() is None, f"{what}: the process stopped\n{tail}"
        assert time.monotonic() < deadline, f"{what}: not in {timeout:g} s\n{tail}"
        time.sleep(0.1)


class HubWeb:
    """A hub on a database of its own: seed ``store``, then :meth:`start` its ``broadcaster web``.

    ``code`` is the hub's station code (its pages live under ``/<code>/``); ``env`` adds settings.
    """

    #: What the web answers once it is up: a station's manifest asks for a token.
    READY = ("/api/v1/station/manifest", 401)

    def __init__(self, pg_url: str, root: Path, *, code: str = "huyen", workers: int = 1, **env: str) -> None:
        self.db_url = new_database(pg_url, code.replace("-", "_"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = base_env(root) | {
            "BROADCASTER_DATABASE_URL": self.db_url,
            "BROADCASTER_MODE": "hub",
            "BROADCASTER_STATION_CODE": code,
            "BROADCASTER_WEB_PORT": str(self.port),
            "BROADCASTER_WEB_WORKERS": str(workers),
            **env,
        }
        self.log = root / "web.log"
        self.proc: subprocess.Popen | None = None
        self._store: Store | None = None
        self._officer = False

    @property
    def store(self) -> Store:
        """The hub's store in this process, migrated and with its own station row on first use."""
        if self._store is None:
            self._store = store_of(self.env, upgrade=True)
            ensure_station(self._store)
        return self._store

    def start(self, wait: bool = True) -> HubWeb:
        """Start the web (a real process); return once it answers, or at once (then :meth:`ready`)."""
        self.proc = start(self.env, "web", log=self.log)
        if wait:
            self.ready()
        return self

    def ready(self) -> None:
        """Return once the started web answers; fail with its log if it stops or takes 30 s."""
        path, status = self.READY
        wait_until(lambda: answers(self.base + path, status), 30, "the hub's web", self.proc, self.log)

    def stop(self) -> None:
        """Stop the web at once: gunicorn's quick stop (INT), not its graceful one (TERM), which
        waits seconds on the browser's idle keep-alive connections; neither is under test here."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    #: The district officer (an approver) who signs in to the hub's pages.
    OFFICER = ("lanhdao", "mat-khau-huyen-dai-1")

    def officer_page(self, browser, path: str, **options):
        """Give back a page of ``browser`` signed in at ``path`` as the district officer (made on
        first use), the web started if it was not; ``options`` as :func:`sign_in`'s."""
        from broadcaster import content

        if not self._officer:
            with self.store.sessions.begin() as s:
                content.create_user(
                    s, self.store.station(s), *self.OFFICER, "approver", full_name="Lê Thị Thu"
                )
            self._officer = True
        if self.proc is None:
            self.start()
        return sign_in(browser, self.base + path, *self.OFFICER, **options)

    def close(self) -> None:
        self.stop()
        if self._store is not None:
            self._store.engine.dispose()


def live_district(
    site: HubWeb, broker, groups: dict[str, str], more: Callable[[str], dict[str, str]] = lambda _code: {}
) -> dict[str, dict[str, str]]:
    """Give back each station's environment (code → env) for a live-link scenario at ``site``.

    The hub's and the stations' stores are made at once by ``broadcaster init`` (each is a Python
    start and a migration run); the stations (``groups``: code → group) are registered at the hub
    from a CSV by ``broadcaster station import`` and their envs carry the tokens it gave. The
    stations talk to ``broker`` (a conftest ``Broker``) with a short keepalive and sync hourly, so
    only a nudge makes a second round. ``more(code)`` adds settings before init (which keeps the
    sink in the station's zone).
    """
    root = Path(site.env["BROADCASTER_DATA_DIR"]).parent
    site.env["BROADCASTER_MQTT_URL"] = broker.hub_url
    envs = {
        code: base_env(root / code)
        | FAST_MQTT
        | {
            "BROADCASTER_STATION_CODE": code,
            "BROADCASTER_HUB_URL": site.base,
            "BROADCASTER_MQTT_URL": broker.url,
            "BROADCASTER_SYNC_INTERVAL": "3600",
        }
        | more(code)
        for code in groups
    }
    run_all(*((env, "init", "--no-starter") for env in (site.env, *envs.values())))
    csv = root / "dai.csv"
    rows = "".join(f"{code},Xã {code[-1].upper()},{group}\n" for code, group in groups.items())
    csv.write_text("code,name,group\n" + rows, encoding="utf-8")
    run(site.env, "station", "import", str(csv), "-o", str(root / "tokens.csv"))
    for line in (root / "tokens.csv").read_text().splitlines()[1:]:
        code, token = line.split(",")
        envs[code]["BROADCASTER_HUB_TOKEN"] = token
    return envs


def own_schedule(s, station, name: str, programme: str, recurrence, start_date, start_time):
    """Give back a commune's own schedule ``name`` of a programme (titled ``programme``) of one
    approved news item, as its officers would save it: from ``start_date`` at ``start_time`` (wall
    time), a 30-minute window, every zone."""
    from broadcaster.models import (
        ItemType,
        Programme,
        ProgrammeItem,
        Schedule,
        Segment,
        SegmentKind,
        SegmentStatus,
    )

    seg = Segment(
        station_id=station.id,
        title="Tin xã",
        body="x",
        kind=SegmentKind.CCHC_NEWS,
        status=SegmentStatus.APPROVED,
    )
    prog = Programme(station_id=station.id, title=programme)
    prog.items.append(ProgrammeItem(position=0, item_type=ItemType.SEGMENT, segment=seg))
    s.add(prog)
    s.flush()
    sched = Schedule(
        station_id=station.id,
        programme_id=prog.id,
        name=name,
        window_minutes=30,
        skip_dates=[],
        zones=list(station.zones),
        recurrence=recurrence,
        start_date=start_date,
        start_time=start_time,
    )
    s.add(sched)
    s.flush()
    return sched


def sign_in(
    browser,
    url: str,
    username: str,
    password: str,
    *,
    timeout_ms: int = 15_000,
    clock: bool = False,
    **context,
):
    """Give back a page of a new browser context that opened ``url``, met the login form and signed
    in as ``username`` (``context``: Playwright's new_context options; locale vi-VN by default).

    With ``clock`` the page's timers are Playwright's: ``page.clock.run_for(ms)`` fires a refresh
    at once instead of the test waiting for it (time still flows as usual otherwise)."""
    ctx = browser.new_context(**({"locale": "vi-VN"} | context))
    ctx.set_default_timeout(timeout_ms)
    if clock:
        ctx.clock.install()
    page = ctx.new_page()
    page.goto(url)
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.get_by_role("button", name="Đăng nhập").click()
    return page
