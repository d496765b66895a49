"""The station's link to the district hub (``broadcaster sync``): a manifest turned into local rows,
audio fetched and verified, as-run rows sent up until acknowledged. A separate process: playout
never waits on the network. Public names load on first use (the parser imports ``sync.cli``).
"""

from .._lazy import lazy_face

__getattr__, __dir__, __all__ = lazy_face(
    __name__,
    {
        "._apply": ("Applied", "apply_manifest"),
        "._emergency": ("EmergencyDesk", "parse_message", "on_duty_tag"),
        "._client": ("HubClient", "HubUnreachable", "SyncError", "file_sha256"),
        "._outbox": (
            "mark_decisions_synced",
            "mark_synced",
            "pending_decisions",
            "pending_rows",
            "row_json",
            "unsynced_count",
        ),
        "._run": ("ReportMemo", "Round", "manifest_dump", "run_forever", "station_status", "sync_once"),
    },
)
