"""Periods as officers type them: forms, words, UTC edges, and clear errors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from broadcaster.rules import PeriodError, parse_period

VN = "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize(
    "code,first,last,words",
    [
        ("2025-11", date(2025, 11, 1), date(2025, 11, 30), "tháng 11 năm 2025"),
        ("2024-2", date(2024, 2, 1), date(2024, 2, 29), "tháng 2 năm 2024"),
        ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30), "quý III năm 2025"),
        ("2025-q4", date(2025, 10, 1), date(2025, 12, 31), "quý IV năm 2025"),
        ("2025-6M", date(2025, 1, 1), date(2025, 6, 30), "6 tháng đầu năm 2025"),
        ("2025-9m", date(2025, 1, 1), date(2025, 9, 30), "9 tháng đầu năm 2025"),
        ("2025", date(2025, 1, 1), date(2025, 12, 31), "năm 2025"),
        (
            "2025-03-01..2025-05-31",
            date(2025, 3, 1),
            date(2025, 5, 31),
            "từ ngày 01/03/2025 đến ngày 31/05/2025",
        ),
        (
            " 2025-W01 ",
            date(2024, 12, 30),
            date(2025, 1, 5),
            "tuần 1 năm 2025 (từ ngày 30/12/2024 đến ngày 05/01/2025)",
        ),
    ],
)
def test_forms(code, first, last, words):
    p = parse_period(code, VN)
    assert (p.first, p.last, p.words) == (first, last, words)


def test_edges_are_local_midnights_in_utc():
    p = parse_period("2025-11", VN)
    assert p.start_utc == datetime(2025, 10, 31, 17, tzinfo=UTC)
    assert p.end_utc == datetime(2025, 11, 30, 17, tzinfo=UTC)
    u = parse_period("2025-11", "UTC")
    assert u.start_utc == datetime(2025, 11, 1, tzinfo=UTC)
    q = parse_period("2025-Q1", VN)
    edges = q.month_edges_utc()
    assert [e[0] for e in edges] == [(2025, 1), (2025, 2), (2025, 3)]
    assert edges[1][1] == datetime(2025, 1, 31, 17, tzinfo=UTC) and edges[-1][2] == q.end_utc


@pytest.mark.parametrize(
    "bad,why",
    [
        ("", "chưa nhập"),
        ("2025-13", "tháng phải từ 1 đến 12"),
        ("2025-Q5", "quý"),
        ("2025-7M", ""),
        ("tháng 11", ""),
        ("2025-02-30..2025-03-01", "không có thật"),
        ("2025-05-31..2025-03-01", "trước ngày"),
        ("1999", "năm phải"),
        ("2025-W53", "không có tuần 53"),
        ("x" * 500, ""),
    ],
)
def test_bad_periods_name_the_accepted_forms(bad, why):
    with pytest.raises(PeriodError) as info:
        parse_period(bad, VN)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 400
    assert "Kỳ báo cáo" in msg and "2025-Q3" in msg and "2025-6M" in msg and "2025-03-01..2025-05-31" in msg
    assert why in msg


@pytest.mark.parametrize(
    "text,code",
    [
        ("tháng 11/2025", "2025-11"),
        ("11/2025", "2025-11"),
        ("Tháng 6-2024", "2024-06"),
        ("quý III/2025", "2025-Q3"),
        ("Quý 3 năm 2025", "2025-Q3"),
        ("Q2/2025", "2025-Q2"),
        ("6 tháng đầu năm 2025", "2025-6M"),
        ("9 tháng 2025", "2025-9M"),
        ("năm 2024", "2024"),
        ("tuần 47/2025", "2025-W47"),
        ("01/03/2025 - 31/05/2025", "2025-03-01..2025-05-31"),
        ("từ ngày 1/3/2025 đến ngày 31/5/2025", "2025-03-01..2025-05-31"),
    ],
)
def test_periods_written_the_vietnamese_way(text, code):
    assert parse_period(text).code == code


@pytest.mark.parametrize("text", ["quý V/2025", "tháng 13/2025", "32/01/2025 - 01/02/2025", "hôm qua"])
def test_bad_vietnamese_periods_name_the_accepted_forms(text):
    with pytest.raises(PeriodError, match="quý III/2025"):
        parse_period(text)
