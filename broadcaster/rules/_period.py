"""Reporting periods: parse what an officer types, give back local dates and UTC edges.

Accepted forms (dates are in the station's timezone; boundaries become UTC only here, at the edge):

==========================  ==================================
``2025-11``                 a month
``2025-Q3``                 a quarter
``2025-6M`` / ``2025-9M``   the first six / nine months
``2025``                    a year
``2025-W47``                an ISO week (for the log book)
``2025-03-01..2025-05-31``  a range of days, both ends included
==========================  ==================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ACCEPTED_FORMS = (
    "tháng 11/2025 (hoặc 2025-11), quý III/2025 (2025-Q3), 6 tháng 2025 (2025-6M), "
    "9 tháng 2025 (2025-9M), năm 2025, tuần 47/2025 (2025-W47), "
    "khoảng ngày 01/03/2025-31/05/2025 (2025-03-01..2025-05-31)"
)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
MIN_YEAR, MAX_YEAR = 2000, 2100


class PeriodError(ValueError):
    """A period the officer typed cannot be understood; the message is one Vietnamese line."""


def _bad(text: str, why: str = "") -> PeriodError:
    shown = text if len(text) <= 40 else text[:40] + "…"
    extra = f" ({why})" if why else ""
    return PeriodError(
        f"Kỳ báo cáo «{shown}» không hợp lệ{extra}. Dùng một trong các dạng: {ACCEPTED_FORMS}."
    )


@dataclass(frozen=True)
class Period:
    """A span of whole local days, ``first`` to ``last`` inclusive, in the station's timezone."""

    code: str
    kind: str  # month | quarter | half | nine | year | week | range
    first: date
    last: date
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start_utc(self) -> datetime:
        """Give back the first instant of the period, aware UTC."""
        return local_midnight_utc(self.first, self.tz)

    @property
    def end_utc(self) -> datetime:
        """Give back the first instant after the period (exclusive end), aware UTC."""
        return local_midnight_utc(self.last + timedelta(days=1), self.tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def months(self) -> list[tuple[int, int]]:
        """Give back every (year, month) the period touches, in order."""
        out: list[tuple[int, int]] = []
        y, m = self.first.year, self.first.month
        while (y, m) <= (self.last.year, self.last.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def month_edges_utc(self) -> list[tuple[tuple[int, int], datetime, datetime]]:
        """Give back each touched month with its UTC edges, clipped to the period."""
        out = []
        for y, m in self.months():
            first = max(date(y, m, 1), self.first)
            nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
            last = min(nxt - timedelta(days=1), self.last)
            out.append(
                (
                    (y, m),
                    local_midnight_utc(first, self.tz),
                    local_midnight_utc(last + timedelta(days=1), self.tz),
                )
            )
        return out

    @property
    def words(self) -> str:
        """Give back the period as Vietnamese words, as a report title says it."""
        y = self.first.year
        if self.kind == "month":
            return f"tháng {self.first.month} năm {y}"
        if self.kind == "quarter":
            return f"quý {ROMAN[(self.first.month - 1) // 3 + 1]} năm {y}"
        if self.kind == "half":
            return f"6 tháng đầu năm {y}"
        if self.kind == "nine":
            return f"9 tháng đầu năm {y}"
        if self.kind == "year":
            return f"năm {y}"
        span = f"từ ngày {self.first:%d/%m/%Y} đến ngày {self.last:%d/%m/%Y}"
        if self.kind == "week":
            return f"tuần {self.first.isocalendar().week} năm {self.first.isocalendar().year} ({span})"
        return span


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """Give back the UTC instant of local midnight starting ``day``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _year(text: str, raw: str) -> int:
    y = int(raw)
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise _bad(text, f"năm phải trong khoảng {MIN_YEAR}–{MAX_YEAR}")
    return y


def _day(text: str, raw: str) -> date:
    try:
        d = date.fromisoformat(raw)
    except ValueError:
        raise _bad(text, f"ngày {raw} không có thật") from None
    _year(text, str(d.year))
    return d


_ROMAN_NUM = {"I": 1, "II": 2, "III": 3, "IV": 4}
_DMY = r"(\d{1,2})/(\d{1,2})/(\d{4})"


def _from_words(raw: str) -> str | None:
    """Give back the code for a period written the Vietnamese way ("quý III/2025", "tháng 11/2025",
    "6 tháng đầu năm 2025", "01/03/2025 - 31/05/2025"), or None."""
    t = " ".join(raw.lower().replace("năm ", "/").replace("–", "-").split())
    t = re.sub(r"\s*/\s*", "/", t)
    if m := re.fullmatch(r"(?:tháng )?(\d{1,2})[/-](\d{4})", t):
        return f"{m[2]}-{int(m[1]):02d}"
    if m := re.fullmatch(r"(?:quý|q) ?(i{1,3}|iv|\d)/(\d{4})", t):
        q = m[1].upper()
        return f"{m[2]}-Q{_ROMAN_NUM.get(q, q)}"
    if m := re.fullmatch(r"([69]) tháng(?: đầu)? ?/?(\d{4})", t):
        return f"{m[2]}-{m[1]}M"
    if m := re.fullmatch(r"/?(\d{4})", t):
        return m[1]
    if m := re.fullmatch(r"tuần (\d{1,2})/(\d{4})", t):
        return f"{m[2]}-W{m[1]}"
    if m := re.fullmatch(rf"(?:từ (?:ngày )?)?{_DMY} ?(?:-|\.\.|đến(?: ngày)?) ?{_DMY}", t):
        d1, mo1, y1, d2, mo2, y2 = (int(x) for x in m.groups())
        return f"{y1:04d}-{mo1:02d}-{d1:02d}..{y2:04d}-{mo2:02d}-{d2:02d}"
    return None


def parse_period(text: str, timezone: str = "Asia/Ho_Chi_Minh") -> Period:
    """Give back the :class:`Period` an officer's text names, or raise :class:`PeriodError`."""
    raw = (text or "").strip()
    s = (_from_words(raw) or raw).upper().replace(" ", "")
    if not s:
        raise _bad(raw, "chưa nhập kỳ báo cáo")
    if m := re.fullmatch(r"(\d{4})", s):
        y = _year(raw, m[1])
        return Period(f"{y}", "year", date(y, 1, 1), date(y, 12, 31), timezone)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", s):
        y, mo = _year(raw, m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise _bad(raw, "tháng phải từ 1 đến 12")
        nxt = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
        return Period(f"{y}-{mo:02d}", "month", date(y, mo, 1), nxt - timedelta(days=1), timezone)
    if m := re.fullmatch(r"(\d{4})-Q(\d)", s):
        y, q = _year(raw, m[1]), int(m[2])
        if not 1 <= q <= 4:
            raise _bad(raw, "quý phải từ 1 đến 4")
        first = date(y, 3 * q - 2, 1)
        nxt = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
        return Period(f"{y}-Q{q}", "quarter", first, nxt - timedelta(days=1), timezone)
    if m := re.fullmatch(r"(\d{4})-([69])M", s):
        y, n = _year(raw, m[1]), int(m[2])
        return Period(
            f"{y}-{n}M",
            "half" if n == 6 else "nine",
            date(y, 1, 1),
            date(y, n + 1, 1) - timedelta(days=1),
            timezone,
        )
    if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", s):
        y, w = _year(raw, m[1]), int(m[2])
        try:
            first = date.fromisocalendar(y, w, 1)
        except ValueError:
            raise _bad(raw, f"năm {y} không có tuần {w}") from None
        return Period(f"{y}-W{w:02d}", "week", first, first + timedelta(days=6), timezone)
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", s):
        first, last = _day(raw, m[1]), _day(raw, m[2])
        if last < first:
            raise _bad(raw, "ngày kết thúc trước ngày bắt đầu")
        return Period(f"{first.isoformat()}..{last.isoformat()}", "range", first, last, timezone)
    raise _bad(raw)


def current_month(now: datetime, timezone: str) -> Period:
    """Give back the local month that contains ``now``."""
    local = now.astimezone(ZoneInfo(timezone))
    return parse_period(f"{local.year}-{local.month:02d}", timezone)
