"""Ten years of as-run log, then the time of each report export. Prints figures; never fails a build.

Run: .venv/bin/python bench/bench_reports.py [--years 10] [--zones 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from broadcaster.config import load
from broadcaster.models import AsRunEntry, Occurrence
from broadcaster.reports import (
    FORMATS,
    compute_logbook,
    compute_report,
    export_report,
    letterhead,
    logbook_docx,
    logbook_html,
    parse_period,
)
from broadcaster.store import ensure_station, open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # a test helper, not shipped
from sample_asrun import fill_sample_asrun  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--zones", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        store = open_store(load({"BROADCASTER_DATA_DIR": d}), upgrade=True)
        ensure_station(store)
        first = date(2016, 1, 1)
        days = (date(first.year + args.years, 1, 1) - first).days
        t0 = time.perf_counter()
        with store.sessions.begin() as s:
            fill_sample_asrun(s, store.station(s), first, days, zones=args.zones, items=(3, 6))
        fill_s = time.perf_counter() - t0
        with store.sessions() as s:
            n_occ = s.scalar(select(func.count()).select_from(Occurrence))
            n_ent = s.scalar(select(func.count()).select_from(AsRunEntry))
        print(
            f"as-run log: {args.years} years, {n_occ:,} occurrences, {n_ent:,} entries "
            f"(generated in {fill_s:.1f} s)"
        )
        period = parse_period(f"{first.isoformat()}..{date(first.year + args.years - 1, 12, 31).isoformat()}")
        now = datetime(2100, 1, 1, tzinfo=UTC)
        for label, p in (
            ("whole range", period),
            ("one year", parse_period("2020")),
            ("one month", parse_period("2020-06")),
        ):
            with store.sessions() as s:
                st = store.station(s)
                lh = letterhead(s, st)
                t = time.perf_counter()
                report = compute_report(s, st, p, now=now)
                compute_s = time.perf_counter() - t
            line = [
                f"{label:>11}: figures {compute_s * 1000:7.0f} ms "
                f"({report.items:,} items, {len(report.by_month)} months)"
            ]
            for fmt in FORMATS:
                t = time.perf_counter()
                data = export_report(report, lh, fmt)
                line.append(f"{fmt} {(time.perf_counter() - t) * 1000:6.0f} ms/{len(data) // 1024} KiB")
            print(" | ".join(line))
        for code in ("2020-W23", "2020-06"):
            with store.sessions() as s:
                st = store.station(s)
                t = time.perf_counter()
                book = compute_logbook(s, st, parse_period(code))
                c = time.perf_counter() - t
                t = time.perf_counter()
                logbook_docx(book, letterhead(s, st))
                dx = time.perf_counter() - t
                t = time.perf_counter()
                logbook_html(book, letterhead(s, st))
                hx = time.perf_counter() - t
            print(
                f"log book {code}: {len(book.lines)} lines, query {c * 1000:.0f} ms, "
                f"docx {dx * 1000:.0f} ms, "
                f"html {hx * 1000:.0f} ms"
            )
        store.engine.dispose()


if __name__ == "__main__":
    main()
