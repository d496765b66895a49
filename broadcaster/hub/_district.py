"""The district's report over what the stations sent up, and one station's as-run by period.

Definitions, the same on the page and in the CSV / XLSX / DOCX exports:

* **An item aired** is as the station's own report counts it (``reports`` module docstring): a
  played as-run row of a segment whose kind is one of the content kinds. Its minutes are its
  ``duration_ms``; a *broadcast* is one occurrence uid with at least one item aired.
* **The CCHC column aired in a month**: at least one CCHC news item or procedure guidance item
  aired that month (the column's core, as ``content.propose_monthly`` builds it).
* **The good-deeds item aired in a month** ("Nêu gương người tốt, việc tốt", 01 a month in the
  plans): at least one item of that kind aired that month.
* A month counts from the months of the period that have begun; the current month is listed as
  not yet done, not as missed.
* **A district airing** is one start of a hub schedule targeted at the station (the starts the
  manifest lists; a schedule switched off keeps the starts before that). It is *aired* when the
  station sent a played content row for it; once its window has passed it is *missed* if the
  station has called since without one, and *not reported yet* if it has not called since.
  A normal-level airing is an offer the commune may decline (Circular 39): declined, or left
  undecided until its time, it is listed as such, not missed; accepted, it is judged at the time
  the commune chose. A district relay (tiếp sóng) is aired when the station's relay row says it
  aired some of the stream (played).
* **Relays**: every relay row of the period, its seconds of the stream and its seconds filled
  (the fallback aired while the stream failed), as the station measured them.

Every figure is a GROUP BY over the hub's rows of the period (months bucketed by a CASE on UTC
edges, portable across SQLite and PostgreSQL); only district airings are expanded in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..db import utcnow
from ..models import (
    AIR_STATUS_LABELS,
    AREA_LABELS,
    AirStatus,
    CchcArea,
    HubAsRun,
    HubOfferDecision,
    ItemType,
    OfferState,
    Priority,
    Schedule,
    SegmentKind,
    Station,
)
from ..reports import CONTENT_KINDS, Document, Letterhead, Table
from ..rules import Period, expand, show_local, vn_int, vn_num
from ._manifest import airing_uid
from ._stations import registered

COLUMN_KINDS = (SegmentKind.CCHC_NEWS, SegmentKind.PROCEDURE)
NO_AREA = "Chưa gắn lĩnh vực"
#: After its window a district airing is judged; a little more lets the station's row arrive.
JUDGE_AFTER = timedelta(minutes=5)
ASRUN_PAGE = 50
#: The lists of gaps and of district airings not aired stop here (as the station report's list of
#: problems): a year of a large district would otherwise print tens of thousands of lines.
LIST_LIMIT = 300
NOT_AIRED = ("missed", "unreported", "declined", "not_taken")


@dataclass(frozen=True)
class HubAiring:
    """One start of a district airing at one station, and what became of it (one record may be
    shared by every station that aired the airing on time, so it cannot change)."""

    at: datetime
    title: str
    state: str  # aired | missed | unreported | ahead | declined | not_taken (offers only)
    detail: str = ""

    @property
    def label(self) -> str:
        return HUB_AIRING_LABELS[self.state]


HUB_AIRING_LABELS = {
    "aired": "Đã phát",
    "missed": "Không phát",
    "unreported": "Chưa nhận nhật ký",
    "ahead": "Chưa đến giờ",
    "declined": "Xã từ chối",
    "not_taken": "Xã không nhận phát",
}


@dataclass
class CommuneRow:
    """What one commune station aired in the period."""

    code: str
    name: str
    programmes: int = 0
    items: int = 0
    ms: int = 0
    area_ms: dict[str | None, int] = field(default_factory=dict)
    column_months: set[tuple[int, int]] = field(default_factory=set)
    good_months: set[tuple[int, int]] = field(default_factory=set)
    hub_airings: list[HubAiring] = field(default_factory=list)
    relays: int = 0
    relayed_ms: int = 0
    filled_ms: int = 0

    @property
    def minutes(self) -> float:
        return round(self.ms / 60000, 1)

    def area_minutes(self, area: str | None) -> float:
        return round(self.area_ms.get(area, 0) / 60000, 1)

    def count(self, state: str) -> int:
        return sum(a.state == state for a in self.hub_airings)


@dataclass
class DistrictReport:
    """Every figure of the district's report for a period."""

    period: Period
    generated_at: datetime
    months: list[tuple[int, int]]  # the period's months that have begun
    current: tuple[int, int] | None  # the month still running, if the period holds it
    rows: list[CommuneRow]

    @property
    def ms(self) -> int:
        return sum(r.ms for r in self.rows)

    @property
    def minutes(self) -> float:
        return round(self.ms / 60000, 1)

    @property
    def has_unplaced_area(self) -> bool:
        return any(r.area_ms.get(None) for r in self.rows)

    def judged_months(self) -> list[tuple[int, int]]:
        """Give back the months a missing column counts against (begun and over)."""
        return [m for m in self.months if m != self.current]

    def gaps(self) -> list[tuple[CommuneRow, tuple[int, int], list[str]]]:
        """Give back (commune, month, what it lacks) for every begun month lacking something."""
        out = []
        for r in self.rows:
            for m in self.months:
                lacks = []
                if m not in r.column_months:
                    lacks.append("Chuyên mục cải cách hành chính")
                if m not in r.good_months:
                    lacks.append("Nêu gương người tốt, việc tốt")
                if lacks:
                    out.append((r, m, lacks))
        return out


