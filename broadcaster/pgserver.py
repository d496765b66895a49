"""A throwaway PostgreSQL server under a folder, for the tests and the hub's bench (never production).

Debian's server binaries (``/usr/lib/postgresql/<version>/bin``), a fresh cluster made by
``initdb`` with trust authentication for the ``bc`` role, listening on 127.0.0.1 only and on a
Unix socket in the same folder, fsync off (its data is thrown away).
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")


class PgUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing, or the server did not come up."""


#: The lowest port free_port gives out; it picks below the kernel's ephemeral range.
PORTS_FROM = 15000
_given: set[int] = set()


def _ephemeral_start() -> int:
    """Give back the first port of the kernel's ephemeral range (Linux's default, 32768, elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """Give back a TCP port on 127.0.0.1 that nothing listens on right now, for a server started
    next (never the same port twice in one process).

    Not the kernel's pick (``bind(0)``): that comes from the ephemeral range, where any process's
    outgoing connection may take the port before the server binds it. Below that range only
    servers take ports. In a parallel test run (pytest-xdist: PYTEST_XDIST_WORKER ``gwN`` of
    PYTEST_XDIST_WORKER_COUNT) each worker picks only ports ``≡ N`` modulo the count, so two
    workers never choose the same one; the random pick keeps two runs on one machine apart too.
    """
    low, high = PORTS_FROM, _ephemeral_start()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    if high - low < 100 * count:  # an unusual ephemeral range: the kernel's pick after all
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    for _attempt in range(200):
        port = random.randrange(low + (index - low) % count, high, count)
        if port not in _given and _bindable(port):
            _given.add(port)
            return port
    raise OSError("no free port found")


def pg_bindir() -> Path:
    """Give back the newest installed PostgreSQL server's bin folder, or raise PgUnavailable."""
    versions = sorted(PG_ROOT.glob("*/bin/initdb"))
    if not versions:
        raise PgUnavailable("PostgreSQL server binaries missing: run `make setup` (Debian postgresql)")
    return versions[-1].parent


class PgServer:
    """One running server; ``url`` is its SQLAlchemy URL (database ``postgres``). ``stop()`` ends it
    and removes its folder."""

    def __init__(self, *settings: str, root: Path | None = None) -> None:
        bindir = pg_bindir()
        self.root = root or Path(tempfile.mkdtemp(prefix="bc-pg-"))
        self.port = free_port()
        datadir = self.root / "data"
        # PostgreSQL refuses to run as root; the Debian package provides the postgres account.
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_pg:
            shutil.chown(self.root, "postgres")
        init = [str(bindir / "initdb"), "-D", str(datadir), "-U", "bc", "-A", "trust", "-E", "UTF8"]
        subprocess.run([*as_pg, *init, "--no-sync"], check=True, capture_output=True)
        options = ["listen_addresses=127.0.0.1", "fsync=off", *settings]
        self.proc = subprocess.Popen(
            [*as_pg, str(bindir / "postgres"), "-D", str(datadir), "-p", str(self.port), "-k", str(self.root)]
            + [arg for opt in options for arg in ("-c", opt)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"postgresql+psycopg://bc@127.0.0.1:{self.port}/postgres"
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PgUnavailable(f"PostgreSQL stopped at start (exit {self.proc.returncode})")
            try:
                psycopg.connect(self.dsn(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.stop()
        raise PgUnavailable("PostgreSQL did not answer within 30 s")

    def dsn(self, database: str = "postgres") -> str:
        """Give back the libpq address of one database (psycopg.connect takes it)."""
        return f"postgresql://bc@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Give back the SQLAlchemy URL of a new, empty database ``name``."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)
