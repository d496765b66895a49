"""The district hub (``BROADCASTER_MODE=hub``): stations, targeting, manifests, what stations send up.

Plain Python over SQLAlchemy sessions, no Flask: the hub's HTTP API (``web/hub.py``) and its
command line (``hub/cli.py``) are thin over these functions. Records cross machines by ``uid``.
"""

from ._manifest import audio_url, build_manifest, servable_audio
from ._publish import Published, district_schedules, parse_at, publish, resolve_targets
from ._reports import RowError, note_contact, receive_asrun, row_values, stations_overview
from ._stations import (
    HubError,
    ImportRow,
    add_station,
    check_code,
    find_station,
    import_stations,
    issue_token,
    read_station_csv,
    registered,
    revoke_tokens,
    station_for_token,
)

__all__ = [
    "HubError",
    "ImportRow",
    "Published",
    "RowError",
    "add_station",
    "audio_url",
    "build_manifest",
    "check_code",
    "district_schedules",
    "find_station",
    "import_stations",
    "issue_token",
    "note_contact",
    "parse_at",
    "publish",
    "read_station_csv",
    "receive_asrun",
    "registered",
    "resolve_targets",
    "revoke_tokens",
    "row_values",
    "servable_audio",
    "station_for_token",
    "stations_overview",
]
