"""A short Vietnamese summary written from the figures; the officer edits it before export."""

from __future__ import annotations

from ..models import AirStatus
from ..rules import vn_int, vn_num, vn_pct
from ._report import Report


def _plan_sentence(report: Report) -> str:
    plan = report.plan
    if plan is None or plan.occurrences == 0:
        return "Chưa có lịch phát nào đang bật cho thời gian còn lại của kỳ."
    return (
        f"Theo lịch phát đang bật, từ nay đến hết kỳ dự kiến phát {vn_int(plan.occurrences)} buổi "
        f"với {vn_int(plan.items)} lượt tin, bài (kế hoạch, chưa phát)."
    )


def narrative(report: Report) -> str:
    """Give back a few plain Vietnamese sentences that say what the figures say."""
    p = report.period
    who = report.station_name
    if report.plan_only:
        return f"Kỳ báo cáo {p.words} chưa diễn ra nên chưa có số liệu phát sóng. " + _plan_sentence(report)
    parts: list[str] = []
    if report.items == 0:
        parts.append(f"Trong {p.words}, {who} chưa phát tin, bài tuyên truyền cải cách hành chính nào.")
    else:
        parts.append(
            f"Trong {p.words}, {who} đã phát {vn_int(report.programmes)} buổi với {vn_int(report.items)} "
            f"lượt tin, bài tuyên truyền cải cách hành chính, tổng thời lượng {vn_num(report.minutes)} phút."
        )
        areas = sorted((r for r in report.by_area if r.items), key=lambda r: -r.items)
        if areas:
            top = ", ".join(f"{r.label.lower()} ({vn_int(r.items)} lượt)" for r in areas[:2])
            parts.append(f"Các lĩnh vực được tuyên truyền nhiều nhất: {top}.")
        if report.procedures:
            n = sum(r.items for r in report.procedures)
            named = [r for r in report.procedures if r.key]  # "(không ghi tên thủ tục)" is not a procedure
            if named:
                parts.append(
                    f"Đã phát {vn_int(n)} lượt hướng dẫn {len(named)} thủ tục hành chính, "
                    f"nhiều nhất là thủ tục {named[0].label} ({vn_int(named[0].items)} lượt)."
                )
            else:
                parts.append(f"Đã phát {vn_int(n)} lượt hướng dẫn thủ tục hành chính.")
    past_months = [m for m in report.by_month if not m.future]
    good = sum(m.good_examples for m in past_months)
    missing = report.months_without_good_example
    if past_months:
        if not missing:
            parts.append(
                f"Chuyên mục «Nêu gương người tốt, việc tốt» phát {vn_int(good)} lượt, "
                "bảo đảm mỗi tháng ít nhất 01 mục theo kế hoạch."
            )
        else:
            names = ", ".join(m.label.lower() for m in missing)
            parts.append(
                f"Chuyên mục «Nêu gương người tốt, việc tốt» phát {vn_int(good)} lượt; "
                f"chưa đạt yêu cầu 01 mục/tháng ở {names}."
            )
    if report.planned:
        sc = report.status_counts
        parts.append(
            f"Tỷ lệ thực hiện lịch phát đạt {vn_pct(report.planned_share)} "
            f"({vn_int(report.planned_aired)}/{vn_int(report.planned)} buổi theo lịch)."
        )
        bad = [
            f"{vn_int(sc.get(s, 0))} buổi {w}"
            for s, w in (
                (AirStatus.MISSED, "bỏ lỡ"),
                (AirStatus.FAILED, "lỗi"),
                (AirStatus.INTERRUPTED, "bị ngắt"),
            )
            if sc.get(s, 0)
        ]
        if bad:
            cause = ""
            if report.problem_reasons:
                reason = report.problem_reasons[0][1]
                cause = f", nguyên nhân chủ yếu: {reason[:1].lower()}{reason[1:]}"
            parts.append(f"Có {', '.join(bad)}{cause}.")
    if report.adhoc_programmes:
        parts.append(f"Ngoài lịch, đã phát {vn_int(report.adhoc_programmes)} buổi đột xuất.")
    if report.in_progress:
        parts.append(
            "Kỳ báo cáo chưa kết thúc; số liệu tính đến thời điểm lập báo cáo. " + _plan_sentence(report)
        )
    return " ".join(parts)
