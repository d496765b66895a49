"""The live link's MQTT clients (paho-mqtt 2.x): a station's ``StationLink`` and the hub's ``HubLink``.

Both run paho's network loop in its own thread (``loop_start``), reconnect by themselves with a
growing delay (1 s doubling to 60 s), and hand every message to the handlers registered with
``on(kind, handler)`` through one dispatcher thread of their own: a slow handler (a sync round, a
database write) never stalls the network loop, so keepalives and the heartbeat go on.

A station connects as its code, client id = user name (the broker enforces it), with a persistent
session (clean_session false): QoS 1 messages sent while it was away (an emergency) wait at the
broker and arrive when it comes back. Its last will, retained on its presence topic, is
``{"online": false}``: the broker publishes it when the station vanishes without saying goodbye.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt

from .. import topics
from ._broker import BrokerError

log = logging.getLogger("broadcaster.live")

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 60
QOS = 1


@dataclass(frozen=True)
class MqttUrl:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> MqttUrl:
        """Give back the parts of ``mqtt[s]://[user:password@]host[:port]``; BrokerError if not one."""
        parts = urlsplit(url or "")
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise BrokerError("Địa chỉ máy chủ MQTT phải có dạng mqtt://máy-chủ[:cổng] hoặc mqtts://…")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise BrokerError("Cổng của máy chủ MQTT không hợp lệ.") from None
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.hostname, port, tls, user, password)


def _client(client_id: str, username: str, password: str | None, url: MqttUrl, *, persistent: bool):
    c = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=not persistent,
        protocol=mqtt.MQTTv311,
    )
    c.username_pw_set(username, password)
    if url.tls:
        c.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    c.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    return c


class _Link:
    """What both ends share: the paho client, the connected flag, the dispatcher thread."""

    kinds: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.connected = threading.Event()
        self.refused: str | None = None  # the broker's last refusal (bad password, not authorised)
        self._handlers: dict[str, list[Callable[..., Any]]] = {}
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._dispatcher: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self._stopping = threading.Event()

    def on(self, kind: str, handler: Callable[..., Any]) -> None:
        """Call ``handler`` for every message of ``kind`` (one of this end's kinds)."""
        if kind not in self.kinds:
            raise ValueError(f"{type(self).__name__} không nhận tin loại {kind!r}")
        self._handlers.setdefault(kind, []).append(handler)

    def _start_dispatcher(self) -> None:
        self._dispatcher = threading.Thread(
            target=self._dispatch, name=f"{type(self).__name__}-handlers", daemon=True
        )
        self._dispatcher.start()

    def _dispatch(self) -> None:
        while True:
            item = self._inbox.get()
            if item is None:
                return
            kind, args = item
            for handler in self._handlers.get(kind, ()):
                try:
                    handler(*args)
                except Exception:  # noqa: BLE001 - one bad handler must not end the link
                    log.exception("Lỗi khi xử lý tin %s", kind)

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            self.refused = str(reason_code)
            log.warning("Máy chủ MQTT từ chối kết nối: %s", reason_code)
            return
        self.refused = None
        self._subscribe(client)
        self.connected.set()
        self._connected(client)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        self.connected.clear()
        if not self._stopping.is_set():
            log.warning("Mất kết nối máy chủ MQTT (%s); tự kết nối lại.", reason_code)

    def _subscribe(self, client) -> None:  # pragma: no cover - each end subscribes its own
        raise NotImplementedError

    def _connected(self, client) -> None:
        """Hook run on the network thread after each (re)connection."""

    def _begin(self, client: mqtt.Client, url: MqttUrl, keepalive: int) -> None:
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client
        self._start_dispatcher()
        client.connect_async(url.host, url.port, keepalive=keepalive)
        client.loop_start()

    def _on_message(self, _client, _userdata, msg) -> None:  # pragma: no cover - per end
        raise NotImplementedError

    def wait_connected(self, timeout: float) -> bool:
        """Give back whether the link is connected within ``timeout`` seconds."""
        return self.connected.wait(timeout)

    def stop(self) -> None:
        """Disconnect cleanly (no last will) and end the threads."""
        self._stopping.set()
        c = self._client
        if c is not None:
            self._goodbye(c)
            c.disconnect()
            c.loop_stop()
        self._inbox.put(None)
        if self._dispatcher is not None:
            self._dispatcher.join(timeout=5)

    def _goodbye(self, client) -> None:
        """Hook: what to say before a clean disconnect."""


