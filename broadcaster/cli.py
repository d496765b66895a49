"""The ``broadcaster`` command. Thin: parses, calls the domain code, prints.

Each room of the package (audio, playout, web, reports) adds its own sub-commands through a
``register(subparsers)`` function in its ``cli.py``; handlers take ``(args, ctx)`` and give back an
exit code. Help and errors are in Vietnamese, since officers read them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from . import config as config_mod
from .config import Config, ConfigError

if TYPE_CHECKING:
    from .store import Store

_ARGPARSE_WORDS = {
    "usage: ": "cách dùng: ",
    "options": "tuỳ chọn",
    "positional arguments": "tham số",
    "show this help message and exit": "hiện hướng dẫn này rồi thoát",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "unrecognized arguments: %s": "tham số không nhận ra: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "lựa chọn không hợp lệ: %(value)r (chọn một trong %(choices)s)"
    ),
    "expected one argument": "cần một giá trị",
    "invalid %(type)s value: %(value)r": "giá trị %(type)s không hợp lệ: %(value)r",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "not allowed with argument %s": "không dùng chung với %s",
}


def _translate(message: str) -> str:
    return _ARGPARSE_WORDS.get(message, message)


# argparse looks its module-level ``_`` up at call time, so this localizes its own words.
argparse._ = _translate  # type: ignore[attr-defined]


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2, no usage dump
        self.exit(2, f"broadcaster: lỗi: {message}\n")


class Context:
    """What a handler needs, opened on first use."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self._environ = environ

    @cached_property
    def config(self) -> Config:
        return config_mod.load(self._environ)

    @cached_property
    def service_config(self) -> Config:
        """The configuration for a station service (daemon, web, worker): engine and sink names
        checked against their registries too, so a typo stops the service at start."""
        from .audio import check_engines
        from .playout import check_spec

        cfg = self.config
        if err := check_engines(cfg.tts_order):
            raise ConfigError(f"{config_mod.PREFIX}TTS_ORDER: {err}")
        if err := check_spec(cfg.sink):
            raise ConfigError(f"{config_mod.PREFIX}SINK: {err}")
        return cfg

    def store(self, *, upgrade: bool = False) -> Store:
        """Give back the store, its writes keeping ``status``'s down-daemon answer current."""
        from .playout import keep_status
        from .store import ensure_station, open_store

        store = open_store(self.config, upgrade=upgrade)
        keep_status(store)
        if upgrade:
            ensure_station(store)
        return store


Handler = Callable[[argparse.Namespace, Context], int]


def _cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    from .content import load_starter

    store = ctx.store(upgrade=True)
    if not args.no_starter:
        with store.sessions.begin() as s:
            added = load_starter(s, store.station(s))
        if added:
            print(f"Đã nạp nội dung mẫu: {added} mục.")
    print(f"Dữ liệu đài sẵn sàng tại {ctx.config.data_dir.resolve()} (trạm {ctx.config.station_code}).")
    return 0


def _stdin_password(args: argparse.Namespace) -> str:
    """Give back the password given on standard input (never on the command line: ps shows it)."""
    from .content import ContentError

    if not args.password_stdin:
        raise ContentError("Hãy đưa mật khẩu qua đầu vào chuẩn với --password-stdin.")
    return sys.stdin.readline().rstrip("\r\n")


def _cmd_user_add(args: argparse.Namespace, ctx: Context) -> int:
    from .content import create_user

    password = _stdin_password(args)
    store = ctx.store()
    with store.sessions.begin() as s:
        user = create_user(
            s, store.station(s), args.name, password, args.role, full_name=args.full_name or ""
        )
        print(f"Đã tạo tài khoản {user.username} ({args.role}).")
    return 0


def _cmd_user_list(args: argparse.Namespace, ctx: Context) -> int:
    from sqlalchemy import select

    from .content import account_key, locks
    from .models import ROLE_LABELS, User

    store = ctx.store()
    tz = ctx.config.tz
    with store.sessions() as s:
        users = list(s.scalars(select(User).order_by(User.username)))
        locked = {lock.key: lock for lock in locks(s)}
    if not users:
        print("Chưa có tài khoản nào. Tạo bằng: broadcaster user add TÊN --role admin --password-stdin")
        return 0
    print(f"{'Tên đăng nhập':<20} {'Vai trò':<18} {'Trạng thái':<24} Đăng nhập gần nhất")
    for u in users:
        state = "đang dùng" if u.active else "đã vô hiệu hoá"
        if (lock := locked.get(account_key(u.username))) is not None:
            state = f"tạm khoá đến {lock.until.astimezone(tz):%H:%M}"
        last = f"{u.last_login_at.astimezone(tz):%d/%m/%Y %H:%M}" if u.last_login_at else "chưa đăng nhập"
        print(f"{u.username:<20} {ROLE_LABELS[u.role]:<18} {state:<24} {last}")
    for lock in locked.values():
        if lock.is_address:
            print(f"Máy {lock.name} tạm khoá đăng nhập đến {lock.until.astimezone(tz):%H:%M}.")
    return 0


