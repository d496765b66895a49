"""The live link's MQTT contract, defined once for the hub and the stations (like ``manifest``).

Every topic of a station sits under ``broadcaster/v1/station/<CODE>/``, so the broker's ACL can give
each station (authenticated as its code) exactly its own subtree with one ``pattern`` line per topic
(``%u`` is the user name). The hub reads and writes every station's subtree.

Direction and quality of service:

- ``presence`` (station → hub, QoS 1, retained): a heartbeat every 30 s, and the last will
  ``{"online": false}`` the broker publishes when the station vanishes.
- ``nudge`` (hub → station, QoS 1): "your manifest changed", the station syncs at once.
- ``emergency`` (hub → station, QoS 1, persistent session): start or stop an emergency bulletin.
- ``emergency/status`` (station → hub, QoS 1): received / started / finished / failed / expired /
  stopped, with the station's timestamp.

Payloads are JSON objects; :func:`dumps` writes them compactly, :func:`loads` gives back a dict or
raises ``ValueError`` (never anything else) so a bad message is logged and dropped, not fatal.
"""

from __future__ import annotations

import json
import re

VERSION = "v1"
ROOT = f"broadcaster/{VERSION}/station"

PRESENCE = "presence"
NUDGE = "nudge"
EMERGENCY = "emergency"
EMERGENCY_STATUS = "emergency/status"

#: What a station publishes (``write``) and subscribes to (``read``), relative to its own subtree.
STATION_WRITES = (PRESENCE, EMERGENCY_STATUS)
STATION_READS = (NUDGE, EMERGENCY)

#: Emergency status states a station reports, in the order they happen.
EMERGENCY_STATES = ("received", "started", "finished", "failed", "expired", "stopped")

# A station code as the hub registers it: it becomes a topic level and an MQTT user name, so no
# wildcard, separator or space may reach either.
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def station_topic(code: str, kind: str) -> str:
    """Give back the topic of one station's ``kind`` (one of the constants above)."""
    if not _CODE.match(code):
        raise ValueError(f"mã đài không dùng được làm chủ đề MQTT: {code!r}")
    return f"{ROOT}/{code}/{kind}"


def all_stations(kind: str) -> str:
    """Give back the hub's subscription filter for ``kind`` of every station."""
    return f"{ROOT}/+/{kind}"


def split(topic: str) -> tuple[str, str]:
    """Give back (station code, kind) of a topic under :data:`ROOT`; ValueError for any other."""
    prefix = ROOT + "/"
    if not topic.startswith(prefix):
        raise ValueError(f"không phải chủ đề của đài: {topic!r}")
    code, _, kind = topic[len(prefix) :].partition("/")
    if not _CODE.match(code) or kind not in (*STATION_WRITES, *STATION_READS):
        raise ValueError(f"không phải chủ đề của đài: {topic!r}")
    return code, kind


def acl_patterns() -> list[str]:
    """Give back the broker ACL lines that confine every station to its own subtree."""
    lines = [f"pattern write {ROOT}/%u/{kind}" for kind in STATION_WRITES]
    lines += [f"pattern read {ROOT}/%u/{kind}" for kind in STATION_READS]
    return lines


def dumps(payload: dict) -> bytes:
    """Give back the payload as compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(raw: bytes) -> dict:
    """Give back the JSON object in ``raw``; ValueError for anything else (bad UTF-8, not a dict)."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"tin MQTT không phải JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError("tin MQTT phải là một đối tượng JSON")
    return value
