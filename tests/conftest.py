"""Fixtures shared by every room: a temporary data dir, an upgraded store, a session.

Real parts only: a real SQLite file in WAL mode, migrated by Alembic (once a run: each test's store
is a copy of that one); a real PostgreSQL server started once for the session (``pg_url``) by the
tests that ask for it; Debian's chromium launched once for the session (``browser``), each test in
contexts of its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from hubkit import stop

from broadcaster.config import Config, load
from broadcaster.pgserver import PgServer, PgUnavailable, free_port  # noqa: F401 - free_port for tests
from broadcaster.store import Store, ensure_station, open_store


def _shared_scope(item: pytest.Item) -> str | None:
    """Give back the test's file when it uses a fixture kept for its module or class (set up once
    for the tests that share it), else None."""
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    if any(d and d[-1].scope in ("module", "class", "package") for d in defs):
        return item.nodeid.split("::")[0]
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow first (with the tests that share a module fixture with one), the rest
    in their order; the tests sharing a module fixture grouped.

    In a parallel run (``make test``: pytest-xdist, ``--dist loadgroup``, one test at a time) the
    long real-time scenarios start early and the many short tests fill the workers in after them,
    so no worker is left alone on a 40 s one at the end; a group goes to one worker whole, so its
    module fixture (a hub with published items, a year of as-run rows) is made once, not on each
    worker.
    """
    scopes = {item.nodeid: _shared_scope(item) for item in items}
    slow_groups = {scopes[i.nodeid] for i in items if i.get_closest_marker("slow")} - {None}
    for item in items:
        if scopes[item.nodeid] is not None:
            item.add_marker(pytest.mark.xdist_group(scopes[item.nodeid]))
    items.sort(key=lambda i: not (i.get_closest_marker("slow") or scopes[i.nodeid] in slow_groups))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    """The environment a station process gets in tests: offline voice first, null sound card.

    BROADCASTER_TIMEZONE passes through, so the suite can be run with the station in another zone
    (for instance one where local midnight falls during the run).
    """
    env = {
        "BROADCASTER_DATA_DIR": str(data_dir),
        "BROADCASTER_TTS_ORDER": "pyttsx3",
        "BROADCASTER_SINK": "null",
        "PATH": os.environ.get("PATH", ""),
        "TZ": os.environ.get("TZ", "UTC"),
    }
    if os.environ.get("BROADCASTER_TIMEZONE"):
        env["BROADCASTER_TIMEZONE"] = os.environ["BROADCASTER_TIMEZONE"]
    return env


@pytest.fixture
def config(env: dict[str, str]) -> Config:
    return load(env)


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """A SQLite store Alembic migrated to the head, once a run (without a station row)."""
    d = tmp_path_factory.mktemp("migrated")
    open_store(load({"BROADCASTER_DATA_DIR": str(d)}), upgrade=True).engine.dispose()
    return d / "broadcaster.db"


def copy_store(migrated: Path, config: Config) -> None:
    """Lay a copy of the migrated store where ``config`` keeps its SQLite file (SQLite's own
    backup: the copy is whole even if the source has a write-ahead log)."""
    import sqlite3

    src, dst = sqlite3.connect(migrated), sqlite3.connect(config.data_dir / "broadcaster.db")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture
def store(config: Config, migrated_db: Path) -> Store:
    # Migrating costs ~0.3 s of CPU a test, copying ~10 ms; the migrations themselves are tested
    # where they run (``broadcaster init`` in test_foundation and test_startup, PostgreSQL).
    if not config.database_url:
        copy_store(migrated_db, config)
    st = open_store(config, upgrade=bool(config.database_url))
    ensure_station(st)
    yield st
    st.engine.dispose()


@pytest.fixture
def session(store: Store):
    with store.sessions() as s:
        yield s


@pytest.fixture
def station(store: Store, session):
    return store.station(session)


