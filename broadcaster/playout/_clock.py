"""Time for playout: an injectable clock, a precise wait, wall-clock jump detection, sd_notify.

Starts are given in wall-clock time (UTC) but waited for on the monotonic clock: the deadline is
translated once into monotonic terms and re-derived on every wake, so an NTP step during a long
wait moves the deadline with it. The last stretch is a short spin on ``time.monotonic`` because
``sleep`` may overshoot by a millisecond or more.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall and monotonic time; tests inject one with an offset or a jump."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        """Give back the current wall time, aware UTC."""
        return datetime.fromtimestamp(self.time(), UTC)


class OffsetClock(Clock):
    """A wall clock ``offset`` seconds away from the real one; change ``offset`` to jump it."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset


REAL_CLOCK = Clock()
SPIN_S = 0.002  # the final stretch, spun rather than slept
COARSE_S = 0.05  # wake this long before the deadline, then sleep/spin finely


def wait_until(
    at: datetime, *, clock: Clock = REAL_CLOCK, cancel: threading.Event | None = None, max_chunk: float = 0.5
) -> bool:
    """Give back True once ``at`` (aware) is reached, False if ``cancel`` was set first.

    Not a poll loop: it sleeps (on ``cancel`` when given) until ~50 ms before, re-deriving the
    deadline from the wall clock at each wake, then sleeps to ~2 ms before and spins the rest.
    """
    target = at.timestamp()
    while True:
        remaining = target - clock.time()
        if remaining <= COARSE_S:
            break
        chunk = min(remaining - COARSE_S, max_chunk)
        if cancel is not None:
            if cancel.wait(chunk):
                return False
        else:
            time.sleep(chunk)
    deadline = clock.monotonic() + (target - clock.time())
    rest = deadline - clock.monotonic() - SPIN_S
    if rest > 0:
        time.sleep(rest)
    while clock.monotonic() < deadline:
        pass
    return not (cancel is not None and cancel.is_set())


class JumpDetector:
    """Notices when the wall clock moved differently from the monotonic clock (NTP step, manual set)."""

    def __init__(self, clock: Clock = REAL_CLOCK, threshold: float = 2.0) -> None:
        self.clock = clock
        self.threshold = threshold
        self._wall = clock.time()
        self._mono = clock.monotonic()

    def check(self) -> float | None:
        """Give back the jump in seconds since the last check if it exceeds the threshold, else None."""
        wall, mono = self.clock.time(), self.clock.monotonic()
        drift = (wall - self._wall) - (mono - self._mono)
        self._wall, self._mono = wall, mono
        return drift if abs(drift) >= self.threshold else None


def sd_notify(message: str) -> bool:
    """Give back whether a systemd notification (``READY=1``, ``WATCHDOG=1``...) was sent.

    The protocol is one datagram on the socket named by ``NOTIFY_SOCKET``; outside systemd it does
    nothing. Written by hand to avoid a dependency.
    """
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    if path.startswith("@"):
        path = "\0" + path[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(path)
            sock.sendall(message.encode())
        return True
    except OSError:
        return False


def watchdog_interval() -> float | None:
    """Give back how often to send ``WATCHDOG=1`` (half of systemd's WatchdogSec), or None."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return max(0.5, int(usec) / 1e6 / 2)
    except ValueError:
        return None
