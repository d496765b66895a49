"""Whether a process another one wrote down (in a pid file, a job's state) still runs."""

from __future__ import annotations

import os


def pid_alive(pid: object) -> bool:
    """Tell whether process ``pid`` runs on this machine (one under another account counts: the
    station service's daemon seen from the web); anything but a positive int is no process."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except (OSError, OverflowError):
        return False
    return True
