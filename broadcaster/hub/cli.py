"""``broadcaster station …`` and ``broadcaster hub …``: the district hub's commands (thin).

Only the standard library at the top: building the parser must not load the database layer.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

#: The bulletin levels of Circular 39 as the command line takes them (models.Priority's values).
PRIORITIES = ("normal", "priority", "emergency")


def _hub_store(ctx):
    from . import HubError

    if ctx.config.mode != "hub":
        raise HubError("Lệnh này chỉ dùng trên máy chủ huyện (đặt BROADCASTER_MODE=hub).")
    from ..live import watch_changes

    store = ctx.store()
    watch_changes(store.sessions)  # a change for stations nudges them once it commits
    return store


def _cmd_station_add(args: argparse.Namespace, ctx) -> int:
    from . import add_station

    store = _hub_store(ctx)
    with store.sessions.begin() as s:
        station, token = add_station(
            s,
            args.code,
            args.name,
            groups=args.group or [],
            commune=args.commune or "",
            district=args.district or "",
        )
        groups = ", ".join(station.groups) or "không nhóm"
    print(f"Đã thêm đài {station.code} «{station.name}» ({groups}). Mã truy cập của đài (chỉ hiện một lần):")
    print(token)  # the last line: scripts read it
    return 0


def _cmd_station_import(args: argparse.Namespace, ctx) -> int:
    from . import HubError, import_stations, read_station_csv

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise HubError(f"Không đọc được tệp {args.file}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise HubError(f"Tệp {args.file} không phải văn bản UTF-8.") from None
    rows = read_station_csv(text)
    out = Path(args.output)
    if out.exists():
        raise HubError(f"Tệp {out} đã có: chọn tên khác để không ghi đè mã truy cập cũ.")
    store = _hub_store(ctx)
    with store.sessions.begin() as s:
        tokens = import_stations(s, rows)
        # Tokens are written before the commit: if the file cannot be written, no station is added.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["code", "token"])
            w.writerows(tokens)
    print(f"Đã thêm {len(tokens)} đài; mã truy cập ghi vào {out} (chỉ người quản trị được đọc).")
    return 0


def _cmd_station_token(args: argparse.Namespace, ctx) -> int:
    from . import find_station, issue_token, revoke_tokens

    store = _hub_store(ctx)
    with store.sessions.begin() as s:
        station = find_station(s, args.code, ctx.config.station_code)
        if args.revoke:
            n = revoke_tokens(s, station)
            print(f"Đã thu hồi {n} mã truy cập của đài {station.code}; đài không kết nối được nữa.")
            if ctx.config.mqtt_url:
                print(_MQTT_AGAIN)
            return 0
        token = issue_token(s, station)
    if ctx.config.mqtt_url:
        print(_MQTT_AGAIN)
    print(f"Mã truy cập mới của đài {station.code} (mã cũ hết hiệu lực; chỉ hiện một lần):")
    print(token)  # the last line: scripts read it
    return 0


_MQTT_AGAIN = (
    "Kênh trực tiếp: chạy «broadcaster hub mqtt-config THƯ_MỤC --reload» để máy chủ MQTT nhận mật khẩu mới "
    "(mã cũ bị cắt ngay khi nạp lại)."
)


def _cmd_hub_publish(args: argparse.Namespace, ctx) -> int:
    from ..models import PRIORITY_LABELS, Priority
    from . import HubError, parse_at, publish, resolve_targets

    try:
        text = Path(args.file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise HubError(f"Không đọc được tệp {args.file}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise HubError(f"Tệp {args.file} không phải văn bản UTF-8.") from None
    if not text:
        raise HubError(f"Tệp {args.file} không có nội dung để đọc.")
    cfg = ctx.service_config
    at = parse_at(args.at, cfg)
    store = _hub_store(ctx)
    with store.sessions.begin() as s:
        home = store.station(s)
        targets = resolve_targets(s, args.to, cfg.station_code)
        done = publish(
            s,
            cfg,
            home,
            text=text,
            title=args.title,
            at=at,
            targets=targets,
            priority=Priority(args.priority),
            kind=args.kind,
        )
    local = at.astimezone(cfg.tz)
    print(
        f"Đã gửi «{args.title.strip()}» phát lúc {local:%H:%M:%S %d/%m/%Y} tới {len(done.stations)} đài "
        f"({', '.join(done.stations)}), mức {PRIORITY_LABELS[Priority(args.priority)]}; "
        f"âm thanh {done.sha256[:12]}…"
    )
    return 0


def _cmd_hub_stations(args: argparse.Namespace, ctx) -> int:
    from . import stations_overview

    store = _hub_store(ctx)
    with store.sessions() as s:
        rows = stations_overview(s, ctx.config.station_code, ctx.config.sync_interval)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("Chưa có đài nào. Thêm bằng: broadcaster station add MÃ --name TÊN")
        return 0
    tz = ctx.config.tz
    from datetime import datetime

    for r in rows:
        state = "trực tuyến" if r["online"] else "mất liên lạc"
        seen = (
            f"liên lạc lần cuối {datetime.fromisoformat(r['last_seen']).astimezone(tz):%H:%M %d/%m/%Y}"
            if r["last_seen"]
            else "chưa liên lạc"
        )
        last = f"; phát gần nhất «{r['last_asrun']['title']}»" if r["last_asrun"] else ""
        print(f"{r['code']:<16} {r['name']:<28} {state}, {seen}{last}")
    return 0


def _cmd_hub_report(args: argparse.Namespace, ctx) -> int:
    import sys

    from ..reports import FORMATS, PeriodError, export_document, parse_period
    from ..reports.cli import write_file
    from ..rules import vn_int
    from . import compute_district_report, district_document, district_letterhead

    fmt = (args.format or Path(args.output).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        sys.stderr.write(f"broadcaster: Định dạng «{fmt}» không hỗ trợ; dùng --format csv, xlsx hoặc docx.\n")
        return 1
    try:
        period = parse_period(args.period, ctx.config.timezone)
    except PeriodError as exc:
        sys.stderr.write(f"broadcaster: {exc}\n")
        return 1
    out = Path(args.output)
    if not out.parent.is_dir():
        sys.stderr.write(f"broadcaster: Thư mục {out.parent} không tồn tại.\n")
        return 1
    store = _hub_store(ctx)
    with store.sessions() as s:
        report = compute_district_report(s, ctx.config.station_code, period)
        data = export_document(
            district_document(report), district_letterhead(s, ctx.config.station_code), fmt
        )
    write_file(out, data)
    print(
        f"Đã xuất báo cáo của huyện {period.words} ({vn_int(len(report.rows))} đài xã, "
        f"{vn_int(sum(r.items for r in report.rows))} lượt tin, bài) ra {out}."
    )
    return 0


def _cmd_hub_offers(args: argparse.Namespace, ctx) -> int:
    from . import ANSWER_LABELS, offers_overview

    store = _hub_store(ctx)
    with store.sessions() as s:
        rows = offers_overview(s, ctx.config)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("Không có tin thông thường nào của huyện trong 7 ngày qua và 14 ngày tới.")
        return 0
    from datetime import datetime

    tz = ctx.config.tz
    for r in rows:
        print(f"«{r['title']}» lúc {datetime.fromisoformat(r['at']).astimezone(tz):%H:%M %d/%m/%Y}:")
        for st in r["stations"]:
            line = f"  {st['code']:<16} {ANSWER_LABELS[st['decision']]}"
            if st["air_at"]:
                line += f", phát lúc {datetime.fromisoformat(st['air_at']).astimezone(tz):%H:%M %d/%m/%Y}"
            if st["reason"]:
                line += f"; lý do: {st['reason']}"
            if st["aired"]:
                line += "; đã phát"
            print(line)
    return 0


def _cmd_hub_mqtt_config(args: argparse.Namespace, ctx) -> int:
    from ..live import BrokerError, MqttUrl, password_hash, reload_broker, write_broker_files
    from . import HubError, mqtt_users

    if not ctx.config.mqtt_url:
        raise HubError(
            "Cần đặt BROADCASTER_MQTT_URL=mqtt://hub:MẬT_KHẨU@máy-chủ:cổng (tài khoản MQTT của huyện)."
        )
    url = MqttUrl.parse(ctx.config.mqtt_url)
    if not url.username or not url.password:
        raise BrokerError(
            "BROADCASTER_MQTT_URL của huyện phải có tên và mật khẩu: mqtt://hub:MẬT_KHẨU@máy-chủ:cổng."
        )
    if bool(args.certfile) != bool(args.keyfile):
        raise BrokerError("Cần cả --certfile và --keyfile để bật TLS.")
    store = _hub_store(ctx)
    with store.sessions() as s:
        users, without = mqtt_users(s, ctx.config.station_code)
    files = write_broker_files(
        Path(args.dir),
        stations=users,
        hub_user=url.username,
        hub_hash=password_hash(url.password),
        port=args.port or url.port,
        bind=args.bind,
        tls_port=args.tls_port,
        certfile=args.certfile,
        keyfile=args.keyfile,
    )
    print(
        f"Đã ghi cấu hình máy chủ MQTT vào {files.folder}: {len(users)} đài "
        f"và tài khoản huyện «{url.username}»."
    )
    if without:
        print(
            f"{len(without)} đài có mã truy cập cấp trước khi có kênh trực tiếp nên chưa có mật khẩu MQTT "
            f"({', '.join(without[:10])}{'…' if len(without) > 10 else ''}): "
            "cấp lại bằng «broadcaster station token MÃ»."
        )
    if args.reload:
        pid = reload_broker(files.folder)
        print(
            f"Đã báo máy chủ MQTT (pid {pid}) đọc lại cấu hình."
            if pid
            else "Máy chủ MQTT chưa chạy: chưa cần nạp lại."
        )
    else:
        print(
            f"Khởi động: mosquitto -c {files.conf}; sau mỗi lần cấp hay thu hồi mã, "
            "chạy lại lệnh này với --reload."
        )
    return 0


def _cmd_hub_live(args: argparse.Namespace, ctx) -> int:
    import logging
    import signal
    import sys

    from ..live import Desk, HubLive
    from . import due_again, note_emergency_status, note_presence

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    store = _hub_store(ctx)
    desk = Desk(presence=note_presence, emergency_status=note_emergency_status, due_again=due_again)
    live = HubLive(ctx.config, store, desk, say=lambda line: print(line, flush=True))
    signal.signal(signal.SIGTERM, lambda *_: live.stop())
    signal.signal(signal.SIGINT, lambda *_: live.stop())
    live.run()
    return 0


def _cmd_hub_emergency(args: argparse.Namespace, ctx) -> int:
    from . import (
        STATE_LABELS,
        EmergencyRequest,
        HubError,
        check_request,
        find_emergency,
        progress,
        resolve_targets,
        send_emergency,
        stop_emergency,
    )

    cfg = ctx.service_config
    store = _hub_store(ctx)
    if args.stop or args.show:
        with store.sessions.begin() as s:
            em = find_emergency(s, args.stop or args.show)
            if args.show:
                doc = progress(em)
                if args.json:
                    print(json.dumps(doc, ensure_ascii=False, indent=2))
                    return 0
                print(f"«{doc['title']}» ({doc['uid']}):")
                for r in doc["stations"]:
                    print(f"  {r['code']:<16} {STATE_LABELS.get(r['state'], r['state'])}")
                return 0
            codes = stop_emergency(s, cfg, em)
            uid = em.uid
        told = f"báo {len(codes)} đài dừng ({', '.join(codes)})" if codes else "không còn đài nào đang phát"
        print(f"Đã dừng thông báo khẩn cấp {uid}: {told}.")
        return 0
    if not args.to:
        raise HubError("Hãy chọn đài nhận bằng --to all, --to group:TÊN_NHÓM hoặc --to MÃ,MÃ.")
    audio = Path(args.audio) if args.audio else None
    if audio is not None and not audio.is_file():
        raise HubError(f"Không tìm thấy tệp âm thanh {args.audio}.")
    req = EmergencyRequest(
        text=args.text or "",
        audio_file=audio,
        title=args.title or "",
        repeat=args.repeat,
        gap_minutes=args.gap,
        valid_minutes=args.valid,
    )
    check_request(req)  # before rendering anything
    with store.sessions.begin() as s:
        targets = resolve_targets(s, args.to, cfg.station_code)
        em = send_emergency(s, cfg, store.station(s), targets, req)
        uid, title, codes, until = em.uid, em.title, [t.code for t in targets], em.valid_until
    print(
        f"Đã gửi «{title}» tới {len(codes)} đài ({', '.join(codes)}), phát {req.repeat} lần, "
        f"hiệu lực đến {until.astimezone(cfg.tz):%H:%M %d/%m/%Y}. Mã thông báo:"
    )
    print(uid)  # the last line: scripts read it
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the hub's sub-commands to the ``broadcaster`` command."""
    p = sub.add_parser("station", help="(máy chủ huyện) quản lý các đài xã")
    ssub = p.add_subparsers(dest="station_command", metavar="VIỆC", parser_class=type(p))
    ssub.required = True
    a = ssub.add_parser("add", help="thêm một đài; dòng cuối là mã truy cập của đài")
    a.add_argument("code", help="mã đài (chữ thường không dấu, số, gạch ngang)")
    a.add_argument("--name", required=True, help="tên đài")
    a.add_argument("--group", action="append", help="nhóm của đài (lặp lại được), ví dụ «cụm ven biển»")
    a.add_argument("--commune", help="tên xã/phường")
    a.add_argument("--district", help="tên huyện")
    a.set_defaults(func=_cmd_station_add)
    a = ssub.add_parser("import", help="thêm nhiều đài từ tệp CSV (cột code,name,group)")
    a.add_argument("file", help="tệp CSV")
    a.add_argument("-o", "--output", required=True, help="tệp CSV ghi mã truy cập (code,token)")
    a.set_defaults(func=_cmd_station_import)
    a = ssub.add_parser("token", help="cấp mã truy cập mới cho đài (mã cũ hết hiệu lực) hoặc thu hồi")
    a.add_argument("code", help="mã đài")
    a.add_argument("--revoke", action="store_true", help="chỉ thu hồi, không cấp mã mới")
    a.set_defaults(func=_cmd_station_token)

    p = sub.add_parser("hub", help="(máy chủ huyện) gửi bản tin xuống các đài, xem các đài")
    hsub = p.add_subparsers(dest="hub_command", metavar="VIỆC", parser_class=type(p))
    hsub.required = True
    a = hsub.add_parser("publish", help="viết, duyệt, chuyển giọng đọc một lần và lên lịch phát cho các đài")
    a.add_argument("file", help="tệp văn bản UTF-8 của bản tin")
    a.add_argument("--title", required=True, help="tiêu đề")
    a.add_argument("--at", required=True, help="thời điểm phát, ISO 8601 (không ghi múi giờ: giờ của huyện)")
    a.add_argument("--to", required=True, help="all, group:TÊN_NHÓM hoặc MÃ,MÃ")
    a.add_argument(
        "--priority",
        choices=PRIORITIES,
        default="priority",
        help="mức tin theo Thông tư 39: normal, priority (mặc định), emergency",
    )
    a.add_argument(
        "--kind",
        default="cchc_news",
        help="loại tin (mặc định cchc_news)",
    )
    a.set_defaults(func=_cmd_hub_publish)
    a = hsub.add_parser(
        "mqtt-config", help="ghi cấu hình máy chủ MQTT (mosquitto) từ danh sách đài: mật khẩu, quyền chủ đề"
    )
    a.add_argument("dir", help="thư mục ghi mosquitto.conf, passwd, acl")
    a.add_argument("--port", type=int, help="cổng nghe (mặc định: cổng trong BROADCASTER_MQTT_URL)")
    a.add_argument(
        "--bind", default="127.0.0.1", help="địa chỉ nghe (mặc định 127.0.0.1; 0.0.0.0 cho mọi mạng)"
    )
    a.add_argument("--certfile", help="chứng chỉ TLS (PEM): thêm cổng TLS")
    a.add_argument("--keyfile", help="khoá riêng TLS (PEM)")
    a.add_argument("--tls-port", type=int, default=8883, help="cổng TLS (mặc định 8883)")
    a.add_argument("--reload", action="store_true", help="báo mosquitto đang chạy đọc lại cấu hình (SIGHUP)")
    a.set_defaults(func=_cmd_hub_mqtt_config)
    a = hsub.add_parser(
        "live", help="giữ kênh trực tiếp MQTT: nhận trạng thái các đài, gửi tin báo xuống đài"
    )
    a.set_defaults(func=_cmd_hub_live)
    a = hsub.add_parser(
        "emergency", help="gửi thông báo khẩn cấp tới các đài (phát ngay, ngắt chương trình đang phát)"
    )
    a.add_argument("--text", help="nội dung đọc; cũng là lời đài tự đọc khi không tải được âm thanh")
    a.add_argument("--audio", help="tệp âm thanh đã thu sẵn")
    a.add_argument("--title", help="tiêu đề (mặc định «Thông báo khẩn cấp của huyện»)")
    a.add_argument("--to", help="all, group:TÊN_NHÓM hoặc MÃ,MÃ")
    a.add_argument("--repeat", type=int, default=1, help="số lần phát (mặc định 1)")
    a.add_argument("--gap", type=float, default=0, help="số phút nghỉ giữa hai lần phát (mặc định 0)")
    a.add_argument("--valid", type=float, default=30, help="số phút còn hiệu lực (mặc định 30)")
    a.add_argument("--stop", metavar="MÃ", help="dừng thông báo khẩn cấp này ở mọi đài")
    a.add_argument("--show", metavar="MÃ", help="xem từng đài đã nhận, đã phát thông báo này chưa")
    a.add_argument("--json", action="store_true", help="in JSON (với --show)")
    a.set_defaults(func=_cmd_hub_emergency)
    a = hsub.add_parser("stations", help="các đài: trực tuyến, liên lạc lần cuối, buổi phát gần nhất")
    a.add_argument("--json", action="store_true", help="in JSON")
    a.set_defaults(func=_cmd_hub_stations)
    a = hsub.add_parser(
        "offers", help="tin thông thường đã gửi: đài nào nhận phát, từ chối (và lý do), chưa trả lời"
    )
    a.add_argument("--json", action="store_true", help="in JSON")
    a.set_defaults(func=_cmd_hub_offers)
    a = hsub.add_parser(
        "report", help="báo cáo của huyện: các xã đã phát chuyên mục CCHC, tin nêu gương, tin của huyện"
    )
    a.add_argument("--period", required=True, metavar="KỲ", help="kỳ báo cáo: tháng 2026-11, quý 2026-Q4, …")
    a.add_argument("--format", choices=["csv", "xlsx", "docx"], help="định dạng (mặc định: theo đuôi tệp)")
    a.add_argument("-o", "--output", required=True, metavar="TỆP", help="tệp kết quả")
    a.set_defaults(func=_cmd_hub_report)


__all__ = ["register"]
