"""The live link (issue 13): an MQTT broker between the hub and its stations, for presence,
"manifest changed" nudges and emergencies. Topics and payloads are defined once in
``broadcaster.topics``; this package holds the clients (``StationLink``, ``HubLink``), the broker's
generated files, and the hub's live process. Public names load with their module on first use.
"""

from .._lazy import lazy_face

__getattr__, __dir__, __all__ = lazy_face(
    __name__,
    {
        "._broker": (
            "BrokerError",
            "BrokerFiles",
            "check_password",
            "password_hash",
            "reload_broker",
            "write_broker_files",
        ),
        "._child": ("SyncChild", "wants_sync_child"),
        "._client": ("HubLink", "MqttUrl", "StationLink", "wait_for"),
        "._hub": ("CHANNEL", "Desk", "HubLive", "send", "watch_changes"),
    },
)
