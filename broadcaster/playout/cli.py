"""Sub-commands of the playout room: run, play, status, stop, emergency.

Only the standard library at the top: handlers import what they use when they run.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from .._argtypes import number, record_id
from ._live import MAX_LIVE_S

#: Furthest ahead ``play --in`` schedules: a week (further is a schedule's job).
MAX_DELAY_S = 7 * 86400


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(f"broadcaster: {text}\n")


def _parse_at(raw: str, tz) -> datetime:
    from ._control import PlayoutError

    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise PlayoutError(
            f"Giờ phát «{raw}» không đúng dạng ISO 8601 (ví dụ 2026-11-05T05:30:00)."
        ) from None
    value = value.replace(tzinfo=tz) if value.tzinfo is None else value
    # A year-9999 time would overflow the window arithmetic later: the same bounds as --in.
    now = datetime.now(tz)
    if value > now + timedelta(seconds=MAX_DELAY_S):
        raise PlayoutError(
            f"Giờ phát «{raw}» quá xa: chỉ hẹn trong vòng 7 ngày tới; xa hơn hãy tạo lịch phát."
        )
    if value < now - timedelta(days=1):
        raise PlayoutError(f"Giờ phát «{raw}» đã qua hơn một ngày.")
    return value


def _wait_result(store, cmd_id: int, timeout: float) -> str | None:
    from ._control import command_result

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.sessions() as s:
            cmd = command_result(s, cmd_id)
            if cmd is not None and cmd.done_at is not None:
                return cmd.result
        time.sleep(0.1)
    return None


def _daemon_note(store, station_id: int) -> str | None:
    from ._control import daemon_alive

    with store.sessions() as s:
        if not daemon_alive(s, station_id):
            return (
                "Bộ phát (broadcaster run) không chạy: lệnh đã được ghi, sẽ được thực hiện khi bộ phát chạy "
                "(lệnh quá 5 phút sẽ bị bỏ)."
            )
    return None


def _cmd_run(args: argparse.Namespace, ctx) -> int:
    from ._daemon import Daemon

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    # Alembic's English start-up chatter is not for the station's journal; its warnings still are.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    config = ctx.service_config
    store = ctx.store(upgrade=True)
    daemon = Daemon(store, config)
    err = daemon.check_config()
    if err:
        _err(f"cấu hình sai: {err}")
        return 2
    daemon.install_signals()
    child = None
    if not args.no_sync:
        from ..live import SyncChild, wants_sync_child

        if wants_sync_child(config):
            child = SyncChild().start()
    try:
        return daemon.run()
    finally:
        if child is not None:
            child.stop()


def _cmd_play(args: argparse.Namespace, ctx) -> int:
    from ._control import PlayoutError
    from ._once import play_programme_once

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr)
    config = ctx.config
    store = ctx.store()
    try:
        if args.at:
            at = _parse_at(args.at, config.tz)
        else:
            at = datetime.now(config.tz) + timedelta(seconds=args.in_seconds or 0)
        if args.file is not None and not Path(args.file).is_file():
            raise PlayoutError(f"Không tìm thấy tệp âm thanh «{args.file}».")
        local = at.astimezone(config.tz)
        _out(f"Sẽ phát lúc {local:%H:%M:%S ngày %d/%m/%Y} (giờ của đài, {config.timezone}).")
        occ = play_programme_once(
            store,
            config,
            args.programme,
            segment_id=args.segment,
            asset_path=str(Path(args.file).resolve()) if args.file else None,
            relay_url=args.relay,
            relay_s=args.duration,
            fallback_path=str(Path(args.fallback).resolve()) if args.fallback else None,
            at=at,
            sink=args.sink,
            zone=args.zone,
            by="dòng lệnh",
        )
    except PlayoutError as exc:
        _err(str(exc))
        return 1
    _report(occ, config.tz)
    return 0 if occ.status.value in ("played",) else 1


def _report(occ, tz) -> None:
    from ..models import AIR_STATUS_LABELS

    _out(f"«{occ.title}»: {AIR_STATUS_LABELS[occ.status]}" + (f" — {occ.reason}" if occ.reason else ""))
    for e in occ.entries:
        when = e.started_at.astimezone(tz).strftime("%H:%M:%S.%f")[:-3] if e.started_at else "--"
        line = f"  {when}  {AIR_STATUS_LABELS[e.status]:<10} {e.title}"
        if e.reason:
            line += f" ({e.reason})"
        _out(line)


def _cmd_status(args: argparse.Namespace, ctx) -> int:
    from ._snapshot import (
        SNAPSHOT_COUNT,
        cache_key,
        mark_gone,
        read_cache,
        read_snapshot,
        render,
        write_cache,
    )

    # The daemon's snapshot first, then (daemon down) the cache of the last database answer if
    # nothing was written since: both standard library only (issue 10); the writers keep that
    # cache current (``_keeper``). The database when the snapshot is missing, stale, written by
    # a dead daemon or too short for ``-n`` and the cache is missing, out of date or too short.
    config = ctx.config
    view, gone = read_snapshot(config.data_dir, args.count)
    if view is None:
        view = read_cache(config.data_dir, cache_key(config.db_url, config.station_code, config.timezone),
                          args.count)
        if view is None:
            from ._status import cached_view

            count = max(args.count, SNAPSHOT_COUNT)
            key, view = cached_view(ctx.store(), count)
            view = mark_gone(view, gone)
            if key is not None:
                write_cache(config.data_dir, key, view, count)
    _out(render(view, as_json=args.json, count=args.count))
    return 0


def _send(store, request, wait_s: float, unanswered: str) -> int:
    """Give back the exit code of sending a command to the daemon and printing its answer.

    ``request(session, station_id)`` records the command (a PlayoutError is the officer's
    mistake, printed); the answer is waited for ``wait_s`` seconds, else ``unanswered`` is printed.
    """
    from ._control import PlayoutError

    try:
        with store.sessions.begin() as s:
            station_id = store.station(s).id
            cmd_id = request(s, station_id).id
    except PlayoutError as exc:
        _err(str(exc))
        return 1
    note = _daemon_note(store, station_id)
    if note:
        _out(note)
        return 1
    _out(_wait_result(store, cmd_id, wait_s) or unanswered)
    return 0


def _cmd_stop(args: argparse.Namespace, ctx) -> int:
    from ._control import request_stop

    def request(s, station_id):
        return request_stop(s, station_id, "dòng lệnh", zone=args.zone, item_only=args.item)

    return _send(ctx.store(), request, 5, "Đã gửi lệnh dừng; bộ phát chưa trả lời.")


def _cmd_emergency(args: argparse.Namespace, ctx) -> int:
    from ._control import PlayoutError, import_audio, request_emergency

    try:
        rel = import_audio(ctx.config, args.file) if args.file else None
    except PlayoutError as exc:
        _err(str(exc))
        return 1

    def request(s, station_id):
        by = "dòng lệnh"
        return request_emergency(s, station_id, asset_path=rel, text=args.text, zone=args.zone, by=by)

    return _send(
        ctx.store(), request, 60 if args.text else 10, "Đã gửi thông báo khẩn cấp; bộ phát chưa trả lời."
    )


def _cmd_live(args: argparse.Namespace, ctx) -> int:
    from ._control import request_live

    def request(s, station_id):
        return request_live(s, station_id, args.duration, by="dòng lệnh", zone=args.zone)

    return _send(ctx.store(), request, 10, "Đã gửi lệnh phát trực tiếp; bộ phát chưa trả lời.")


def register(sub: argparse._SubParsersAction) -> None:
    """Add this room's sub-commands to the ``broadcaster`` command."""
    p = sub.add_parser("run", help="chạy bộ phát của đài (tiến trình riêng, phát đúng giờ theo lịch)")
    p.add_argument(
        "--no-sync",
        action="store_true",
        help="không tự chạy «broadcaster sync» bên cạnh (khi đơn vị broadcaster-sync của systemd chạy nó)",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "play", help="phát một lần vào đúng thời điểm (tệp âm thanh, chương trình hoặc bản tin)"
    )
    p.add_argument("file", nargs="?", help="tệp âm thanh cần phát")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--programme", type=record_id, metavar="SỐ", help="số của chương trình")
    what.add_argument("--segment", type=record_id, metavar="SỐ", help="số của bản tin (đã duyệt)")
    what.add_argument(
        "--relay", metavar="URL", help="tiếp sóng một luồng trực tiếp (http(s)://… MP3/AAC hoặc .m3u8)"
    )
    p.add_argument(
        "--duration",
        type=number(1, 6 * 3600, unit="giây"),
        metavar="GIÂY",
        help="thời lượng tiếp sóng (bắt buộc với --relay)",
    )
    p.add_argument(
        "--fallback",
        metavar="TỆP",
        help="tệp âm thanh phát thay khi luồng tiếp sóng hỏng (mặc định: im lặng)",
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument(
        "--at", metavar="GIỜ", help="thời điểm phát, ISO 8601 (không ghi múi giờ = giờ của đài)"
    )
    when.add_argument(
        "--in",
        dest="in_seconds",
        type=number(0, MAX_DELAY_S, unit="giây"),
        metavar="GIÂY",
        help="phát sau bấy nhiêu giây (tối đa 7 ngày)",
    )
    p.add_argument(
        "--sink",
        metavar="ĐẦU_RA",
        help="đầu ra: auto, null, file:ĐƯỜNG_DẪN.wav, command:LỆNH, icecast://source:MẬT_KHẨU@MÁY:CỔNG/ĐIỂM",
    )
    p.add_argument("--zone", metavar="CỤM_LOA", help="mã cụm loa (mặc định: cụm loa đầu tiên)")
    p.set_defaults(func=_checked_play)

    p = sub.add_parser("status", help="xem đang phát gì và các buổi phát sắp tới")
    p.add_argument(
        "-n",
        "--count",
        type=number(1, 1000, integer=True),
        default=10,
        help="số buổi phát sắp tới cần xem (1–1000, mặc định 10)",
    )
    p.add_argument("--json", action="store_true", help="in kết quả dạng JSON (cho chương trình khác đọc)")
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("stop", help="dừng buổi phát đang phát")
    p.add_argument("--item", action="store_true", help="chỉ bỏ qua mục đang phát, phát tiếp mục sau")
    p.add_argument("--zone", metavar="CỤM_LOA", help="chỉ dừng trên cụm loa này")
    p.set_defaults(func=_cmd_stop)

    p = sub.add_parser("live", help="phát trực tiếp từ micrô hoặc đường vào của máy tính đài, ngay bây giờ")
    p.add_argument(
        "--duration",
        type=number(1, MAX_LIVE_S, unit="giây"),
        metavar="GIÂY",
        required=True,
        help="phát trực tiếp bao nhiêu giây",
    )
    p.add_argument("--zone", metavar="CỤM_LOA", help="chỉ phát trên cụm loa này (mặc định: tất cả)")
    p.set_defaults(func=_cmd_live)

    p = sub.add_parser("emergency", help="phát thông báo khẩn cấp ngay, ngắt mọi thứ đang phát")
    p.add_argument("file", nargs="?", help="tệp âm thanh thông báo")
    p.add_argument("--text", metavar="VĂN_BẢN", help="nội dung thông báo, đọc bằng giọng ngoại tuyến")
    p.add_argument("--zone", metavar="CỤM_LOA", help="chỉ phát trên cụm loa này (mặc định: tất cả)")
    p.set_defaults(func=_checked_emergency)


def _checked_play(args: argparse.Namespace, ctx) -> int:
    if sum(x is not None for x in (args.file, args.programme, args.segment, args.relay)) != 1:
        _err("lỗi: cần đúng một trong: TỆP, --programme, --segment hoặc --relay.")
        return 2
    if (args.relay is None) != (args.duration is None):
        _err("lỗi: --relay cần --duration (số giây tiếp sóng), và --duration chỉ dùng với --relay.")
        return 2
    if args.relay is not None and not re.match(r"^https?://[^\s/]+", args.relay):
        _err("lỗi: địa chỉ tiếp sóng phải bắt đầu bằng http:// hoặc https://.")
        return 2
    if args.fallback is not None and not Path(args.fallback).is_file():
        _err(f"lỗi: không tìm thấy tệp phát thay «{args.fallback}».")
        return 2
    return _cmd_play(args, ctx)


def _checked_emergency(args: argparse.Namespace, ctx) -> int:
    if (args.file is None) == (args.text is None):
        _err("lỗi: cần đúng một trong: TỆP hoặc --text.")
        return 2
    return _cmd_emergency(args, ctx)
