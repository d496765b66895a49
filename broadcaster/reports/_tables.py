"""The report's figures as titled tables: one layout shared by the page, CSV, XLSX and DOCX."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import AIR_STATUS_LABELS, AirStatus
from ..rules import show_local
from ._report import PLAN_LABEL, Report, Row

Cell = int | float | str


@dataclass
class Table:
    """A titled table; the last row is a total when ``total`` is set."""

    key: str  # short, ASCII: the XLSX sheet name and the CSV section id
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    total: bool = False
    note: str = ""
    #: In DOCX, numbers from this column on are right-aligned (None: guessed from the first header).
    numeric_from: int | None = None


FIG_HEADERS = ["STT", "{what}", "Số buổi phát", "Số lượt tin, bài", "Thời lượng (phút)"]


def _fig_table(key: str, title: str, what: str, rows: list[Row], report: Report, total: bool = True) -> Table:
    t = Table(key, title, [h.format(what=what) for h in FIG_HEADERS], total=total)
    for i, r in enumerate(rows, 1):
        t.rows.append([i, r.label, r.programmes, r.items, r.minutes])
    if total:
        t.rows.append(["", "Tổng cộng", report.programmes, report.items, report.minutes])
    return t


def summary_rows(report: Report) -> list[list[Cell]]:
    """Give back the headline figures as (label, value) rows."""
    rows: list[list[Cell]] = [
        ["Số buổi phát có tin, bài tuyên truyền CCHC", report.programmes],
        ["Số lượt tin, bài đã phát", report.items],
        ["Tổng thời lượng tin, bài đã phát (phút)", report.minutes],
        ["Số buổi theo lịch đã đến giờ phát", report.planned],
        ["Số buổi theo lịch đã phát", report.planned_aired],
        ["Tỷ lệ thực hiện lịch phát (%)", report.planned_share if report.planned_share is not None else "—"],
        ["Số buổi phát đột xuất, ngoài lịch", report.adhoc_programmes],
    ]
    if report.plan is not None:
        rows.append([f"Số buổi theo lịch còn lại trong kỳ ({PLAN_LABEL})", report.plan.occurrences])
        rows.append([f"Số lượt tin, bài dự kiến ({PLAN_LABEL})", report.plan.items])
    return rows


def report_tables(report: Report) -> list[Table]:
    """Give back every table of the report, in the order the document prints them."""
    tz = report.period.timezone
    tables: list[Table] = [
        Table("tong_hop", "Tổng hợp kết quả", ["Chỉ tiêu", "Số liệu"], summary_rows(report))
    ]
    tables.append(
        _fig_table(
            "linh_vuc", "Kết quả theo lĩnh vực cải cách hành chính", "Lĩnh vực", report.by_area, report
        )
    )
    tables.append(
        _fig_table("loai_tin", "Kết quả theo loại tin, bài", "Loại tin, bài", report.by_kind, report)
    )
    tables.append(_fig_table("cum_loa", "Kết quả theo cụm loa", "Cụm loa", report.by_zone, report))

    t = Table(
        "theo_thang",
        "Kết quả theo tháng",
        [
            "Tháng",
            "Số buổi phát",
            "Số lượt tin, bài",
            "Thời lượng (phút)",
            "Nêu gương người tốt, việc tốt",
            "Số buổi theo lịch",
            "Ghi chú",
        ],
        total=True,
    )
    for m in report.by_month:
        note = (
            PLAN_LABEL
            if m.future
            else ("Chưa có tin nêu gương người tốt, việc tốt" if m.missing_good_example else "")
        )
        t.rows.append(
            [
                m.label,
                m.programmes,
                m.items,
                m.minutes,
                m.good_examples if not m.future else 0,
                m.planned,
                note,
            ]
        )
    t.rows.append(
        [
            "Tổng cộng",
            report.programmes,
            report.items,
            report.minutes,
            sum(m.good_examples for m in report.by_month if not m.future),
            sum(m.planned for m in report.by_month),
            "",
        ]
    )
    tables.append(t)

    t = Table(
        "thu_tuc",
        "Hướng dẫn thủ tục hành chính đã phát",
        ["STT", "Thủ tục", "Số lượt phát", "Số buổi phát", "Thời lượng (phút)"],
        total=True,
    )
    for i, r in enumerate(report.procedures, 1):
        t.rows.append([i, r.label, r.items, r.programmes, r.minutes])
    t.rows.append(
        [
            "",
            "Tổng cộng",
            sum(r.items for r in report.procedures),
            sum(r.programmes for r in report.procedures),
            round(sum(r.ms for r in report.procedures) / 60000, 1),
        ]
    )
    if not report.procedures:
        t.note = "Không có lượt hướng dẫn thủ tục hành chính nào trong kỳ."
    tables.append(t)

    t = Table(
        "nguoi_tot",
        "Chuyên mục «Nêu gương người tốt, việc tốt» (kế hoạch: 01 mục/tháng)",
        ["Tháng", "Số lượt đã phát", "Đánh giá"],
    )
    for m in report.by_month:
        if m.future:
            verdict = f"{PLAN_LABEL}: dự kiến {m.good_examples} lượt"
            n: Cell = 0
        else:
            verdict = "Đạt" if m.good_examples else "Chưa có — cần bổ sung"
            n = m.good_examples
        t.rows.append([m.label, n, verdict])
    tables.append(t)

    t = Table(
        "ke_hoach",
        "Kế hoạch và thực hiện (buổi theo lịch đã đến giờ phát)",
        ["Trạng thái", "Số buổi"],
        total=True,
    )
    for s in (
        AirStatus.PLAYED,
        AirStatus.INTERRUPTED,
        AirStatus.FAILED,
        AirStatus.MISSED,
        AirStatus.SKIPPED,
        AirStatus.PLAYING,
        AirStatus.PENDING,
    ):
        if s in report.status_counts or s in (
            AirStatus.PLAYED,
            AirStatus.MISSED,
            AirStatus.FAILED,
            AirStatus.INTERRUPTED,
        ):
            t.rows.append([AIR_STATUS_LABELS[s], report.status_counts.get(s, 0)])
    t.rows.append(["Tổng số buổi theo lịch", report.planned])
    tables.append(t)

    t = Table(
        "nguyen_nhan", "Nguyên nhân không phát được hoặc bị ngắt", ["Trạng thái", "Nguyên nhân", "Số buổi"]
    )
    t.rows = [[s, r, n] for s, r, n in report.problem_reasons]
    if not t.rows:
        t.note = "Không có buổi nào bị bỏ lỡ, lỗi hoặc bị ngắt."
    tables.append(t)

    t = Table(
        "danh_sach_loi",
        "Danh sách buổi bỏ lỡ, lỗi hoặc bị ngắt",
        ["STT", "Thời gian", "Chương trình", "Cụm loa", "Trạng thái", "Lý do"],
    )
    t.rows = [
        [i, show_local(p.scheduled_at, tz), p.title, p.zone, p.status_label, p.reason]
        for i, p in enumerate(report.problems, 1)
    ]
    if report.problems_total > len(report.problems):
        t.note = (
            f"Chỉ liệt kê {len(report.problems)} trên tổng số {report.problems_total} trường hợp; "
            "xem bảng nguyên nhân ở trên."
        )
    tables.append(t)

    if report.plan is not None and report.plan.occurrences:
        from ..models import AREA_LABELS, KIND_LABELS, CchcArea, SegmentKind

        t = Table(
            "ke_hoach_con_lai", f"Lịch phát còn lại trong kỳ ({PLAN_LABEL})", ["Nội dung", "Số lượt dự kiến"]
        )
        t.rows.append(["Số buổi phát", report.plan.occurrences])
        for k, n in report.plan.by_kind.items():
            t.rows.append([KIND_LABELS[SegmentKind(k)], n])
        for a, n in report.plan.by_area.items():
            t.rows.append([f"Lĩnh vực: {AREA_LABELS[CchcArea(a)]}", n])
        tables.append(t)
    return tables
