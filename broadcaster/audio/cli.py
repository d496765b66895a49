"""Sub-commands of the audio room: ``normalize``, ``render`` and ``worker`` (the render queue)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shutil
import sys
from pathlib import Path

from .._argtypes import number, record_id
from ..config import DIALECTS, Config
from ..rules import CHIMES
from ._engines import ENGINES

DIALECT_HELP = "giọng vùng: north (Bắc), central (Trung), south (Nam)"


class InputError(ValueError):
    """The text to read could not be read; one Vietnamese line."""


_OS_REASONS = {
    errno.ENOENT: "không có tệp này",
    errno.EACCES: "không có quyền đọc",
    errno.EPERM: "không có quyền đọc",
    errno.EISDIR: "đây là một thư mục, không phải tệp văn bản",
}


def _read_text(src: str) -> str:
    """Return the UTF-8 text of a file ("-": standard input); raise InputError in Vietnamese."""
    name = "đầu vào chuẩn" if src == "-" else f"«{src}»"
    try:
        data = sys.stdin.buffer.read() if src == "-" else Path(src).read_bytes()
    except OSError as exc:
        reason = _OS_REASONS.get(exc.errno or 0, f"lỗi hệ thống số {exc.errno}")
        raise InputError(f"không đọc được {name}: {reason}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} không phải văn bản UTF-8 (byte lạ ở vị trí {exc.start}): hãy lưu lại dưới dạng UTF-8."
        ) from None


def _station(ctx, config: Config) -> tuple[Config, dict[str, str]]:
    """Return the station's settings over ``config`` and its pronunciation entries.

    The same dictionary and settings the web admin edits and the segment renderer uses; when the
    station has no database yet, the defaults (and a note on stderr if it exists but is unusable).
    """
    url = config.db_url
    if url.startswith("sqlite") and "///" in url:
        path = Path(url.split("///", 1)[1])
        if not path.is_file():
            return config, {}  # no station yet: nothing of the database layer is loaded
        found = _read_sqlite(path, config)
        if found is not None:
            return found
    from sqlalchemy.exc import SQLAlchemyError

    from ..rules import effective_config
    from ..store import StoreError
    from ._render import station_lexicon

    try:
        store = ctx.store()
    except StoreError as exc:
        print(f"broadcaster: ghi chú: dùng từ điển phát âm mặc định ({exc})", file=sys.stderr)
        return config, {}
    try:
        with store.sessions() as s:
            station_id = store.station(s).id
            return effective_config(s, station_id, config), station_lexicon(s, station_id)
    except (StoreError, SQLAlchemyError) as exc:
        reason = exc if isinstance(exc, StoreError) else type(exc).__name__
        print(f"broadcaster: ghi chú: dùng từ điển phát âm mặc định ({reason})", file=sys.stderr)
        return config, {}
    finally:
        store.engine.dispose()


class _EngineNotes(logging.Handler):
    """Collects "engine X failed" records of a render, shown as one Vietnamese note each."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.args and len(record.args) == 2:
            self.notes.append(f"bỏ qua bộ đọc {record.args[0]}: {record.args[1]}")


def _cmd_normalize(args: argparse.Namespace, ctx) -> int:
    from .normalize import NormalizeError, assess, describe, normalize

    try:
        text = _read_text("-")
    except InputError as exc:
        print(f"broadcaster: {exc}", file=sys.stderr)
        return 1
    config, lexicon = _station(ctx, ctx.config)
    try:
        print(normalize(text, dialect=args.dialect or config.dialect, lexicon=lexicon))
    except NormalizeError as exc:
        print(f"broadcaster: {exc}", file=sys.stderr)
        return 1
    # Standard output stays the spoken text; damaged places go to the officer on stderr.
    found = assess(text, lexicon)
    if not found.ok:
        print(f"broadcaster: cảnh báo: {len(found.spans)} chỗ nghi văn bản bị hỏng, "
              "hãy sửa trước khi phát:", file=sys.stderr)
        for line in describe(text, found):
            print(f"  {line}", file=sys.stderr)
    return 0


