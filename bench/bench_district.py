"""The district's pages and report over many stations. Prints figures; never fails a build.

N stations, each sending a month of as-run (two airings a day of four items, one of them the
district's daily airing), then the time of: the district report (a month and a year, the year
expanding the district airing for every station), its three exports, the web's export job (how
long the request takes, and until the file is ready), the stations overview and one station's
as-run page. Run ``uptime`` beside it: the machine's load moves every figure.

Run: .venv/bin/python bench/bench_district.py [--stations 1000]
On SQLite in a temporary dir by default; set BROADCASTER_DATABASE_URL=postgresql+psycopg://… (an
empty database) to measure the hub's real engine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path

from sqlalchemy import func, insert, select

from broadcaster import hub
from broadcaster.config import load
from broadcaster.models import HubAsRun, Origin, Priority, Programme, Recurrence, Schedule, Station
from broadcaster.reports import FORMATS, export_document, parse_period
from broadcaster.store import ensure_station, open_store

ITEMS = (
    ("cchc_news", "procedure"),
    ("procedure", "digital_government"),
    ("good_example", None),
    ("hotline", None),
)


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        env = {"BROADCASTER_DATA_DIR": d, "BROADCASTER_MODE": "hub", "BROADCASTER_STATION_CODE": "huyen"}
        if os.environ.get("BROADCASTER_DATABASE_URL"):
            env["BROADCASTER_DATABASE_URL"] = os.environ["BROADCASTER_DATABASE_URL"]
        config = load(env)
        store = open_store(config, upgrade=True)
        ensure_station(store)
        month = parse_period("2026-10")
        days = [month.first + timedelta(days=k) for k in range(month.days)]
        t0 = time.perf_counter()
        with store.sessions.begin() as s:
            home = store.station(s)
            s.execute(
                insert(Station),
                [
                    {"code": f"xa-{n:05d}", "name": f"Xã số {n}", "uid": str(uuid.uuid4())}
                    for n in range(args.stations)
                ],
            )
            stations = list(s.scalars(select(Station).where(Station.code != "huyen")))
            prog = Programme(station_id=home.id, origin=Origin.HUB, title="Tin huyện")
            s.add(prog)
            s.flush()
            sched = Schedule(
                station_id=home.id,
                origin=Origin.HUB,
                programme_id=prog.id,
                name="Tin huyện hằng ngày",
                recurrence=Recurrence.DAILY,
                start_time=wall(6, 0),
                start_date=date(2026, 1, 1),
                priority=Priority.PRIORITY,
            )
            sched.targets = stations
            s.add(sched)
            s.flush()
            for st in stations:
                rows = []
                for day in days:
                    for hour, district in ((6, True), (17, False)):
                        at = datetime(day.year, day.month, day.day, hour, tzinfo=month.tz).astimezone(UTC)
                        occ = (
                            hub.airing_uid(sched.uid, sched.recurrence, at) if district else str(uuid.uuid4())
                        )
                        for pos, (kind, area) in enumerate(ITEMS):
                            start = at + timedelta(minutes=2 * pos)
                            rows.append(
                                {
                                    "uid": str(uuid.uuid4()),
                                    "station_id": st.id,
                                    "occurrence_uid": occ,
                                    "schedule_uid": occ if district else None,
                                    "origin": Origin.HUB if district else Origin.LOCAL,
                                    "position": pos,
                                    "item_type": "segment",
                                    "title": f"Tin {pos}",
                                    "kind": kind,
                                    "area": area,
                                    "scheduled_at": at,
                                    "started_at": start,
                                    "ended_at": start + timedelta(minutes=2),
                                    "duration_ms": 120_000,
                                    "status": "played",
                                }
                            )
                s.execute(insert(HubAsRun), rows)
                st.last_seen_at = datetime(2026, 11, 20, tzinfo=UTC)
        fill_s = time.perf_counter() - t0
        with store.sessions() as s:
            n_rows = s.scalar(select(func.count()).select_from(HubAsRun))
        engine = store.engine.dialect.name
        print(f"{engine}: {args.stations:,} stations, {n_rows:,} as-run rows (generated in {fill_s:.1f} s)")
        now = datetime(2026, 11, 20, tzinfo=UTC)
        for label, period in (("month", month), ("year", parse_period("2026"))):
            with store.sessions() as s:
                report, secs = _timed(
                    lambda p=period, s=s: hub.compute_district_report(s, "huyen", p, now=now)
                )
                airings = sum(len(r.hub_airings) for r in report.rows)
                print(f"district report, {label:5}: {secs:6.2f} s ({airings:,} district airings judged)")
                doc = hub.district_document(report)
                lh = hub.district_letterhead(s, "huyen")
            for fmt in FORMATS:
                data, secs = _timed(lambda f=fmt, d=doc, h=lh: export_document(d, h, f))
                print(f"  export {fmt:4}: {secs:6.2f} s, {len(data) / 1024:,.0f} KiB")
            # What the web does: the request only starts the job; the page polls until the file is there.
            job, secs = _timed(
                lambda p=period: hub.start_export(
                    store.sessions, Path(d) / "exports", "huyen", p, "docx", now
                )
            )
            t0 = time.perf_counter()
            while (state := hub.export_job(Path(d) / "exports", job).state) == "running":
                time.sleep(0.02)
            print(
                f"  web export job (docx, {state}): request {secs * 1000:5.1f} ms, "
                f"file ready {secs + time.perf_counter() - t0:5.2f} s after the click"
            )
        with store.sessions() as s:
            _rows, secs = _timed(lambda: hub.stations_overview(s, "huyen", 60))
            print(f"stations overview: {secs * 1000:7.1f} ms")
            st = s.scalar(select(Station).where(Station.code == "xa-00000"))
            page, secs = _timed(lambda: hub.station_asrun(s, st, month, 3))
            print(f"one station's as-run page (page 3 of {page.pages}): {secs * 1000:7.1f} ms")
        store.engine.dispose()


if __name__ == "__main__":
    main()
