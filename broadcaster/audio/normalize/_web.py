"""Web and e-mail addresses read part by part, so that a listener can type them.

"https://" and any path after the host are dropped; "." is "chấm", "@" is "a còng", "-" is
"gạch ngang", "_" is "gạch dưới". Each part is looked up in urlwords.tsv (dichvucong → dịch vụ
công, gov → gốp, vn → vê nờ, www → vê kép vê kép vê kép); an unknown part is read as unmarked
Vietnamese syllables when it cuts into them (thachthanh → thach thanh), digits as a number, and
anything else is spelled with letter names.
"""

from __future__ import annotations

import re

from ._letters import segment_ascii, spell, vietnamese_reading
from ._lexicon import _url_words
from ._numbers import DIGITS, number_words

_RUNS = re.compile(r"[A-Za-z]+|[0-9]+")
_SEPARATORS = {".": "chấm", "-": "gạch ngang", "_": "gạch dưới", "+": "cộng", "~": "ngã"}


def _part(part: str, dialect: str) -> list[str]:
    words = _url_words()
    low = part.lower()
    if low in words:
        return words[low].split()
    out: list[str] = []
    for run in _RUNS.findall(low):
        if run.isdigit():
            if len(run) <= 4 and not run.startswith("0"):
                out += number_words(int(run), dialect)
            else:
                out += [DIGITS[int(c)] for c in run]
        elif run in words:
            out += words[run].split()
        else:
            pieces = segment_ascii(run)
            out += [vietnamese_reading(p) for p in pieces] if pieces else spell(run).split()
    return out


def _dotted(text: str, dialect: str) -> list[str]:
    """Read a host name or a path segment: parts joined by their spoken separators."""
    out: list[str] = []
    for token in re.split(r"([.\-_+~])", text):
        if not token:
            continue
        if token in _SEPARATORS:
            out.append(_SEPARATORS[token])
        else:
            out += _part(token, dialect)
    return out


def url_words_for(url: str, dialect: str = "north") -> list[str]:
    """Return the spoken words of a web address."""
    rest = re.sub(r"^[A-Za-z]+://", "", url)
    rest = re.split(r"[?#]", rest, maxsplit=1)[0]
    host, _, path = rest.partition("/")
    host, _, port = host.partition(":")
    out = _dotted(host, dialect)
    if port.isdigit():
        out += ["hai", "chấm", *[DIGITS[int(c)] for c in port]]
    # A path cannot be typed from what a loudspeaker says; the site's address is what counts.
    del path
    return out


def email_words_for(address: str, dialect: str = "north") -> list[str]:
    """Return the spoken words of an e-mail address."""
    local, _, domain = address.partition("@")
    return [*_dotted(local, dialect), "a", "còng", *_dotted(domain, dialect)]


def read_url(url: str, dialect: str = "north") -> str:
    """Return a web or e-mail address read aloud: "dichvucong.gov.vn" → "dịch vụ công chấm gốp chấm vê nờ"."""
    if "@" in url and "/" not in url:
        return " ".join(email_words_for(url, dialect))
    return " ".join(url_words_for(url, dialect))
