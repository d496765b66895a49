"""The district hub (``BROADCASTER_MODE=hub``): stations, targeting, manifests, what stations send up.

Plain Python over SQLAlchemy sessions, no Flask: the hub's HTTP API (``web/hub.py``) and its
command line (``hub/cli.py``) are thin over these functions. Records cross machines by ``uid``.
The public names load with their module on first use: building the command's parser (which
imports ``hub.cli``) must not load the database layer.
"""

from .._lazy import lazy_face

__getattr__, __dir__, __all__ = lazy_face(
    __name__,
    {
        "._audio": ("audio_url",),
        "._district": (
            "ASRUN_PAGE",
            "HUB_AIRING_LABELS",
            "AsRunPage",
            "CommuneRow",
            "DistrictReport",
            "HubAiring",
            "compute_district_report",
            "district_document",
            "district_letterhead",
            "district_narrative",
            "district_tables",
            "station_asrun",
        ),
        "._emergency": (
            "DEFAULT_VALID_MIN",
            "STATE_LABELS",
            "EmergencyRequest",
            "check_request",
            "due_again",
            "find_emergency",
            "note_emergency_status",
            "payload",
            "progress",
            "recent_emergencies",
            "send_emergency",
            "stop_emergency",
        ),
        "._export_job": ("ExportJob", "export_job", "start_export"),
        "._gate": ("HubGate", "Revision", "StationRef", "read_revision"),
        "._manifest": (
            "DistrictPart",
            "airing_uid",
            "build_manifest",
            "district_part",
            "servable_audio",
        ),
        "._offers": ("ANSWER_LABELS", "decision_values", "offers_overview", "receive_decisions"),
        "._publish": ("Published", "district_schedules", "parse_at", "publish", "resolve_targets"),
        "._reports": (
            "RowError",
            "is_online",
            "note_contact",
            "note_presence",
            "receive_asrun",
            "row_values",
            "stations_overview",
        ),
        "._stations": (
            "HubError",
            "ImportRow",
            "add_station",
            "check_code",
            "find_station",
            "import_stations",
            "issue_token",
            "mqtt_users",
            "read_station_csv",
            "registered",
            "revoke_tokens",
            "station_for_token",
        ),
        "._traffic": ("BURST", "RATE", "ContactBook", "take_request"),
    },
)
