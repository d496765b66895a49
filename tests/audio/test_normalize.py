"""Table tests of the Vietnamese normalizer: each case is (input, exact expected speech)."""

from __future__ import annotations

import pytest

from broadcaster.audio.normalize import (
    NormalizeError,
    default_lexicon,
    is_vietnamese_syllable,
    normalize,
    read_decimal,
    read_digits,
    read_number,
    read_ordinal,
    read_url,
    read_year,
    roman_to_int,
    spell,
)

Y2020 = "hai nghìn không trăm hai mươi"
Y2021 = "hai nghìn không trăm hai mươi mốt"
Y2024 = "hai nghìn không trăm hai mươi tư"

# --- numbers read by read_number ---------------------------------------------------------

CARDINALS_NORTH = [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (31, "ba mươi mốt"),
    (44, "bốn mươi tư"),
    (55, "năm mươi lăm"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1005, "một nghìn không trăm linh năm"),
    (1010, "một nghìn không trăm mười"),
    (1050, "một nghìn không trăm năm mươi"),
    (1100, "một nghìn một trăm"),
    (1500, "một nghìn năm trăm"),
    (2001, "hai nghìn không trăm linh một"),
    (2021, Y2021),
    (2024, Y2024),
    (10_000, "mười nghìn"),
    (10_005, "mười nghìn không trăm linh năm"),
    (15_000, "mười lăm nghìn"),
    (21_000, "hai mươi mốt nghìn"),
    (105_000, "một trăm linh năm nghìn"),
    (1_000_000, "một triệu"),
    (1_000_005, "một triệu không trăm linh năm"),
    (1_001_000, "một triệu không trăm linh một nghìn"),
    (1_500_000, "một triệu năm trăm nghìn"),
    (2_000_000_000, "hai tỷ"),
    (2_500_000_000, "hai tỷ năm trăm triệu"),
    (1_000_000_001, "một tỷ không trăm linh một"),
    (1_000_000_000_000, "một nghìn tỷ"),
    (-5, "âm năm"),
]

CARDINALS_SOUTH = [
    (105, "một trăm lẻ năm"),
    (1005, "một ngàn không trăm lẻ năm"),
    (2001, "hai ngàn không trăm lẻ một"),
    (15_000, "mười lăm ngàn"),
    (1_000_000, "một triệu"),
    (2024, "hai ngàn không trăm hai mươi tư"),
    (3_000_000_000, "ba tỷ"),
]


@pytest.mark.parametrize(("n", "expected"), CARDINALS_NORTH)
def test_read_number_north(n: int, expected: str) -> None:
    assert read_number(n) == expected
    assert read_number(n, "central") == expected


@pytest.mark.parametrize(("n", "expected"), CARDINALS_SOUTH)
def test_read_number_south(n: int, expected: str) -> None:
    assert read_number(n, "south") == expected


def test_number_helpers() -> None:
    assert read_digits("0912") == "không chín một hai"
    assert read_digits(113) == "một một ba"
    assert read_year(2021) == Y2021
    assert read_year(2021, "south") == "hai ngàn không trăm hai mươi mốt"
    assert read_decimal("98,5") == "chín mươi tám phẩy năm"
    assert read_decimal("0,5") == "không phẩy năm"
    assert read_decimal("1.234,56") == "một nghìn hai trăm ba mươi tư phẩy năm mươi sáu"
    assert read_ordinal(1) == "thứ nhất"
    assert read_ordinal(2) == "thứ hai"
    assert read_ordinal(4) == "thứ tư"
    assert read_ordinal(10) == "thứ mười"
    assert roman_to_int("XIII") == 13
    assert roman_to_int("MMXXIV") == 2024
    assert roman_to_int("IIII") is None
    assert roman_to_int("DDCI") is None
    assert spell("PCI") == "pê xê i"
    assert spell("SIPAS") == "ét i pê a ét"
    assert read_url("dichvucong.gov.vn") == "dịch vụ công chấm gốp chấm vê nờ"
    with pytest.raises(NormalizeError):
        read_number(5, "west")