class StationLink(_Link):
    """A station's end: presence up (heartbeat and last will), nudges and emergencies down.

    ``status`` is called for each heartbeat and gives back the fields to report (now airing,
    next airing, version, disk free, clock…); ``online``, ``every`` (the heartbeat in seconds, so
    the hub knows when a station is overdue) and ``at`` are added here.
    """

    kinds = (topics.NUDGE, topics.EMERGENCY)

    def __init__(
        self,
        url: str,
        code: str,
        password: str,
        *,
        status: Callable[[], dict] | None = None,
        heartbeat: int = 30,
        keepalive: int = 60,
    ) -> None:
        super().__init__()
        self.url = MqttUrl.parse(url)
        self.code = self.url.username or code
        self.password = self.url.password or password
        self.status = status or dict
        self.heartbeat = heartbeat
        self.keepalive = keepalive
        self._beat: threading.Thread | None = None
        self._beat_now = threading.Event()
        self._presence = topics.station_topic(self.code, topics.PRESENCE)

    def start(self) -> StationLink:
        """Start connecting (in the background) and beating; give back self."""
        c = _client(self.code, self.code, self.password, self.url, persistent=True)
        c.will_set(self._presence, topics.dumps({"online": False}), qos=QOS, retain=True)
        self._begin(c, self.url, self.keepalive)
        self._beat = threading.Thread(target=self._beating, name="StationLink-heartbeat", daemon=True)
        self._beat.start()
        return self

    def _subscribe(self, client) -> None:
        client.subscribe([(topics.station_topic(self.code, k), QOS) for k in self.kinds])

    def _connected(self, client) -> None:
        # At once, not at the next beat: the hub sees a station back the moment it is.
        self._beat_now.set()

    def _on_message(self, _client, _userdata, msg) -> None:
        try:
            _code, kind = topics.split(msg.topic)
            payload = topics.loads(msg.payload)
        except ValueError as exc:
            log.warning("Bỏ qua tin MQTT không đọc được trên %s: %s", msg.topic, exc)
            return
        self._inbox.put((kind, (payload,)))

    def presence(self) -> dict:
        """Give back the heartbeat payload as it would be sent now."""
        try:
            fields = dict(self.status() or {})
        except Exception:  # noqa: BLE001 - a heartbeat without details beats none
            log.exception("Không lấy được trạng thái đài cho nhịp tim")
            fields = {}
        return {**fields, "online": True, "every": self.heartbeat, "at": _now_iso()}

    def beat(self) -> bool:
        """Give back whether a heartbeat was handed to the broker (False while disconnected)."""
        c = self._client
        if c is None or not self.connected.is_set():
            return False
        info = c.publish(self._presence, topics.dumps(self.presence()), qos=QOS, retain=True)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def _beating(self) -> None:
        # Its own thread: neither a slow handler nor the network loop delays a heartbeat.
        while True:
            self._beat_now.wait(self.heartbeat)
            self._beat_now.clear()
            if self._stopping.is_set():
                return
            self.beat()

    def publish(self, kind: str, payload: dict) -> bool:
        """Give back whether a message of ``kind`` (one the station may write) was handed over."""
        if kind not in topics.STATION_WRITES:
            raise ValueError(f"đài không gửi tin loại {kind!r}")
        c = self._client
        if c is None:
            return False
        info = c.publish(topics.station_topic(self.code, kind), topics.dumps(payload), qos=QOS)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def _goodbye(self, client) -> None:
        self._beat_now.set()  # ends the heartbeat thread
        # A clean stop says "offline" itself: the broker sends no last will after a DISCONNECT.
        if self.connected.is_set():
            info = client.publish(
                self._presence, topics.dumps({"online": False, "at": _now_iso()}), QOS, True
            )
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                pass


class HubLink(_Link):
    """The hub's end: every station's presence and emergency status up, nudges/emergencies down.

    Handlers get ``(code, payload)``. One process holds it (``broadcaster hub live``): the broker
    takes the user name as client id, so a second one would push the first off.
    """

    kinds = (topics.PRESENCE, topics.EMERGENCY_STATUS)

    def __init__(self, url: str, *, keepalive: int = 60, persistent: bool = True) -> None:
        super().__init__()
        self.url = MqttUrl.parse(url)
        if not self.url.username or not self.url.password:
            raise BrokerError(
                "Địa chỉ MQTT của huyện phải có tên và mật khẩu: mqtt://hub:MẬT_KHẨU@máy-chủ:cổng."
            )
        self.keepalive = keepalive
        self.persistent = persistent

    @property
    def username(self) -> str:
        return self.url.username or ""

    def start(self) -> HubLink:
        """Start connecting (in the background); give back self."""
        c = _client(self.username, self.username, self.url.password, self.url, persistent=self.persistent)
        self._begin(c, self.url, self.keepalive)
        return self

    def _subscribe(self, client) -> None:
        # Presence at QoS 0: the broker queues none of it for the hub's session while the hub is
        # away (1,000 stations beat 2,000 times a minute: the queue would overflow and drop the
        # emergency reports queued beside them); on coming back the retained presence of each
        # station gives its latest state anyway. Emergency reports at QoS 1: none is lost.
        client.subscribe(
            [(topics.all_stations(topics.PRESENCE), 0), (topics.all_stations(topics.EMERGENCY_STATUS), QOS)]
        )

    def _on_message(self, _client, _userdata, msg) -> None:
        try:
            code, kind = topics.split(msg.topic)
            payload = topics.loads(msg.payload)
        except ValueError as exc:
            log.warning("Bỏ qua tin MQTT không đọc được trên %s: %s", msg.topic, exc)
            return
        if kind == topics.PRESENCE and msg.retain:
            # The broker's stored copy, given on (re)subscribing: maybe old, not a contact now.
            payload = {**payload, "retained": True}
        if kind in self.kinds:
            self._inbox.put((kind, (code, payload)))

    def publish(self, kind: str, codes: list[str], payload: dict) -> int:
        """Give back how many stations' messages were handed to paho (QoS 1: it resends until acked).

        Raises BrokerError when the link is not connected: the caller decides whether to wait.
        """
        if kind not in topics.STATION_READS:
            raise ValueError(f"huyện không gửi tin loại {kind!r}")
        c = self._client
        if c is None or not self.connected.is_set():
            raise BrokerError("Chưa kết nối được máy chủ MQTT.")
        raw = topics.dumps(payload)
        sent = 0
        for code in codes:
            info = c.publish(topics.station_topic(code, kind), raw, qos=QOS)
            sent += info.rc == mqtt.MQTT_ERR_SUCCESS
        return sent


def _now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Give back whether ``predicate`` became true within ``timeout`` seconds (tests, benches)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