@pytest.fixture
def render_worker(env: dict[str, str], store: Store):
    """Start ``broadcaster worker`` (a real process) on the test's data dir; stopped at the end.

    Call it to start one; it gives back the ``Popen``. The store fixture made the schema first.
    """
    import sys

    procs: list[subprocess.Popen] = []

    def start(**extra_env: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "broadcaster.cli", "worker"],
            env={**env, **extra_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        stop(proc)


@pytest.fixture(scope="session")
def pg_url():
    """A real PostgreSQL server for the session (broadcaster.pgserver: also what the hub bench uses)."""
    try:
        server = PgServer()
    except PgUnavailable as exc:
        pytest.fail(str(exc))
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def playwright():
    """Playwright's sync API, started once a run: a second one may not start beside it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch_chromium(playwright):
    """Give back Debian's chromium (never a browser download), headless; the test is skipped
    where it is not installed."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not on PATH (apt-get install chromium)")
    return playwright.chromium.launch(
        executable_path=path, headless=True, args=["--no-sandbox", "--lang=vi-VN"]
    )


@pytest.fixture(scope="session")
def _chromium(playwright):
    """The session's chromium: launched once a run, for the tests that ask for ``browser``."""
    b = launch_chromium(playwright)
    yield b
    b.close()


@pytest.fixture
def browser(_chromium):
    """The session's chromium; the contexts (cookies, pages) a test opens are closed after it."""
    yield _chromium
    for ctx in _chromium.contexts:
        ctx.close()


def screenshots(folder: Path):
    """Give back ``shot(page, step)``, which keeps ``folder/NN-step.png`` (the folder emptied first)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    n = [0]

    def shot(page, step: str) -> None:
        n[0] += 1
        page.screenshot(path=str(folder / f"{n[0]:02d}-{step}.png"), full_page=True)

    return shot


@pytest.fixture
def hub_site(pg_url, tmp_path):
    """A hub (``hubkit.HubWeb``) on a new database of the session's PostgreSQL: settings go into its
    ``env`` first, then it is seeded through its ``store`` and its web started; stopped at the end."""
    from hubkit import HubWeb

    site = HubWeb(pg_url, tmp_path / "hub")
    yield site
    site.close()


class Broker:
    """A real mosquitto on a free port, its files made by the hub's own generator."""

    HUB_USER = "hub"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.hub_password = "hub-" + os.urandom(8).hex()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The stations' URL (no credentials: a station uses its code and token)."""
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def hub_url(self) -> str:
        return f"mqtt://{self.HUB_USER}:{self.hub_password}@127.0.0.1:{self.port}"

    def configure(self, stations: dict[str, str]) -> None:
        """Write the files for ``stations`` (code → ``$7$`` hash) with the production generator."""
        from broadcaster.live import password_hash, write_broker_files

        write_broker_files(
            self.root,
            stations=stations,
            hub_user=self.HUB_USER,
            hub_hash=password_hash(self.hub_password),
            port=self.port,
        )

    def start(self, reconfigure=None) -> Broker:
        """Start mosquitto on the written files. If another process took the free port meanwhile
        (helpers share this machine), ``reconfigure()`` writes the files again for ``self.port``,
        a new free port, and it tries again."""
        for _attempt in range(3):
            log_path = self.root / "mosquitto.log"
            log_path.unlink(missing_ok=True)
            with open(log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    ["/usr/sbin/mosquitto", "-c", str(self.root / "mosquitto.conf")], stdout=log, stderr=log
                )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", self.port)) == 0:
                        return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.02)
            text = log_path.read_text()
            if self.proc.poll() is None or "Address already in use" not in text or reconfigure is None:
                raise AssertionError(f"mosquitto did not listen: {text}")
            self.port = free_port()
            reconfigure()
        raise AssertionError("mosquitto found no free port")

    def reload(self) -> None:
        from broadcaster.live import reload_broker

        assert reload_broker(self.root) == self.proc.pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def mosquitto(tmp_path: Path):
    """Give back a function ``start(stations: {code: $7$ hash}) -> Broker`` running a real
    /usr/sbin/mosquitto on a free port under the test's temp dir; stopped at the end."""
    if not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto missing: run `make setup` (Debian package mosquitto)")
    brokers: list[Broker] = []

    def start(stations: dict[str, str]) -> Broker:
        root = tmp_path / f"mqtt{len(brokers)}"
        broker = Broker(root)
        broker.configure(stations)
        brokers.append(broker)
        return broker.start(reconfigure=lambda: broker.configure(stations))

    yield start
    for b in brokers:
        b.stop()