@pytest.mark.parametrize(
    "word", ["KẾ", "HOẠCH", "NỘI", "DUNG", "TUYÊN", "TRUYỀN", "NGHĨA", "QUỐC", "KHUYẾN", "GIỮA", "Ý"]
)
def test_heading_words_are_syllables(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize("word", ["CCHC", "UBND", "PAPI", "PCI", "DDCI", "SIPAS", "IT", "KH", "OK"])
def test_acronyms_are_not_syllables(word: str) -> None:
    assert not is_vietnamese_syllable(word)


# --- normalize: (input, expected) ----------------------------------------------------------

NUMBERS = [
    ("15", "mười lăm."),
    ("21", "hai mươi mốt."),
    ("24 người", "hai mươi tư người."),
    ("25 thôn", "hai mươi lăm thôn."),
    ("10 xã", "mười xã."),
    ("105 hộ", "một trăm linh năm hộ."),
    ("110 hộ", "một trăm mười hộ."),
    ("1.005 hộ", "một nghìn không trăm linh năm hộ."),
    ("2001", "hai nghìn không trăm linh một."),
    ("1.000.000", "một triệu."),
    ("1.000.005", "một triệu không trăm linh năm."),
    ("2.500.000.000", "hai tỷ năm trăm triệu."),
    (
        "12.345.678.901",
        "mười hai tỷ ba trăm bốn mươi lăm triệu sáu trăm bảy mươi tám nghìn chín trăm linh một.",
    ),
    ("1.000.000.000.000", "một nghìn tỷ."),
    ("05 ngày", "năm ngày."),
    ("06 tháng", "sáu tháng."),
    ("(03 hệ)", "ba hệ."),
    ("gồm (03 hệ) khác nhau", "gồm, ba hệ, khác nhau."),
    ("01 mục/1 tháng", "một mục mỗi tháng."),
    ("15 số/năm", "mười lăm số mỗi năm."),
    ("100.000 đồng/người", "một trăm nghìn đồng mỗi người."),
    ("Định kỳ 6 tháng và 01 năm", "định kỳ sáu tháng và một năm."),
    ("mã hồ sơ 000123", "mã hồ sơ không không không một hai ba."),
    ("5-7 ngày", "năm đến bảy ngày."),
    ("từ 10 - 15 người", "từ mười đến mười lăm người."),
    ("0,5", "không phẩy năm."),
    ("98,5%", "chín mươi tám phẩy năm phần trăm."),
    ("100%", "một trăm phần trăm."),
    ("100% TTHC", "một trăm phần trăm thủ tục hành chính."),
    ("tỷ lệ 0,05%", "tỷ lệ không phẩy không năm phần trăm."),
    ("đạt 95 %", "đạt chín mươi lăm phần trăm."),
    ("1,5 tỷ đồng", "một phẩy năm tỷ đồng."),
    ("3,14", "ba phẩy mười bốn."),
    ("mục 1.1", "mục một chấm một."),
    ("cách mạng công nghiệp 4.0", "cách mạng công nghiệp bốn chấm không."),
    ("3.2", "ba chấm hai."),
    ("thứ 2", "thứ hai."),
    ("thứ 4", "thứ tư."),
    ("lần thứ 1", "lần thứ nhất."),
    ("lần thứ 10", "lần thứ mười."),
    ("Thứ 2 đến Thứ 6", "thứ hai đến thứ sáu."),
    ("Thứ 2 - CN", "thứ hai, chủ nhật."),
    ("từ Thứ 2 đến CN", "từ thứ hai đến chủ nhật."),
    ("3 x 4 m", "ba nhân bốn mét."),
    ("~50%", "khoảng năm mươi phần trăm."),
    ("> 80% hồ sơ", "hơn tám mươi phần trăm hồ sơ."),
    ("< 5 tuổi", "dưới năm tuổi."),
]

NUMBERS_SOUTH = [
    ("105 hộ", "một trăm lẻ năm hộ."),
    ("1.005 hộ", "một ngàn không trăm lẻ năm hộ."),
    ("năm 2001", "năm hai ngàn không trăm lẻ một."),
    ("50.000 đồng", "năm mươi ngàn đồng."),
    ("1.500.000đ", "một triệu năm trăm ngàn đồng."),
    ("ngày 05/3/2024", "ngày năm tháng ba năm hai ngàn không trăm hai mươi tư."),
    ("Quyết định số 4906/QĐ-UBND", "quyết định số bốn ngàn chín trăm lẻ sáu của Ủy ban nhân dân."),
    ("giai đoạn 2021 - 2030", "giai đoạn hai ngàn không trăm hai mươi mốt đến hai ngàn không trăm ba mươi."),
    ("24 người", "hai mươi tư người."),
    ("0912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám."),
]

DATES_AND_TIMES = [
    ("ngày 05/3/2024", f"ngày năm tháng ba năm {Y2024}."),
    ("Ngày 05/3/2024", f"ngày năm tháng ba năm {Y2024}."),
    ("29/12/2020", f"ngày hai mươi chín tháng mười hai năm {Y2020}."),
    ("ngày 22/4/2021", f"ngày hai mươi hai tháng tư năm {Y2021}."),
    ("ngày 01/01/2021", f"ngày một tháng một năm {Y2021}."),
    ("ngày 05-3-2024", f"ngày năm tháng ba năm {Y2024}."),
    ("ngày 05.3.2024", f"ngày năm tháng ba năm {Y2024}."),
    ("hạn chót 10/02/2021", f"hạn chót ngày mười tháng hai năm {Y2021}."),
    ("ngày 10/02", "ngày mười tháng hai."),
    ("nghỉ lễ 30/4 – 1/5", "nghỉ lễ ngày ba mươi tháng tư đến ngày một tháng năm."),
    ("lúc 7h30 ngày 2/9", "lúc bảy giờ ba mươi ngày hai tháng chín."),
    ("tháng 4", "tháng tư."),
    ("tháng 12", "tháng mười hai."),
    ("tháng 6/2024", f"tháng sáu năm {Y2024}."),
    ("tháng 6-2024", f"tháng sáu năm {Y2024}."),
    ("trong 6/2024", f"trong tháng sáu năm {Y2024}."),
    ("Quý II/2025", "quý hai năm hai nghìn không trăm hai mươi lăm."),
    ("Quý I/2024", f"quý một năm {Y2024}."),
    ("quý IV", "quý bốn."),
    ("Quý 1/2024", f"quý một năm {Y2024}."),
    ("năm 2021", f"năm {Y2021}."),
    ("2026 - 2030", "hai nghìn không trăm hai mươi sáu đến hai nghìn không trăm ba mươi."),
    ("2026-2030", "hai nghìn không trăm hai mươi sáu đến hai nghìn không trăm ba mươi."),
    ("giai đoạn 2021 - 2030", f"giai đoạn {Y2021} đến hai nghìn không trăm ba mươi."),
    ("giai đoạn 2021–2025", f"giai đoạn {Y2021} đến hai nghìn không trăm hai mươi lăm."),
    ("14h00", "mười bốn giờ."),
    ("7h30", "bảy giờ ba mươi."),
    ("7:30", "bảy giờ ba mươi."),
    ("7 giờ 30", "bảy giờ ba mươi."),
    ("7h", "bảy giờ."),
    ("đúng 7h sáng", "đúng bảy giờ sáng."),
    ("lúc 16h45", "lúc mười sáu giờ bốn mươi lăm."),
    ("7h30p", "bảy giờ ba mươi."),
    ("từ 05:30–06:30", "từ năm giờ ba mươi đến sáu giờ ba mươi."),
    ("14h00-16h00", "mười bốn giờ đến mười sáu giờ."),
    ("ngày 32/13/2024", f"ngày ba mươi hai, mười ba, {Y2024}."),
]

DOCUMENTS = [
    ("Quyết định số 4906/QĐ-UBND", "quyết định số bốn nghìn chín trăm linh sáu của Ủy ban nhân dân."),
    (
        "Quyết định số 4906/QĐ-UBND ngày 29/12/2020 của UBND huyện",
        f"quyết định số bốn nghìn chín trăm linh sáu ngày hai mươi chín tháng mười hai năm {Y2020} "
        "của Ủy ban nhân dân huyện.",
    ),
    ("1234/QĐ-UBND", "quyết định số một nghìn hai trăm ba mươi tư của Ủy ban nhân dân."),
    ("theo 123/QĐ-UBND", "theo quyết định số một trăm hai mươi ba của Ủy ban nhân dân."),
    ("văn bản số 123/QĐ-UBND", "văn bản quyết định số một trăm hai mươi ba của Ủy ban nhân dân."),
    ("Nghị quyết số 17-NQ/TW", "nghị quyết số mười bảy của Trung ương."),
    ("17-NQ/TW", "nghị quyết số mười bảy của Trung ương."),
    ("Thông tư số 09/2021/TT-BTP", f"thông tư số chín năm {Y2021} của Bộ Tư pháp."),
    ("Theo Thông tư số 09/2021/TT-BTP của Bộ Tư pháp", f"theo thông tư số chín năm {Y2021} của bộ tư pháp."),
    ("Kế hoạch số 35/KH-UBND", "kế hoạch số ba mươi lăm của Ủy ban nhân dân."),
    ("Nghị định 61/2018/NĐ-CP", "nghị định sáu mươi mốt năm hai nghìn không trăm mười tám của Chính phủ."),
    ("Nghị quyết 30c/NQ-CP", "nghị quyết ba mươi xê của Chính phủ."),
    ("Quyết định số 749/QĐ-TTg", "quyết định số bảy trăm bốn mươi chín của Thủ tướng Chính phủ."),
    ("Chỉ thị 05/CT-TTg", "chỉ thị năm của Thủ tướng Chính phủ."),
    ("Chỉ thị số 05-CT/TU", "chỉ thị số năm của Tỉnh ủy."),
    ("Thông tư 39/2020/TT-BTTTT", f"thông tư ba mươi chín năm {Y2020} của Bộ Thông tin và Truyền thông."),
    (
        "Luật số 25/2018/QH14",
        "luật số hai mươi lăm năm hai nghìn không trăm mười tám của Quốc hội khóa mười bốn.",
    ),
    ("Công văn số 123/UBND-VP", "công văn số một trăm hai mươi ba của Ủy ban nhân dân."),
    (
        "Thông tư liên tịch số 01/2015/TTLT-BTP-BNV",
        "thông tư liên tịch số một năm hai nghìn không trăm mười lăm của Bộ Tư pháp và Bộ Nội vụ.",
    ),
    ("Quyết định số 424/QĐ-BNV của Bộ Nội vụ", "quyết định số bốn trăm hai mươi tư của bộ nội vụ."),
    (
        "Quyết định số 1887/QĐ-UBND ngày 18/12/2020 của Chủ tịch UBND tỉnh",
        f"quyết định số một nghìn tám trăm tám mươi bảy ngày mười tám tháng mười hai năm {Y2020} "
        "của chủ tịch Ủy ban nhân dân tỉnh.",
    ),
    ("Kế hoạch 01/KH-XYZ", "kế hoạch một của ích xì i dài dét."),
    ("TT 39/2020", f"thông tư ba mươi chín năm {Y2020}."),
    ("NĐ-CP", "nghị định của Chính phủ."),
    ("QĐ-UBND", "quyết định, Ủy ban nhân dân."),
]

ABBREVIATIONS = [
    ("CCHC", "cải cách hành chính."),
    ("TTHC", "thủ tục hành chính."),
    ("UBND xã", "Ủy ban nhân dân xã."),
    ("HĐND huyện", "Hội đồng nhân dân huyện."),
    ("MTTQ", "Mặt trận Tổ quốc."),
    ("Ủy ban MTTQ", "ủy ban Mặt trận Tổ quốc."),
    ("TT&TT", "Thông tin và Truyền thông."),
    ("TTTT", "Thông tin và Truyền thông."),
    ("Sở TT&TT", "Sở Thông tin và Truyền thông."),
    ("VH-TT", "Văn hóa, Thông tin."),
    ("BCCI", "bưu chính công ích."),
    ("DVC", "dịch vụ công."),
    ("CNTT", "công nghệ thông tin."),
    ("CĐS", "chuyển đổi số."),
    ("CBCC", "cán bộ, công chức."),
    ("HCC", "hành chính công."),
    ("DN", "doanh nghiệp."),
    ("TW", "Trung ương."),
    ("QĐ", "quyết định."),
    ("KH", "kế hoạch."),
    ("NQ", "nghị quyết."),
    ("TTg", "Thủ tướng."),
    ("BHXH, BHYT", "bảo hiểm xã hội, bảo hiểm y tế."),
    ("BHTN", "bảo hiểm thất nghiệp."),
    ("CCCD", "căn cước công dân."),
    ("TP", "thành phố."),
    ("TP. Gia Nghĩa", "thành phố gia nghĩa."),
    ("TP.HCM", "thành phố Hồ Chí Minh."),
    ("HTX", "hợp tác xã."),
    ("THCS và THPT", "trung học cơ sở và trung học phổ thông."),
    ("BCĐ", "ban chỉ đạo."),
    ("ĐVHC", "đơn vị hành chính."),
    ("CQNN", "cơ quan nhà nước."),
    ("VPĐKĐĐ", "Văn phòng Đăng ký đất đai."),
    ("Sở Y tế", "Sở Y tế."),
    ("PCCC", "phòng cháy chữa cháy."),
    ("VNĐ", "đồng."),
    ("PCT UBND", "phó chủ tịch Ủy ban nhân dân."),
    ("Lưu: VT, TCCB.", "lưu, văn thư, tổ chức cán bộ."),
    ("KT. GIÁM ĐỐC", "ký thay giám đốc."),
    ("UBND tỉnh (B/c);", "Ủy ban nhân dân tỉnh, báo cáo."),
    ("phát triển KT-XH", "phát triển kinh tế, xã hội."),
    ("v.v.", "vân vân."),
    ("TT Kiến Đức", "thị trấn kiến đức."),
    ("TT Y tế huyện", "trung tâm y tế huyện."),
    ("theo TT số 39", "theo thông tư số ba mươi chín."),
    ("các TT", "các thông tư."),
    ("CT UBND xã", "Chủ tịch Ủy ban nhân dân xã."),
    ("CT", "chỉ thị."),
    ("cải cách hành chính (CCHC)", "cải cách hành chính."),
    ("thủ tục hành chính (TTHC) và", "thủ tục hành chính và."),
    ("Chỉ số (PAPI)", "chỉ số, pê a pê i."),
    ("PCI", "pê xê i."),
    ("PAPI", "pê a pê i."),
    ("DDCI", "đê đê xê i."),
    ("SIPAS", "ét i pê a ét."),
    ("PAR INDEX", "pê a e rờ in đéc."),
    ("Chỉ số CCHC (Par Index)", "chỉ số cải cách hành chính, pê a e rờ in đéc."),
    ("XYZ", "ích xì i dài dét."),
    ("NATO", "en nờ a tê o."),
    ("mã QR", "mã quy e rờ."),
    ("UNESCO", "u nét cô."),
    ("COVID-19", "cô vít mười chín."),
    ("3G, 4G", "ba gờ, bốn gờ."),
    ("CN", "xê en nờ."),
    ("CN, 05/3", "chủ nhật, ngày năm tháng ba."),
    ("CN ngày 05/3/2024", f"chủ nhật ngày năm tháng ba năm {Y2024}."),
    ("OK", "o ca."),
]

HEADINGS_AND_WORDS = [
    ("KẾ HOẠCH", "kế hoạch."),
    ("II. NỘI DUNG TUYÊN TRUYỀN", "hai, nội dung tuyên truyền."),
    ("II. NHIỆM VỤ", "hai, nhiệm vụ."),
    ("I. MỤC ĐÍCH, YÊU CẦU", "một, mục đích, yêu cầu."),
    ("IV. KINH PHÍ", "bốn, kinh phí."),
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "cộng hòa xã hội chủ nghĩa việt nam."),
    ("Độc lập - Tự do - Hạnh phúc", "độc lập, tự do, hạnh phúc."),
    ("THÔNG BÁO KHẨN", "thông báo khẩn."),
    ("SỞ Y TẾ TỈNH ĐẮK NÔNG", "sở y tế tỉnh đắk nông."),
    ("UBND HUYỆN THẠCH THÀNH", "Ủy ban nhân dân huyện thạch thành."),
    ("khóa XIII", "khóa mười ba."),
    ("khoá XII", "khoá mười hai."),
    ("Đại hội XIII", "đại hội mười ba."),
    ("Đại hội Đảng toàn quốc lần thứ XIII", "đại hội đảng toàn quốc lần thứ mười ba."),
    ("Chương V", "chương năm."),
    ("Phần II", "phần hai."),
    ("mục III", "mục ba."),
    ("kỳ họp thứ IV", "kỳ họp thứ tư."),
    ("thế kỷ XXI", "thế kỷ hai mươi mốt."),
    ("vitamin C", "vi ta min xê."),
    ("nhóm V", "nhóm vê."),
    ("điểm b khoản 2", "điểm bê khoản hai."),
    ("Đắk R'Lấp", "đắk rờ lấp."),
    ("người H'Mông", "người hờ mông."),
    ("ra-đi-ô", "ra đi ô."),
]

