"""The status snapshot the daemon keeps in ``<data_dir>/run/status.json``, and its rendering.

Standard library only: ``broadcaster status`` reads it without loading SQLAlchemy or the models, so
it answers in a fraction of the time the database path takes (issue 10). The daemon writes it (see
``_status.status_view``); the CLI renders the same view whether it came from here or the database.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

#: How many upcoming airings the daemon puts in the snapshot; ``status -n`` above this reads the database.
SNAPSHOT_COUNT = 20
#: A snapshot older than this is not trusted (the daemon refreshes it at least every heartbeat, 10 s).
FRESH_S = 25.0
_KEYS = {"alive", "pid", "heartbeat", "timezone", "payload", "lines"}


def snapshot_path(data_dir: Path) -> Path:
    """Give back where the daemon keeps its status snapshot."""
    return Path(data_dir) / "run" / "status.json"


def write_snapshot(data_dir: Path, view: dict[str, Any], count: int) -> None:
    """Write the snapshot atomically (temp file + rename): a reader sees the old one or the new one."""
    path = snapshot_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "generated_at": time.time(),
        "pid": os.getpid(),
        "host": os.uname().nodename,
        "count": count,
        "view": view,
    }
    fd, tmp = tempfile.mkstemp(prefix=".status-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        os.chmod(tmp, 0o644)  # officers' shells read what the service account wrote
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # alive, run by another account (the station service)
    except OSError:
        return False
    return True


def read_snapshot(data_dir: Path, count: int) -> tuple[dict[str, Any] | None, int | None]:
    """Give back the snapshot's view if it can stand for the database (else None), and the pid of
    the daemon that wrote it if that process is known to be gone (else None).

    The view is usable only when fresh, written by a daemon still alive, holding at least ``count``
    upcoming airings, and well formed; anything else sends the caller to the database. A dead pid
    is only reported for a snapshot written on this host (pids mean nothing elsewhere).
    """
    try:
        with open(snapshot_path(data_dir), encoding="utf-8") as f:
            doc = json.load(f)
        pid = doc["pid"]
        if not _pid_alive(pid):
            return None, pid if doc.get("host") == os.uname().nodename else None
        age = time.time() - float(doc["generated_at"])
        view = doc["view"]
        if not (0 <= age <= FRESH_S and count <= int(doc["count"])):
            return None, None
        if not isinstance(view, dict) or not _KEYS <= view.keys():
            return None, None
        return view, None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None, None


def mark_gone(view: dict[str, Any], gone: int | None) -> dict[str, Any]:
    """Give back the view saying the daemon is down if the pid it names is ``gone``.

    The database keeps a killed daemon's heartbeat "fresh" for up to 30 s; its snapshot's pid
    tells at once that the process is no more.
    """
    if gone is None or not view["alive"] or view["pid"] != gone:
        return view
    payload = {**view["payload"], "bo_phat_hoat_dong": False}
    return {**view, "alive": False, "pid": None, "heartbeat": None, "payload": payload}


def render(view: dict[str, Any], *, as_json: bool, count: int) -> str:
    """Give back what ``status`` prints for a view, showing at most ``count`` upcoming airings."""
    if as_json:
        payload = dict(view["payload"])
        payload["sap_phat"] = payload["sap_phat"][:count]
        return json.dumps(payload, ensure_ascii=False, indent=2)
    lines = view["lines"]
    if view["alive"]:
        head = f"Bộ phát đang chạy (PID {view['pid']}), báo hiệu lúc {view['heartbeat']}."
    else:
        head = "Bộ phát KHÔNG chạy: hãy chạy «broadcaster run» hoặc bật dịch vụ broadcaster-station."
    nxt = lines["next"][:count]
    out = [head, *lines["now"]]
    out.append(
        f"Các buổi phát sắp tới (giờ {view['timezone']}):" if nxt else "Không có buổi phát nào sắp tới."
    )
    out += nxt
    out += lines["forecast"]
    return "\n".join(out)
