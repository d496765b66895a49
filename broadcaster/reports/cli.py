"""Sub-commands of the reports room: ``broadcaster report`` and ``broadcaster logbook``.

A bad period or format prints one Vietnamese line naming the accepted forms and exits 1; nothing
is written then (the file appears only once its bytes are ready).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..rules import ACCEPTED_FORMS, vn_int

FORMATS = ("csv", "xlsx", "docx")


def _fail(message: str) -> int:
    sys.stderr.write(f"broadcaster: {message}\n")
    return 1


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (beside it, then renamed): a failed run
    never leaves half a report behind."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _cmd_report(args: argparse.Namespace, ctx) -> int:
    from . import PeriodError, compute_report, export_report, letterhead, parse_period

    fmt = (args.format or Path(args.output).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        return _fail(f"Định dạng «{fmt}» không hỗ trợ; dùng --format csv, xlsx hoặc docx.")
    try:
        period = parse_period(args.period, ctx.config.timezone)
    except PeriodError as exc:
        return _fail(str(exc))
    out = Path(args.output)
    if not out.parent.is_dir():
        return _fail(f"Thư mục {out.parent} không tồn tại.")
    store = ctx.store()
    with store.sessions() as s:
        station = store.station(s)
        report = compute_report(s, station, period)
        narrative = Path(args.narrative).read_text(encoding="utf-8") if args.narrative else None
        data = export_report(report, letterhead(s, station), fmt, narrative)
    write_file(out, data)
    sys.stdout.write(
        f"Đã xuất báo cáo {period.words} ({vn_int(report.programmes)} buổi, "
        f"{vn_int(report.items)} lượt tin, bài) ra {out}.\n"
    )
    return 0


def _cmd_logbook(args: argparse.Namespace, ctx) -> int:
    from . import PeriodError, compute_logbook, letterhead, logbook_docx, logbook_html, parse_period

    out = Path(args.output)
    fmt = out.suffix.lower().lstrip(".")
    if fmt == "htm":
        fmt = "html"
    if fmt not in ("docx", "html"):
        return _fail("Tệp sổ nhật ký phải có đuôi .docx hoặc .html.")
    try:
        period = parse_period(args.period, ctx.config.timezone)
    except PeriodError as exc:
        return _fail(str(exc))
    if not out.parent.is_dir():
        return _fail(f"Thư mục {out.parent} không tồn tại.")
    store = ctx.store()
    with store.sessions() as s:
        station = store.station(s)
        book = compute_logbook(s, station, period)
        lh = letterhead(s, station)
        data = logbook_docx(book, lh) if fmt == "docx" else logbook_html(book, lh).encode("utf-8")
    write_file(out, data)
    sys.stdout.write(f"Đã xuất sổ nhật ký {period.words} ({vn_int(len(book.lines))} buổi) ra {out}.\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this room's sub-commands to the ``broadcaster`` command."""
    p = sub.add_parser("report", help="xuất báo cáo kết quả tuyên truyền CCHC theo kỳ")
    p.add_argument("--period", required=True, metavar="KỲ", help=f"kỳ báo cáo: {ACCEPTED_FORMS}")
    p.add_argument(
        "--format", choices=FORMATS, help="định dạng: csv, xlsx hoặc docx (mặc định theo đuôi tệp)"
    )
    p.add_argument("-o", "--output", required=True, metavar="TỆP", help="tệp kết quả")
    p.add_argument("--narrative", metavar="TỆP", help="tệp văn bản thay cho phần tóm tắt tự động")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("logbook", help="xuất sổ nhật ký chương trình phát thanh (tuần hoặc tháng)")
    p.add_argument("--period", required=True, metavar="KỲ", help="kỳ: tuần 2025-W47, tháng 2025-11, …")
    p.add_argument("-o", "--output", required=True, metavar="TỆP", help="tệp .docx hoặc .html")
    p.set_defaults(func=_cmd_logbook)