def _cmd_user_passwd(args: argparse.Namespace, ctx: Context) -> int:
    from .content import find_user, set_password

    password = _stdin_password(args)
    store = ctx.store()
    with store.sessions.begin() as s:
        user = find_user(s, args.name)
        set_password(s, user, password)
    print(f"Đã đổi mật khẩu của {user.username}; các phiên đăng nhập cũ của tài khoản này đã kết thúc.")
    return 0


def _cmd_user_disable(args: argparse.Namespace, ctx: Context) -> int:
    from .content import find_user, set_active

    store = ctx.store()
    with store.sessions.begin() as s:
        user = find_user(s, args.name)
        set_active(s, user, args.enable)
    if args.enable:
        print(f"Đã mở lại tài khoản {user.username}.")
    else:
        print(f"Đã vô hiệu hoá tài khoản {user.username}; mọi phiên đăng nhập của tài khoản đã kết thúc.")
    return 0


def _cmd_user_unlock(args: argparse.Namespace, ctx: Context) -> int:
    from .content import ContentError, account_key, key_label, throttle_keys, unlock

    if bool(args.name) == bool(args.address):
        raise ContentError("Hãy cho tên tài khoản hoặc --address ĐỊA_CHỈ (một trong hai).")
    key = account_key(args.name) if args.name else throttle_keys("", args.address)[1]
    store = ctx.store()
    with store.sessions.begin() as s:
        lifted = unlock(s, key)
    if lifted:
        print(f"Đã mở khoá đăng nhập cho {key_label(key)}.")
    else:
        print(f"{key_label(key).capitalize()} không bị khoá.")
    return 0


def build_parser() -> Parser:
    parser = Parser(
        prog="broadcaster", description="Phần mềm đài truyền thanh xã: tuyên truyền cải cách hành chính."
    )
    sub = parser.add_subparsers(dest="command", metavar="LỆNH", parser_class=Parser)
    sub.required = True

    p = sub.add_parser("init", help="tạo hoặc nâng cấp dữ liệu đài (chạy lại nhiều lần không sao)")
    p.add_argument("--no-starter", action="store_true", help="không nạp nội dung mẫu")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("user", help="quản lý tài khoản")
    usub = p.add_subparsers(dest="user_command", metavar="VIỆC", parser_class=Parser)
    usub.required = True
    a = usub.add_parser("add", help="thêm tài khoản")
    a.add_argument("name", help="tên đăng nhập")
    a.add_argument(
        "--role",
        required=True,
        choices=["admin", "editor", "approver", "operator"],
        help="vai trò: admin (quản trị), editor (biên tập viên), approver (lãnh đạo duyệt), "
        "operator (trực đài)",
    )
    a.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ đầu vào chuẩn")
    a.add_argument("--full-name", help="họ và tên")
    a.set_defaults(func=_cmd_user_add)
    a = usub.add_parser("list", help="liệt kê tài khoản, trạng thái và khoá đăng nhập")
    a.set_defaults(func=_cmd_user_list)
    a = usub.add_parser("passwd", help="đặt mật khẩu mới (kết thúc các phiên đăng nhập cũ)")
    a.add_argument("name", help="tên đăng nhập")
    a.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ đầu vào chuẩn")
    a.set_defaults(func=_cmd_user_passwd)
    a = usub.add_parser("disable", help="vô hiệu hoá tài khoản (kết thúc mọi phiên đăng nhập)")
    a.add_argument("name", help="tên đăng nhập")
    a.add_argument("--enable", action="store_true", help="mở lại tài khoản đã vô hiệu hoá")
    a.set_defaults(func=_cmd_user_disable)
    a = usub.add_parser("unlock", help="mở khoá đăng nhập sau nhiều lần nhập sai")
    a.add_argument("name", nargs="?", help="tên đăng nhập")
    a.add_argument("--address", help="mở khoá một máy (địa chỉ IP) thay vì một tài khoản")
    a.set_defaults(func=_cmd_user_unlock)

    # Each room's cli module imports only the standard library at the top (its handlers import
    # the rest when they run) and the package faces are lazy: building the parser stays cheap.
    from .audio.cli import register as register_audio
    from .demo import register as register_demo
    from .hub.cli import register as register_hub
    from .playout.cli import register as register_playout
    from .reports.cli import register as register_reports
    from .sync.cli import register as register_sync
    from .web.cli import register as register_web

    rooms = (register_audio, register_playout, register_web, register_reports, register_demo)
    for register in (*rooms, register_hub, register_sync):
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = Context()
    try:
        return int(args.func(args, ctx) or 0)
    except ConfigError as exc:
        print(f"broadcaster: cấu hình sai: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:
        # Every room's user-facing error (ContentError, AudioError, PlayoutError, PeriodError...)
        # is a ValueError whose message is already one Vietnamese sentence.
        print(f"broadcaster: {_one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - an officer sees one line, a developer asks for more
        from .store import StoreError  # here, not at the top: most commands never open the store

        if isinstance(exc, StoreError):
            print(f"broadcaster: {_one_line(exc)}", file=sys.stderr)
            return 1
        if os.environ.get("BROADCASTER_DEBUG"):
            raise
        print(
            f"broadcaster: lỗi không mong đợi ({type(exc).__name__}): {_one_line(exc)} "
            "— chạy lại với BROADCASTER_DEBUG=1 để xem chi tiết.",
            file=sys.stderr,
        )
        return 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
