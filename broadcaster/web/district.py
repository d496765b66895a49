"""The hub's pages (hub mode only): the commune stations, one station's as-run, the district report.

Thin: parse the request, call :mod:`broadcaster.hub` (and the station reports' period rules and
writers, reused as they are), render. The stations table is one partial, served alone at
``/huyen/cac-dai/bang`` and as JSON at ``/huyen/cac-dai.json``, so a live view can refresh it
without reloading the page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from .. import hub
from .. import reports as rp
from ..config import public_spec
from ..db import utcnow
from ..rules import aware_instant, show_local
from ._core import config, db, roles, store
from .reports import REPORT_ROLES, download, period_from_request, period_suggestions

bp = Blueprint("district", __name__, url_prefix="/huyen")

# Everyone signed in at the hub sees the stations and their logs; the report is for the ones who
# sign it (REPORT_ROLES), as at a station.


def _dead_air(raw: Any, now: datetime) -> list[dict[str, Any]]:
    """Give back a station's dead-air alarms as the page shows them (when, how long, which output);
    what does not read as one is left out (a station's free-form status never breaks the page)."""
    out = []
    for a in raw if isinstance(raw, list) else []:
        since = aware_instant(a.get("since")) if isinstance(a, dict) else None
        if since is None:
            continue
        until, on = aware_instant(a.get("until")), "until" not in a
        if not on and (until or since) < now - timedelta(hours=24):
            continue  # the last status of a station long silent: only the last day is shown
        out.append(
            {
                "zone": str(a.get("zone") or ""),
                "sink": public_spec(str(a.get("sink") or "")),  # the station hides it; so do we
                "title": str(a.get("title") or ""),
                "since": since,
                "until": until,
                # How long: so far while it lasts; unknown when the station's daemon stopped in it.
                "ms": max(1, round(((until or now) - since).total_seconds() * 1000)) if until or on else None,
                "open": on,
            }
        )
    return out


def _overview() -> list[dict[str, Any]]:
    rows = hub.stations_overview(db(), config().station_code, config().sync_interval)
    now = utcnow()
    for r in rows:
        r["dead_air"] = _dead_air(r["status"].get("dead_air"), now)
        r["dead_air_recent"] = _dead_air(r["status"].get("dead_air_recent"), now)
        r["seen_at"] = datetime.fromisoformat(r["last_seen"]) if r["last_seen"] else None
        last = r["last_asrun"]
        if last and last["at"]:
            last["when"] = datetime.fromisoformat(last["at"])
        nxt = r["status"].get("next_airing")
        r["next"] = None
        if isinstance(nxt, dict) and isinstance(nxt.get("at"), str):
            try:
                r["next"] = {"title": str(nxt.get("title") or ""), "when": datetime.fromisoformat(nxt["at"])}
            except ValueError:
                pass  # a station's free-form status never breaks the page
    return rows


@bp.route("/cac-dai")
@login_required
def stations():
    return render_template("hub/stations.html", rows=_overview())


@bp.route("/cac-dai/bang")
@login_required
def stations_table():
    """The stations table alone (the partial the page includes), for a refresh in place."""
    return render_template("hub/_stations_table.html", rows=_overview())


@bp.route("/cac-dai.json")
@login_required
def stations_json():
    return jsonify(hub.stations_overview(db(), config().station_code, config().sync_interval))


def _station_or_404(code: str):
    try:
        return hub.find_station(db(), code, config().station_code)
    except hub.HubError:
        abort(404)


def _page() -> int:
    raw = request.args.get("trang", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


@bp.route("/dai/<code>/nhat-ky")
@login_required
def station_asrun(code: str):
    st = _station_or_404(code)
    tz = config().timezone
    raw, period, error = period_from_request(tz, rp.current_month(utcnow(), tz))
    page = hub.station_asrun(db(), st, period, _page()) if period is not None else None
    return render_template(
        "hub/asrun.html",
        station=st,
        raw=raw,
        error=error,
        period=period,
        page=page,
        forms=rp.ACCEPTED_FORMS,
        suggestions=period_suggestions(utcnow(), tz),
    ), (400 if error else 200)


@bp.route("/bao-cao")
@roles(*REPORT_ROLES)
def report():
    tz = config().timezone
    now = utcnow()
    raw, period, error = period_from_request(tz, rp.current_month(now, tz))
    ctx: dict[str, Any] = dict(
        raw=raw,
        error=error,
        period=period,
        report=None,
        forms=rp.ACCEPTED_FORMS,
        suggestions=period_suggestions(now, tz),
    )
    if period is not None:
        r = hub.compute_district_report(db(), config().station_code, period, now=now)
        ctx.update(
            report=r,
            tables=hub.district_tables(r),
            narrative=hub.district_narrative(r),
            generated=show_local(now, tz),
        )
    return render_template("hub/report.html", **ctx), (400 if error else 200)


@bp.route("/bao-cao/xuat")
@roles(*REPORT_ROLES)
def report_export():
    tz = config().timezone
    now = utcnow()
    fmt = (request.args.get("format") or "").lower()
    raw, period, error = period_from_request(tz, rp.current_month(now, tz))
    if error is None and fmt not in rp.FORMATS:
        error = f"Định dạng «{fmt[:20]}» không hỗ trợ; chọn CSV, XLSX hoặc DOCX."
    if error is not None:
        return render_template(
            "hub/report.html",
            raw=raw,
            error=error,
            period=None,
            report=None,
            forms=rp.ACCEPTED_FORMS,
            suggestions=period_suggestions(now, tz),
        ), 400
    # Seconds of work at a large district: a job outside the request, which this page follows.
    job = hub.start_export(store().sessions, _exports(), config().station_code, period, fmt, now)
    return redirect(url_for("district.export_status", job=job))


def _exports() -> Path:
    return config().data_dir / "exports"


def _job_or_404(job: str) -> hub.ExportJob:
    found = hub.export_job(_exports(), job)
    if found is None:
        abort(404)
    return found


@bp.route("/bao-cao/xuat/<job>")
@roles(*REPORT_ROLES)
def export_status(job: str):
    """The export's progress; the page reloads itself until the document is ready, then fetches it."""
    return render_template("hub/export.html", job=_job_or_404(job))


@bp.route("/bao-cao/xuat/<job>/tai")
@roles(*REPORT_ROLES)
def export_download(job: str):
    found = _job_or_404(job)
    if found.path is None:
        return redirect(url_for("district.export_status", job=job))
    fmt = found.filename.rsplit(".", 1)[-1]
    return download(found.path.read_bytes(), found.filename, rp.MIME[fmt])


@bp.route("/tin-thong-thuong")
@login_required
def offers():
    """Each normal-level district airing, with what every target commune answered (and why)."""
    rows = hub.offers_overview(db(), config())
    for r in rows:
        r["when"] = datetime.fromisoformat(r["at"])
        for st in r["stations"]:
            st["air_when"] = datetime.fromisoformat(st["air_at"]) if st["air_at"] else None
            st["decided_when"] = datetime.fromisoformat(st["decided_at"]) if st["decided_at"] else None
    return render_template("hub/offers.html", rows=rows, labels=hub.ANSWER_LABELS)
