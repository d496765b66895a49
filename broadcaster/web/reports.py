"""Reports pages: figures for a period with charts and exports, the log book, the calendar feed.

Thin: parse the request, call :mod:`broadcaster.reports`, render. Who sees what:

* the report figures and their CSV / XLSX / DOCX exports: ``admin`` and ``approver`` (the
  leadership signs the report; editors and operators do not need the station's statistics);
* the programme log book (page, print view, DOCX): every signed-in role, since operators keep it
  and editors check what of theirs aired;
* the calendar feed: every signed-in user gets a personal secret URL; the feed itself needs no
  login session (phones cannot log in), the token is the secret.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import reports as rp
from ..content import record
from ..db import utcnow
from ..models import Role, User
from ..rules import show_local, vn_int, vn_num, vn_pct
from ._core import has_role, roles
from ._core import store as app_store

bp = Blueprint("reports", __name__, url_prefix="/bao-cao")

REPORT_ROLES = (Role.ADMIN, Role.APPROVER)
LOGBOOK_ROLES = (Role.ADMIN, Role.APPROVER, Role.EDITOR, Role.OPERATOR)


def period_from_request(timezone: str, default: rp.Period) -> tuple[str, rp.Period | None, str | None]:
    raw = (request.values.get("period") or "").strip()
    if not raw:
        return default.code, default, None
    try:
        return raw, rp.parse_period(raw, timezone), None
    except rp.PeriodError as exc:
        return raw, None, str(exc)


def period_suggestions(now, timezone: str) -> list[tuple[str, str]]:
    """Give back quick picks (code, label) around today: this and last month, quarter, 6/9 months, year."""
    month = rp.current_month(now, timezone)
    prev = rp.current_month(rp.local_midnight_utc(month.first, month.tz) - timedelta(hours=12), timezone)
    y = month.first.year
    q = (month.first.month - 1) // 3 + 1
    codes = [month.code, prev.code, f"{y}-Q{q}", f"{y}-6M", f"{y}-9M", f"{y}", f"{y - 1}"]
    return [(c, rp.parse_period(c, timezone).words) for c in dict.fromkeys(codes)]


def _charts(report: rp.Report) -> dict[str, Markup]:
    months = report.by_month
    by_month = rp.vertical_bars(
        [m.label.replace("Tháng ", "") for m in months], [m.items for m in months],
        title="Số lượt tin, bài đã phát theo tháng", unit="lượt", highlight=[m.future for m in months],
    )
    by_area = rp.horizontal_bars(
        [r.label for r in report.by_area], [r.items for r in report.by_area],
        title="Số lượt tin, bài theo lĩnh vực cải cách hành chính", unit="lượt",
    )
    return {"by_month": Markup(by_month), "by_area": Markup(by_area)}


@bp.app_template_filter("vn")
def _vn(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return vn_int(value)
    if isinstance(value, float):
        return vn_num(value)
    return str(value)


@bp.route("/", methods=["GET"])
@roles(*REPORT_ROLES)
def index():
    store = app_store()
    tz = store.config.timezone
    now = utcnow()
    raw, period, error = period_from_request(tz, rp.current_month(now, tz))
    ctx: dict[str, Any] = dict(
        raw=raw, error=error, suggestions=period_suggestions(now, tz), forms=rp.ACCEPTED_FORMS,
        report=None, period=period,
    )
    if period is not None:
        with store.sessions() as s:
            station = store.station(s)
            report = rp.compute_report(s, station, period, now=now)
        ctx.update(report=report, tables=rp.report_tables(report), charts=_charts(report),
                   share=vn_pct(report.planned_share), generated=show_local(now, tz))
    return render_template("reports/index.html", **ctx), (400 if error else 200)


@bp.route("/xuat", methods=["GET", "POST"])
@roles(*REPORT_ROLES)
def export():
    store = app_store()
    tz = store.config.timezone
    now = utcnow()
    fmt = (request.values.get("format") or "").lower()
    raw, period, error = period_from_request(tz, rp.current_month(now, tz))
    if error is None and fmt not in rp.FORMATS:
        error = f"Định dạng «{fmt}» không hỗ trợ; chọn CSV, XLSX hoặc DOCX."
    if error is not None:
        return render_template("reports/index.html", raw=raw, error=error,
                               suggestions=period_suggestions(now, tz), forms=rp.ACCEPTED_FORMS, report=None,
                               period=None), 400
    narrative = request.form.get("narrative") if request.method == "POST" else None
    with store.sessions() as s:
        station = store.station(s)
        report = rp.compute_report(s, station, period, now=now)
        data = rp.export_report(report, rp.letterhead(s, station), fmt, narrative)
    return download(data, rp.filename(period.code, fmt), rp.MIME[fmt])


def download(data: bytes, name: str, mime: str) -> Response:
    resp = Response(data, mimetype=mime.split(";")[0])
    if "charset" in mime:
        resp.charset = "utf-8"
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _logbook_period(tz: str, now) -> tuple[str, rp.Period | None, str | None]:
    return period_from_request(tz, rp.current_month(now, tz))


@bp.route("/so-nhat-ky", methods=["GET"])
@roles(*LOGBOOK_ROLES)
def logbook():
    store = app_store()
    tz = store.config.timezone
    now = utcnow()
    raw, period, error = _logbook_period(tz, now)
    book = None
    if period is not None:
        with store.sessions() as s:
            book = rp.compute_logbook(s, store.station(s), period, now=now)
    return render_template("reports/logbook.html", raw=raw, error=error, period=period, book=book,
                           forms=rp.ACCEPTED_FORMS, headers=rp.LOGBOOK_HEADERS,
                           rows=rp.logbook_rows(book) if book else [],
                           can_report=has_role(*REPORT_ROLES)), (400 if error else 200)


def _logbook_refused(raw: str, error: str):
    """Give back the logbook page with the period's error, for a print or download asked wrongly."""
    return render_template("reports/logbook.html", raw=raw, error=error, period=None, book=None,
                           forms=rp.ACCEPTED_FORMS, headers=[], rows=[], can_report=False), 400


