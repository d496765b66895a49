"""What ``broadcaster status`` prints without the database layer: the daemon's snapshot, a cache
for when the daemon is down, and the rendering of both.

Standard library only: ``status`` reads these without loading SQLAlchemy or the models, so it
answers in a fraction of the time the database path takes (issue 10).

- The daemon keeps ``<data_dir>/run/status.json`` fresh while it runs (see ``_status.status_view``).
- With the daemon down, ``<data_dir>/run/status-cache.json`` holds a view built from the database,
  keyed by the store's data version: every commit that writes to a SQLite store sets
  ``PRAGMA user_version`` to a fresh random value (``broadcaster.db``), so one read of that header
  field says whether anything changed since. The processes that write rebuild it after their
  writes (``_keeper``), ``status`` itself when it had to read the database. The view covers an
  hour more than it shows, and what lies in the past is dropped when it is printed.

Whatever the source, :func:`render` prints the same view the same way at the moment it runs.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..rules import pid_alive

#: The forecast's horizon: the airings of the next 48 hours.
HOURS = 48
#: How late a pending airing still shows among the coming ones (it may yet start within its grace).
LATE_S = 60
#: How many upcoming airings the daemon puts in the snapshot; ``status -n`` above this reads the database.
SNAPSHOT_COUNT = 20
#: A snapshot older than this is not trusted (the daemon refreshes it at least every heartbeat, 10 s).
FRESH_S = 25.0
_KEYS = {"alive", "pid", "heartbeat", "timezone", "payload", "lines"}
#: How long the down-daemon cache may stand in for the database, its data version unchanged; its
#: forecast reaches that much beyond the horizon, so the 48 hours shown are always covered.
CACHE_S = 3600
#: Format of the cache; bump when the view changes shape.
_CACHE_FORMAT = 1


def snapshot_path(data_dir: Path) -> Path:
    """Give back where the daemon keeps its status snapshot."""
    return Path(data_dir) / "run" / "status.json"


def cache_path(data_dir: Path) -> Path:
    """Give back where ``status`` keeps its last view for when the daemon is down."""
    return Path(data_dir) / "run" / "status-cache.json"


def write_snapshot(data_dir: Path, view: dict[str, Any], count: int) -> None:
    """Write the snapshot atomically (temp file + rename): a reader sees the old one or the new one."""
    doc = {
        "generated_at": time.time(),
        "pid": os.getpid(),
        "host": os.uname().nodename,
        "count": count,
        "view": view,
    }
    _write_json(snapshot_path(data_dir), doc)


def drop_snapshot(data_dir: Path, pid: int) -> None:
    """Remove the snapshot if process ``pid`` wrote it: a daemon that stops leaves none claiming
    to answer for it (then the cache or the database does)."""
    path = snapshot_path(data_dir)
    try:
        with open(path, encoding="utf-8") as f:
            mine = json.load(f).get("pid") == pid
        if mine:
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
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
        if not pid_alive(pid):
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


def _code_mark() -> list[int]:
    """Give back a mark of the installed code (its files' count, total size, newest change): a
    cache written by another version of the rules is not used."""
    n = size = newest = 0
    stack = [str(Path(__file__).resolve().parents[1])]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    if e.name != "__pycache__":
                        stack.append(e.path)
                elif e.name.endswith(".py"):
                    st = e.stat()
                    n, size, newest = n + 1, size + st.st_size, max(newest, st.st_mtime_ns)
    return [n, size, newest]


def store_file(db_url: str) -> str | None:
    """Give back the path of a SQLite store's file, or None when the store is no plain file
    (PostgreSQL: the hub; in memory; a URI): such stores have no down-daemon cache."""
    if not db_url.startswith("sqlite:///"):
        return None
    path = db_url.split("///", 1)[1]
    if not path or path.startswith(":memory:") or path.startswith("file:") or "?" in path:
        return None
    return path


def make_key(path: str, version: int, schema: str, station_code: str, timezone: str) -> dict[str, Any]:
    """Give back the key a down-daemon cache is kept under: the store's data version and schema
    as read with the view's data, the station, the code."""
    return {
        "format": _CACHE_FORMAT,
        "db": str(Path(path).resolve()),
        "version": version,
        "schema": schema,
        "station": station_code,
        "timezone": timezone,
        "code": _code_mark(),
    }


def cache_key(db_url: str, station_code: str, timezone: str) -> dict[str, Any] | None:
    """Give back what the down-daemon cache must match to be used now: the SQLite store's data
    version and schema, the station, the code; None when there is no such key (not SQLite, the
    store unreadable, never written by a version that keeps the data version).

    A cache is only written under the version read in the same read transaction as its view
    (``_status.cached_view``), so a match means the view shows this very state of the store.
    """
    path = store_file(db_url)
    if path is None:
        return None  # PostgreSQL (the hub): the database path every time
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN")  # one read snapshot for both values
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        schema = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        conn.execute("COMMIT")
    except (sqlite3.Error, TypeError):
        return None
    finally:
        conn.close()
    if not version:
        return None
    return make_key(path, version, schema, station_code, timezone)


def write_cache(data_dir: Path, key: dict[str, Any], view: dict[str, Any], count: int) -> None:
    """Keep a view built from the database with the daemon down (best effort: a read-only data
    dir only costs the next ``status`` the database path). A view saying the daemon runs is not
    kept: that answer ages by itself, with no write to tell."""
    if view["alive"]:
        return
    doc = {"key": key, "generated_at": time.time(), "count": count, "view": view}
    try:
        _write_json(cache_path(data_dir), doc)
    except OSError:
        pass


def read_cache(data_dir: Path, key: dict[str, Any] | None, count: int) -> dict[str, Any] | None:
    """Give back the cached view if it still tells the truth (else None): same key, written
    within :data:`CACHE_S` (and not in the future: a clock set back), the daemon down in it, and
    still ``count`` coming airings once the past ones are dropped (or all there were)."""
    if key is None:
        return None
    try:
        with open(cache_path(data_dir), encoding="utf-8") as f:
            doc = json.load(f)
        if doc["key"] != key:
            return None
        age = time.time() - float(doc["generated_at"])
        view = doc["view"]
        if not (-1 <= age < CACHE_S) or not isinstance(view, dict) or not _KEYS <= view.keys():
            return None
        if view["alive"]:
            return None
        held = len(view["payload"]["sap_phat"])
        if held < int(doc["count"]):
            return view  # every coming airing there was
        left = len(window(view, datetime.now().astimezone())["payload"]["sap_phat"])
        return view if left >= count else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


#: How long a dead-air alarm that ended is still shown (``status``, the hub's stations page).
DEAD_AIR_KEPT = timedelta(hours=24)


def of_the_day(ended: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Give back the dead-air alarms that ended (or, end unknown, began) within
    :data:`DEAD_AIR_KEPT` of ``now`` (aware), newest first."""
    from ..rules import aware_instant

    kept = []
    for a in ended:
        at = aware_instant(a.get("until")) or aware_instant(a.get("since"))
        if at is not None and now - DEAD_AIR_KEPT <= at <= now + timedelta(minutes=5):
            kept.append(a)
    return sorted(kept, key=lambda a: str(a.get("since")), reverse=True)


def window(view: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Give back the view as of ``now`` (aware): coming airings from :data:`LATE_S` ago, warnings
    of airings in the next :data:`HOURS` hours. A view built just now is left as it is; an older
    one (the cache) loses what has passed and what it holds beyond the horizon, and the dead air
    of more than a day ago."""
    payload, lines = view["payload"], view["lines"]
    since = now - timedelta(seconds=LATE_S)
    keep = [i for i, o in enumerate(payload["sap_phat"]) if datetime.fromisoformat(o["at"]) >= since]
    until = now + timedelta(hours=HOURS)
    warn = [a for a in payload["canh_bao"] if now <= datetime.fromisoformat(a["luc"]) < until]
    return {
        **view,
        "payload": {
            **payload,
            "sap_phat": [payload["sap_phat"][i] for i in keep],
            "canh_bao": warn,
            "mat_tin_hieu_24_gio": of_the_day(payload.get("mat_tin_hieu_24_gio") or [], now),
        },
        "lines": {**lines, "next": [lines["next"][i] for i in keep]},
    }


def forecast_lines(bad: list[dict[str, Any]]) -> list[str]:
    """Give back the status lines of the coming airings that will skip items, from their JSON
    form (``Airing.as_dict``, loudest first)."""
    if not bad:
        return [f"{HOURS} giờ tới: mọi buổi phát đều có đủ bản tin được phép phát."]
    lines = [f"CẢNH BÁO — {len(bad)} buổi phát trong {HOURS} giờ tới sẽ bỏ qua bản tin:"]
    shown = set()  # the items are listed once, under the first airing that skips them
    for a in bad:
        zones = f" ({', '.join(a['cum_loa'])})" if a["cum_loa"] else ""
        lines.append(f"  {'!!' if a['khong_phat_gi'] else ' !'} «{a['tieu_de']}»{zones}: {a['canh_bao']}")
        fresh = [p["ly_do"] for p in a["muc_bi_bo_qua"] if p["ly_do"] not in shown]
        shown.update(fresh)
        lines += [f"       - {reason}" for reason in fresh[:5]]
        if len(fresh) > 5:
            lines.append(f"       - … và {len(fresh) - 5} mục khác.")
    return lines


def dead_air_lines(payload: dict[str, Any], timezone: str, now: datetime) -> list[str]:
    """Give back the status lines of the dead-air alarms on now and of those that ended within
    the last 24 hours as of ``now`` (aware), in the station's time."""
    from zoneinfo import ZoneInfo

    from ..rules import aware_instant, show_duration

    def took(start: datetime, end: datetime) -> str:
        return show_duration(max(1, round((end - start).total_seconds() * 1000)))  # m:ss

    tz = ZoneInfo(timezone)

    def _local(raw: Any) -> datetime | None:
        at = aware_instant(raw)
        return at.astimezone(tz) if at is not None else None

    lines = []
    for a in payload.get("mat_tin_hieu") or []:
        since = _local(a.get("since"))
        if since is None:
            continue
        lines.append(
            f"MẤT TÍN HIỆU trên {a.get('zone')} từ {since:%H:%M:%S} (đã {took(since, now)}): "
            f"không có âm thanh tới đầu ra {a.get('sink') or '-'} dù đang trong giờ phát «{a.get('title')}»."
        )
    past = []
    for a in payload.get("mat_tin_hieu_24_gio") or []:
        since, until = _local(a.get("since")), _local(a.get("until"))
        if since is None:
            continue
        span = (
            f"{since:%d/%m %H:%M:%S}–{until:%H:%M:%S} ({took(since, until)})"
            if until is not None
            else f"từ {since:%d/%m %H:%M:%S} đến khi bộ phát dừng"
        )
        past.append(f"  {span}  {a.get('zone')}, đầu ra {a.get('sink') or '-'}, buổi «{a.get('title')}»")
    if past:
        lines.append(f"Mất tín hiệu trong 24 giờ qua ({len(past)} lần):")
        lines += past
    return lines


def render(view: dict[str, Any], *, as_json: bool, count: int, now: datetime | None = None) -> str:
    """Give back what ``status`` prints for a view at ``now``, showing at most ``count`` upcoming
    airings."""
    now = now or datetime.now().astimezone()
    view = window(view, now)
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
    out = [head, *lines["now"], *dead_air_lines(view["payload"], view["timezone"], now)]
    out.append(
        f"Các buổi phát sắp tới (giờ {view['timezone']}):" if nxt else "Không có buổi phát nào sắp tới."
    )
    out += nxt
    out += forecast_lines(view["payload"]["canh_bao"])
    return "\n".join(out)