LISTS_AND_PUNCTUATION = [
    ("- Nội dung một;\n- Nội dung hai.", "nội dung một. nội dung hai."),
    ("+ Nội dung một\n+ Nội dung hai", "nội dung một. nội dung hai."),
    ("• Gạch đầu dòng", "gạch đầu dòng."),
    ("a) Mục tiêu chung: Tăng cường.\nb) Mục tiêu cụ thể:", "mục tiêu chung, tăng cường. mục tiêu cụ thể."),
    ("1. Mục tiêu", "mục tiêu."),
    ("3.2. Nội dung", "nội dung."),
    ("1.1 Nội dung", "nội dung."),
    ("(1) Lý do", "lý do."),
    ("A. PHẦN MỞ ĐẦU", "phần mở đầu."),
    ("Nơi nhận:\n- UBND tỉnh (B/c);\n- Lưu: VT.", "nơi nhận. Ủy ban nhân dân tỉnh, báo cáo. lưu, văn thư."),
    ("kinh tế - xã hội", "kinh tế, xã hội."),
    ("Văn hóa – Thông tin", "văn hóa, thông tin."),
    ("Văn hóa — Thông tin", "văn hóa, thông tin."),
    ("thôn/khu dân cư", "thôn, khu dân cư."),
    ("xã/phường/thị trấn", "xã, phường, thị trấn."),
    ("Phát “Nêu gương người tốt, việc tốt” mỗi tháng", "phát, nêu gương người tốt, việc tốt, mỗi tháng."),
    ('Chương trình "Người tốt"', "chương trình, người tốt."),
    ("[Ghi chú] xong", "ghi chú, xong."),
    ("Bạn có biết?", "bạn có biết?"),
    ("Hãy đi tiêm!!!", "hãy đi tiêm!"),
    ("Vì sao?!", "vì sao?"),
    ("Vậy thì… được rồi", "vậy thì, được rồi."),
    ("chính... Thực hiện", "chính. thực hiện."),
    ("triển khai thực hiện./.", "triển khai thực hiện."),
    ("Một; hai; ba", "một. hai. ba."),
    ("Tin vui & ấm áp", "tin vui và ấm áp."),
    ("a = b", "a bằng bê."),
    ("giá 5 $", "giá năm đô la."),
    ("# Tiêu đề *đậm*", "tiêu đề đậm."),
    ("câu một. câu hai", "câu một. câu hai."),
    ("Dòng một\n\nDòng hai", "dòng một.\n\ndòng hai."),
    ("Dòng một\nDòng hai", "dòng một. dòng hai."),
    ("Đầu\n\n\n\nCuối", "đầu.\n\ncuối."),
    ("đầu câu\n\n\n\ncuối câu", "đầu câu cuối câu."),
    ("Thông báo của xã về \nviệc tiêm chủng", "thông báo của xã về việc tiêm chủng."),
    ("Thông báo của xã về\n\nviệc tiêm chủng", "thông báo của xã về việc tiêm chủng."),
    ("giai đoạn 2016 -\n2020", "giai đoạn hai nghìn không trăm mười sáu đến hai nghìn không trăm hai mươi."),
    ("Nghị quyết số 18-\nNQ/TW", "nghị quyết số mười tám của Trung ương."),
]