def _period_months(period: Period, now: datetime) -> tuple[list, tuple[int, int] | None]:
    begun, current = [], None
    for ym, lo, hi in period.month_edges_utc():
        if lo <= now:
            begun.append(ym)
            if now < hi:
                current = ym
    return begun, current


def _when():
    return func.coalesce(HubAsRun.scheduled_at, HubAsRun.started_at)


def _aired():
    return and_(
        HubAsRun.status == AirStatus.PLAYED,
        HubAsRun.item_type == ItemType.SEGMENT,
        HubAsRun.kind.in_(CONTENT_KINDS),
    )


def _aired_airing():
    # A district airing is aired by a played content item, or by a relay that aired its stream.
    return or_(_aired(), and_(HubAsRun.status == AirStatus.PLAYED, HubAsRun.item_type == ItemType.RELAY))


def _in(period: Period):
    return and_(_when() >= period.start_utc, _when() < period.end_utc)


def _value(v) -> str | None:
    return None if v is None else getattr(v, "value", v)


def compute_district_report(
    session: Session, home_code: str, period: Period, *, now: datetime | None = None
) -> DistrictReport:
    """Give back the :class:`DistrictReport` of ``period`` over every registered station."""
    now = now or utcnow()
    months, current = _period_months(period, now)
    stations = registered(session, home_code)
    rows = {st.id: CommuneRow(st.code, st.name) for st in stations}

    base = select(HubAsRun.station_id).where(_in(period), _aired())
    for sid, p, i, ms in session.execute(
        base.add_columns(
            func.count(distinct(HubAsRun.occurrence_uid)),
            func.count(HubAsRun.id),
            func.coalesce(func.sum(HubAsRun.duration_ms), 0),
        ).group_by(HubAsRun.station_id)
    ):
        if sid in rows:
            rows[sid].programmes, rows[sid].items, rows[sid].ms = p, i, int(ms)

    for sid, area, ms in session.execute(
        base.add_columns(HubAsRun.area, func.coalesce(func.sum(HubAsRun.duration_ms), 0)).group_by(
            HubAsRun.station_id, HubAsRun.area
        )
    ):
        if sid in rows:
            rows[sid].area_ms[_value(area)] = int(ms)

    edges = period.month_edges_utc()
    if edges:
        bucket = case(*[(_when() < hi, i) for i, (_ym, _lo, hi) in enumerate(edges)], else_=-1)
        column = func.sum(case((HubAsRun.kind.in_(COLUMN_KINDS), 1), else_=0))
        good = func.sum(case((HubAsRun.kind == SegmentKind.GOOD_EXAMPLE, 1), else_=0))
        stmt = base.add_columns(bucket.label("b"), column, good).group_by(HubAsRun.station_id, "b")
        for sid, b, n_column, n_good in session.execute(stmt):
            if sid in rows and 0 <= b < len(edges):
                ym = edges[b][0]
                if n_column:
                    rows[sid].column_months.add(ym)
                if n_good:
                    rows[sid].good_months.add(ym)

    for sid, n, relayed, filled in session.execute(
        select(
            HubAsRun.station_id,
            func.count(HubAsRun.id),
            func.coalesce(func.sum(HubAsRun.relayed_ms), 0),
            func.coalesce(func.sum(HubAsRun.filled_ms), 0),
        )
        .where(_in(period), HubAsRun.item_type == ItemType.RELAY, HubAsRun.relayed_ms.is_not(None))
        .group_by(HubAsRun.station_id)
    ):
        if sid in rows:
            rows[sid].relays, rows[sid].relayed_ms, rows[sid].filled_ms = n, int(relayed), int(filled)

    for sid, found in _district_airings(session, stations, period, now).items():
        rows[sid].hub_airings = found
    return DistrictReport(period, now, months, current, [rows[st.id] for st in stations])


