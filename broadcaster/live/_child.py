"""``broadcaster run`` keeping ``broadcaster sync`` (and with it the live link) running beside it.

A station needs only ``broadcaster run`` with BROADCASTER_HUB_URL, BROADCASTER_HUB_TOKEN and
BROADCASTER_MQTT_URL set: the daemon then starts the sync process as a child and restarts it when
it ends (after a growing pause), never waiting on it: playout does not depend on the network. Under
systemd the unit broadcaster-sync runs it instead, and broadcaster-station starts the daemon with
``run --no-sync``: one switch, so the link never runs twice.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading

from ..config import Config

log = logging.getLogger("broadcaster.live")

#: The child's exit code for a bad setting: restarting cannot help (as RestartPreventExitStatus=2).
CONFIG_EXIT = 2
RESTART_MIN_S = 2.0
RESTART_MAX_S = 60.0
PR_SET_PDEATHSIG = 1


def wants_sync_child(config: Config) -> bool:
    """Give back whether ``broadcaster run`` should keep a sync process beside it."""
    return config.mode == "station" and bool(config.hub_url and config.hub_token and config.mqtt_url)


def _die_with_parent() -> None:
    # Linux: the child gets SIGTERM when the daemon dies, even by SIGKILL; otherwise an orphaned
    # link and the next daemon's would share the station's MQTT session and push each other off.
    # (Strictly when the forking thread ends: the supervising thread, which lives as long as it.)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class SyncChild:
    """The supervised ``broadcaster sync`` process (same interpreter, same environment)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SyncChild:
        self._thread = threading.Thread(target=self._supervise, name="sync-child", daemon=True)
        self._thread.start()
        return self

    def _supervise(self) -> None:
        pause = RESTART_MIN_S
        while not self._stop.is_set():
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "broadcaster.cli", "sync"], preexec_fn=_die_with_parent
            )
            self.starts += 1
            log.info("Đã chạy tiến trình đồng bộ với huyện (PID %d).", self.proc.pid)
            code = self.proc.wait()
            if self._stop.is_set():
                return
            if code == CONFIG_EXIT:
                log.error("Tiến trình đồng bộ dừng vì cấu hình sai; không chạy lại (xem dòng lỗi phía trên).")
                return
            log.warning("Tiến trình đồng bộ với huyện dừng (mã %s); chạy lại sau %.0f giây.", code, pause)
            if self._stop.wait(pause):
                return
            pause = min(pause * 2, RESTART_MAX_S)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the child (SIGTERM: its link says goodbye), killing it after ``timeout`` seconds."""
        self._stop.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)
