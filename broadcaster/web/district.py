"""The hub's pages (hub mode only): the commune stations, online or not, and what they last sent."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template
from flask_login import login_required

from .. import hub
from ._core import config, db

bp = Blueprint("district", __name__, url_prefix="/huyen")


@bp.route("/cac-dai")
@login_required
def stations():
    rows = hub.stations_overview(db(), config().station_code, config().sync_interval)
    for r in rows:
        r["seen_at"] = datetime.fromisoformat(r["last_seen"]) if r["last_seen"] else None
        last = r["last_asrun"]
        if last and last["at"]:
            last["when"] = datetime.fromisoformat(last["at"])
    return render_template("hub/stations.html", rows=rows)