@bp.route("/so-nhat-ky/ban-in", methods=["GET"])
@roles(*LOGBOOK_ROLES)
def logbook_print():
    store = app_store()
    tz = store.config.timezone
    raw, period, error = _logbook_period(tz, utcnow())
    if error is not None:
        return _logbook_refused(raw, error)
    with store.sessions() as s:
        station = store.station(s)
        html = rp.logbook_html(rp.compute_logbook(s, station, period), rp.letterhead(s, station))
    return Response(html, mimetype="text/html")


@bp.route("/so-nhat-ky.docx", methods=["GET"])
@roles(*LOGBOOK_ROLES)
def logbook_docx():
    store = app_store()
    tz = store.config.timezone
    raw, period, error = _logbook_period(tz, utcnow())
    if error is not None:
        return _logbook_refused(raw, error)
    with store.sessions() as s:
        station = store.station(s)
        data = rp.logbook_docx(rp.compute_logbook(s, station, period), rp.letterhead(s, station))
    return download(data, rp.filename(period.code, "docx", "so-nhat-ky"), rp.MIME["docx"])


@bp.route("/lich", methods=["GET", "POST"])
@login_required
def calendar():
    store = app_store()
    token = None
    with store.sessions.begin() as s:
        user = s.get(User, current_user.id)
        if user is not None:
            if request.method == "POST":
                had = bool(user.ics_token)
                token = rp.ensure_ics_token(s, user, regenerate=True)
                # The token is a secret: the log says that it changed, never what it is.
                record(s, user=user, action="update", entity="user", entity_id=user.id,
                       before={"ics_token": "••••" if had else None}, after={"ics_token": "•••• (mới)"})
            else:
                token = user.ics_token
    url = url_for("reports.calendar_feed", token=token, _external=True) if token else None
    return render_template("reports/calendar.html", url=url, regenerated=request.method == "POST")


@bp.route("/lich/<token>.ics", methods=["GET"])
def calendar_feed(token: str):
    store = app_store()
    with store.sessions() as s:
        if rp.user_for_ics_token(s, token) is None:
            return Response("Liên kết lịch không còn hiệu lực.\n", status=404, mimetype="text/plain")
        data = rp.schedule_calendar(s, store.station(s))
    resp = Response(data, mimetype="text/calendar")
    resp.charset = "utf-8"
    resp.headers["Content-Disposition"] = 'inline; filename="lich-phat-thanh.ics"'
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp
