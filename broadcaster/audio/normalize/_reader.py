"""Reading one unit of text: a single left-to-right scan that turns tokens into spoken words.

The scan looks for the next token with one compiled pattern whose alternatives are ordered from
the most specific (e-mail, web address, document number, date, time, phone) to the most general
(number, word, sign). Every quantifier in it is bounded or unambiguous, so no input makes it
backtrack badly. At each token start the pronunciation dictionary is tried first, longest key
wins. Handlers see the words already spoken (for "ngày 05/3", "thứ 2", "khóa XII") and the text
still ahead (to drop an issuer the sentence names anyway).
"""

from __future__ import annotations

import re

from ._docs import DOC_TYPES, ISSUERS
from ._letters import (
    CONSONANT_SOUNDS,
    fold,
    is_ascii_syllable,
    is_vietnamese_syllable,
    spell,
    vietnamese_reading,
)
from ._lexicon import Lexicon, _latin_words
from ._numbers import (
    DIGITS,
    fraction_words,
    month_words,
    number_words,
    ordinal_words,
    roman_to_int,
)
from ._web import email_words_for, url_words_for

PAUSE = ","
STOPS = (".", "?", "!")

_UNITS = {
    "km/h": "ki lô mét trên giờ",
    "km2": "ki lô mét vuông",
    "km": "ki lô mét",
    "cm": "xăng ti mét",
    "mm": "mi li mét",
    "m2": "mét vuông",
    "m3": "mét khối",
    "m": "mét",
    "ha": "héc ta",
    "kg": "ki lô gam",
    "mg": "mi li gam",
    "g": "gam",
    "ml": "mi li lít",
    "l": "lít",
    "°C": "độ xê",
    "°": "độ",
    "%": "phần trăm",
    "‰": "phần nghìn",
    "đ": "đồng",
    "tr.đ": "triệu đồng",
    "trđ": "triệu đồng",
    "k": "nghìn",
    "kWh": "ki lô oát giờ",
    "kW": "ki lô oát",
    "MW": "mê ga oát",
    "GB": "gi ga bai",
    "MB": "mê ga bai",
    "Mbps": "mê ga bít trên giây",
}
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_AN = r"[^\W_]"
_URL_CHARS = r"[^\s<>\"'“”‘’()\[\]{}]"
_TLDS = "vn|com|net|org|gov|edu|info|io|biz"
_PER_UNITS = (
    "ngày|tuần|tháng|quý|năm|giờ|phút|buổi|lần|kỳ|đợt|người|hộ|lượt|trẻ|học sinh|suất|hồ sơ|con"
    "|kg|km|m2|m3|ha|tấn|lít|l|m"
)

#: Road classes written before the road's number (QL14, ĐT.741, TL 8).
_ROADS = {
    "QL": "quốc lộ", "ĐT": "đường tỉnh", "ĐH": "đường huyện", "TL": "tỉnh lộ", "HL": "hương lộ",
    "ĐX": "đường xã", "ĐCT": "đường cao tốc",
}
_ROAD_RE = "|".join(sorted(_ROADS, key=len, reverse=True))

