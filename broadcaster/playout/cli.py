"""Sub-commands of the playout room: run, play, status, stop, emergency.

Only the standard library at the top: handlers import what they use when they run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .._argtypes import number, record_id

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
    return daemon.run()


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


def _forecast_lines(airings) -> list[str]:
    """Give back the status lines of the coming airings that will skip items (loudest first)."""
    from ._forecast import HOURS, warnings

    bad = warnings(airings)
    if not bad:
        return [f"{HOURS} giờ tới: mọi buổi phát đều có đủ bản tin được phép phát."]
    lines = [f"CẢNH BÁO — {len(bad)} buổi phát trong {HOURS} giờ tới sẽ bỏ qua bản tin:"]
    shown = set()  # the items are listed once, under the first airing that skips them
    for a in bad:
        zones = f" ({', '.join(a.zones)})" if a.zones else ""
        lines.append(f"  {'!!' if a.nothing else ' !'} «{a.title}»{zones}: {a.message}")
        fresh = [p for p in a.problems if p.reason not in shown]
        shown.update(p.reason for p in fresh)
        lines += [f"       - {p.reason}" for p in fresh[:5]]
        if len(fresh) > 5:
            lines.append(f"       - … và {len(fresh) - 5} mục khác.")
    return lines


def _cmd_status(args: argparse.Namespace, ctx) -> int:
    import json
    from zoneinfo import ZoneInfo

    from ..models import PRIORITY_LABELS, Origin, StationState, Zone
    from ._control import daemon_alive, on_air, upcoming
    from ._forecast import forecast, warnings

    store = ctx.store()
    with store.sessions() as s:
        station = store.station(s)
        tz = ZoneInfo(station.timezone)
        zones = {z.id: z.name for z in s.query(Zone).filter(Zone.station_id == station.id)}
        state = s.get(StationState, station.id)
        alive = daemon_alive(s, station.id)
        now_playing = on_air(s, station.id)
        nxt = upcoming(s, station.id, args.count)
        airings = forecast(s, station)
        if args.json:
            _out(
                json.dumps(
                    {
                        "bo_phat_hoat_dong": alive,
                        "dang_phat": [
                            {
                                "tieu_de": o.title,
                                "cum_loa": zones.get(o.zone_id),
                                "tu_luc": o.started_at.astimezone(tz).isoformat() if o.started_at else None,
                            }
                            for o in now_playing
                        ],
                        "sap_phat": [
                            {
                                "tieu_de": o.title,
                                "cum_loa": zones.get(o.zone_id),
                                "luc": o.scheduled_at.astimezone(tz).isoformat(),
                                "uu_tien": o.priority.value,
                                # The stable contract the district's checks read (issue 12).
                                "at": o.scheduled_at.astimezone(UTC).isoformat(),
                                "title": o.title,
                                "origin": (o.schedule.origin if o.schedule else Origin.LOCAL).value,
                            }
                            for o in nxt
                        ],
                        "canh_bao": [a.as_dict() for a in warnings(airings)],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return 0
        if alive:
            _out(
                f"Bộ phát đang chạy (PID {state.daemon_pid}), "
                f"báo hiệu lúc {state.heartbeat_at.astimezone(tz):%H:%M:%S}."
            )
        else:
            _out("Bộ phát KHÔNG chạy: hãy chạy «broadcaster run» hoặc bật dịch vụ broadcaster-station.")
        if now_playing:
            for occ in now_playing:
                since = occ.started_at.astimezone(tz) if occ.started_at else None
                _out(
                    f"Đang phát: «{occ.title}» trên {zones.get(occ.zone_id, 'đầu ra riêng')}"
                    + (f" từ {since:%H:%M:%S}" if since else "")
                    + "."
                )
        else:
            _out("Đang phát: không có.")
        _out(f"Các buổi phát sắp tới (giờ {station.timezone}):" if nxt else "Không có buổi phát nào sắp tới.")
        for occ in nxt:
            local = occ.scheduled_at.astimezone(tz)
            extra = f" [{PRIORITY_LABELS[occ.priority]}]" if occ.priority.value != "normal" else ""
            replay = f" (lần phát lại {occ.replay_index})" if occ.replay_index else ""
            day = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")[local.weekday()]
            zone_name = zones.get(occ.zone_id, "-")
            _out(f"  {day} {local:%d/%m/%Y %H:%M:%S}  {zone_name:<14} {occ.title}{replay}{extra}")
        for line in _forecast_lines(airings):
            _out(line)
    return 0


def _cmd_stop(args: argparse.Namespace, ctx) -> int:
    from ._control import PlayoutError, request_stop

    store = ctx.store()
    try:
        with store.sessions.begin() as s:
            station = store.station(s)
            cmd = request_stop(s, station.id, "dòng lệnh", zone=args.zone, item_only=args.item)
            cmd_id, station_id = cmd.id, station.id
    except PlayoutError as exc:
        _err(str(exc))
        return 1
    note = _daemon_note(store, station_id)
    if note:
        _out(note)
        return 1
    result = _wait_result(store, cmd_id, 5)
    _out(result or "Đã gửi lệnh dừng; bộ phát chưa trả lời.")
    return 0


def _cmd_emergency(args: argparse.Namespace, ctx) -> int:
    from ._control import PlayoutError, import_audio, request_emergency

    config = ctx.config
    store = ctx.store()
    try:
        rel = import_audio(config, args.file) if args.file else None
        with store.sessions.begin() as s:
            station = store.station(s)
            cmd = request_emergency(
                s, station.id, asset_path=rel, text=args.text, zone=args.zone, by="dòng lệnh"
            )
            cmd_id, station_id = cmd.id, station.id
    except PlayoutError as exc:
        _err(str(exc))
        return 1
    note = _daemon_note(store, station_id)
    if note:
        _out(note)
        return 1
    result = _wait_result(store, cmd_id, 60 if args.text else 10)
    _out(result or "Đã gửi thông báo khẩn cấp; bộ phát chưa trả lời.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this room's sub-commands to the ``broadcaster`` command."""
    p = sub.add_parser("run", help="chạy bộ phát của đài (tiến trình riêng, phát đúng giờ theo lịch)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "play", help="phát một lần vào đúng thời điểm (tệp âm thanh, chương trình hoặc bản tin)"
    )
    p.add_argument("file", nargs="?", help="tệp âm thanh cần phát")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--programme", type=record_id, metavar="SỐ", help="số của chương trình")
    what.add_argument("--segment", type=record_id, metavar="SỐ", help="số của bản tin (đã duyệt)")
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
    p.add_argument("--sink", metavar="ĐẦU_RA", help="đầu ra: auto, null, file:ĐƯỜNG_DẪN.wav, command:LỆNH")
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

    p = sub.add_parser("emergency", help="phát thông báo khẩn cấp ngay, ngắt mọi thứ đang phát")
    p.add_argument("file", nargs="?", help="tệp âm thanh thông báo")
    p.add_argument("--text", metavar="VĂN_BẢN", help="nội dung thông báo, đọc bằng giọng ngoại tuyến")
    p.add_argument("--zone", metavar="CỤM_LOA", help="chỉ phát trên cụm loa này (mặc định: tất cả)")
    p.set_defaults(func=_checked_emergency)


def _checked_play(args: argparse.Namespace, ctx) -> int:
    if sum(x is not None for x in (args.file, args.programme, args.segment)) != 1:
        _err("lỗi: cần đúng một trong: TỆP, --programme hoặc --segment.")
        return 2
    return _cmd_play(args, ctx)


def _checked_emergency(args: argparse.Namespace, ctx) -> int:
    if (args.file is None) == (args.text is None):
        _err("lỗi: cần đúng một trong: TỆP hoặc --text.")
        return 2
    return _cmd_emergency(args, ctx)
