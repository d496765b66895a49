"""``broadcaster sync``: exchange with the district hub once (``--once``) or every interval (thin)."""

from __future__ import annotations

import argparse

from ..config import PREFIX, ConfigError


def _cmd_sync(args: argparse.Namespace, ctx) -> int:
    from . import manifest_dump, run_forever, sync_once

    cfg = ctx.config
    if cfg.mode != "station":
        raise ConfigError(f"{PREFIX}MODE=hub: máy chủ huyện không đồng bộ với chính nó.")
    if args.show:
        text = manifest_dump(cfg)
        print(text if text is not None else "Chưa có bản kê nào từ huyện.")
        return 0
    if not cfg.hub_url or not cfg.hub_token:
        raise ConfigError(f"cần đặt {PREFIX}HUB_URL và {PREFIX}HUB_TOKEN để kết nối máy chủ huyện.")
    store = ctx.store()
    if not args.once:
        import signal
        import threading

        stop = threading.Event()
        # A clean stop (systemd, or the station daemon that supervises this process) leaves the
        # live link with a goodbye: the hub sees the station offline at once.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        run_forever(cfg, store, say=lambda line: print(line, flush=True), stop=stop)
        return 0
    rnd = sync_once(cfg, store)
    print(rnd.summary())
    return 0 if not rnd.problems else 1


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sync`` to the ``broadcaster`` command."""
    p = sub.add_parser("sync", help="đồng bộ với máy chủ huyện: nhận lịch và âm thanh, gửi nhật ký phát")
    p.add_argument(
        "--once", action="store_true", help="đồng bộ một lần rồi thoát (mã thoát khác 0 nếu có lỗi)"
    )
    p.add_argument("--show", action="store_true", help="in bản kê gần nhất nhận từ huyện")
    p.set_defaults(func=_cmd_sync)
