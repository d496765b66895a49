"""Codes inside official document numbers ("4906/QĐ-UBND", "61/2018/NĐ-CP", "17-NQ/TW").

A document number is <number>[/<year>]/<TYPE>-<ISSUER>[-<ISSUER>…]; the parts of the code are
split on "-" and "/". The first part is the kind of document when it is listed in DOC_TYPES;
the others name who issued it.
"""

from __future__ import annotations

DOC_TYPES = {
    "QĐ": "quyết định",
    "NQ": "nghị quyết",
    "NĐ": "nghị định",
    "TT": "thông tư",
    "TTLT": "thông tư liên tịch",
    "CT": "chỉ thị",
    "KH": "kế hoạch",
    "TB": "thông báo",
    "BC": "báo cáo",
    "CV": "công văn",
    "HD": "hướng dẫn",
    "TTr": "tờ trình",
    "QC": "quy chế",
    "QyĐ": "quy định",
    "KL": "kết luận",
    "CTr": "chương trình",
    "ĐA": "đề án",
    "PA": "phương án",
    "BB": "biên bản",
    "GM": "giấy mời",
    "PL": "pháp lệnh",
    "CĐ": "công điện",
}

# Issuers that are also Vietnamese syllables in capitals (TU, HU, ĐU) live here, not in the
# general dictionary, so that a heading word is never mistaken for them.
ISSUERS = {
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "CP": "Chính phủ",
    "TTg": "Thủ tướng Chính phủ",
    "TW": "Trung ương",
    "TƯ": "Trung ương",
    "TU": "Tỉnh ủy",
    "HU": "Huyện ủy",
    "ĐU": "Đảng ủy",
    "QH": "Quốc hội",
    "UBTVQH": "Ủy ban Thường vụ Quốc hội",
    "VPCP": "Văn phòng Chính phủ",
    "BNV": "Bộ Nội vụ",
    "BTP": "Bộ Tư pháp",
    "BTC": "Bộ Tài chính",
    "BYT": "Bộ Y tế",
    "BCA": "Bộ Công an",
    "BQP": "Bộ Quốc phòng",
    "BCT": "Bộ Công Thương",
    "BXD": "Bộ Xây dựng",
    "BTTTT": "Bộ Thông tin và Truyền thông",
    "BGDĐT": "Bộ Giáo dục và Đào tạo",
    "BLĐTBXH": "Bộ Lao động, Thương binh và Xã hội",
    "BNNPTNT": "Bộ Nông nghiệp và Phát triển nông thôn",
    "BTNMT": "Bộ Tài nguyên và Môi trường",
    "BKHĐT": "Bộ Kế hoạch và Đầu tư",
    "BGTVT": "Bộ Giao thông vận tải",
    "BVHTTDL": "Bộ Văn hóa, Thể thao và Du lịch",
    "NHNN": "Ngân hàng Nhà nước",
    "TTCP": "Thanh tra Chính phủ",
    "BHXH": "Bảo hiểm xã hội",
    "BCĐ": "Ban Chỉ đạo",
    "STTTT": "Sở Thông tin và Truyền thông",
    "SNV": "Sở Nội vụ",
    "SYT": "Sở Y tế",
    "STP": "Sở Tư pháp",
    "VP": "Văn phòng",
    "VPUBND": "Văn phòng Ủy ban nhân dân",
    "BTGTU": "Ban Tuyên giáo Tỉnh ủy",
    "BTGHU": "Ban Tuyên giáo Huyện ủy",
}
