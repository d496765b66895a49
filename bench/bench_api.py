"""The JSON API: what hostile bodies cost to refuse, and what a write costs end to end.

In-process (Flask test client over a real SQLite store in a temporary data dir, bearer token):
1. The safe JSON reader on each hostile body the API refuses (100,000-digit number, 5,000-deep
   nesting, a lone surrogate, 1e999, a 1 MB array) — milliseconds per refusal, and for comparison
   the plain ``json.loads`` of the same text where it does not raise.
2. A programme written through the API: create + 3 items + schedule check, requests per second.
Prints figures; never fails a build.

Run: .venv/bin/python bench/bench_api.py [--rounds 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

from broadcaster import content
from broadcaster.config import load
from broadcaster.models import Role, SegmentStatus
from broadcaster.store import ensure_station, open_store
from broadcaster.web import create_app
from broadcaster.web._json import BadJson, parse_json

HOSTILE = {
    "100.000 chữ số": b'{"programme_id": ' + b"9" * 100_000 + b"}",
    "lồng 5.000 tầng": b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "nửa cặp UTF-16": b'{"title": "Tin \\ud800"}',
    "1e999": b'{"pause_s": 1e999}',
    "mảng 1 MB": b'{"zone_ids": [' + b",".join([b"[1]"] * 250_000) + b"]}",  # the kind check refuses it
}


def _ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_reader(rounds: int) -> None:
    print("1. Đọc JSON an toàn (trung vị, ms mỗi lần; «nhận» là khi thân hợp lệ về cú pháp):")
    for name, raw in HOSTILE.items():
        outcome = []

        def safe(raw: bytes = raw, outcome: list = outcome) -> None:
            try:
                parse_json(raw)
                outcome.append("nhận")
            except BadJson:
                outcome.append("từ chối")

        def plain(raw: bytes = raw) -> None:
            try:
                json.loads(raw)
            except (ValueError, RecursionError):
                pass

        ms = _ms(safe, rounds)
        print(f"   {name:<16} {outcome[0]:<8} {ms:8.2f} ms   json.loads {_ms(plain, rounds):8.2f} ms")


def bench_writes(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load({"BROADCASTER_DATA_DIR": tmp, "BROADCASTER_TTS_ORDER": "pyttsx3"})
        store = open_store(cfg, upgrade=True)
        ensure_station(store)
        with store.sessions.begin() as s:
            st = store.station(s)
            editor = content.create_user(s, st, "bientap", "mat-khau-thu-1", Role.EDITOR)
            boss = content.create_user(s, st, "lanhdao", "mat-khau-thu-1", Role.APPROVER)
            fields = content.SegmentFields.from_mapping(
                {"title": "Tin", "body": "Xin chào.", "kind": "hotline"}
            )
            seg = content.create_segment(s, st, editor, fields)
            content.submit(s, seg, editor)
            content.approve(s, seg, boss)
            _row, token = content.create_token(s, editor, "bench")
            assert seg.status == SegmentStatus.APPROVED
            seg_id = seg.id
        app = create_app(cfg, store=store)
        c = app.test_client()
        c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        check = {
            "programme_id": 0,
            "recurrence": "daily",
            "start_time": "05:30",
            "start_date": "2030-01-01",
            "zone_ids": [1],
        }
        calls = 0
        t = time.perf_counter()
        for i in range(rounds):
            pid = c.post("/api/v1/programmes", json={"title": f"Chương trình {i}"}).get_json()["id"]
            for body in (
                {"item_type": "chime", "chime": "mo-dau"},
                {"item_type": "segment", "segment_id": seg_id},
                {"item_type": "pause", "pause_s": 1},
            ):
                assert c.post(f"/api/v1/programmes/{pid}/items", json=body).status_code == 201
            assert c.post("/api/v1/schedules/check", json=check | {"programme_id": pid}).status_code == 200
            calls += 5
        took = time.perf_counter() - t
        print(
            f"2. Ghi qua API: {calls} yêu cầu trong {took:.2f} s = {calls / took:.0f} yêu cầu/giây "
            f"({took * 1000 / rounds:.1f} ms cho một chương trình 3 mục kèm kiểm tra lịch)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=50)
    args = ap.parse_args()
    bench_reader(3)
    bench_writes(args.rounds)


if __name__ == "__main__":
    main()
