"""The generated broker listens where it is told and nowhere else.

mosquitto 2.0 applies a listener option written before any ``listener`` line to a default
listener it then opens on 0.0.0.0:1883 (and [::]:1883) besides the configured one: a hub's broker
open on every network, and one that would not start at all while another broker holds 1883.
"""

from __future__ import annotations

import errno
import socket

from broadcaster.live import password_hash


def test_the_broker_opens_only_its_own_port(mosquitto):
    # Port 1883 taken (by this test, or already by another broker on this machine): a default
    # listener could not open, and mosquitto would stop with "Address already in use".
    holder = socket.socket()
    try:
        holder.bind(("0.0.0.0", 1883))
        holder.listen()
    except OSError as exc:
        assert exc.errno == errno.EADDRINUSE
    try:
        broker = mosquitto({"xa-a": password_hash("bcs_token-of-a")})
        assert broker.proc.poll() is None
        text = (broker.root / "mosquitto.conf").read_text()
        first = text.index("\nlistener ")
        assert "use_username_as_clientid" not in text[:first]  # a listener option, after its line
    finally:
        holder.close()