def _district_airings(
    session: Session, stations: list[Station], period: Period, now: datetime
) -> dict[int, list[HubAiring]]:
    """Give back, per station id, the district airings of the period and what became of each.

    One pass for the whole district: each district schedule is expanded once (an airing's uid is
    the same at every station), then its as-run rows and offer decisions are read in bounded IN
    lists. A schedule switched off (withdrawn) keeps only the starts before it was switched off.
    """
    known = {st.id: st for st in stations}
    scheds = session.scalars(
        select(Schedule)
        .where(Schedule.targets.any())
        .options(selectinload(Schedule.targets), selectinload(Schedule.programme))
        .order_by(Schedule.id)
    ).all()
    airings: list[tuple[datetime, str, Schedule]] = []
    for sched in scheds:
        for at in expand(sched, period.start_utc, period.end_utc, period.timezone):
            if sched.enabled or at < sched.updated_at:
                airings.append((at, airing_uid(sched.uid, sched.recurrence, at), sched))
    out: dict[int, list[HubAiring]] = {sid: [] for sid in known}
    if not airings:
        return out
    uids = sorted({uid for _at, uid, _s in airings})
    aired: set[tuple[str, int]] = set()  # (airing, station) with a row that aired it
    rows: dict[tuple[str, int], list[tuple[AirStatus, str | None]]] = {}  # the other rows
    decisions: dict[tuple[str, int], HubOfferDecision] = {}
    flag = case((_aired_airing(), 1), else_=0)  # NULL (a row without a kind) is not aired
    for n in range(0, len(uids), 500):  # IN lists of a bounded size
        chunk = uids[n : n + 500]
        aired.update(
            (uid, sid)  # plain tuples: a Row hashes and compares through a slower path
            for uid, sid in session.execute(
                select(HubAsRun.schedule_uid, HubAsRun.station_id)
                .distinct()
                .where(HubAsRun.schedule_uid.in_(chunk), flag == 1)
            )
        )
        for uid, sid, status, reason in session.execute(
            select(HubAsRun.schedule_uid, HubAsRun.station_id, HubAsRun.status, HubAsRun.reason).where(
                HubAsRun.schedule_uid.in_(chunk), flag == 0
            )
        ):
            rows.setdefault((uid, sid), []).append((AirStatus(_value(status)), reason))
        for d in session.scalars(
            select(HubOfferDecision)
            .where(HubOfferDecision.schedule_uid.in_(chunk))
            .order_by(HubOfferDecision.decided_at, HubOfferDecision.id)
        ):
            decisions[(d.schedule_uid, d.station_id)] = d  # the newest decision stands
    # The loop below runs once per airing and station (a year of a district of 1,000 communes:
    # 365,000 times), so what it reads is read before it, as plain values (an ORM attribute costs a
    # microsecond or two), and what does not depend on the station is one shared record: aired on
    # time, or nothing sent for it (the station heard of since the window or not).
    seen = {sid: st.last_seen_at for sid, st in known.items()}
    targets = {sched.id: [t.id for t in sched.targets if t.id in known] for sched in scheds}
    for at, uid, sched in sorted(airings, key=lambda a: (a[0], a[1])):
        title = sched.name or sched.programme.title
        window = timedelta(minutes=sched.window_minutes or 0)
        offer = sched.priority == Priority.NORMAL
        on_time = HubAiring(at, title, "aired")
        silent: dict[tuple[datetime, bool], HubAiring] = {}
        for sid in targets[sched.id]:
            done = (uid, sid) in aired
            if done and not offer:
                out[sid].append(on_time)
                continue
            when = at
            if offer:
                # An offer: the commune decides whether and when (Circular 39), so only an accepted
                # one can be missed, at the time the commune chose.
                d = decisions.get((uid, sid))
                state = d.decision if d is not None else OfferState.WAITING
                if not done:
                    if state == OfferState.WITHDRAWN:
                        continue
                    if state == OfferState.DECLINED:
                        out[sid].append(HubAiring(at, title, "declined", d.reason or ""))
                        continue
                    if state == OfferState.WAITING:
                        if at > now:
                            out[sid].append(HubAiring(at, title, "ahead", "Chờ xã quyết định"))
                        else:
                            out[sid].append(
                                HubAiring(at, title, "not_taken", "Xã không quyết định trước giờ phát")
                            )
                        continue
                if state == OfferState.ACCEPTED and d.air_at is not None:
                    when = d.air_at
            got = rows.get((uid, sid), [])
            if done or got:
                out[sid].append(_judge(seen[sid], when, title, window, done, got, now))
                continue
            key = (when, seen[sid] is not None and seen[sid] > when + window)
            if key not in silent:
                silent[key] = _judge(seen[sid], when, title, window, done, got, now)
            out[sid].append(silent[key])
    return out


