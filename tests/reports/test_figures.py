"""Every figure of a year's report against an independent raw SQL count.

The SQL here is written by hand, separately from the report code: it filters on the stored UTC
text with bounds computed here, and buckets months with SQLite's own ``strftime(..., '+7 hours')``
(Vietnam keeps no daylight saving), a different road from the report's CASE over month edges.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from broadcaster.models import AREA_LABELS, KIND_LABELS, AirStatus, CchcArea, SegmentKind
from broadcaster.reports import compute_report, parse_period

from .conftest import NO_GOOD_EXAMPLE_MONTHS

AFTER = datetime(2030, 1, 1, tzinfo=UTC)  # "now" for a closed period: nothing left to plan
AIRED = (
    "e.item_type = 'segment' AND e.status = 'played' AND e.kind IN "
    "('cchc_news','good_example','procedure','hotline','relay','emergency')"
)
YEAR_LO, YEAR_HI = "2024-12-31 17:00:00", "2025-12-31 17:00:00"  # local 2025 in UTC, by hand


def sql(store, q: str, **kw):
    with store.engine.connect() as c:
        return c.execute(text(q), kw).all()


def aired_from(where: str = "") -> str:
    return (
        f"FROM as_run_entries e JOIN occurrences o ON o.id = e.occurrence_id "
        f"WHERE o.scheduled_at >= :lo AND o.scheduled_at < :hi AND {AIRED} {where}"
    )


@pytest.fixture(scope="module")
def year(year_store):
    with year_store.sessions() as s:
        return compute_report(s, year_store.station(s), parse_period("2025"), now=AFTER)


B = dict(lo=YEAR_LO, hi=YEAR_HI)


def test_totals_match_sql(year_store, year):
    ((progs, items, ms),) = sql(
        year_store, f"SELECT COUNT(DISTINCT o.id), COUNT(*), SUM(e.duration_ms) {aired_from()}", **B
    )
    assert items > 3000
    assert (year.programmes, year.items, year.ms) == (progs, items, ms)
    assert year.minutes == round(ms / 60000, 1)


def test_by_area_kind_zone_match_sql(year_store, year):
    got = {r.label: (r.programmes, r.items, r.ms) for r in year.by_area}
    for area, p, i, ms in sql(
        year_store,
        f"SELECT e.area, COUNT(DISTINCT o.id), COUNT(*), SUM(e.duration_ms) {aired_from()} GROUP BY e.area",
        **B,
    ):
        label = AREA_LABELS[CchcArea(area)] if area else "Chưa gắn lĩnh vực"
        assert got.pop(label) == (p, i, ms)
    assert all(v == (0, 0, 0) for v in got.values())
    assert len(year.by_area) >= 6

    kinds = {r.label: (r.programmes, r.items, r.ms) for r in year.by_kind}
    rows = sql(
        year_store,
        f"SELECT e.kind, COUNT(DISTINCT o.id), COUNT(*), SUM(e.duration_ms) {aired_from()} GROUP BY e.kind",
        **B,
    )
    assert len(rows) == 6  # every content kind aired; jingles are not content
    for kind, p, i, ms in rows:
        assert kinds[KIND_LABELS[SegmentKind(kind)]] == (p, i, ms)

    zones = {r.label: (r.programmes, r.items, r.ms) for r in year.by_zone}
    rows = sql(
        year_store,
        "SELECT z.name, COUNT(DISTINCT o.id), COUNT(*), SUM(e.duration_ms) FROM as_run_entries e "
        "JOIN occurrences o ON o.id = e.occurrence_id JOIN zones z ON z.id = o.zone_id "
        f"WHERE o.scheduled_at >= :lo AND o.scheduled_at < :hi AND {AIRED} GROUP BY z.name",
        **B,
    )
    assert len(rows) == 3
    for name, p, i, ms in rows:
        assert zones[name] == (p, i, ms)
    assert sum(r.items for r in year.by_zone) == year.items


def test_months_match_sql_and_sum_to_year(year_store, year):
    rows = sql(
        year_store,
        "SELECT strftime('%m', o.scheduled_at, '+7 hours') AS m, COUNT(DISTINCT o.id), COUNT(*), "
        "SUM(e.duration_ms), SUM(e.kind = 'good_example') "
        f"{aired_from()} GROUP BY m ORDER BY m",
        **B,
    )
    assert [int(r[0]) for r in rows] == list(range(1, 13))
    assert [(m.programmes, m.items, m.ms, m.good_examples) for m in year.by_month] == [
        tuple(r[1:]) for r in rows
    ]
    assert sum(m.items for m in year.by_month) == year.items
    assert sum(m.programmes for m in year.by_month) == year.programmes


def test_good_example_months_flagged(year_store, year):
    flagged = {m.ym[1] for m in year.months_without_good_example}
    rows = sql(
        year_store,
        "SELECT DISTINCT CAST(strftime('%m', o.scheduled_at, '+7 hours') AS INTEGER) "
        f"{aired_from(chr(32) + 'AND e.kind = ' + repr('good_example'))}",
        **B,
    )
    with_good = {r[0] for r in rows}
    assert flagged == set(range(1, 13)) - with_good
    assert flagged >= NO_GOOD_EXAMPLE_MONTHS
    assert "chưa đạt yêu cầu 01 mục/tháng ở tháng 3/2025" in year.narrative


def test_procedures_match_sql(year_store, year):
    rows = sql(
        year_store,
        f"SELECT COALESCE(e.procedure, ''), COUNT(*) {aired_from()} AND e.kind = 'procedure' GROUP BY 1",
        **B,
    )
    assert {r.key: r.items for r in year.procedures} == dict(rows)
    assert len(rows) >= 7


def test_planned_versus_aired_match_sql(year_store, year):
    rows = dict(
        sql(
            year_store,
            "SELECT status, COUNT(*) FROM occurrences WHERE schedule_id IS NOT NULL "
            "AND scheduled_at >= :lo AND scheduled_at < :hi GROUP BY status",
            **B,
        )
    )
    assert {s.value: n for s, n in year.status_counts.items()} == rows
    assert year.planned == sum(rows.values())
    ((aired,),) = sql(
        year_store,
        "SELECT COUNT(*) FROM occurrences o WHERE o.schedule_id IS NOT NULL "
        "AND o.scheduled_at >= :lo AND o.scheduled_at < :hi AND EXISTS (SELECT 1 FROM "
        f"as_run_entries e WHERE e.occurrence_id = o.id AND {AIRED})",
        **B,
    )
    assert year.planned_aired == aired
    assert year.planned_share == round(100 * aired / year.planned, 1)
    ((problems,),) = sql(
        year_store,
        "SELECT COUNT(*) FROM occurrences WHERE scheduled_at >= :lo AND scheduled_at < :hi "
        "AND status IN ('missed','failed','interrupted')",
        **B,
    )
    assert year.problems_total == problems == sum(n for _s, _r, n in year.problem_reasons)
    assert len(year.problems) == min(problems, 300)
    assert all(p.reason for p in year.problems)
    assert {p.status for p in year.problems} == {AirStatus.MISSED, AirStatus.FAILED, AirStatus.INTERRUPTED}
    ((adhoc,),) = sql(
        year_store,
        "SELECT COUNT(*) FROM occurrences o WHERE o.schedule_id IS NULL "
        "AND o.scheduled_at >= :lo AND o.scheduled_at < :hi AND EXISTS (SELECT 1 FROM "
        f"as_run_entries e WHERE e.occurrence_id = o.id AND {AIRED})",
        **B,
    )
    assert year.adhoc_programmes == adhoc > 0


@pytest.mark.parametrize(
    "code,lo,hi",
    [
        ("2025-11", "2025-10-31 17:00:00", "2025-11-30 17:00:00"),
        ("2025-Q3", "2025-06-30 17:00:00", "2025-09-30 17:00:00"),
        ("2025-6M", "2024-12-31 17:00:00", "2025-06-30 17:00:00"),
        ("2025-9M", "2024-12-31 17:00:00", "2025-09-30 17:00:00"),
        ("2025-03-01..2025-05-31", "2025-02-28 17:00:00", "2025-05-31 17:00:00"),
        ("2025-W47", "2025-11-16 17:00:00", "2025-11-23 17:00:00"),
    ],
)
def test_every_period_form_matches_sql(year_store, code, lo, hi):
    with year_store.sessions() as s:
        r = compute_report(s, year_store.station(s), parse_period(code), now=AFTER)
    ((p, i, ms),) = sql(
        year_store,
        f"SELECT COUNT(DISTINCT o.id), COUNT(*), COALESCE(SUM(e.duration_ms), 0) {aired_from()}",
        lo=lo,
        hi=hi,
    )
    assert (r.programmes, r.items, r.ms) == (p, i, ms)
    assert i > 0


def test_empty_period_is_zeros_not_error(year_store):
    with year_store.sessions() as s:
        r = compute_report(s, year_store.station(s), parse_period("2019-Q2"), now=AFTER)
    assert (r.programmes, r.items, r.ms, r.planned, r.problems_total) == (0, 0, 0, 0, 0)
    assert [row.items for row in r.by_area[:6]] == [0] * 6
    assert len(r.by_month) == 3 and r.planned_share is None
    assert "chưa phát tin, bài" in r.narrative
