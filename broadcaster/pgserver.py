"""A throwaway PostgreSQL server under a folder, for the tests and the hub's bench (never production).

Debian's server binaries (``/usr/lib/postgresql/<version>/bin``), a fresh cluster made by
``initdb`` with trust authentication for the ``bc`` role, listening on 127.0.0.1 only and on a
Unix socket in the same folder, fsync off (its data is thrown away).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")


class PgUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing, or the server did not come up."""


def free_port() -> int:
    """Give back a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
