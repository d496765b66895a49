"""The hub's API for stations (registered in hub mode only): manifest, audio, as-run and status.

A station authenticates with ``Authorization: Bearer <its token>`` and names itself in
``X-Broadcaster-Station``: no token or an unknown/revoked one is 401, a token used for another
station is 403. Each station has one request budget shared by all web workers (429 with
Retry-After beyond it). What a worker keeps between requests (tokens, manifests' ETags, last
contact) is in ``hub._gate`` and ``hub._traffic``: a poll answered 304 costs one small statement.
Errors are JSON with a Vietnamese message, as in the rest of /api/v1.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, send_file
from sqlalchemy import Engine

from .. import hub
from ..db import utcnow
from ..manifest import MAX_BATCH, STATION_HEADER
from ..models import Station
from ._core import config, db, store

bp = Blueprint("hub_api", __name__, url_prefix="/api/v1/station")


@dataclass
class _Worker:
    """This web worker's share of the hub: its caches, its contact book, an autocommit engine."""

    gate: hub.HubGate
    contacts: hub.ContactBook
    engine: Engine


_made = threading.Lock()


def _worker() -> _Worker:
    w = current_app.extensions.get("broadcaster_hub")
    if w is None:
        with _made:
            w = current_app.extensions.get("broadcaster_hub")
            if w is None:
                # Autocommit: the revision read and the request count are one statement each, and
                # the count stands whatever the request does next.
                engine = store().engine.execution_options(isolation_level="AUTOCOMMIT")
                w = _Worker(hub.HubGate(config()), hub.ContactBook(store().engine), engine)
                current_app.extensions["broadcaster_hub"] = w
    return w


def _error(code: int, message: str, **headers: str) -> Response:
    resp = jsonify({"loi": message, "ma": code})
    resp.status_code = code
    resp.headers.update(headers)
    return resp


def _refused() -> Response:
    return _error(401, "Mã truy cập không đúng hoặc đã bị thu hồi.", **{"WWW-Authenticate": "Bearer"})


@bp.before_request
def _authenticate():
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(
            401, "Thiếu mã truy cập của đài (Authorization: Bearer).", **{"WWW-Authenticate": "Bearer"}
        )
    w, token = _worker(), token.strip()
    with w.engine.connect() as conn:
        known = w.gate.known(token)  # only ever set on PostgreSQL
        if known is None:  # first sight in this worker: the counters first, then the lookup
            station = w.gate.station_for_token(conn, token, hub.read_revision(conn))
        else:
            station = known[1]
        if station is None:
            return _refused()
        wait, g.hub_rev = hub.take_request(conn, station.id)
        if known is not None and g.hub_rev.tokens != known[0]:
            # A token or a station changed since it was cached: look again (revoked: refused now).
            station = w.gate.station_for_token(conn, token, g.hub_rev)
            if station is None:
                return _refused()
    claimed = request.headers.get(STATION_HEADER)
    if claimed is not None and claimed != station.code:
        return _error(403, f"Mã truy cập này không phải của đài «{claimed[:40]}».")
    w.contacts.seen(station.id)
    if wait > 0:
        return _error(
            429, "Đài gọi máy chủ huyện quá dày; hãy thử lại sau.", **{"Retry-After": str(math.ceil(wait))}
        )
    g.hub_station = station


def _station() -> hub.StationRef:
    return g.hub_station


@bp.get("/manifest")
def manifest():
    station, w = _station(), _worker()
    with w.engine.connect() as conn:
        tag = w.gate.etag(conn, db(), station, g.hub_rev)
        if tag in request.if_none_match:
            resp = Response(status=304)
        else:
            m = w.gate.manifest(conn, db(), station, g.hub_rev)
            tag = m.etag()
            resp = Response(m.dumps(), mimetype="application/json")
    resp.set_etag(tag)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/audio/<sha256>")
def audio(sha256: str):
    w = _worker()
    with w.engine.connect() as conn:
        path = w.gate.audio_file(conn, db(), _station(), g.hub_rev, sha256.lower())
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
    station = db().get(Station, _station().id)
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
