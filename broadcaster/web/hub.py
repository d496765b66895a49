"""The hub's API for stations (registered in hub mode only): manifest, audio, as-run and status.

A station authenticates with ``Authorization: Bearer <its token>`` and names itself in
``X-Broadcaster-Station``: no token or an unknown/revoked one is 401, a token used for another
station is 403. Each station has its own request budget (429 with Retry-After beyond it).
Errors are JSON with a Vietnamese message, as in the rest of /api/v1.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import timedelta

from flask import Blueprint, Response, abort, g, jsonify, request, send_file

from .. import hub
from ..db import utcnow
from ..manifest import MAX_BATCH, STATION_HEADER
from ..models import Station
from ._core import config, db

bp = Blueprint("hub_api", __name__, url_prefix="/api/v1/station")

#: Per station: a burst of BURST requests, refilled at RATE per second (a sync round needs a few).
BURST = 60
RATE = 1.0


class _Buckets:
    """Token buckets per station, in this process (each web worker keeps its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[int, tuple[float, float]] = {}

    def take(self, key: int) -> float:
        """Give back 0 when a request may go ahead, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            level, last = self._state.get(key, (float(BURST), now))
            level = min(float(BURST), level + (now - last) * RATE)
            if level >= 1:
                self._state[key] = (level - 1, now)
                return 0.0
            self._state[key] = (level, now)
            return (1 - level) / RATE


_buckets = _Buckets()


def _error(code: int, message: str, **headers: str) -> Response:
    resp = jsonify({"loi": message, "ma": code})
    resp.status_code = code
    resp.headers.update(headers)
    return resp


@bp.before_request
def _authenticate():
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(
            401, "Thiếu mã truy cập của đài (Authorization: Bearer).", **{"WWW-Authenticate": "Bearer"}
        )
    station = hub.station_for_token(db(), token.strip())
    if station is None:
        return _error(401, "Mã truy cập không đúng hoặc đã bị thu hồi.", **{"WWW-Authenticate": "Bearer"})
    claimed = request.headers.get(STATION_HEADER)
    if claimed is not None and claimed != station.code:
        return _error(403, f"Mã truy cập này không phải của đài «{claimed[:40]}».")
    wait = _buckets.take(station.id)
    if wait > 0:
        return _error(
            429, "Đài gọi máy chủ huyện quá dày; hãy thử lại sau.", **{"Retry-After": str(math.ceil(wait))}
        )
    g.station = station


def _station() -> Station:
    return g.station


def _seen(station: Station) -> None:
    # At most one write per half interval per station: polling is mostly reads.
    now = utcnow()
    if station.last_seen_at is None or now - station.last_seen_at > timedelta(
        seconds=config().sync_interval / 2
    ):
        station.last_seen_at = now
        db().commit()


@bp.get("/manifest")
def manifest():
    station = _station()
    m = hub.build_manifest(db(), config(), station)
    tag = m.etag()
    _seen(station)
    if tag in request.if_none_match:
        resp = Response(status=304)
    else:
        resp = Response(m.dumps(), mimetype="application/json")
    resp.set_etag(tag)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/audio/<sha256>")
def audio(sha256: str):
    path = hub.servable_audio(db(), config(), _station(), sha256.lower())
    if path is None or not path.is_file():
        abort(404)
    # conditional=True: Werkzeug answers Range requests (206) and If-None-Match for us.
    return send_file(path, conditional=True, etag=sha256.lower(), max_age=0, download_name=path.name)


@bp.post("/report")
def report():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "Nội dung gửi lên phải là một đối tượng JSON.")
    rows = body.get("asrun", [])
    if not isinstance(rows, list):
        return _error(400, "«asrun» phải là một danh sách.")
    if len(rows) > MAX_BATCH:
        return _error(413, f"Mỗi lần gửi tối đa {MAX_BATCH} dòng nhật ký.")
    decisions = body.get("decisions", [])
    if not isinstance(decisions, list):
        return _error(400, "«decisions» phải là một danh sách.")
    if len(decisions) > MAX_BATCH:
        return _error(413, f"Mỗi lần gửi tối đa {MAX_BATCH} quyết định về tin từ huyện.")
    station = _station()
    acked, refused = hub.receive_asrun(db(), station, rows)
    # The communes' decisions on offers ride the same upload, acknowledged by uid in the same list.
    took, left = hub.receive_decisions(db(), station, decisions)
    acked, refused = acked + took, refused + left
    hub.note_contact(db(), station, body.get("status"))
    db().commit()
    return jsonify({"ack": acked, "tu_choi": refused, "luc": utcnow().isoformat()})


@bp.errorhandler(404)
def _not_found(_exc):
    return _error(404, "Không có tệp âm thanh này cho đài.")
