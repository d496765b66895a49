"""The live link's topic contract: each station confined to its own subtree."""

from __future__ import annotations

import pytest

from broadcaster import topics


def test_a_station_topic_round_trips_and_bad_codes_never_become_topic_levels() -> None:
    t = topics.station_topic("XA-01", topics.EMERGENCY_STATUS)
    assert t == "broadcaster/v1/station/XA-01/emergency/status"
    assert topics.split(t) == ("XA-01", "emergency/status")
    for bad in ("a/b", "+", "#", "", "a b", "x" * 65):
        with pytest.raises(ValueError):
            topics.station_topic(bad, topics.NUDGE)
    for bad in ("broadcaster/v1/station/A/other", "elsewhere/A/nudge", "broadcaster/v1/station/+/nudge"):
        with pytest.raises(ValueError):
            topics.split(bad)


def test_acl_lets_a_station_write_only_what_it_reports_and_read_only_what_it_is_sent() -> None:
    lines = topics.acl_patterns()
    assert "pattern write broadcaster/v1/station/%u/presence" in lines
    assert "pattern read broadcaster/v1/station/%u/emergency" in lines
    assert not any("#" in line or "+" in line for line in lines)


def test_payloads_are_objects_or_a_value_error() -> None:
    assert topics.loads(topics.dumps({"a": "Bão số 3"})) == {"a": "Bão số 3"}
    for raw in (b"\xff", b"[1]", b"nope", b"[" * 100000):
        with pytest.raises(ValueError):
            topics.loads(raw)
