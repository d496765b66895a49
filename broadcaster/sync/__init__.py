"""The station's link to the district hub (``broadcaster sync``): a manifest turned into local rows,
audio fetched and verified, as-run rows sent up until acknowledged. A separate process: playout
never waits on the network.
"""

from ._apply import Applied, apply_manifest
from ._client import HubClient, HubUnreachable, SyncError, file_sha256
from ._outbox import mark_synced, pending_rows, row_json, unsynced_count
from ._run import Round, manifest_dump, run_forever, sync_once

__all__ = [
    "Applied",
    "HubClient",
    "HubUnreachable",
    "Round",
    "SyncError",
    "apply_manifest",
    "file_sha256",
    "manifest_dump",
    "mark_synced",
    "pending_rows",
    "row_json",
    "run_forever",
    "sync_once",
    "unsynced_count",
]
