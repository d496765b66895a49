"""Sub-commands of the audio room: ``normalize`` and ``render``."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..config import DIALECTS, ENGINES

DIALECT_HELP = "giọng vùng: north (Bắc), central (Trung), south (Nam)"


def _read_text(src: str) -> str:
    if src == "-":
        return sys.stdin.read()
    return Path(src).read_text("utf-8")


def _cmd_normalize(args: argparse.Namespace, ctx) -> int:
    from .normalize import NormalizeError, normalize

    try:
        print(normalize(sys.stdin.read(), dialect=args.dialect or ctx.config.dialect))
    except NormalizeError as exc:
        print(f"broadcaster: {exc}", file=sys.stderr)
        return 1
    return 0


def _fmt_duration(ms: int) -> str:
    s = ms / 1000
    return f"{int(s // 60)} phút {s % 60:.1f} giây" if s >= 60 else f"{s:.1f} giây"


def _render_file(args: argparse.Namespace, ctx) -> int:
    from . import AudioError, render_text

    if not args.output:
        print("broadcaster: lỗi: cần -o TỆP.wav hoặc TỆP.mp3 cho đầu ra.", file=sys.stderr)
        return 2
    out = Path(args.output)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("wav", "mp3"):
        print(f"broadcaster: lỗi: tệp đầu ra phải là .wav hoặc .mp3, không phải «{out.name}».",
              file=sys.stderr)
        return 2
    try:
        text = _read_text(args.text)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        print(f"broadcaster: không đọc được «{args.text}»: {reason}", file=sys.stderr)
        return 1
    config = ctx.config.with_overrides(audio_format=fmt)
    try:
        r = render_text(text, config, engine=args.engine, dialect=args.dialect, speed=args.speed,
                        chime=args.chime)
    except AudioError as exc:
        print(f"broadcaster: {exc}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(r.path, out)
    print(f"Bộ đọc: {r.engine}  giọng: {r.voice}  tốc độ: {r.speed}")
    print(f"Thời lượng: {_fmt_duration(r.duration_ms)}  độ to: {r.loudness_lufs:.1f} LUFS  "
          f"đỉnh thực: {r.true_peak_dbtp:.1f} dBTP  {r.sample_rate} Hz")
    print(f"Đã ghi {out}" + ("  (lấy từ bộ nhớ đệm)" if r.cached else ""))
    return 0


def _render_many(args: argparse.Namespace, ctx) -> int:
    from sqlalchemy import select

    from ..models import Programme, RenderJob, Segment, SegmentStatus
    from . import AudioError, render_programme, render_segment
    from ._render import tqdm_progress

    store = ctx.store()
    with store.sessions() as s:
        station = store.station(s)
        if args.programme is not None:
            prog = s.get(Programme, args.programme)
            if prog is None or prog.station_id != station.id:
                print(f"broadcaster: không có chương trình số {args.programme}.", file=sys.stderr)
                return 1
            job = RenderJob(station_id=station.id, programme_id=prog.id)
            s.add(job)
            s.commit()
            n = sum(1 for it in prog.items if it.segment_id)
            step, close = tqdm_progress(n, "Chuyển giọng đọc")
            try:
                assets = render_programme(s, ctx.config, prog, job=job, progress=step, engine=args.engine,
                                          force=args.force)
            except AudioError as exc:
                close()
                print(f"broadcaster: {exc}", file=sys.stderr)
                return 1
            close()
            total = sum(a.duration_ms for a in assets)
            print(f"Đã chuyển {len(assets)} bản tin của «{prog.title}», tổng {_fmt_duration(total)}.")
            return 0
        segs = s.scalars(
            select(Segment).where(Segment.station_id == station.id, Segment.status != SegmentStatus.ARCHIVED)
            .order_by(Segment.id)
        ).all()
        segs = [g for g in segs if g.upload_asset_id is None and (g.body or "").strip()]
        step, close = tqdm_progress(len(segs), "Chuyển giọng đọc")
        failed = 0
        for i, seg in enumerate(segs, 1):
            try:
                render_segment(s, ctx.config, seg, engine=args.engine, force=args.force)
                s.commit()
            except AudioError as exc:
                s.rollback()
                failed += 1
                print(f"broadcaster: {exc}", file=sys.stderr)
            step(i, len(segs), seg.title)
        close()
        print(f"Đã chuyển {len(segs) - failed}/{len(segs)} bản tin.")
        return 1 if failed else 0


def _cmd_render(args: argparse.Namespace, ctx) -> int:
    if args.programme is not None or args.all:
        return _render_many(args, ctx)
    if not args.text:
        print("broadcaster: lỗi: cần tệp văn bản (hoặc «-» để đọc đầu vào chuẩn), --programme hay --all.",
              file=sys.stderr)
        return 2
    return _render_file(args, ctx)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this room's sub-commands to the ``broadcaster`` command."""
    p = sub.add_parser("normalize",
                       help="chuẩn hóa văn bản hành chính thành lời đọc (đầu vào → đầu ra chuẩn)")
    p.add_argument("--dialect", choices=DIALECTS, help=DIALECT_HELP)
    p.set_defaults(func=_cmd_normalize)

    p = sub.add_parser("render", help="chuyển văn bản thành tệp âm thanh phát sóng")
    p.add_argument("text", nargs="?", help="tệp văn bản UTF-8, hoặc «-» để đọc đầu vào chuẩn")
    p.add_argument("-o", "--output", help="tệp đầu ra .wav hoặc .mp3")
    p.add_argument("--engine", choices=("auto", *ENGINES), default="auto",
                   help="bộ đọc: gtts (Google, cần Internet), pyttsx3 (ngoại tuyến), "
                        "auto (theo thứ tự cấu hình)")
    p.add_argument("--dialect", choices=DIALECTS, help=DIALECT_HELP)
    p.add_argument("--speed", type=int, help="tốc độ đọc, từ mỗi phút (60–400, mặc định 150)")
    p.add_argument("--chime", choices=("mo-dau", "ket-thuc", "thong-bao"),
                   help="nhạc hiệu phát trước lời đọc")
    p.add_argument("--programme", type=int, metavar="SỐ", help="chuyển mọi bản tin của một chương trình")
    p.add_argument("--all", action="store_true", help="chuyển mọi bản tin có nội dung chữ của đài")
    p.add_argument("--force", action="store_true", help="đọc lại dù đã có trong bộ nhớ đệm")
    p.set_defaults(func=_cmd_render)