_TOKEN = re.compile(
    rf"""
     (?P<email>(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._+-]{{0,63}}@[A-Za-z0-9-]{{1,63}}(?:\.[A-Za-z0-9-]{{1,63}}){{1,6}})
    |(?P<url>(?<![\w@.-])(?:(?:https?|ftp)://{_URL_CHARS}{{1,500}}|www\.{_URL_CHARS}{{1,500}}
        |(?:[A-Za-z0-9-]{{1,63}}\.){{1,6}}(?:{_TLDS})(?![A-Za-z0-9-])(?:/{_URL_CHARS}{{0,500}})?))
    |(?P<docnum>(?<![0-9])[0-9]{{1,6}}[a-zđ]?(?:/[0-9]{{4}})?[/-][A-ZĐ][A-ZĐ][A-Za-zĐđ&]{{0,10}}[0-9]{{0,3}}
        (?:[-/][A-ZĐ][A-Za-zĐđ&]{{0,11}}[0-9]{{0,3}}){{0,4}}(?!{_AN}))
    |(?P<date>(?<![0-9.,/])[0-9]{{1,2}}[/.-][0-9]{{1,2}}[/.-][0-9]{{4}}(?![0-9]))
    |(?P<time>(?<![0-9.,:])[0-9]{{1,2}}(?:[hHg][0-9]{{2}}|:[0-9]{{2}})(?![0-9:])(?:ph?(?!{_AN}))?
        |(?<![0-9.,:])[0-9]{{1,2}}[hH](?!{_AN}))
    |(?P<phone>(?<![0-9.,])\(0[0-9]{{2,3}}\)\s?[0-9]{{3,4}}(?:[ .][0-9]{{2,4}}){{0,2}}(?![0-9])
        |(?<![0-9.,])(?:\+84[ .-]?|0)[0-9]{{2,4}}(?:[ .-][0-9]{{1,4}}){{1,4}}(?![0-9])
        |(?<![0-9.,])(?:\+84|0)[0-9]{{8,10}}(?![0-9])
        |(?<![0-9.,])(?:1900|1800)[ .]?[0-9]{{3,6}}(?![0-9]))
    |(?P<road>(?<!{_AN})(?:{_ROAD_RE})(?:\.\s?|\s)?[1-9][0-9]{{0,3}}[A-Z]?(?!{_AN}))
    |(?P<roman>(?<!{_AN})[IVXLCDM]{{1,8}}(?:/[0-9]{{4}})?(?!{_AN}))
    |(?P<monthyear>(?<![0-9.,/])[0-9]{{1,2}}[/-][0-9]{{4}}(?![0-9/]))
    |(?P<frac>(?<![0-9.,/])[0-9]{{1,6}}/[0-9]{{1,6}}(?![0-9/]))
    |(?P<num>(?<![0-9])(?:[0-9]{{1,3}}(?:\.[0-9]{{3}})+(?!\.?[0-9])|[0-9]{{1,3}}(?:,[0-9]{{3}}){{2,}}(?!,?[0-9])
        |[0-9]+(?:\.[0-9]+)+|[0-9]+)(?:,[0-9]+)?(?:\s?(?:{_UNIT_RE})(?!{_AN}))?)
    |(?P<times>(?<=[0-9])\s?[x×]\s?(?=[0-9]))
    |(?P<per>/\s?(?:0?1\s?)?(?:{_PER_UNITS})(?!{_AN}))
    |(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*)
    |(?P<sym>\./\.|\.{{2,}}|->|=>|[^\w\s])
    """,
    re.X,
)
_NUM_PARTS = re.compile(
    rf"(?P<int>[0-9][0-9.,]*?)(?:,(?P<frac>[0-9]+))?(?:\s?(?P<unit>{_UNIT_RE}))?"
)
_ENGLISH_THOUSANDS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3}){2,}")
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")