class Icecast:
    """A real Debian icecast2 on a free port, its config generated under a temp dir."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="bc-icecast-"))
        self.port = free_port()
        self.source_password = "src-" + os.urandom(6).hex()
        self.admin_password = "adm-" + os.urandom(6).hex()
        self.proc: subprocess.Popen | None = None
        self.feeders: list[subprocess.Popen] = []

    def _config(self) -> str:
        # As root icecast2 insists on changing owner; nobody must then write its logs.
        owner = "<changeowner><user>nobody</user><group>nogroup</group></changeowner>"
        owner = owner if os.geteuid() == 0 else ""
        return f"""<icecast>
  <limits><sources>16</sources><clients>50</clients><source-timeout>10</source-timeout>
    <burst-size>65536</burst-size><queue-size>524288</queue-size></limits>
  <authentication><source-password>{self.source_password}</source-password>
    <admin-user>admin</admin-user><admin-password>{self.admin_password}</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{self.port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>0</fileserve>
  <paths><basedir>/usr/share/icecast2</basedir><logdir>{self.root}</logdir>
    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
"""

    def start(self) -> Icecast:
        conf = self.root / "icecast.xml"
        conf.write_text(self._config())
        if os.geteuid() == 0:
            shutil.chown(self.root, "nobody")
        out = open(self.root / "stdout.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(["/usr/bin/icecast2", "-c", str(conf)], stdout=out, stderr=out)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                listening = s.connect_ex(("127.0.0.1", self.port)) == 0
            if listening and self.proc.poll() is None:
                try:  # our server answers (it knows its admin password), not another on the port
                    self.stats()
                    return self
                except OSError:
                    pass
            assert self.proc.poll() is None, self.logs()
            time.sleep(0.02)
        raise AssertionError(f"icecast2 did not listen\n{self.logs()}")

    def logs(self) -> str:
        """Give back how the server ended, if it did, and the end of its output and error log."""
        ended = f"icecast2 ended (exit {self.proc.returncode})\n" if self.proc.poll() is not None else ""
        texts = [(self.root / n).read_text(errors="replace")[-2000:] for n in ("stdout.log", "error.log")
                 if (self.root / n).exists()]  # fmt: skip
        return ended + "\n".join(texts)

    def sink(self, mount: str) -> str:
        return f"icecast://source:{self.source_password}@127.0.0.1:{self.port}{mount}"

    def url(self, mount: str) -> str:
        return f"http://127.0.0.1:{self.port}{mount}"

    def stats(self) -> dict[str, dict[str, str]]:
        """Give back the admin statistics per mount (``{"/x.mp3": {"listeners": "1", ...}}``)."""
        import base64
        import urllib.request
        import xml.etree.ElementTree as ET

        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/admin/stats")
        auth = base64.b64encode(f"admin:{self.admin_password}".encode()).decode()
        req.add_header("Authorization", f"Basic {auth}")
        with urllib.request.urlopen(req, timeout=5) as r:
            root = ET.fromstring(r.read())
        return {src.get("mount"): {c.tag: (c.text or "") for c in src} for src in root.iter("source")}

    def feed(self, mount: str, source: str = "sine=frequency=440:sample_rate=44100") -> subprocess.Popen:
        """Start an ffmpeg upstream that plays a lavfi ``source`` into ``mount`` in real time."""
        proc = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", source,
             "-c:a", "libmp3lame", "-b:a", "64k", "-content_type", "audio/mpeg", "-f", "mp3",
             f"icecast://source:{self.source_password}@127.0.0.1:{self.port}{mount}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.feeders.append(proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.logs()
            if mount in self.stats():
                return proc
            assert proc.poll() is None, "the upstream ffmpeg stopped"
            time.sleep(0.05)
        raise AssertionError(f"the upstream never reached {mount}")

    def restart(self) -> None:
        """Kill the server (as a crash or a reboot of its machine would) and start it again."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.start()

    def stop(self) -> None:
        for p in [*self.feeders, self.proc]:
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def icecast():
    """Give back a running :class:`Icecast` (its own process, port and config), stopped at the end."""
    if not Path("/usr/bin/icecast2").exists():
        pytest.fail("icecast2 missing: run `make setup` (Debian package icecast2)")
    from broadcaster.playout._icecast import close_feeds

    server = Icecast().start()
    yield server
    close_feeds()  # this process's source connections, so none outlives its server
    server.stop()