PHONES_AND_WEB = [
    ("0912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám."),
    ("0912345678", "không chín một hai, ba bốn năm, sáu bảy tám."),
    ("0768.221.221", "không bảy sáu tám, hai hai một, hai hai một."),
    ("0261.3.544.123", "không hai sáu một, ba, năm bốn bốn, một hai ba."),
    ("02613544123", "không hai sáu một, ba năm bốn, bốn một hai ba."),
    ("Hotline: 0912345678", "hót lai, không chín một hai, ba bốn năm, sáu bảy tám."),
    ("+84 912 345 678", "cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám."),
    ("Đường dây nóng 1900 1234", "đường dây nóng một chín không không, một hai ba bốn."),
    ("gọi 113", "gọi một một ba."),
    ("Gọi cấp cứu 115 hoặc cứu hỏa 114", "gọi cấp cứu một một năm hoặc cứu hỏa một một bốn."),
    ("có 113 hộ", "có một trăm mười ba hộ."),
    ("https://dichvucong.gov.vn", "dịch vụ công chấm gốp chấm vê nờ."),
    ("dichvucong.gov.vn", "dịch vụ công chấm gốp chấm vê nờ."),
    ("truy cập https://dichvucong.gov.vn.", "truy cập dịch vụ công chấm gốp chấm vê nờ."),
    ("www.thanhhoa.gov.vn", "vê kép vê kép vê kép chấm thanh hóa chấm gốp chấm vê nờ."),
    (
        "http://thachthanh.thanhhoa.gov.vn/portal/Pages/default.aspx",
        "thạch thành chấm thanh hóa chấm gốp chấm vê nờ.",
    ),
    ("baohiemxahoi.gov.vn", "bảo hiểm xã hội chấm gốp chấm vê nờ."),
    ("daknong.gov.vn", "đắk nông chấm gốp chấm vê nờ."),
    ("quangson.gov.vn", "quang son chấm gốp chấm vê nờ."),
    ("Email: vanphong@daknong.gov.vn", "i meo, van phong a còng đắk nông chấm gốp chấm vê nờ."),
    ("lienhe.ubnd@gmail.com", "liên he chấm u bê en nờ đê a còng gờ meo chấm com."),
    ("zalo.vn", "da lô chấm vê nờ."),
    ("Cổng daklak.gov.vn", "cổng đắk lắk chấm gốp chấm vê nờ."),
    ("xaquangson.vn", "xa quang son chấm vê nờ."),
]