_ROMAN_CONTEXT = {
    "khóa", "khoá", "quý", "phần", "chương", "mục", "kỳ", "kì", "kỷ", "kỉ", "tập", "lục", "đợt",
    "đoạn", "loại", "hạng", "cấp", "thứ", "số", "điều",
}
_FRACTION_CUES = {"khoảng", "gần", "hơn", "chiếm", "đạt", "lệ", "được", "còn", "bằng", "trên", "dưới"}
_KINDS = sorted(set(DOC_TYPES.values()) | {"luật", "chỉ thị", "văn bản", "công văn"})
_EMERGENCY = {"111", "112", "113", "114", "115", "116"}
_PHONE_CUES = (
    "gọi", "số", "tổng đài", "đường dây", "hotline", "điện thoại", "đầu số", "bấm", "quay",
    "cấp cứu", "cứu hỏa", "cứu hoả", "cứu nạn", "cảnh sát", "công an", "khẩn cấp", "liên hệ",
)
_TRUNG_TAM_HEADS = {
    "văn", "y", "kiểm", "dịch", "giáo", "phát", "truyền", "hành", "công", "chính", "bồi", "huấn",
    "nghiên", "thông", "điều", "phục", "quan", "xúc", "khuyến", "kỹ", "ứng", "lưu", "đào", "trợ",
}
#: "TT"/"TTr" before a Party or council body is its standing committee ("thường trực").
_STANDING_BODY = re.compile(
    r"(\.)?\s*(?=(?:Đảng ủy|Đảng uỷ|ĐU|HĐND|UBND|Huyện ủy|Huyện uỷ|HU|Tỉnh ủy|Tỉnh uỷ|TU|Thành ủy"
    r"|MTTQ|UBMTTQ|Hội đồng|Ủy ban|Uỷ ban|Ban Thường vụ|BTV)(?![^\W_]))"
)
#: Words after "a/b" that make it a count of places, people or things (15/17 xã), not a date.
_COUNTED = {
    "xã", "phường", "thị", "thôn", "xóm", "bản", "ấp", "tổ", "khu", "làng", "buôn", "hộ", "người",
    "đại", "trường", "lớp", "học", "cơ", "đơn", "chỉ", "tiêu", "thủ", "hồ", "doanh", "hợp", "phiếu",
    "cử", "huyện", "tỉnh", "em", "cháu", "trẻ", "gia", "đoàn", "chi", "đảng", "hội", "công", "cán",
    "nhà", "điểm", "tuyến", "xe", "con", "lượt", "mẫu", "câu", "nội", "thành", "ban", "bộ", "phòng",
}
#: Words before "a/b" that make it a house number in an address (số nhà 45/7, ngõ 8/2).
_ADDRESS = {"nhà", "ngõ", "ngách", "hẻm", "kiệt", "lô", "căn", "phòng"}

_SYMBOLS = {
    "&": "và", "@": "a còng", "%": "phần trăm", "‰": "phần nghìn", "+": "cộng", "=": "bằng",
    ">": "hơn", "<": "dưới", "≥": "lớn hơn hoặc bằng", "≤": "nhỏ hơn hoặc bằng", "~": "khoảng",
    "≈": "khoảng", "×": "nhân", "÷": "chia", "±": "cộng trừ", "°": "độ", "$": "đô la",
    "€": "ơ rô", "£": "bảng Anh", "₫": "đồng", "№": "số",
}
_PAUSE_SIGNS = set("()[]{}\"'“”‘’«»‹›„‚,:/\\|•·●▪■◦→‣⁃") | {"->", "=>"}
_DASHES = set("-–—‒―−")
_WORD_CHARS = re.compile(r"[^\W\d_]+|,")
#: A minus sign: the mathematical one before a number, or a dash before a temperature.
_NEGATIVE = re.compile(r"\u2212[0-9]|[-–][0-9]+(?:,[0-9]+)?\s?(?:°|độ(?![^\W\d_]))")


