"""``broadcaster demo``: the whole chain, end to end, on a throwaway data dir.

Only the command is here; the chain (``_demo``, with SQLAlchemy and the daemon) loads when it runs.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ._argtypes import number


def _cmd_demo(args: argparse.Namespace, ctx) -> int:
    base = ctx.config
    tmp = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="broadcaster-demo-"))
    # A throwaway store with the offline engine, so the demo never needs the network.
    config = base.with_overrides(data_dir=tmp, database_url="", tts_order=("pyttsx3",))
    # The directory is kept: it holds the rendered audio and, with the auto sink and no sound
    # card, the recording of what aired. It lives under the system's temporary folder.
    from ._demo import run_demo

    return run_demo(config, sink=args.sink, lead_s=args.lead)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the demo sub-command."""
    p = sub.add_parser(
        "demo", help="chạy thử cả dây chuyền: nội dung mẫu → giọng nói → lịch → phát → nhật ký"
    )
    p.add_argument(
        "--sink",
        help="đầu ra: auto (mặc định: loa máy tính nếu có, không thì tệp WAV), "
        "null, file:ĐƯỜNG_DẪN.wav, command:LỆNH",
    )
    p.add_argument("--data-dir", help="thư mục dữ liệu (mặc định: một thư mục tạm)")
    p.add_argument(
        "--lead",
        type=number(0, 3600, unit="giây"),
        default=5.0,
        help="phát sau bao nhiêu giây (0–3600, mặc định 5)",
    )
    p.set_defaults(func=_cmd_demo)