UNITS_AND_MONEY = [
    ("50.000 đồng", "năm mươi nghìn đồng."),
    ("1.500.000đ", "một triệu năm trăm nghìn đồng."),
    ("1.500.000 đ", "một triệu năm trăm nghìn đồng."),
    ("2 triệu đồng", "hai triệu đồng."),
    ("50.000 VNĐ", "năm mươi nghìn đồng."),
    ("50.000VND", "năm mươi nghìn đồng."),
    ("100 USD", "một trăm đô la Mỹ."),
    ("5 ha", "năm héc ta."),
    ("2,5 ha", "hai phẩy năm héc ta."),
    ("20 km", "hai mươi ki lô mét."),
    ("100 m2", "một trăm mét vuông."),
    ("100 m²", "một trăm mét vuông."),
    ("10 m3", "mười mét khối."),
    ("5 kg", "năm ki lô gam."),
    ("25°C", "hai mươi lăm độ xê."),
    ("60 km/h", "sáu mươi ki lô mét trên giờ."),
    ("tốc độ km/h", "tốc độ ki lô mét trên giờ."),
    ("cao 3m", "cao ba mét."),
    ("1 triệu 500 nghìn", "một triệu năm trăm nghìn."),
    ("Giá 1.200đ/kg", "giá một nghìn hai trăm đồng mỗi ki lô gam."),
    ("năng suất 5 tấn/ha", "năng suất năm tấn mỗi héc ta."),
]

CLEANING = [
    ("<p>Thông báo <b>khẩn</b></p>", "thông báo khẩn."),
    ("Tin&nbsp;vui &amp; ấm áp", "tin vui và ấm áp."),
    ("Trời đẹp 😀☀️ quá", "trời đẹp quá."),
    ("Hôm nay\x00 trời\u200b đẹp\x07", "hôm nay trời đẹp."),
    ("\ufeffTHÔNG BÁO\r\n\r\nVề việc nghỉ lễ", "thông báo.\n\nvề việc nghỉ lễ."),
    ("Ủy ban nhân dân xã", "ủy ban nhân dân xã."),
    ("Uỷ ban nhân dân xã", "uỷ ban nhân dân xã."),
    ("\u00a0\u00a0Xin   chào\t\tbà con  ", "xin chào bà con."),
    ("½ số hộ", "một phần hai số hộ."),
    ("Điều ①", "điều một."),
    ("số ٣", "số ba."),
    ("Dòng một\u2028Dòng hai", "dòng một. dòng hai."),
]


