"""Vietnamese official-text normalizer: what a careful commune announcer would read aloud.

``normalize(text, dialect="north", lexicon=None)`` turns an administrative text ("Quyết định số
4906/QĐ-UBND ngày 29/12/2020 của UBND huyện", "giai đoạn 2021 - 2030", "Quý I/2024",
"0768.221.221", "II. NỘI DUNG") into Vietnamese words only. Output contract, relied on by the
speech step: paragraphs separated by "\\n\\n"; every sentence ends with "." (or "?" / "!"); a
short pause inside a sentence is ", "; no other punctuation, no digits, no symbols.

Choices made where announcers differ (keep them consistent when extending):

- Casing: the text's own words are lower-cased (headings in capitals included); expansions from
  the dictionary keep their casing ("Ủy ban nhân dân", "Trung ương").
- Numbers: "." groups thousands and "," is the decimal mark (98,5% chín mươi tám phẩy năm phần
  trăm); "linh"/"nghìn" in the north and centre, "lẻ"/"ngàn" in the south; "tỷ" for 10^9; an
  all-zero group is skipped (1.000.005 một triệu không trăm linh năm). Leading zeros of counts
  are dropped (05 ngày năm ngày); a number of four or more digits starting with 0 is read digit
  by digit. Section numbers (3.2, 4.0) are read "ba chấm hai", never as thousands or decimals.
- Dates: plain numbers, no "mùng" (ngày năm tháng ba năm …); month 4 is "tư"; "ngày" is added to
  a bare date and never doubled. "tháng 6/2024" tháng sáu năm …; "Quý II/2025" quý hai năm ….
  Years are cardinals (2021 hai nghìn không trăm hai mươi mốt). A dash between numbers is "đến".
- Times: "7h30", "7:30" bảy giờ ba mươi (no "phút"); "14h00" mười bốn giờ.
- Document numbers: "/" is not read. The number is a cardinal and the year follows with "năm"
  (61/2018/NĐ-CP sáu mươi mốt năm hai nghìn không trăm mười tám). The kind of document is said
  once: dropped when the words before name it ("Quyết định số 4906/QĐ-UBND" quyết định số bốn
  nghìn chín trăm linh sáu), otherwise said first ("theo 123/QĐ-UBND" theo quyết định số …).
  The issuer follows as "của …", unless the sentence goes on to say "của" that issuer itself.
- Phones: digit by digit, in the groups written or 4-3-3, groups separated by a pause
  (0912 345 678 không chín một hai, ba bốn năm, sáu bảy tám). A 0-led number of 9 to 12 digits is
  a phone; 113/114/115 are read as digits after a cue such as "gọi" or "đường dây nóng".
- Web addresses: "https://" and the path after the host dropped (nobody types a path heard on a
  loudspeaker), "." chấm, "@" a còng, known parts from urlwords.tsv (gov gốp, vn vê nờ, www vê kép
  vê kép vê kép, dichvucong dịch vụ công); other parts as unmarked syllables or spelled.
- Letters: unknown acronyms of two to five capitals that are not a Vietnamese syllable are spelled
  with Vietnamese letter names (P pê, C xê, D đê, R e rờ, S ét, X ích xì); names of more than one
  syllable are written with spaces, not hyphens. PAR INDEX is "pê a e rờ in đéc". A capitalised
  Vietnamese syllable ("NỘI", "HOẠCH") is a word, read in lower case.
- Ambiguous abbreviations by context: TT is "thông tư" before a number, "thị trấn" before a place
  name, "trung tâm" before Văn hóa / Y tế…; CT is "Chủ tịch" before UBND, else "chỉ thị"; CN is
  "chủ nhật" after "thứ" or before a date, else spelled. A caller's dictionary entry beats these.
- Numbers in context: "thứ 1" thứ nhất, "thứ 4" thứ tư; "d/m" is a date unless a fraction cue
  (đạt, chiếm, khoảng, "… số") says otherwise; "mức độ 3/4" mức độ ba, bốn.
- Roman numerals are read after khóa, quý, phần, chương, mục, kỳ, thứ, đại hội… and at the head of
  a line ("II. NHIỆM VỤ" hai, nhiệm vụ.); elsewhere V, X, CD stay letters.
- List markers (-, +, •, a), 1., 3.2.) are dropped: the item starts a new sentence. Brackets,
  quotes, ":" and "/" between words are short pauses; ";" ends a sentence; "/" before a period of
  time is "mỗi" (01 mục/1 tháng một mục mỗi tháng); "&" is "và"; "-" between words is a pause.
- Lines: a blank line is a paragraph break, except that a line starting in lower case, after a
  dangling "-" or ",", or after a line that fills the page width carries on the sentence (text
  pasted from PDF files). A line that ends a heading or a list item ends a sentence.
"""

from ._assess import Assessment, Suspicion, assess, describe, line_col
from ._core import normalize
from ._errors import MAX_CHARS, NormalizeError
from ._letters import LETTER_NAMES, is_vietnamese_syllable, spell
from ._lexicon import default_lexicon, latin_words, url_words
from ._numbers import (
    read_decimal,
    read_digits,
    read_number,
    read_ordinal,
    read_year,
    roman_to_int,
)
from ._web import read_url

__all__ = [
    "Assessment",
    "LETTER_NAMES",
    "MAX_CHARS",
    "NormalizeError",
    "Suspicion",
    "assess",
    "default_lexicon",
    "describe",
    "is_vietnamese_syllable",
    "latin_words",
    "line_col",
    "normalize",
    "read_decimal",
    "read_digits",
    "read_number",
    "read_ordinal",
    "read_url",
    "read_year",
    "roman_to_int",
    "spell",
    "url_words",
]