def _judge(
    last_seen: datetime | None,
    at: datetime,
    title: str,
    window: timedelta,
    aired: bool,
    got: list[tuple[AirStatus, str | None]],
    now: datetime,
) -> HubAiring:
    """Give back what became of one airing a station (last heard of at ``last_seen``) had to air
    at ``at``: ``aired`` if a row aired it, else judged from its other rows ``got``."""
    if aired:
        return HubAiring(at, title, "aired")
    if at + window + JUDGE_AFTER > now:
        return HubAiring(at, title, "ahead")
    if got:
        status, reason = ([x for x in got if x[0] != AirStatus.PLAYED] or got)[0]
        return HubAiring(at, title, "missed", f"{AIR_STATUS_LABELS[status]}: {reason or ''}".rstrip(": "))
    if last_seen is not None and last_seen > at + window:
        return HubAiring(at, title, "missed", "Đài không gửi nhật ký phát cho buổi này")
    return HubAiring(at, title, "unreported", "Đài chưa liên lạc lại từ giờ phát")


def _cut_note(limit: int, total: int, see: str) -> str:
    return f"Chỉ liệt kê {vn_int(limit)} trên tổng số {vn_int(total)} trường hợp; xem {see}."


def _month_words(ym: tuple[int, int]) -> str:
    return f"Tháng {ym[1]}/{ym[0]}"


