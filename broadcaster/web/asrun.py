"""The as-run log: what really aired, filtered by dates, status and zone, exported as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import login_required
from sqlalchemy import select

from .. import content
from ..models import AIR_STATUS_LABELS, Zone
from ._core import config, db, station

bp = Blueprint("asrun", __name__, url_prefix="/nhat-ky-phat")


def _zones() -> list[Zone]:
    return list(db().scalars(select(Zone).where(Zone.station_id == station().id).order_by(Zone.id)))


@bp.route("/")
@login_required
def index():
    tz = config().tz
    errors = {}
    try:
        f = content.AsRunFilter.parse(request.args, tz)
        rows = content.asrun_entries(db(), station().id, f, tz, limit=1000)
    except content.ContentError as exc:
        errors[exc.field or "_"] = str(exc)
        f, rows = None, []
    return render_template(
        "asrun/index.html",
        rows=rows,
        f=f,
        args=request.args,
        errors=errors,
        zones=_zones(),
        statuses=AIR_STATUS_LABELS,
    ), (400 if errors else 200)


@bp.route("/xuat.csv")
@login_required
def export():
    tz = config().tz
    try:
        f = content.AsRunFilter.parse(request.args, tz)
    except content.ContentError as exc:
        return Response(str(exc), status=400, mimetype="text/plain; charset=utf-8")
    rows = content.asrun_entries(db(), station().id, f, tz, limit=None)
    name = f"nhat-ky-phat_{f.date_from.isoformat()}_{f.date_to.isoformat()}.csv"
    return Response(
        content.asrun_csv(rows, tz),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
