"""The fixed parts of a Vietnamese administrative report (Decree 30/2020/NĐ-CP, roughly)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Setting, Station

MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
DOTS = "……"


@dataclass
class Letterhead:
    """Who issues the document, its number and date placeholders, recipients and signature."""

    parent: str = f"UBND XÃ {DOTS}"
    unit: str = "ĐÀI TRUYỀN THANH XÃ"
    number: str = f"Số: {DOTS}/BC-UBND"
    place_date: str = f"{DOTS}, ngày {DOTS} tháng {DOTS} năm {DOTS}"
    recipients: list[str] = field(
        default_factory=lambda: [
            "UBND huyện (Phòng Nội vụ);",
            "Thường trực Đảng ủy, HĐND xã;",
            "Chủ tịch, các Phó Chủ tịch UBND xã;",
            "Công chức Văn hóa - Thông tin;",
            "Lưu: VT.",
        ]
    )
    sign_for: str = "TM. ỦY BAN NHÂN DÂN"
    sign_title: str = "CHỦ TỊCH"
    sign_note: str = "(Ký, ghi rõ họ tên, đóng dấu)"


def letterhead(session: Session, station: Station) -> Letterhead:
    """Give back the letterhead of ``station``; a ``commune_name`` setting fills the commune's name."""
    lh = Letterhead(unit=station.name.upper())
    commune = session.scalar(
        select(Setting.value).where(Setting.station_id == station.id, Setting.key == "commune_name")
    )
    if isinstance(commune, str) and commune.strip():
        name = commune.strip()
        lh.parent = (
            f"UBND {name.upper()}"
            if name.lower().startswith(("xã", "phường", "thị trấn"))
            else f"UBND XÃ {name.upper()}"
        )
        place = name.split(" ", 1)[1] if name.lower().startswith("xã ") else name
        lh.place_date = f"{place}, ngày {DOTS} tháng {DOTS} năm {DOTS}"
    return lh


def title_lines(period_words: str, plan_only: bool = False) -> tuple[str, str]:
    """Give back the two title lines: BÁO CÁO and what it reports on, for the period in words."""
    sub = f"Kết quả công tác tuyên truyền cải cách hành chính {period_words}"
    if plan_only:
        sub += " (Kế hoạch, chưa phát)"
    return "BÁO CÁO", sub


LOGBOOK_TITLE = "SỔ NHẬT KÝ CHƯƠNG TRÌNH PHÁT THANH"