def district_tables(report: DistrictReport, limit: int = LIST_LIMIT) -> list[Table]:
    """Give back every table of the district's report, in the order the document prints them
    (the two lists cut at ``limit`` lines, with a note saying so)."""
    tz = report.period.timezone
    judged = report.judged_months()
    n = len(judged)
    t1 = Table(
        "tong_hop_xa",
        "Kết quả theo đài truyền thanh xã",
        [
            "STT",
            "Đài xã",
            "Số buổi phát",
            "Số lượt tin, bài",
            "Thời lượng (phút)",
            f"Số tháng có chuyên mục CCHC (trên {n})",
            f"Số tháng có tin nêu gương (trên {n})",
            "Tin của huyện: đã phát / đến giờ",
        ],
        total=True,
        numeric_from=2,
    )
    for i, r in enumerate(report.rows, 1):
        due = r.count("aired") + r.count("missed") + r.count("unreported")
        t1.rows.append(
            [
                i,
                f"{r.name} ({r.code})",
                r.programmes,
                r.items,
                r.minutes,
                sum(m in r.column_months for m in judged),
                sum(m in r.good_months for m in judged),
                f"{r.count('aired')}/{due}",
            ]
        )
    t1.rows.append(
        [
            "",
            "Tổng cộng",
            sum(r.programmes for r in report.rows),
            sum(r.items for r in report.rows),
            report.minutes,
            sum(1 for r in report.rows if all(m in r.column_months for m in judged)),
            sum(1 for r in report.rows if all(m in r.good_months for m in judged)),
            "",
        ]
    )
    if report.rows:
        t1.note = "Dòng tổng cộng ở hai cột chuyên mục là số đài đã phát đủ các tháng." + (
            f" {_month_words(report.current)} chưa kết thúc nên chưa tính." if report.current else ""
        )
    else:
        t1.note = "Chưa có đài xã nào đăng ký với huyện."

    areas: list[str | None] = [a.value for a in CchcArea] + ([None] if report.has_unplaced_area else [])
    t2 = Table(
        "linh_vuc_xa",
        "Thời lượng theo lĩnh vực cải cách hành chính (phút)",
        ["Đài xã", *[AREA_LABELS[CchcArea(a)] if a else NO_AREA for a in areas], "Tổng cộng"],
        total=True,
        numeric_from=1,
    )
    for r in report.rows:
        t2.rows.append([r.name, *[r.area_minutes(a) for a in areas], r.minutes])
    t2.rows.append(
        [
            "Tổng cộng",
            *[round(sum(r.area_ms.get(a, 0) for r in report.rows) / 60000, 1) for a in areas],
            report.minutes,
        ]
    )

    t3 = Table(
        "xa_con_thieu", "Các xã chưa phát chuyên mục theo tháng", ["STT", "Đài xã", "Tháng", "Còn thiếu"]
    )
    gaps = report.gaps()
    for i, (r, ym, lacks) in enumerate(gaps[:limit], 1):
        when = _month_words(ym) + (" (chưa hết tháng)" if ym == report.current else "")
        t3.rows.append([i, r.name, when, "; ".join(lacks)])
    if not t3.rows:
        t3.note = (
            "Mọi đài xã đã phát đủ chuyên mục CCHC và tin nêu gương người tốt, việc tốt trong các tháng."
        )
    elif len(gaps) > limit:
        t3.note = _cut_note(limit, len(gaps), "số tháng có chuyên mục của từng xã ở bảng 1")

    t4 = Table(
        "tin_huyen_chua_phat",
        "Tin, bài của huyện chưa phát",
        ["STT", "Đài xã", "Thời gian", "Chương trình", "Tình trạng", "Ghi chú"],
    )
    k = 0
    for r in report.rows:
        for a in r.hub_airings:
            if a.state in NOT_AIRED:
                k += 1
                if k <= limit:
                    t4.rows.append([k, r.name, show_local(a.at, tz), a.title, a.label, a.detail])
    if not t4.rows:
        t4.note = "Mọi tin, bài của huyện đã đến giờ đều đã được các đài xã phát."
    elif k > limit:
        t4.note = _cut_note(limit, k, "số buổi đã phát trên số buổi đến giờ của từng xã ở bảng 1")

    t5 = Table(
        "tiep_song",
        "Tiếp sóng chương trình của huyện, tỉnh",
        ["STT", "Đài xã", "Số lần tiếp sóng", "Tiếp sóng (phút)", "Phát thay khi mất sóng (phút)"],
        total=True,
        numeric_from=2,
    )
    relaying = [r for r in report.rows if r.relays]
    for i, r in enumerate(relaying, 1):
        t5.rows.append([i, f"{r.name} ({r.code})", r.relays, _minutes(r.relayed_ms), _minutes(r.filled_ms)])
    if relaying:
        t5.rows.append(
            [
                "",
                "Tổng cộng",
                sum(r.relays for r in relaying),
                _minutes(sum(r.relayed_ms for r in relaying)),
                _minutes(sum(r.filled_ms for r in relaying)),
            ]
        )
        t5.note = "Phát thay: thời gian đài phát mục dự phòng hoặc im lặng vì luồng tiếp sóng không vào được."
    else:
        t5.note = "Trong kỳ không đài xã nào tiếp sóng."
    return [t1, t2, t3, t4, t5]