class Reader:
    """Turns one unit of cleaned text into a list of words and pause marks."""

    def __init__(self, text: str, lexicon: Lexicon, dialect: str, lead: list[str] | None = None):
        self.text = text
        self.lex = lexicon
        self.dialect = dialect
        self.out: list[str] = list(lead or [])
        self.last_kind = ""
        self._pos = 0

    # --- output ---------------------------------------------------------------------------

    def say(self, words: list[str] | str, kind: str = "word") -> None:
        if isinstance(words, str):
            words = words.split()
        self.out.extend(words)
        if words:
            self.last_kind = kind

    def say_text(self, value: str, kind: str = "word") -> None:
        """Say a dictionary expansion: its words, its commas as pauses, nothing else."""
        for piece in _WORD_CHARS.findall(value.replace("–", ",").replace(" - ", ", ")):
            self.out.append(piece)
        self.last_kind = kind

    def pause(self, mark: str = PAUSE) -> None:
        self.out.append(mark)
        self.last_kind = "pause"

    def recent(self, k: int = 1) -> list[str]:
        """Return up to k last spoken words, lower-cased, newest last; a full stop ends the search."""
        words: list[str] = []
        for tok in reversed(self.out):
            if tok in STOPS:
                break
            if tok == PAUSE:
                continue
            words.append(tok.lower())
            if len(words) == k:
                break
        return words[::-1]

    def prev(self) -> str:
        r = self.recent(1)
        return r[0] if r else ""

    def ahead(self, pos: int, n: int = 40) -> str:
        return self.text[pos:pos + n]

    # --- scan -----------------------------------------------------------------------------

    def run(self) -> list[str]:
        text = self.text
        pos = 0
        while True:
            m = _TOKEN.search(text, pos)
            if m is None:
                break
            start = m.start()
            if text[start].isalnum() and m.lastgroup != "road":
                hit = self.lex.match(text, start)
                if hit is not None:
                    pos = self._lexicon_hit(*hit)
                    continue
            kind = m.lastgroup or "sym"
            self._pos = m.end()
            end = getattr(self, "_" + kind)(m)
            pos = end if end is not None and end > start else m.end()
        return self.out

    # --- dictionary -----------------------------------------------------------------------

    def _lexicon_hit(self, key: str, value: str, end: int) -> int:
        if key not in self.lex.user_keys:
            body = _STANDING_BODY.match(self.text, end) if key in ("TT", "TTr", "CT", "PCT") else None
            if body and key in ("TT", "TTr"):
                # "TT. Đảng ủy", "TTr HĐND": the standing committee, the dot is the abbreviation's.
                self.say_text("thường trực")
                return body.end(1) if body.group(1) else end
            if body and body.group(1):
                # "CT. UBND", "PCT. HĐND": its chairman; the dot ends the abbreviation, not a sentence.
                self.say_text("Chủ tịch" if key == "CT" else value)
                return body.end(1)
            contextual = self._contextual(key, end)
            if contextual is not None:
                self.say_text(contextual)
                return end
        self.say_text(value)
        return end

    def _contextual(self, key: str, end: int) -> str | None:
        after = self.ahead(end, 30)
        if key == "TT":
            if re.match(r"\s*(?:số\s+)?[0-9]", after):
                return "thông tư"
            m = re.match(r"\s+([^\W\d_]+)", after)
            if m and m.group(1)[0].isupper():
                return "trung tâm" if m.group(1).lower() in _TRUNG_TAM_HEADS else "thị trấn"
            return None
        if key == "CT":
            if re.match(r"\s+(?:UBND|HĐND|UB|Ủy|Uỷ|xã|huyện|tỉnh|nước)(?!\w)", after):
                return "Chủ tịch"
            return None
        return None

    # --- handlers -------------------------------------------------------------------------

    def _email(self, m: re.Match[str]) -> int:
        self.say(email_words_for(m.group(), self.dialect), "web")
        return m.end()

    def _url(self, m: re.Match[str]) -> int:
        url = m.group().rstrip(".,;:!?")
        self.say(url_words_for(url, self.dialect), "web")
        return m.start() + len(url)

    def _count(self, digits: str) -> list[str]:
        """Read a count as written: leading zeros dropped, long zero-led strings digit by digit."""
        if (digits.startswith("0") and len(digits) >= 4) or len(digits) > 15:
            return [DIGITS[int(c)] for c in digits]
        return number_words(int(digits), self.dialect)

    def _year(self, digits: str) -> list[str]:
        return number_words(int(digits), self.dialect)

    def _docnum(self, m: re.Match[str]) -> int:
        d = re.fullmatch(r"([0-9]+)([a-zđ]?)(?:/([0-9]{4}))?[/-](.+)", m.group())
        if d is None:  # pragma: no cover - the token pattern guarantees the shape
            return self._num_plain(m.group(), m.end())
        number, suffix, year, code = d.groups()
        parts = [p for p in re.split(r"[-/]", code) if p]
        kind = DOC_TYPES.get(parts[0])
        issuers = parts[1:] if kind else parts
        if kind and not self._names(kind):
            if self.prev() == "số":
                self._drop_last_word()
            self.say([*kind.split(), "số"])
        words = self._count(number)
        if suffix:
            words += spell(suffix).split()
        if year:
            words += ["năm", *self._year(year)]
        self.say(words, "doc")
        # A joint document names all its issuers; otherwise the codes after the first one are
        # the drafting office ("123/UBND-VP"), which nobody reads aloud.
        if kind != "thông tư liên tịch":
            issuers = issuers[:1]
        if issuers and not self._issuer_follows(issuers, m.end()):
            self.say("của")
            for i, issuer in enumerate(issuers):
                if i:
                    self.say("và")
                self.say_text(self._issuer_words(issuer))
        self.last_kind = "doc"
        return m.end()

    def _names(self, kind: str) -> bool:
        """Return whether the words just spoken name this kind of document (before any "số")."""
        want = fold(kind).split()
        got = self.recent(len(want) + 1)
        if got and got[-1] == "số":
            got = got[:-1]
        return [fold(w) for w in got[-len(want):]] == want

    def _after_document_kind(self) -> bool:
        return any(self._names(kind) for kind in _KINDS)

    def _drop_last_word(self) -> None:
        for i in range(len(self.out) - 1, -1, -1):
            if self.out[i] not in STOPS and self.out[i] != PAUSE:
                del self.out[i]
                return

    def _issuer_words(self, code: str) -> str:
        m = re.fullmatch(r"([^\W\d_]+)([0-9]*)", code)
        letters, digits = (m.group(1), m.group(2)) if m else (code, "")
        name = ISSUERS.get(letters) or self.lex.get(letters)
        if name is None:
            name = spell(letters)
        if digits:
            number = " ".join(number_words(int(digits[:12]), self.dialect))
            name = f"{name} khóa {number}" if letters == "QH" else f"{name} {number}"
        return name

    def _issuer_follows(self, issuers: list[str], end: int) -> bool:
        """Return whether the sentence goes on to say whose document it is ("… của UBND huyện")."""
        window = re.split(r"[.;!?\n]", self.text[end:end + 160], maxsplit=1)[0]
        folded = fold(window)
        for m in re.finditer(r"\bcua\b", folded):
            tail = folded[m.end():m.end() + 60]
            raw_tail = window[m.end():m.end() + 60]
            for code in issuers:
                name = fold(self._issuer_words(code))
                if name in tail or re.search(rf"(?<!\w){re.escape(code)}(?!\w)", raw_tail):
                    return True
        return False

    def _date(self, m: re.Match[str]) -> int:
        day, month, year = (int(x) for x in re.split(r"[/.-]", m.group()))
        if not (1 <= day <= 31 and 1 <= month <= 12):
            for i, part in enumerate(re.split(r"[/.-]", m.group())):
                if i:
                    self.pause()
                self.say(self._count(part), "num")
            return m.end()
        words = [] if self.prev() == "ngày" else ["ngày"]
        words += [*number_words(day, self.dialect), "tháng", *month_words(month, self.dialect)]
        words += ["năm", *number_words(year, self.dialect)]
        self.say(words, "date")
        return m.end()

    def _time(self, m: re.Match[str]) -> int:
        t = re.match(r"([0-9]{1,2})[hHg:]?([0-9]{2})?", m.group())
        assert t is not None
        hour, minute = int(t.group(1)), int(t.group(2) or 0)
        if hour > 24 or minute > 59:
            self.say(self._count(t.group(1)), "num")
            if t.group(2):
                self.pause()
                self.say(self._count(t.group(2)), "num")
            return t.end()
        words = [*number_words(hour, self.dialect), "giờ"]
        if minute:
            words += number_words(minute, self.dialect)
        self.say(words, "time")
        return m.end()

    def _phone(self, m: re.Match[str]) -> int:
        s = m.group()
        groups = [g for g in re.split(r"[ .()\-]+", s) if g]
        digits = "".join(groups).lstrip("+")
        hotline = s.startswith(("1900", "1800"))
        if not hotline and not 9 <= len(digits) <= 12:
            first = groups[0]
            if s.startswith("("):
                self.pause()
                self.say(self._count(first), "num")
                return m.start() + 1 + len(first)
            self.say(self._count(first.lstrip("+")), "num")
            return m.start() + len(first)
        if len(groups) == 1:
            groups = self._phone_groups(s)
        for i, group in enumerate(groups):
            if i:
                self.pause()
            if group.startswith("+"):
                self.say("cộng")
                group = group[1:]
            self.say([DIGITS[int(c)] for c in group], "phone")
        return m.end()

    def _road(self, m: re.Match[str]) -> int:
        """Read a road by its class and number: "QL1A" quốc lộ một a, "ĐT.741" đường tỉnh …."""
        r = re.fullmatch(r"([^\W\d_]+)[.\s]*([0-9]+)([A-Z]?)", m.group())
        assert r is not None
        words = [*_ROADS[r.group(1)].split(), *number_words(int(r.group(2)), self.dialect)]
        if r.group(3):
            words += spell(r.group(3)).split()
        self.say(words, "num")
        return m.end()

    @staticmethod
    def _phone_groups(s: str) -> list[str]:
        if s.startswith("+84"):
            return ["+84", *Reader._phone_groups(s[3:])]
        n = len(s)
        sizes = {9: (3, 3, 3), 10: (4, 3, 3), 11: (4, 3, 4), 12: (4, 4, 4)}.get(n, (n,))
        out, i = [], 0
        for size in sizes:
            out.append(s[i:i + size])
            i += size
        return [g for g in out if g]

    def _roman(self, m: re.Match[str]) -> int:
        letters, _, year = m.group().partition("/")
        recent = self.recent(2)
        context = bool(recent) and (
            recent[-1] in _ROMAN_CONTEXT or (recent[-1] == "hội" and recent[:1] == ["đại"])
        )
        value = roman_to_int(letters)
        if not (context and value):
            self._word_token(letters)
            return m.start() + len(letters)
        words = ordinal_words(value, self.dialect) if recent[-1] == "thứ" else number_words(value)
        if year:
            words = [*words, "năm", *self._year(year)]
        self.say(words, "num")
        return m.end()

    def _monthyear(self, m: re.Match[str]) -> int:
        s = m.group()
        sep = "/" if "/" in s else "-"
        a_text, b_text = s.split(sep)
        a, prev = int(a_text), self.prev()
        if prev == "tháng" and 1 <= a <= 12:
            words = [*month_words(a, self.dialect), "năm", *self._year(b_text)]
        elif prev in ("quý", "số") or self._after_document_kind():
            words = [*self._count(a_text), "năm", *self._year(b_text)]
        elif sep == "/" and 1 <= a <= 12:
            words = ["tháng", *month_words(a, self.dialect), "năm", *self._year(b_text)]
        elif sep == "-":
            words = [*self._count(a_text), "đến", *self._year(b_text)]
        else:
            words = [*self._count(a_text), "trên", *self._count(b_text)]
        self.say(words, "date")
        return m.end()

    def _frac(self, m: re.Match[str]) -> int:
        a_text, b_text = m.group().split("/")
        a, b = int(a_text), int(b_text)
        prev = self.prev()
        nxt = re.match(r"\s+([^\W\d_]+)", self.text[m.end():m.end() + 20])
        following = nxt.group(1).lower() if nxt else ""
        fraction = prev in _FRACTION_CUES or following in ("số", "diện", "dân", "tổng")
        counted = following in _COUNTED and prev not in ("ngày", "hôm", "sáng", "chiều", "tối", "đêm", "trưa")
        if prev in _ADDRESS or self.recent(2) == ["nhà", "số"]:
            # A house number in an address: "số nhà 45/7" bốn mươi lăm trên bảy, never a date.
            self.say([*self._count(a_text), "trên", *self._count(b_text)], "num")
        elif fraction and 0 < a < b <= 10:
            # "3/4 số hộ", "chiếm 1/5 diện tích": ba phần tư, một phần năm.
            self.say([*number_words(a, self.dialect), "phần", *self._denominator(b)], "num")
        elif counted and not fraction and a <= b:
            # "9/11 thôn", "15/17 xã": so many out of so many.
            self.say([*self._count(a_text), "trên", *self._count(b_text)], "num")
        elif prev == "độ" and b == a + 1:
            # "dịch vụ công mức độ 3/4": two levels, not a date nor a fraction.
            self.say([*number_words(a, self.dialect), PAUSE, *number_words(b, self.dialect)], "num")
        elif 1 <= a <= 31 and 1 <= b <= 12 and not fraction:
            # A day and a month ("30/4", "ngày 10/02"): far more common in notices than fractions.
            words = [] if prev == "ngày" else ["ngày"]
            words += [*number_words(a, self.dialect), "tháng", *month_words(b, self.dialect)]
            self.say(words, "date")
        elif len(b_text) == 4 and (prev in ("quý", "số") or self._after_document_kind()):
            # "Quý 1/2024", "Thông tư 39/2020": the part after "/" is the year.
            self.say([*self._count(a_text), "năm", *self._year(b_text)], "date")
        else:
            self.say([*self._count(a_text), "trên", *self._count(b_text)], "num")
        return m.end()

    def _denominator(self, b: int) -> list[str]:
        """Return the denominator of a simple fraction: "tư" for 4 as in "ba phần tư"."""
        return ["tư"] if b == 4 else number_words(b, self.dialect)

    def _num(self, m: re.Match[str]) -> int:
        s = m.group()
        p = _NUM_PARTS.fullmatch(s)
        if p is None:  # pragma: no cover - the token pattern guarantees the shape
            return self._num_plain(re.sub(r"[^0-9]", "", s) or "0", m.end())
        whole, frac, unit = p.group("int"), p.group("frac"), p.group("unit")
        if _ENGLISH_THOUSANDS.fullmatch(whole):
            words = self._count(whole.replace(",", ""))
        elif _THOUSANDS.fullmatch(whole):
            words = self._count(whole.replace(".", ""))
        elif "." in whole:
            # A section or version number (3.2, 4.0): never a thousand, never a decimal.
            words = []
            for i, part in enumerate(whole.split(".")):
                if i:
                    words.append("chấm")
                words += self._count(part)
        elif frac is None and unit is None:
            return self._num_plain(whole, m.end())
        else:
            words = self._count(whole)
        if frac is not None:
            words += ["phẩy", *fraction_words(frac[:15], self.dialect)]
        if unit is not None:
            words += _UNITS[unit].split()
        self.say(words, "num")
        return m.end()

    def _num_plain(self, digits: str, end: int) -> int:
        recent = self.recent(4)
        prev = recent[-1] if recent else ""
        if len(digits) > 15:
            self.say([DIGITS[int(c)] for c in digits], "num")
            return end
        value = int(digits)
        if digits in _EMERGENCY:
            joined = " ".join(recent)
            if any(cue in joined for cue in _PHONE_CUES):
                self.say([DIGITS[int(c)] for c in digits], "phone")
                return end
        if prev == "thứ":
            words = ordinal_words(value, self.dialect)
        elif prev == "tháng" and 1 <= value <= 12:
            words = month_words(value, self.dialect)
        else:
            words = self._count(digits)
        self.say(words, "num")
        return end

    def _times(self, m: re.Match[str]) -> int:
        self.say("nhân")
        return m.end()

    def _per(self, m: re.Match[str]) -> int:
        """Say "/1 tháng", "/năm", "/kg" as "mỗi …" (01 mục/1 tháng: một mục mỗi tháng)."""
        unit = re.sub(r"^/\s?(?:0?1\s?)?", "", m.group())
        self.say(["mỗi", *_UNITS.get(unit, unit).split()])
        return m.end()

    def _word(self, m: re.Match[str]) -> int:
        token = m.group()
        if "'" in token:
            parts = token.split("'")
            for i, part in enumerate(parts):
                low = part.lower()
                if i < len(parts) - 1 and low in CONSONANT_SOUNDS:
                    self.say(CONSONANT_SOUNDS[low])
                else:
                    self._word_token(part)
            return m.end()
        self._word_token(token)
        return m.end()

    def _word_token(self, token: str) -> None:
        value = self.lex.get(token)
        if value is not None:
            self.say_text(value)
            return
        latin = _latin_words().get(token.lower())
        if latin is not None:
            self.say(latin)
            return
        if token == "CN":
            self.say(self._sunday_or_spell())
            return
        if len(token) == 1:
            self.say(token.lower() if is_vietnamese_syllable(token) else spell(token))
            return
        if token.isupper():
            if is_vietnamese_syllable(token):
                self.say(token.lower())
            elif is_ascii_syllable(token.lower()):
                self.say(vietnamese_reading(token.lower()))
            elif len(token) <= 5:
                self.say(spell(token))
            else:
                self.say(vietnamese_reading(token.lower()))
            return
        self.say(vietnamese_reading(token.lower()))

    def _sunday_or_spell(self) -> str:
        """CN is "chủ nhật" next to a weekday or a date; elsewhere it is spelled."""
        if "thứ" in self.recent(4) or re.match(r"[\s,(]*(?:ngày\s+)?[0-9]{1,2}/[0-9]", self.ahead(self._pos)):
            return "chủ nhật"
        return spell("CN")

    def _sym(self, m: re.Match[str]) -> int:
        s = m.group()
        end = m.end()
        text = self.text
        if s == "./.":
            self.pause(".")
        elif s == ".":
            nxt = text[end:end + 1]
            self.pause("." if not nxt or nxt.isspace() or nxt in "\"'”’»)]" else PAUSE)
        elif s == "…" or s.startswith(".."):
            nxt = text[end:].lstrip()[:1]
            self.pause("." if nxt.isupper() else PAUSE)
        elif s in ("!", "?"):
            self.pause(s)
        elif s == ";":
            self.pause(".")
        elif s == "(":
            skipped = self._redundant_parenthesis(m.start())
            if skipped:
                return skipped
            self.pause()
        elif s in _DASHES:
            self._dash(m.start(), end)
        elif s in _SYMBOLS:
            self.say(_SYMBOLS[s], "sym")
        elif s in _PAUSE_SIGNS:
            self.pause()
        # Any other sign (#, *, ^, `, §…) is not read.
        return end

    def _dash(self, start: int, end: int) -> None:
        text = self.text
        before = text[start - 1:start] if start else ""
        after = text[end:end + 1]
        if self.last_kind in ("num", "time", "date", "doc") and re.match(r"\s*[0-9]", text[end:end + 8]):
            self.say("đến")
            return
        if not before.isalnum() and re.match(_NEGATIVE, text[start:start + 24]):
            self.say("âm", "sym")  # nhiệt độ -2°C: âm hai độ xê
            return
        glued = before.isalnum() and after.isalnum()
        if glued and not after.isupper():
            return  # ra-đi-ô, COVID-19: the hyphen only joins syllables
        self.pause()

    def _redundant_parenthesis(self, start: int) -> int:
        """Skip "(CCHC)" right after "cải cách hành chính": the announcer does not say it twice."""
        m = re.compile(r"\(\s*([^\W\d_][^\s()]{0,19}?)\s*\)").match(self.text, start)
        if not m:
            return 0
        value = self.lex.get(m.group(1))
        if not value:
            return 0
        want = fold(value).replace(",", " ").split()
        got = [fold(w) for w in self.recent(len(want))]
        return m.end() if got == want else 0
