"""The live link's clients against a real mosquitto whose files the hub's generator wrote."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt

from broadcaster import topics
from broadcaster.live import HubLink, StationLink, check_password, password_hash, wait_for

TOKENS = {"xa-a": "bcs_token-of-a", "xa-b": "bcs_token-of-b"}


def _hashes(tokens: dict[str, str]) -> dict[str, str]:
    return {code: password_hash(tok) for code, tok in tokens.items()}


class Inbox:
    def __init__(self) -> None:
        self.items: list = []
        self.lock = threading.Lock()

    def __call__(self, *args) -> None:
        with self.lock:
            self.items.append(args)

    def of(self, code: str) -> list[dict]:
        with self.lock:
            return [p for c, p in self.items if c == code]


def test_the_hash_is_mosquittos_own_format():
    h = password_hash("bí mật")
    assert h.startswith("$7$101$") and check_password("bí mật", h) and not check_password("bi mat", h)


def test_stations_meet_the_hub_each_only_on_its_own_topics(mosquitto):
    broker = mosquitto(_hashes(TOKENS))
    hub = HubLink(broker.hub_url)
    presence, statuses = Inbox(), Inbox()
    hub.on(topics.PRESENCE, presence)
    hub.on(topics.EMERGENCY_STATUS, statuses)
    hub.start()
    nudged: dict[str, list] = {"xa-a": [], "xa-b": []}
    links = {}
    for code in TOKENS:
        link = StationLink(broker.url, code, TOKENS[code], status=lambda c=code: {"on_air": f"tin {c}"})
        link.on(topics.NUDGE, nudged[code].append)
        links[code] = link.start()
    try:
        assert hub.wait_connected(10) and all(link.wait_connected(10) for link in links.values())
        # Presence arrives at once on connection, with what the station's status gave.
        assert wait_for(lambda: presence.of("xa-a") and presence.of("xa-b"), 10)
        first = presence.of("xa-a")[0]
        assert first["online"] is True and first["on_air"] == "tin xa-a" and first["every"] == 30

        assert hub.publish(topics.NUDGE, ["xa-a"], {"why": "manifest"}) == 1
        assert wait_for(lambda: nudged["xa-a"], 10)
        assert nudged["xa-a"] == [{"why": "manifest"}]

        # Station b, authenticated as itself, tries to speak for a and to listen to a's nudges.
        rogue_got: list = []
        rogue = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="xa-b-rogue")
        rogue.username_pw_set("xa-b", TOKENS["xa-b"])
        rogue.on_message = lambda _c, _u, m: rogue_got.append(m.topic)
        rogue.connect("127.0.0.1", broker.port)
        rogue.loop_start()
        rogue.subscribe(topics.station_topic("xa-a", topics.NUDGE), 1)
        rogue.subscribe(topics.all_stations(topics.PRESENCE), 1)
        forged = rogue.publish(
            topics.station_topic("xa-a", topics.PRESENCE), topics.dumps({"online": False}), 1
        )
        forged.wait_for_publish(5)
        rogue.publish(
            topics.station_topic("xa-a", topics.EMERGENCY_STATUS), b'{"uid":"x"}', 1
        ).wait_for_publish(5)
        own = rogue.publish(topics.station_topic("xa-b", topics.EMERGENCY_STATUS), b'{"uid":"y"}', 1)
        own.wait_for_publish(5)
        hub.publish(topics.NUDGE, ["xa-a"], {"why": "again"})
        assert wait_for(lambda: len(nudged["xa-a"]) == 2 and statuses.of("xa-b"), 10)
        rogue.loop_stop()
        rogue.disconnect()
        # The broker dropped what b wrote as a (the hub heard b's own message, sent after it).
        assert statuses.of("xa-a") == [] and statuses.of("xa-b") == [{"uid": "y"}]
        assert all(p.get("online") for p in presence.of("xa-a"))
        assert rogue_got == []  # nothing of a's, not even its retained presence
        # use_username_as_clientid: the rogue's own client id was replaced by its user name, so it
        # took over b's session; a's link never noticed.
        assert links["xa-a"].connected.is_set()

        # A wrong password is refused.
        wrong = StationLink(broker.url, "xa-a", "bcs_wrong").start()
        try:
            assert wait_for(lambda: wrong.refused is not None, 10) and not wrong.connected.is_set()
        finally:
            wrong.stop()

        # Revoked: the files regenerated without b, the broker reloaded: b is cut off.
        broker.configure(_hashes({"xa-a": TOKENS["xa-a"]}))
        broker.reload()
        assert wait_for(lambda: not links["xa-b"].connected.is_set(), 10)
        assert links["xa-a"].connected.is_set()

        # A clean stop says offline itself.
        links["xa-a"].stop()
        assert wait_for(lambda: presence.of("xa-a")[-1]["online"] is False, 10)
    finally:
        for link in links.values():
            link.stop()
        hub.stop()