def _minutes(ms: int) -> float:
    return round(ms / 60000, 1)


def district_narrative(report: DistrictReport) -> list[str]:
    """Give back the summary paragraphs of the district's report."""
    judged = report.judged_months()
    total = len(report.rows)
    if not total:
        return ["Chưa có đài truyền thanh xã nào đăng ký với huyện."]
    full_column = sum(1 for r in report.rows if all(m in r.column_months for m in judged))
    full_good = sum(1 for r in report.rows if all(m in r.good_months for m in judged))
    aired = sum(r.count("aired") for r in report.rows)
    due = sum(r.count("aired") + r.count("missed") + r.count("unreported") for r in report.rows)
    items = vn_int(sum(r.items for r in report.rows))
    out = [
        f"Trong kỳ báo cáo, {total} đài truyền thanh xã đã phát {items} lượt "
        f"tin, bài tuyên truyền với tổng thời lượng {vn_num(report.minutes)} phút.",
    ]
    if judged:
        out.append(
            f"{full_column}/{total} đài đã phát chuyên mục cải cách hành chính đủ {len(judged)} tháng; "
            f"{full_good}/{total} đài đã phát tin nêu gương người tốt, việc tốt đủ {len(judged)} tháng."
        )
    if due:
        out.append(f"Tin, bài của huyện: đã phát {vn_int(aired)} trên {vn_int(due)} buổi đã đến giờ.")
    relays = sum(r.relays for r in report.rows)
    if relays:
        relayed = vn_num(_minutes(sum(r.relayed_ms for r in report.rows)))
        filled = vn_num(_minutes(sum(r.filled_ms for r in report.rows)))
        stations = sum(1 for r in report.rows if r.relays)
        out.append(
            f"Tiếp sóng: {stations} đài, {vn_int(relays)} lần, {relayed} phút tiếp sóng; "
            f"{filled} phút phát thay khi mất sóng."
        )
    return out


def district_letterhead(session: Session, home_code: str) -> Letterhead:
    """Give back the letterhead of the district's report, issued by the hub's own unit."""
    home = session.scalar(select(Station).where(Station.code == home_code))
    name = home.name if home is not None else "Trung tâm Văn hóa – Thông tin huyện"
    district = (home.district if home is not None else "") or "……"
    return Letterhead(
        parent=f"UBND HUYỆN {district.upper()}",
        unit=name.upper(),
        number="Số: ……/BC-TTVH",
        recipients=[
            "UBND huyện;",
            "Phòng Văn hóa - Thông tin huyện;",
            "UBND các xã, thị trấn;",
            "Lưu: VT.",
        ],
        sign_for="",
        sign_title="GIÁM ĐỐC",
    )


def district_document(report: DistrictReport) -> Document:
    """Give back the district's report laid out for the station report's CSV / XLSX / DOCX writers."""
    sub = (
        "Kết quả phát thanh tuyên truyền cải cách hành chính của các đài truyền thanh xã "
        f"{report.period.words}"
    )
    return Document(
        ("BÁO CÁO", sub),
        report.period,
        report.generated_at,
        district_narrative(report),
        district_tables(report),
    )


@dataclass
class AsRunPage:
    """One page of a station's as-run rows in a period, newest first."""

    rows: list[HubAsRun]
    total: int
    page: int
    pages: int


def station_asrun(session: Session, station: Station, period: Period, page: int = 1) -> AsRunPage:
    """Give back page ``page`` (from 1; clamped) of the station's as-run rows in ``period``."""
    where = and_(HubAsRun.station_id == station.id, _in(period))
    total = session.scalar(select(func.count(HubAsRun.id)).where(where)) or 0
    pages = max(1, -(-total // ASRUN_PAGE))
    page = min(max(1, page), pages)
    rows = list(
        session.scalars(
            select(HubAsRun)
            .where(where)
            .order_by(_when().desc(), HubAsRun.position.desc(), HubAsRun.id.desc())
            .offset((page - 1) * ASRUN_PAGE)
            .limit(ASRUN_PAGE)
        )
    )
    return AsRunPage(rows, total, page, pages)
