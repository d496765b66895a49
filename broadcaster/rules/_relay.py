"""What a relay item (tiếp sóng) may name: the one rule the programme editor, the API, the hub's
manifest and the station reading it all apply, so the hub never sends what a station refuses."""

from __future__ import annotations

import re

#: A relay (tiếp sóng) is a session's length at most.
MAX_RELAY_S = 6 * 3600
#: http(s) for MP3/AAC/HLS streams; icecast:// names the same server, heard over http.
_STREAM = re.compile(r"^(https?|icecast)://[^\s/@]*@?[^\s/@]+(/\S*)?$", re.IGNORECASE)
STREAM_URL_ERROR = (
    "Địa chỉ luồng tiếp sóng phải bắt đầu bằng http://, https:// hoặc icecast:// "
    "(luồng MP3/AAC của đài huyện, hoặc danh sách HLS .m3u8)."
)
RELAY_LENGTH_ERROR = "Thời lượng tiếp sóng phải từ 1 giây đến 6 giờ (ghi bằng phút, ví dụ 15)."


def stream_url_ok(url: str) -> bool:
    """Give back whether ``url`` is a stream a relay item may name (http, https or icecast)."""
    return len(url) <= 1000 and bool(_STREAM.match(url))


def relay_length_ok(seconds: object) -> bool:
    """Give back whether ``seconds`` is a relay's length: a whole number from 1 s to 6 h."""
    return isinstance(seconds, int) and not isinstance(seconds, bool) and 0 < seconds <= MAX_RELAY_S


def listen_url(url: str) -> str:
    """Give back the address a relay reads: an icecast:// stream is heard over http on its server."""
    return "http://" + url[len("icecast://") :] if url[:10].lower() == "icecast://" else url