def _read_sqlite(path: Path, config: Config) -> tuple[Config, dict[str, str]] | None:
    """Return the station's settings over ``config`` and its pronunciation entries, read by sqlite3.

    The rows :func:`..rules.get_settings` and :func:`._render.station_lexicon` read, without
    SQLAlchemy and the models: loading them costs ~0.5 s, more than the command may take to start
    (0.3 s, issue 11). None when anything is not as expected (no station row, a table missing, the
    file locked or damaged): the database layer then reads it, or says what is wrong.
    """
    import json
    import sqlite3

    from ..rules import apply_settings

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except (sqlite3.Error, ValueError):
        return None
    try:
        station = con.execute("SELECT id FROM stations WHERE code = ?", (config.station_code,)).fetchone()
        if station is None:
            return None
        rows = con.execute("SELECT key, value FROM settings WHERE station_id = ?", station)
        # Setting.value is SQLAlchemy's JSON type: JSON text, which SQLite's numeric affinity of a
        # "JSON" column turns into a number when it is one (as SQLAlchemy reads it: the same value).
        stored = {key: None if value is None else json.loads(str(value)) for key, value in rows}
        lexicon = dict(con.execute("SELECT term, spoken FROM pronunciations WHERE station_id = ?", station))
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        con.close()
    return apply_settings(config, stored), lexicon


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
    except InputError as exc:
        print(f"broadcaster: {exc}", file=sys.stderr)
        return 1
    config, lexicon = _station(ctx, ctx.config)
    config = config.with_overrides(audio_format=fmt)
    notes = _EngineNotes()
    logger = logging.getLogger("broadcaster.audio")
    logger.addHandler(notes)
    try:
        r = render_text(text, config, engine=args.engine, dialect=args.dialect, speed=args.speed,
                        chime=args.chime, lexicon=lexicon, force=args.force)
    except AudioError as exc:
        print(f"broadcaster: {exc}", file=sys.stderr)
        return 1
    finally:
        logger.removeHandler(notes)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(r.path, out)
    except OSError as exc:
        reason = _OS_REASONS.get(exc.errno or 0, f"lỗi hệ thống số {exc.errno}").replace("đọc", "ghi")
        print(f"broadcaster: không ghi được «{out}»: {reason}.", file=sys.stderr)
        return 1
    for note in notes.notes:
        print(f"Ghi chú: {note}")
    print(f"Bộ đọc: {r.engine}  giọng: {r.voice}  tốc độ: {r.speed}")
    print(f"Thời lượng: {_fmt_duration(r.duration_ms)}  độ to: {r.loudness_lufs:.1f} LUFS  "
          f"đỉnh thực: {r.true_peak_dbtp:.1f} dBTP  {r.sample_rate} Hz")
    print(f"Đã ghi {out}" + ("  (lấy từ bộ nhớ đệm)" if r.cached else ""))
    return 0


def _render_many(args: argparse.Namespace, ctx) -> int:
    from sqlalchemy import select

    from ..models import Programme, RenderJob, Segment, SegmentStatus
    from ..rules import effective_config
    from . import AudioError, render_programme, render_segment
    from ._render import tqdm_progress

    store = ctx.store()
    with store.sessions() as s:
        station = store.station(s)
        config = effective_config(s, station.id, ctx.config)
        if args.programme is not None:
            prog = s.get(Programme, args.programme)
            if prog is None or prog.station_id != station.id:
                print(f"broadcaster: không có chương trình số {args.programme}.", file=sys.stderr)
                return 1
            # Rendered here, by this process: "running" at once, so the render worker leaves it alone.
            job = RenderJob(station_id=station.id, programme_id=prog.id)
            job.status, job.worker_pid = "running", os.getpid()
            s.add(job)
            s.commit()
            n = sum(1 for it in prog.items if it.segment_id)
            step, close = tqdm_progress(n, "Chuyển giọng đọc")
            try:
                assets = render_programme(s, config, prog, job=job, progress=step, engine=args.engine,
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
                render_segment(s, config, seg, engine=args.engine, force=args.force)
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


def _cmd_worker(args: argparse.Namespace, ctx) -> int:
    from ._worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    config = ctx.service_config
    store = ctx.store()
    try:
        return run_worker(store.sessions, config)
    finally:
        store.engine.dispose()


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
    p.add_argument(
        "--speed", type=number(60, 400, integer=True), help="tốc độ đọc, từ mỗi phút (60–400, mặc định 150)"
    )
    p.add_argument("--chime", choices=tuple(CHIMES),
                   help="nhạc hiệu phát trước lời đọc")
    p.add_argument(
        "--programme", type=record_id, metavar="SỐ", help="chuyển mọi bản tin của một chương trình"
    )
    p.add_argument("--all", action="store_true", help="chuyển mọi bản tin có nội dung chữ của đài")
    p.add_argument("--force", action="store_true", help="đọc lại dù đã có trong bộ nhớ đệm")
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("worker", help="chạy bộ chuyển giọng nói (làm các việc trang quản trị gửi)")
    p.set_defaults(func=_cmd_worker)
