"""A period still ahead is reported as the plan (from playout's expand), labelled as such."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from broadcaster.models import (
    CchcArea,
    ItemType,
    Programme,
    ProgrammeItem,
    Recurrence,
    Schedule,
    Segment,
    SegmentKind,
    Zone,
)
from broadcaster.playout import expand
from broadcaster.reports import (
    PLAN_LABEL,
    compute_report,
    export_docx,
    letterhead,
    parse_period,
    report_tables,
)

NOW = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)


@pytest.fixture
def planned(session, station):
    zones = [session.scalar(select(Zone).where(Zone.station_id == station.id))]
    zones.append(Zone(station_id=station.id, code="thon-dong", name="Thôn Đông"))
    session.add(zones[-1])
    prog = Programme(station_id=station.id, title="Chuyên mục CCHC tháng")
    session.add(prog)
    session.flush()
    kinds = [
        (SegmentKind.CCHC_NEWS, CchcArea.DIGITAL_GOVERNMENT),
        (SegmentKind.GOOD_EXAMPLE, CchcArea.CIVIL_SERVICE),
        (SegmentKind.JINGLE, None),
    ]
    for pos, (kind, area) in enumerate(kinds):
        seg = Segment(station_id=station.id, title=f"Tin {pos}", body="…", kind=kind, area=area)
        session.add(seg)
        session.flush()
        prog.items.append(ProgrammeItem(position=pos, item_type=ItemType.SEGMENT, segment_id=seg.id))
    prog.items.append(ProgrammeItem(position=9, item_type=ItemType.CHIME, chime="chuong"))
    daily = Schedule(
        station_id=station.id,
        programme_id=prog.id,
        recurrence=Recurrence.DAILY,
        start_time=time(5, 30),
        start_date=date(2026, 1, 1),
        skip_dates=["2026-04-30"],
        zones=zones,
    )
    weekly = Schedule(
        station_id=station.id,
        programme_id=prog.id,
        recurrence=Recurrence.WEEKLY,
        weekdays=[5],
        start_time=time(17, 0),
        start_date=date(2026, 1, 1),
        replay_count=2,
        replay_gap_s=600,
        window_minutes=30,
        zones=zones[:1],
    )
    off = Schedule(
        station_id=station.id,
        programme_id=prog.id,
        recurrence=Recurrence.DAILY,
        start_time=time(9, 0),
        start_date=date(2026, 1, 1),
        enabled=False,
        zones=zones,
    )
    session.add_all([daily, weekly, off])
    session.flush()
    return daily, weekly


def test_future_period_is_the_plan_only(session, station, planned):
    daily, weekly = planned
    period = parse_period("2026-Q2", station.timezone)
    tz = station.timezone
    n_daily = len(expand(daily, period.start_utc, period.end_utc, tz, replays=True))
    n_weekly = len(expand(weekly, period.start_utc, period.end_utc, tz, replays=True))
    assert n_daily == 90 and n_weekly == 26  # 91 days minus 30/4; 13 Saturdays, twice each
    r = compute_report(session, station, period, now=NOW)
    assert r.plan_only and (r.items, r.programmes, r.planned) == (0, 0, 0)
    assert r.plan.occurrences == n_daily * 2 + n_weekly
    assert r.plan.items == r.plan.occurrences * 2  # jingles and chimes are not content
    assert r.plan.by_kind == {"cchc_news": r.plan.occurrences, "good_example": r.plan.occurrences}
    assert [m.future for m in r.by_month] == [True, True, True]
    assert r.months_without_good_example == []
    assert sum(m.planned for m in r.by_month) == r.plan.occurrences
    assert "chưa diễn ra" in r.narrative and "kế hoạch, chưa phát" in r.narrative
    titles = [t.title for t in report_tables(r)]
    assert f"Lịch phát còn lại trong kỳ ({PLAN_LABEL})" in titles
    import io

    from docx import Document

    doc = Document(io.BytesIO(export_docx(r, letterhead(session, station))))
    assert any(p.text.endswith("quý II năm 2026 (Kế hoạch, chưa phát)") for p in doc.paragraphs)


def test_period_in_progress_mixes_log_and_plan(session, station, planned):
    daily, weekly = planned
    period = parse_period("2026-03", station.timezone)
    r = compute_report(session, station, period, now=NOW)
    assert r.in_progress and not r.plan_only
    expected = len(expand(daily, NOW, period.end_utc, station.timezone, replays=True)) * 2 + len(
        expand(weekly, NOW, period.end_utc, station.timezone, replays=True)
    )
    assert r.plan.occurrences == expected > 0
    assert "chưa kết thúc" in r.narrative
