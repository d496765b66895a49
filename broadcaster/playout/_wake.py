"""A wake-up channel to the station daemon: one UNIX datagram socket next to the database.

The database stays the mailbox (web and CLI never need the daemon to be reachable); the socket only
says "look now", so the idle daemon can sleep on it instead of polling the database several times a
second. Whoever commits a command or a plan change pokes it after the commit, best effort: when
nobody listens the poke is dropped and the daemon's slow fallback poll still finds the row.

Both sides derive the address from the database URL, so they agree without any configuration:
``<folder of the SQLite file>/run/daemon.sock`` (the data dir by default), or an abstract socket
named after the URL when the path is too long for ``sun_path`` or the database is not a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import select
import socket
import stat
import threading
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

log = logging.getLogger("broadcaster.playout")

_DGRAM = socket.SOCK_DGRAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK
_SUN_PATH_MAX = 100  # sun_path holds 108 bytes on Linux; keep a margin for the NUL
_PENDING = "broadcaster.playout.wake"  # Session.info key: addresses to poke after the commit


def wake_address(url: URL | str) -> str:
    """Give back the daemon's wake-up socket address for a database URL (a path, or "\\0name")."""
    url = make_url(url)
    db = url.database or ""
    if url.get_backend_name() == "sqlite" and db and db != ":memory:" and not db.startswith("file:"):
        path = Path(db).resolve().parent / "run" / "daemon.sock"
        if len(os.fsencode(path)) <= _SUN_PATH_MAX:
            return str(path)
        key = str(path)
    else:
        key = url.render_as_string(hide_password=True)
    return "\0broadcaster-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def poke(address: str) -> bool:
    """Give back whether a wake-up datagram was sent; never raises (nobody listening is normal)."""
    try:
        with socket.socket(socket.AF_UNIX, _DGRAM) as s:
            s.sendto(b"!", address)
        return True
    except OSError:
        return False


def _after_commit(session: Session) -> None:
    for address in session.info.pop(_PENDING, ()):
        poke(address)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)  # nothing was committed: nothing to look at


def wake_after_commit(session: Session) -> None:
    """Arrange for the daemon to be poked once this session's transaction commits.

    The poke must follow the commit: a daemon woken before it would find nothing and go back to
    sleep. A rollback cancels it.
    """
    try:
        bind = session.get_bind()
        address = wake_address(getattr(bind, "engine", bind).url)
    except Exception:  # noqa: BLE001 - an unusual bind only costs the fast path
        return
    if not session.info.get(f"{_PENDING}.hooked"):
        session.info[f"{_PENDING}.hooked"] = True
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    session.info.setdefault(_PENDING, set()).add(address)


class WakeChannel:
    """The daemon's end: a bound datagram socket to sleep on."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock: socket.socket | None = None
        self._inode: int | None = None
        self._local = threading.Event()  # stands in for the socket when it could not be bound
        sock = socket.socket(socket.AF_UNIX, _DGRAM)
        try:
            if not address.startswith("\0"):
                path = Path(address)
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    if stat.S_ISSOCK(path.lstat().st_mode):
                        path.unlink()  # left by a daemon that died; a live one would be a second daemon
                except FileNotFoundError:
                    pass
            sock.bind(address)
            if not address.startswith("\0"):
                os.chmod(address, 0o660)  # the web (same user or group) pokes it; nobody else
                self._inode = os.stat(address).st_ino
        except OSError as exc:
            sock.close()
            log.warning(
                "Không mở được kênh đánh thức %s (%s); bộ phát sẽ chỉ kiểm tra hộp lệnh định kỳ.",
                address.replace("\0", "@"),
                exc.strerror or exc,
            )
            return
        self.sock = sock

    def wait(self, timeout: float) -> bool:
        """Give back True if poked within ``timeout`` seconds (all pending pokes are consumed)."""
        if self.sock is None:
            poked = self._local.wait(timeout)
            self._local.clear()
            return poked
        try:
            ready, _, _ = select.select([self.sock], [], [], timeout)
        except (OSError, ValueError):
            return False
        if not ready:
            return False
        while True:
            try:
                self.sock.recv(64)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                return True

    def poke(self) -> bool:
        """Give back whether this channel's own waiter was poked (used to interrupt it)."""
        if self.sock is None:
            self._local.set()
            return True
        return poke(self.address)

    def close(self) -> None:
        if self.sock is None:
            return
        self.sock.close()
        self.sock = None
        if self._inode is not None:
            try:
                if os.stat(self.address).st_ino == self._inode:  # not a newer daemon's socket
                    os.unlink(self.address)
            except OSError:
                pass