def _nfd(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFD", text)


# Found reading the seed plans aloud (issue 3 review): each was said wrong before.
REVIEW_FIXES = [
    # A capital standing alone is a letter, not half of a word ("T nh h nh" is flagged, not guessed).
    ("chị H ngồi đây, đội T nhận giải", "chị hát ngồi đây, đội tê nhận giải."),  # whole words: untouched
    # Other scripts: espeak-ng said "Chinese letter" in English, or Cyrillic letter names.
    ("Xin chào 中文 bà con", "xin chào bà con."),
    ("Tên Иван đọc không được", "tên đọc không được."),
    ("ＵＢＮＤ xã", "Ủy ban nhân dân xã."),
    # "7g30" is a time as often as "7h30": was "bảy gờ ba mươi".
    ("họp lúc 7g30 sáng", "họp lúc bảy giờ ba mươi sáng."),
    ("từ 13g30 đến 17g00", "từ mười ba giờ ba mươi đến mười bảy giờ."),
    ("gói 500g", "gói năm trăm gam."),
    # A minus before a temperature or the mathematical minus: was dropped ("năm độ").
    ("nhiệt độ -2°C", "nhiệt độ âm hai độ xê."),
    ("Sa Pa xuống -3 độ", "sa pa xuống âm ba độ."),
    ("nhiệt độ −3,5°C", "nhiệt độ âm ba phẩy năm độ xê."),
    ("-5 hộ nghèo", "năm hộ nghèo."),
    ("giai đoạn 2016 -2020", f"giai đoạn hai nghìn không trăm mười sáu đến {Y2020}."),
]

CLEANING.append((_nfd("Thông báo lịch tiêm chủng"), "thông báo lịch tiêm chủng."))
CLEANING.append((_nfd("QUYẾT ĐỊNH"), "quyết định."))

# Real sentences from the two seed plans, read aloud as an announcer would.
SEEDS = [
    (
        "Căn cứ Quyết định số 424/QĐ-BNV, ngày 24/3/2021 của Bộ Nội vụ về việc ban hành kế hoạch "
        "thông tin, tuyên truyền CCHC năm 2021;",
        f"căn cứ quyết định số bốn trăm hai mươi tư, ngày hai mươi tư tháng ba năm {Y2021} của bộ nội vụ "
        f"về việc ban hành kế hoạch thông tin, tuyên truyền cải cách hành chính năm {Y2021}.",
    ),
    (
        "Thực hiện Quyết định số 4906/QĐ-UBND ngày 29/12/2020 của UBND huyện Thạch Thành về việc ban "
        "hành Kế hoạch cải cách hành chính năm 2021;",
        f"thực hiện quyết định số bốn nghìn chín trăm linh sáu ngày hai mươi chín tháng mười hai năm {Y2020} "
        f"của Ủy ban nhân dân huyện thạch thành về việc ban hành kế hoạch cải cách hành chính năm {Y2021}.",
    ),
    ("I. MỤC TIÊU, YÊU CẦU VÀ ĐỐI TƯỢNG", "một, mục tiêu, yêu cầu và đối tượng."),
    (
        "II. ĐỐI TƯỢNG, NỘI DUNG, HÌNH THỨC, THỜI GIAN TUYÊN TRUYỀN",
        "hai, đối tượng, nội dung, hình thức, thời gian tuyên truyền.",
    ),
    ("III. TỔ CHỨC THỰC HIỆN", "ba, tổ chức thực hiện."),
    (
        "b) Tuyên truyền kết quả đạt được của Chương trình tổng thể CCHC nhà nước giai đoạn 2011 - 2020 "
        "ban hành kèm theo Nghị quyết số 30c/NQ-CP ngày 08/11/2011 của Chính phủ;",
        "tuyên truyền kết quả đạt được của chương trình tổng thể cải cách hành chính nhà nước giai đoạn "
        "hai nghìn không trăm mười một đến hai nghìn không trăm hai mươi ban hành kèm theo nghị quyết số "
        "ba mươi xê ngày tám tháng mười một năm hai nghìn không trăm mười một của chính phủ.",
    ),
    (
        "Nghị quyết số 07-NQ/TU ngày 18/11/2016 của Tỉnh ủy Đắk Nông về tăng cường sự lãnh đạo của Đảng "
        "đối với công tác CCHC giai đoạn 2016 - 2020.",
        "nghị quyết số bảy ngày mười tám tháng mười một năm hai nghìn không trăm mười sáu của tỉnh ủy đắk "
        "nông về tăng cường sự lãnh đạo của đảng đối với công tác cải cách hành chính giai đoạn hai nghìn "
        "không trăm mười sáu đến hai nghìn không trăm hai mươi.",
    ),
    (
        "a) Quan điểm, chủ trương của Đảng, chính sách pháp luật của Nhà nước trong công tác CCHC. Vai "
        "trò, ý nghĩa, tầm quan trọng của công tác CCHC, các biện pháp, giải pháp nhằm góp phần cải thiện "
        "và nâng cao Chỉ số CCHC (Par Index); Chỉ số hiệu quả quản trị và hành chính công cấp tỉnh (PAPI);",
        "quan điểm, chủ trương của đảng, chính sách pháp luật của nhà nước trong công tác cải cách hành "
        "chính. vai trò, ý nghĩa, tầm quan trọng của công tác cải cách hành chính, các biện pháp, giải pháp "
        "nhằm góp phần cải thiện và nâng cao chỉ số cải cách hành chính, pê a e rờ in đéc. chỉ số hiệu quả "
        "quản trị và hành chính công cấp tỉnh, pê a pê i.",
    ),
    (
        "Thực hiện dịch vụ công trực tuyến mức độ 3, 4; thanh toán trực tuyến; ứng dụng công nghệ thông "
        "tin trong giải quyết TTHC; chứng thực điện tử; số hoá kết quả giải quyết thủ tục hành chính...",
        "thực hiện dịch vụ công trực tuyến mức độ ba, bốn. thanh toán trực tuyến. ứng dụng công nghệ thông "
        "tin trong giải quyết thủ tục hành chính. chứng thực điện tử. số hoá kết quả giải quyết thủ tục "
        "hành chính.",
    ),
    (
        "2. Triển khai thực hiện một số nhiệm vụ cụ thể tại Phụ lục ban hành kèm theo và các nội dung, "
        "nhiệm vụ tuyên truyền CCHC được giao tại Quyết định số 1887/QĐ-UBND ngày 18/12/2020 của Chủ tịch "
        "UBND tỉnh ban hành Kế hoạch cải cách hành chính năm 2021.",
        "triển khai thực hiện một số nhiệm vụ cụ thể tại phụ lục ban hành kèm theo và các nội dung, nhiệm "
        "vụ tuyên truyền cải cách hành chính được giao tại quyết định số một nghìn tám trăm tám mươi bảy "
        f"ngày mười tám tháng mười hai năm {Y2020} của chủ tịch Ủy ban nhân dân tỉnh ban hành kế hoạch cải "
        f"cách hành chính năm {Y2021}.",
    ),
    (
        "Tuyên truyền đầy đủ, rõ ràng về phương thức hoạt động, giải quyết các thủ tục hành chính (TTHC) "
        "ở Bộ phận tiếp nhận hồ sơ và trả kết quả (Một cửa) tại huyện và các hệ thống một cửa tại cấp xã;",
        "tuyên truyền đầy đủ, rõ ràng về phương thức hoạt động, giải quyết các thủ tục hành chính ở bộ "
        "phận tiếp nhận hồ sơ và trả kết quả, một cửa, tại huyện và các hệ thống một cửa tại cấp xã.",
    ),
    (
        "- Đẩy mạnh tuyên truyền CCHC thông qua các hình thức tuyên truyền cổ động trực quan, hệ thống "
        "đài truyền thanh cơ sở, hệ thống loa công cộng tại các thôn/khu dân cư.",
        "đẩy mạnh tuyên truyền cải cách hành chính thông qua các hình thức tuyên truyền cổ động trực "
        "quan, hệ thống đài truyền thanh cơ sở, hệ thống loa công cộng tại các thôn, khu dân cư.",
    ),
    (
        "Trên đây là Kế hoạch tuyên truyền cải cách hành chính trên địa bàn huyện Thạch Thành năm 2021. "
        "Yêu cầu Trưởng các phòng, ban; Thủ trưởng các cơ quan, đơn vị; Chủ tịch UBND các xã, thị trấn "
        "nghiêm túc triển khai thực hiện./.",
        f"trên đây là kế hoạch tuyên truyền cải cách hành chính trên địa bàn huyện thạch thành năm {Y2021}. "
        "yêu cầu trưởng các phòng, ban. thủ trưởng các cơ quan, đơn vị. chủ tịch Ủy ban nhân dân các xã, "
        "thị trấn nghiêm túc triển khai thực hiện.",
    ),
    ("- Thường trực Huyện ủy, HĐND huyện;", "thường trực huyện ủy, Hội đồng nhân dân huyện."),
    ("- Chủ tịch, các PCT UBND huyện;", "chủ tịch, các phó chủ tịch Ủy ban nhân dân huyện."),
    ("- Ủy ban MTTQ và các khối đoàn thể huyện;", "ủy ban Mặt trận Tổ quốc và các khối đoàn thể huyện."),
    ("- Lưu: VT, VHTT.", "lưu, văn thư, văn hóa thông tin."),
    (
        "5. Bố trí kinh phí hoặc nguồn tài trợ khác (nếu có) để thực hiện việc tuyên truyền CCHC hiệu quả.",
        "bố trí kinh phí hoặc nguồn tài trợ khác, nếu có, để thực hiện việc tuyên truyền cải cách hành "
        "chính hiệu quả.",
    ),
    (
        "6. Định kỳ 6 tháng và 01 năm báo cáo kết quả thực hiện về Sở Y tế.",
        "định kỳ sáu tháng và một năm báo cáo kết quả thực hiện về Sở Y tế.",
    ),
    (
        "Thực hiện xong trước ngày 10/02/2021.",
        f"thực hiện xong trước ngày mười tháng hai năm {Y2021}.",
    ),
    (
        "quá trình thành lập, giải thể, sáp nhập đơn vị hành chính các cấp, Nghị định 120/2020/NĐ-CP, "
        "Nghị định số 107/2020/NĐ-CP, Nghị định số 108/2020/NĐ-CP.",
        "quá trình thành lập, giải thể, sáp nhập đơn vị hành chính các cấp, nghị định một trăm hai mươi "
        f"năm {Y2020} của Chính phủ, nghị định số một trăm linh bảy năm {Y2020} của Chính phủ, nghị định "
        f"số một trăm linh tám năm {Y2020} của Chính phủ.",
    ),
    (
        "tình hình triển khai Quyết định số 749/QĐ-TTg ngày 03/6/2020 của Thủ tướng Chính phủ ban hành "
        "Chương trình chuyển đổi số quốc gia đến năm 2025, định hướng đến năm 2030.",
        "tình hình triển khai quyết định số bảy trăm bốn mươi chín ngày ba tháng sáu năm "
        f"{Y2020} của thủ tướng chính phủ ban hành chương trình chuyển đổi số quốc gia đến năm hai nghìn "
        "không trăm hai mươi lăm, định hướng đến năm hai nghìn không trăm ba mươi.",
    ),
    ("KT. CHỦ TỊCH\n\nPHÓ CHỦ TỊCH", "ký thay chủ tịch.\n\nphó chủ tịch."),
    # As pasted from the PDF: wrapped lines with blank lines between them.
    (
        "Căn cứ Quyết định số 424/QĐ-BNV, ngày 24/3/2021 của Bộ Nội vụ về việc \n\nban hành kế hoạch "
        "thông tin, tuyên truyền CCHC năm 2021; \n\nCăn cứ Quyết định số 304/QĐ-UBND, ngày 22/4/2021 "
        "của Ủy ban nhân dân \n\ntỉnh về việc ban hành kế hoạch.",
        f"căn cứ quyết định số bốn trăm hai mươi tư, ngày hai mươi tư tháng ba năm {Y2021} của bộ nội vụ "
        f"về việc ban hành kế hoạch thông tin, tuyên truyền cải cách hành chính năm {Y2021}.\n\n"
        f"căn cứ quyết định số ba trăm linh bốn, ngày hai mươi hai tháng tư năm {Y2021} của ủy ban nhân "
        "dân tỉnh về việc ban hành kế hoạch.",
    ),
    (
        "e) Tuyên truyền việc đẩy mạnh xã hội hóa các đơn vị sự nghiệp công lập gắn \n\nvới tinh giản "
        "biên chế trên cơ sở tổ chức triển khai có hiệu quả Nghị quyết số 18-\n\nNQ/TW ngày 25/10/2017 "
        "của Ban Chấp hành Trung ương Đảng khóa XII.",
        "tuyên truyền việc đẩy mạnh xã hội hóa các đơn vị sự nghiệp công lập gắn với tinh giản biên chế "
        "trên cơ sở tổ chức triển khai có hiệu quả nghị quyết số mười tám ngày hai mươi lăm tháng mười "
        "năm hai nghìn không trăm mười bảy của ban chấp hành trung ương đảng khóa mười hai.",
    ),
    (
        "Để công tác hành chính được triển khai thực hiện có hiệu quả, UBND huyện \n\nThạch Thành xây "
        "dựng kế hoạch tuyên truyền cải cách hành chính  trên địa bàn \n\nhuyện năm 2021 với các nội dung "
        "sau: \n\nI. MỤC ĐÍCH, YÊU CẦU \n\n1. Mục đích \n\n- Nâng cao nhận thức.",
        "để công tác hành chính được triển khai thực hiện có hiệu quả, Ủy ban nhân dân huyện thạch thành "
        "xây dựng kế hoạch tuyên truyền cải cách hành chính trên địa bàn huyện năm "
        f"{Y2021} với các nội dung sau.\n\nmột, mục đích, yêu cầu.\n\nmục đích.\n\nnâng cao nhận thức.",
    ),
    (
        "truyền các nội dung theo Chương trình tổng thể cải cách hành chính nhà nước giai \n\nđoạn "
        "2021 - 2030”.",
        "truyền các nội dung theo chương trình tổng thể cải cách hành chính nhà nước giai đoạn "
        f"{Y2021} đến hai nghìn không trăm ba mươi.",
    ),
    # A page number left between blank lines by the PDF export is not read.
    (
        "Sở Y tế ban hành kế hoạch\n\n\n\n2 \n \na) Phổ biến kịp thời.",
        "Sở Y tế ban hành kế hoạch.\n\nphổ biến kịp thời.",
    ),
]

TABLE = (
    NUMBERS
    + DATES_AND_TIMES
    + DOCUMENTS
    + ABBREVIATIONS
    + HEADINGS_AND_WORDS
    + LISTS_AND_PUNCTUATION
    + PHONES_AND_WEB
    + UNITS_AND_MONEY
    + CLEANING
    + SEEDS
    + REVIEW_FIXES
)


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_normalize_north(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(("text", "expected"), NUMBERS_SOUTH)
def test_normalize_south(text: str, expected: str) -> None:
    assert normalize(text, "south") == expected


@pytest.mark.parametrize(("text", "expected"), NUMBERS[:12] + DATES_AND_TIMES[:6])
def test_central_reads_numbers_as_north(text: str, expected: str) -> None:
    assert normalize(text, "central") == expected


def test_table_is_large_enough() -> None:
    assert len(TABLE) + len(NUMBERS_SOUTH) + len(CARDINALS_NORTH) + len(CARDINALS_SOUTH) >= 300
    assert len(SEEDS) >= 15


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \u00a0\n"])
def test_empty_text_is_refused_in_vietnamese(text: str) -> None:
    with pytest.raises(NormalizeError, match="Văn bản trống"):
        normalize(text)


@pytest.mark.parametrize("text", ["😀😀", "<br><br>", "\x00\x01", "*#^", "中文", "Привет"])
def test_text_with_nothing_to_read_is_refused(text: str) -> None:
    with pytest.raises(NormalizeError, match="không có chữ nào đọc được"):
        normalize(text)


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(NormalizeError, match="Phương ngữ"):
        normalize("xin chào", dialect="west")


def test_non_text_is_refused() -> None:
    with pytest.raises(NormalizeError):
        normalize(b"xin chao")  # type: ignore[arg-type]


def test_normalize_error_is_a_value_error() -> None:
    assert issubclass(NormalizeError, ValueError)


# --- the dictionary ------------------------------------------------------------------------------


def test_caller_entries_win_over_defaults() -> None:
    assert normalize("UBND xã", lexicon={"UBND": "ủy ban"}) == "ủy ban xã."
    assert normalize("UBND xã") == "Ủy ban nhân dân xã."


def test_caller_can_add_entries_with_signs_and_spaces() -> None:
    lex = {"ĐTĐ": "đái tháo đường", "Trạm Y tế": "Trạm Y tế xã", "ANQP&ĐN": "an ninh quốc phòng"}
    assert normalize("bệnh ĐTĐ tại Trạm Y tế", lexicon=lex) == "bệnh đái tháo đường tại Trạm Y tế xã."
    assert normalize("ANQP&ĐN", lexicon=lex) == "an ninh quốc phòng."


def test_empty_expansion_silences_a_key() -> None:
    assert normalize("KT. GIÁM ĐỐC", lexicon={"KT.": ""}) == "giám đốc."


def test_caller_entry_overrides_context_rules() -> None:
    assert normalize("TT Kiến Đức", lexicon={"TT": "trung tâm"}) == "trung tâm kiến đức."


def test_bad_lexicon_is_refused() -> None:
    with pytest.raises(NormalizeError, match="Mục từ điển"):
        normalize("UBND", lexicon={"UBND": 5})  # type: ignore[dict-item]


def test_default_lexicon_is_a_fresh_copy() -> None:
    lex = default_lexicon()
    lex["UBND"] = "x"
    assert default_lexicon()["UBND"] == "Ủy ban nhân dân"


def test_default_lexicon_covers_the_glossary_and_the_seed_plans() -> None:
    lex = default_lexicon()
    needed = (
        "CCHC TTHC UBND HĐND MTTQ TT&TT TTTT VH-TT BCCI DVC CNTT CĐS CBCC HCC DN TW NĐ-CP QĐ KH NQ CT TT "
        "TTg BHXH BHYT BHTN CCCD TP TP. HTX THCS THPT BCĐ ĐVHC CQNN VPĐKĐĐ PCCC PCI PAPI DDCI SIPAS "
        "PCT VT TCCB VHTT B/c KT. VNĐ VND"
    ).split()
    assert [k for k in needed if k not in lex] == []
    for key in ("PAR INDEX", "Par Index", "Sở TT&TT", "Sở Y tế"):
        assert key in lex


def test_default_lexicon_is_clean() -> None:
    for key, value in default_lexicon().items():
        assert key == key.strip() and key[0].isalnum(), key
        assert all(ch.isalpha() or ch in " ," for ch in value), (key, value)
        # A key in capitals that is also a Vietnamese word would shadow that word in headings.
        assert not (key.isupper() and is_vietnamese_syllable(key)), key
