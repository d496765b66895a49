"""Recurrence rules as a table: each case a schedule, a range, and the local starts it must give."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from broadcaster.rules import (
    describe,
    expand,
    expand_occurrences,
    overrun_warning,
    replay_overlap_error,
    validate_schedule,
    window_end,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def sched(**kw):
    base = dict(
        recurrence="daily",
        weekdays=None,
        month_day=None,
        nth=None,
        nth_weekday=None,
        start_time=time(5, 30),
        window_minutes=30,
        start_date=date(2026, 1, 1),
        end_date=None,
        skip_dates=[],
        replay_count=1,
        replay_gap_s=0,
        misfire_grace_s=600,
        overrun="stop",
        on_interrupt="resume",
    )
    base.update(kw)
    return SimpleNamespace(**base)


def local(starts, tz=HCM):
    return [s.astimezone(tz).strftime("%Y-%m-%d %H:%M") for s in starts]


def rng(a: str, b: str, tz=HCM):
    return (
        datetime.fromisoformat(a).replace(tzinfo=tz).astimezone(UTC),
        datetime.fromisoformat(b).replace(tzinfo=tz).astimezone(UTC),
    )


CASES = [
    (
        "once",
        sched(recurrence="once", start_date=date(2026, 3, 4), start_time=time(17, 0)),
        ("2026-03-01", "2026-03-10"),
        ["2026-03-04 17:00"],
    ),
    (
        "once outside range",
        sched(recurrence="once", start_date=date(2026, 3, 4)),
        ("2026-03-05", "2026-03-10"),
        [],
    ),
    (
        "daily with range and skip",
        sched(start_date=date(2026, 2, 1), end_date=date(2026, 2, 4), skip_dates=["2026-02-03"]),
        ("2026-01-30", "2026-02-10"),
        ["2026-02-01 05:30", "2026-02-02 05:30", "2026-02-04 05:30"],
    ),
    (
        "weekly Mon/Wed/Fri",
        sched(recurrence="weekly", weekdays=[0, 2, 4]),
        ("2026-03-02", "2026-03-09"),
        ["2026-03-02 05:30", "2026-03-04 05:30", "2026-03-06 05:30"],
    ),
    (
        "monthly day 31 skips short months",
        sched(recurrence="monthly_day", month_day=31),
        ("2026-01-01", "2026-06-01"),
        ["2026-01-31 05:30", "2026-03-31 05:30", "2026-05-31 05:30"],
    ),
    (
        "monthly day 29 in February of a non-leap year",
        sched(recurrence="monthly_day", month_day=29),
        ("2027-02-01", "2027-03-01"),
        [],
    ),
    (
        "first Monday",
        sched(recurrence="monthly_nth", nth=1, nth_weekday=0),
        ("2026-01-01", "2026-04-01"),
        ["2026-01-05 05:30", "2026-02-02 05:30", "2026-03-02 05:30"],
    ),
    (
        "last Friday",
        sched(recurrence="monthly_nth", nth=-1, nth_weekday=4),
        ("2026-01-01", "2026-04-01"),
        ["2026-01-30 05:30", "2026-02-27 05:30", "2026-03-27 05:30"],
    ),
    (
        "fifth Sunday only where it exists",
        sched(recurrence="monthly_nth", nth=5, nth_weekday=6),
        ("2026-01-01", "2026-05-01"),
        ["2026-03-29 05:30"],
    ),
    ("range end is exclusive", sched(), ("2026-01-01 05:30", "2026-01-02 05:30"), ["2026-01-01 05:30"]),
]


@pytest.mark.parametrize("name,schedule,window,want", CASES, ids=[c[0] for c in CASES])
def test_expand_table(name, schedule, window, want):
    assert validate_schedule(schedule) == []
    starts = expand(schedule, *rng(*window), HCM)
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s in starts)
    assert local(starts) == want


def test_expand_accepts_a_zone_name_and_mappings():
    s = vars(sched(recurrence="weekly", weekdays=[6]))
    assert local(expand(s, *rng("2026-03-01", "2026-03-09"), "Asia/Ho_Chi_Minh")) == [
        "2026-03-01 05:30",
        "2026-03-08 05:30",
    ]


def test_replays_are_separate_occurrences_with_their_index():
    s = sched(replay_count=3, replay_gap_s=600, start_date=date(2026, 1, 1), end_date=date(2026, 1, 1))
    occ = expand_occurrences(s, *rng("2026-01-01", "2026-01-02"), HCM)
    assert [(t.astimezone(HCM).strftime("%H:%M"), k) for t, k in occ] == [
        ("05:30", 0),
        ("05:40", 1),
        ("05:50", 2),
    ]
    assert len(expand(s, *rng("2026-01-01", "2026-01-02"), HCM)) == 1
    assert len(expand(s, *rng("2026-01-01", "2026-01-02"), HCM, replays=True)) == 3


BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")


def test_dst_keeps_the_local_wall_time():
    s = sched(start_time=time(5, 30))
    starts = expand(s, *rng("2026-03-27", "2026-03-31", BERLIN), BERLIN)
    assert local(starts, BERLIN) == [
        "2026-03-27 05:30",
        "2026-03-28 05:30",
        "2026-03-29 05:30",
        "2026-03-30 05:30",
    ]
    # The UTC instants move by an hour across the change: the clock on the wall does not.
    assert [s.hour for s in starts] == [4, 4, 3, 3]


def test_dst_gap_and_overlap_air_once():
    gap = sched(start_time=time(2, 30))  # does not exist on 2026-03-08 in New York
    starts = expand(gap, *rng("2026-03-07", "2026-03-10", NY), NY)
    assert local(starts, NY) == ["2026-03-07 02:30", "2026-03-08 03:30", "2026-03-09 02:30"]
    overlap = sched(start_time=time(1, 30))  # happens twice on 2026-11-01 in New York
    starts = expand(overlap, *rng("2026-10-31", "2026-11-03", NY), NY)
    assert len(starts) == 3 and len(set(starts)) == 3
    assert local(starts, NY)[1] == "2026-11-01 01:30"


INVALID = [
    ("weekly without days", sched(recurrence="weekly", weekdays=[]), "ít nhất một ngày"),
    ("month day 32", sched(recurrence="monthly_day", month_day=32), "từ 1 đến 31"),
    (
        "end before start",
        sched(start_date=date(2026, 5, 1), end_date=date(2026, 4, 1)),
        "phải sau ngày bắt đầu",
    ),
    ("window zero", sched(window_minutes=0), "dài hơn 0 phút"),
    (
        "replay outside window",
        sched(window_minutes=10, replay_count=3, replay_gap_s=600),
        "nằm ngoài khung giờ",
    ),
    ("replays without gap", sched(replay_count=2, replay_gap_s=0), "lớn hơn 0 phút"),
    ("nth 6", sched(recurrence="monthly_nth", nth=6, nth_weekday=1), "1 đến 5"),
    ("unknown kind", sched(recurrence="yearly"), "Kiểu lặp lại"),
    ("bad skip date", sched(skip_dates=["31/02/2026"]), "Ngày nghỉ"),
    (
        "never fires",
        sched(recurrence="weekly", weekdays=[6], start_date=date(2026, 3, 2), end_date=date(2026, 3, 6)),
        "không có ngày phát",
    ),
]


@pytest.mark.parametrize("name,schedule,needle", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_recurrences_are_named_in_vietnamese(name, schedule, needle):
    errors = validate_schedule(schedule)
    assert errors and any(needle in e for e in errors), errors


def test_overrun_warning_and_description():
    s = sched(window_minutes=15, overrun="fade")
    assert overrun_warning(s, 14 * 60 * 1000) is None
    msg = overrun_warning(s, 17 * 60 * 1000)
    assert "vượt khung giờ 15 phút" in msg and "2 phút 00 giây" in msg and "giảm dần" in msg
    assert describe(sched(recurrence="weekly", weekdays=[0, 4])) == "Hằng tuần vào Thứ Hai, Thứ Sáu lúc 05:30"
    assert describe(sched(recurrence="monthly_nth", nth=-1, nth_weekday=4)).startswith("Thứ Sáu cuối cùng")


UTCZ = ZoneInfo("UTC")

#: Repeats as a table: (name, schedule, zone, range in that zone, local (start, repeat index) pairs).
REPEATS = [
    (
        "3 times 15 min apart, zone without DST",
        sched(replay_count=3, replay_gap_s=900, start_time=time(6, 0), window_minutes=60),
        UTCZ,
        ("2026-06-01", "2026-06-03"),
        [
            ("2026-06-01 06:00", 0), ("2026-06-01 06:15", 1), ("2026-06-01 06:30", 2),
            ("2026-06-02 06:00", 0), ("2026-06-02 06:15", 1), ("2026-06-02 06:30", 2),
        ],
    ),
    (
        # 06:30 in Ho Chi Minh City is 23:30 UTC the day before: the local day decides.
        "local day boundary in Asia/Ho_Chi_Minh",
        sched(replay_count=2, replay_gap_s=1800, start_time=time(6, 30), window_minutes=60,
              start_date=date(2026, 6, 2), end_date=date(2026, 6, 2)),
        HCM,
        ("2026-06-01", "2026-06-05"),
        [("2026-06-02 06:30", 0), ("2026-06-02 07:00", 1)],
    ),
    (
        # The last repeat of 31 May airs after midnight, on 1 June, which is a skipped day: the
        # repeat belongs to the 31st's slot and airs; the 1st's own slot does not.
        "a repeat crossing midnight",
        sched(replay_count=3, replay_gap_s=900, start_time=time(23, 40), window_minutes=60,
              start_date=date(2026, 5, 31), end_date=date(2026, 6, 2), skip_dates=["2026-06-01"]),
        HCM,
        ("2026-05-31", "2026-06-04"),
        [
            ("2026-05-31 23:40", 0), ("2026-05-31 23:55", 1), ("2026-06-01 00:10", 2),
            ("2026-06-02 23:40", 0), ("2026-06-02 23:55", 1), ("2026-06-03 00:10", 2),
        ],
    ),
    (
        # "Phát 3 lần" for one day only: the days around it air once.
        "repeats on one day only",
        sched(replay_count=3, replay_gap_s=900, start_time=time(6, 0), window_minutes=60,
              replay_on=date(2026, 6, 2)),
        HCM,
        ("2026-06-01", "2026-06-04"),
        [
            ("2026-06-01 06:00", 0),
            ("2026-06-02 06:00", 0), ("2026-06-02 06:15", 1), ("2026-06-02 06:30", 2),
            ("2026-06-03 06:00", 0),
        ],
    ),
    (
        # A range that starts at midnight still sees the repeat of yesterday's slot after it.
        "a range starting after the first airing",
        sched(replay_count=3, replay_gap_s=900, start_time=time(23, 40), window_minutes=60,
              start_date=date(2026, 5, 31), end_date=date(2026, 5, 31)),
        HCM,
        ("2026-06-01", "2026-06-02"),
        [("2026-06-01 00:10", 2)],
    ),
]  # fmt: skip


@pytest.mark.parametrize("name,schedule,tz,span,want", REPEATS, ids=[c[0] for c in REPEATS])
def test_repeats_expand_to_their_own_occurrences(name, schedule, tz, span, want):
    lo, hi = rng(*span, tz)
    pairs = expand_occurrences(schedule, lo, hi, tz)
    assert [(t.astimezone(tz).strftime("%Y-%m-%d %H:%M"), k) for t, k in pairs] == want
    # The planner's pairs, the reports' plan (expand with replays) and the forecast agree.
    assert expand(schedule, lo, hi, tz, replays=True) == [t for t, _k in pairs]
    # Every repeat's slot closes where its first airing's window does (the window holds them all).
    for t, k in pairs:
        assert window_end(schedule, t, k) == t - timedelta(seconds=schedule.replay_gap_s * k) + timedelta(
            minutes=schedule.window_minutes
        )


BAD_REPEATS = [
    ("zero times", sched(replay_count=0), "Số lần phát phải từ 1 đến 20"),
    ("negative times", sched(replay_count=-2), "Số lần phát phải từ 1 đến 20"),
    ("too many", sched(replay_count=21, replay_gap_s=60, window_minutes=60), "Số lần phát phải từ 1 đến 20"),
    ("negative gap", sched(replay_count=2, replay_gap_s=-60), "không âm"),
    ("negative gap once", sched(replay_count=1, replay_gap_s=-60), "không âm"),
    (
        "repeat day the schedule does not air",
        sched(
            recurrence="weekly",
            weekdays=[0],
            replay_count=2,
            replay_gap_s=600,
            start_date=date(2026, 6, 1),
            replay_on=date(2026, 6, 2),
        ),
        "ngày đó lịch này không phát",
    ),
    (
        "repeat day not a date",
        sched(replay_count=2, replay_gap_s=600, replay_on="31/02"),
        "không đúng định dạng",
    ),
]


@pytest.mark.parametrize("name,schedule,needle", BAD_REPEATS, ids=[c[0] for c in BAD_REPEATS])
def test_bad_repeat_values_are_refused(name, schedule, needle):
    errors = validate_schedule(schedule)
    assert any(needle in e for e in errors), errors


def test_a_gap_shorter_than_the_programme_is_refused():
    s = sched(replay_count=3, replay_gap_s=120, window_minutes=30)
    assert not validate_schedule(s)
    msg = replay_overlap_error(s, 150_000)  # 2 min 30 s of programme, repeats 2 min apart
    assert msg and "chồng lên lần trước" in msg and "ít nhất 3 phút" in msg
    assert replay_overlap_error(s, 120_000) is None  # back to back is allowed
    assert replay_overlap_error(sched(replay_count=1, replay_gap_s=0), 600_000) is None


def test_repeats_are_described():
    s = sched(replay_count=3, replay_gap_s=90)
    assert describe(s) == "Hằng ngày lúc 05:30, phát 3 lần, cách nhau 1,5 phút"
    s = sched(replay_count=2, replay_gap_s=900, replay_on=date(2026, 6, 2))
    assert describe(s) == "Hằng ngày lúc 05:30, phát 2 lần, cách nhau 15 phút (chỉ ngày 02/06/2026)"
