"""Sub-commands of the web room: ``broadcaster web`` serves the admin; ``broadcaster token add``."""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import sys

from .._argtypes import number


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


_BIND_ERRORS = {
    errno.EADDRINUSE: "cổng đã có chương trình khác dùng",
    errno.EADDRNOTAVAIL: "máy này không có địa chỉ đó",
    errno.EACCES: "không đủ quyền (cổng dưới 1024 cần quyền quản trị máy)",
}


def _check_port(host: str, port: int) -> None:
    """Refuse with one Vietnamese line when the address cannot be listened on (werkzeug would
    print two English lines and exit)."""
    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        why = _BIND_ERRORS.get(exc.errno, f"lỗi hệ thống {exc.errno}")
        raise ValueError(
            f"Không mở được trang quản trị tại {host}:{port}: {why}. "
            "Chọn địa chỉ hoặc cổng khác bằng --host/--port hoặc BROADCASTER_WEB_HOST/BROADCASTER_WEB_PORT."
        ) from None


#: Threads per worker process: a page waiting on the database does not hold up the others.
WEB_THREADS = 2


def _ready_line(host: str, port: int, how: str) -> str:
    return f"Trang quản trị đang chạy tại http://{host}:{port}/ ({how}; Ctrl-C để dừng)."


def _cmd_web(args: argparse.Namespace, ctx) -> int:
    cfg = ctx.service_config
    host = args.host or cfg.web_host
    port = args.port or cfg.web_port
    _check_port(host, port)
    # Create or upgrade the schema and the station once, here, before any worker starts; then let
    # go of every connection: a SQLite connection must never cross a fork.
    ctx.store(upgrade=True).engine.dispose()
    try:
        import gunicorn.app.base  # noqa: F401 - not on Windows (needs fcntl)
    except ImportError:
        return _serve_werkzeug(cfg, host, port)
    return _serve_gunicorn(cfg, host, port, cfg.web_workers)


def _serve_gunicorn(cfg, host: str, port: int, workers: int) -> int:
    """Gunicorn, embedded: a master process and ``workers`` forked workers sharing the listening
    socket, each with WEB_THREADS threads. Each worker builds the app (its own store and engine)
    after the fork. INT and TERM stop it with exit 0 (gunicorn sets its own handlers, so a shell
    background job's ignored SIGINT does not matter)."""
    from gunicorn.app.base import BaseApplication

    from ..store import open_store
    from . import create_app, dashboard

    how = f"gunicorn, {workers} tiến trình × {WEB_THREADS} luồng"

    class _App(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
                "workers": workers,
                "worker_class": "gthread",
                "threads": WEB_THREADS,
                "preload_app": False,  # the app (and its engine) is made in each worker
                "graceful_timeout": 5,
                "timeout": 60,
                "keepalive": 5,
                "loglevel": "warning",
                "accesslog": None,
                "errorlog": "-",
                "control_socket_disable": True,
                "proc_name": "broadcaster-web",
                "when_ready": lambda _arbiter: print(_ready_line(host, port, how), flush=True),
            }
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            app = create_app(cfg, store=open_store(cfg))
            dashboard.warm_up(cfg)
            return app

    try:
        _App().run()
    except SystemExit as exc:  # the arbiter ends with sys.exit: 0 after INT/TERM
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _serve_werkzeug(cfg, host: str, port: int) -> int:
    """Werkzeug's threaded server, one process: where gunicorn cannot run (Windows)."""
    from werkzeug.serving import make_server

    from . import create_app, dashboard

    app = create_app(cfg, store=None)
    dashboard.warm_up(cfg)
    server = make_server(host, port, app, threaded=True)
    server.daemon_threads = True
    # Stop cleanly on Ctrl-C and on TERM, even when started in the background of a shell (which
    # starts background jobs with SIGINT ignored): `make run` relies on it.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(_ready_line(host, port, "Werkzeug, 1 tiến trình"), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _cmd_token_add(args: argparse.Namespace, ctx) -> int:
    from sqlalchemy import select

    from ..content import ContentError, create_token
    from ..models import User

    store = ctx.store()
    with store.sessions.begin() as s:
        user = s.scalar(select(User).where(User.username == args.user))
        if user is None:
            raise ContentError(f"Không có tài khoản «{args.user}».")
        _row, token = create_token(s, user, args.name)
    print(f"Mã truy cập «{args.name}» cho {args.user} (chỉ hiện một lần, hãy lưu lại):", file=sys.stderr)
    print(token)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this room's sub-commands to the ``broadcaster`` command."""
    p = sub.add_parser("web", help="chạy trang quản trị trên trình duyệt")
    p.add_argument("--host", help="địa chỉ lắng nghe (mặc định BROADCASTER_WEB_HOST hoặc 127.0.0.1)")
    p.add_argument(
        "--port", type=number(1, 65535, integer=True), help="cổng (mặc định BROADCASTER_WEB_PORT hoặc 8080)"
    )
    p.set_defaults(func=_cmd_web)

    t = sub.add_parser("token", help="mã truy cập API cho máy khác")
    tsub = t.add_subparsers(dest="token_command", metavar="VIỆC")
    tsub.required = True
    a = tsub.add_parser("add", help="cấp mã truy cập mới cho một tài khoản")
    a.add_argument("user", help="tên đăng nhập của tài khoản")
    a.add_argument("--name", required=True, help="tên gợi nhớ của mã (ví dụ: máy chủ huyện)")
    a.set_defaults(func=_cmd_token_add)
