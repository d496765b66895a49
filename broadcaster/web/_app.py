"""The station's admin web: app factory, extensions, error pages, one blueprint per feature.

Templates and static files live in the repository's top-level ``web/`` folder. Every request gets
its own database session (opened on first use, closed at teardown).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..config import Config
from ..config import load as load_config
from ..models import (
    AIR_STATUS_LABELS,
    AREA_LABELS,
    KIND_LABELS,
    PRIORITY_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    Role,
    User,
)
from ..playout import keep_status
from ..store import Store, ensure_station, open_store
from ._cache import watch_writes
from ._core import LoginUser, db, error_page, local
from ._format import FILTERS

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"
csrf = CSRFProtect()
#: Forms whose text is kept across an expired session (endpoint → the GET page to come back to).
STASHABLE = {"segments.new", "segments.edit"}


class _SessionInterface(SecureCookieSessionInterface):
    """The cookie is Secure when the app says so or the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        try:
            return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)
        except RuntimeError:  # outside a request
            return bool(app.config["SESSION_COOKIE_SECURE"])


def secret_key(config: Config) -> str:
    """Give back the signing key: the configured one, else one generated once and kept (mode 600)."""
    if config.secret_key:
        return config.secret_key
    path = config.data_dir / "secret_key"
    try:
        return path.read_text("utf-8").strip()
    except FileNotFoundError:
        pass
    config.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text("utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def _dur(ms: Any) -> str:
    if ms is None:
        return ""
    s = int(round(int(ms) / 1000))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def create_app(config: Config | None = None, *, store: Store | None = None, **overrides: Any) -> Flask:
    """Give back the admin web application for a station configuration (``overrides`` go to app.config)."""
    config = config or load_config()
    if store is None:
        store = open_store(config, upgrade=True)
        ensure_station(store)
    keep_status(store)  # this process's writes keep ``broadcaster status``'s answer current
    app = Flask(
        __name__,
        template_folder=str(WEB_ROOT / "templates"),
        static_folder=str(WEB_ROOT / "static"),
        static_url_path="/static",
    )
    app.session_interface = _SessionInterface()
    _clean_upload_leftovers(app, config)
    app.config.update(
        SECRET_KEY=secret_key(config),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        SESSION_COOKIE_NAME="broadcaster_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_hours),
        MAX_CONTENT_LENGTH=config.upload_limit_mb * 1024 * 1024,
        # A form's text fields: a browser sends each Vietnamese letter as up to 9 bytes (%XX per
        # UTF-8 byte), so werkzeug's 500 kB default refused a 60,000-letter bulletin or an overlong
        # emergency with a "file too large" 413 and lost the text; the services' own length limits
        # (200,000 letters for a bulletin) answer instead, with the text kept.
        MAX_FORM_MEMORY_SIZE=4 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        JSON_SORT_KEYS=False,
    )
    app.config.update(overrides)
    app.extensions["broadcaster_store"] = store
    app.extensions["broadcaster_config"] = config
    app.json.ensure_ascii = False

    csrf.init_app(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "Hãy đăng nhập để tiếp tục."
    login.login_message_category = "warning"
    login.session_protection = "basic"

    # Signed-in accounts are kept with the dashboard's data (≤ 2 s, dropped when any process
    # writes to a SQLite store): a page load costs no query, and a change to an account (its role,
    # its sessions ended) reaches its pages at once, whichever worker or command made it (on
    # PostgreSQL, from another process within 2 s).
    accounts = watch_writes(store.sessions)

    @login.user_loader
    def _load_user(session_id: str) -> LoginUser | None:
        # "<id>:<epoch>" (see LoginUser.get_id); a session from before the epoch moved is over.
        uid, _, epoch = session_id.partition(":")
        try:
            key, signed_in_epoch = int(uid), int(epoch)
        except ValueError:
            return None

        def load() -> LoginUser | None:
            user = db().get(User, key)
            return LoginUser(user) if user is not None and user.active else None

        account = accounts.get(("account", key), load)
        return account if account is not None and account.epoch == signed_in_epoch else None

    @login.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            return error_page(
                401, "Chưa đăng nhập", "Cần đăng nhập hoặc mã truy cập (Authorization: Bearer)."
            )
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.teardown_request
    def _close_session(_exc: BaseException | None) -> None:
        s = g.pop("db", None)
        if s is not None:
            s.rollback()
            s.close()

    @app.before_request
    def _refresh_session() -> None:
        if request.blueprint != "hub_api":  # stations call with a token: no cookie to set
            session.permanent = True

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    _register_errors(app)
    _register_template_helpers(app)
    _register_blueprints(app)
    return app


def _clean_upload_leftovers(app: Flask, config: Config) -> None:
    # The web takes uploads in, so it clears what a killed worker left half-written (at start,
    # and only old leftovers: another worker may be taking a file in right now).
    from ..audio import clean_upload_leftovers

    try:
        removed = clean_upload_leftovers(config)
    except OSError as exc:  # a leftover we may not remove must not stop the admin from starting
        app.logger.warning("Không dọn được tệp tải lên dở dang: %s", exc)
        return
    if removed:
        app.logger.info("Đã dọn %d tệp tải lên dở dang trong %s.", removed, config.data_dir / "tmp")


def _register_blueprints(app: Flask) -> None:
    from . import (
        admin,
        api,
        approvals,
        asrun,
        auth,
        control,
        dashboard,
        offers,
        programmes,
        reports,
        schedules,
        segments,
        uploads,
    )

    for mod in (
        auth,
        dashboard,
        segments,
        approvals,
        offers,
        programmes,
        schedules,
        asrun,
        uploads,
        control,
        admin,
        reports,
    ):
        app.register_blueprint(mod.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API checks the header itself, and not for bearer-token machines
    if app.extensions["broadcaster_config"].mode == "hub":
        from ..live import watch_changes
        from . import district, hub, hub_emergency

        # A change for stations made on these pages nudges them once it commits.
        watch_changes(app.extensions["broadcaster_store"].sessions)
        app.register_blueprint(district.bp)
        app.register_blueprint(hub_emergency.bp)
        app.register_blueprint(hub.bp)
        csrf.exempt(hub.bp)  # stations authenticate with their bearer token


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        if not current_user.is_authenticated and request.endpoint in STASHABLE and request.method == "POST":
            # The session expired while the officer was writing: keep the text for after login.
            session["stash"] = {
                "endpoint": request.endpoint,
                "args": dict(request.view_args or {}),
                "form": {k: v for k, v in request.form.items() if k != "csrf_token"},
            }
            target = url_for(request.endpoint, **(request.view_args or {}))
            return redirect(url_for("auth.login", next=target, het_han=1))
        return error_page(
            400,
            "Phiên làm việc đã hết hạn",
            "Biểu mẫu đã cũ hoặc phiên đăng nhập đã hết hạn. Hãy tải lại trang rồi thử lại.",
        )

    @app.errorhandler(404)
    def _404(exc):
        return error_page(404, "Không tìm thấy trang", "Trang hoặc mục bạn tìm không có, hoặc đã bị xoá.")

    @app.errorhandler(403)
    def _403(exc):
        return error_page(403, "Không có quyền truy cập", "Tài khoản của bạn không được dùng chức năng này.")

    @app.errorhandler(405)
    def _405(exc):
        return error_page(405, "Thao tác không hợp lệ", "Trang này không nhận thao tác vừa gửi.")

    @app.errorhandler(413)
    def _413(exc):
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return error_page(413, "Tệp quá lớn", f"Tệp gửi lên quá lớn: tối đa {limit} MB.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_page(exc.code or 500, "Có lỗi", "Yêu cầu không thực hiện được.")

    @app.errorhandler(Exception)
    def _500(exc: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        return error_page(
            500,
            "Có lỗi trong hệ thống",
            "Đã có lỗi khi xử lý yêu cầu; không có gì bị lưu dở. "
            "Hãy thử lại, nếu vẫn lỗi xin báo quản trị viên.",
        )


def _nav() -> list[tuple[str, str, str]]:
    """Give back (endpoint, label, path) of the menu entries the signed-in user may open."""
    if not current_user.is_authenticated:
        return []
    role = current_user.role
    entries = [
        ("dashboard.index", "Tổng quan", None),
        ("segments.index", "Bản tin", (Role.ADMIN, Role.EDITOR, Role.APPROVER)),
        ("approvals.index", "Duyệt tin", (Role.ADMIN, Role.APPROVER)),
        ("programmes.index", "Chương trình", (Role.ADMIN, Role.EDITOR, Role.APPROVER)),
        ("schedules.index", "Lịch phát", None),
        ("control.index", "Điều khiển phát", (Role.ADMIN, Role.OPERATOR)),
        ("asrun.index", "Nhật ký phát", None),
        ("uploads.index", "Tệp âm thanh", (Role.ADMIN, Role.EDITOR)),
        ("reports.logbook" if role in (Role.EDITOR, Role.OPERATOR) else "reports.index", "Báo cáo", None),
        ("admin.users", "Quản trị", (Role.ADMIN,)),
    ]
    if current_app.extensions["broadcaster_config"].mode == "hub":
        entries.insert(1, ("district.stations", "Các đài xã", None))
        entries.insert(2, ("district.report", "Báo cáo huyện", (Role.ADMIN, Role.APPROVER)))
        entries.insert(3, ("district.offers", "Tin gửi xã", None))
        entries.insert(4, ("emergency.index", "Khẩn cấp", (Role.ADMIN, Role.APPROVER)))
    elif role in (Role.ADMIN, Role.APPROVER):  # who decides on offers (content.DECIDERS)
        from .offers import waiting_count

        waiting = waiting_count()
        if waiting is not None:
            label = f"Tin từ huyện ({waiting})" if waiting else "Tin từ huyện"
            entries.insert(3, ("offers.index", label, None))
    return [
        (endpoint, label, url_for(endpoint))
        for endpoint, label, allowed in entries
        if allowed is None or role in allowed
    ]


def _public_spec(spec: str | None) -> str:
    from ..playout import public_spec  # loads only the sinks, on the first page that shows one

    return public_spec(spec)


def _register_template_helpers(app: Flask) -> None:
    app.add_template_filter(local, "local")
    app.add_template_filter(_dur, "dur")
    app.add_template_filter(_public_spec, "public_spec")
    for name, fn in FILTERS.items():
        app.add_template_filter(fn, name)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from ._core import config

        cfg = config()
        return {
            "nav": _nav(),
            "station_name": cfg.station_name,
            "ROLE_LABELS": ROLE_LABELS,
            "KIND_LABELS": KIND_LABELS,
            "AREA_LABELS": AREA_LABELS,
            "STATUS_LABELS": STATUS_LABELS,
            "AIR_STATUS_LABELS": AIR_STATUS_LABELS,
            "PRIORITY_LABELS": PRIORITY_LABELS,
            "Role": Role,
        }
