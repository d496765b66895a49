"""Bench part (issue 13): a district emergency, command → first audio byte at two real stations.

The whole path, real processes only: a PostgreSQL cluster under a temp dir (the hub's database), a
mosquitto with the files of ``broadcaster hub mqtt-config``, the hub's web (serving the audio) and
``broadcaster hub live``, two stations as ``broadcaster run`` (each starts its own sync and live
link) airing into a ``command:`` sink (tests/playout/pcm_reader.py, consuming at real-time pace as
aplay does, logging the wall time of its first audio byte).

Each round runs ``broadcaster hub emergency --text … --to xa-a,xa-b`` with new words (so the hub
renders and each station fetches a new file, as in a real emergency) and times, per station:
- from the command's start (an officer pressing Enter: includes the command's Python start and
  the hub's rendering) to the first audio byte at the sink;
- from the hub's commit (``sent_at``) to the first byte (broker, station link, fetch, daemon).
Target: ≤ 5 s. Prints figures, asserts nothing. Used by bench_live.py; runs alone too:
``.venv/bin/python bench/_live_stations.py [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from broadcaster.pgserver import free_port

ROOT = Path(__file__).resolve().parents[1]
READER = ROOT / "tests" / "playout" / "pcm_reader.py"
BC = [sys.executable, "-m", "broadcaster.cli"]
CODES = ("xa-a", "xa-b")
WORDS = ("bão", "lũ quét", "sạt lở", "cháy rừng", "dịch bệnh", "triều cường", "lốc xoáy", "mưa đá")


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def _postgres(root: Path, stack: ExitStack) -> str:
    """Give back the URL of a throw-away PostgreSQL cluster under ``root`` (stopped on exit)."""
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1].parent
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    pg = root / "pg"
    pg.mkdir()
    if as_pg:
        root.chmod(0o755)  # mkdtemp's 0700 would keep the postgres account out
        shutil.chown(pg, "postgres")
    subprocess.run(
        [*as_pg, str(bindir / "initdb"), "-D", str(pg / "data"), "-U", "bc", "-A", "trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = subprocess.Popen(
        [*as_pg, str(bindir / "postgres"), "-D", str(pg / "data"), "-p", str(port), "-k", str(pg)]
        + ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack.callback(_stop, proc)
    _wait_port(port)
    time.sleep(0.5)
    return f"postgresql+psycopg://bc@127.0.0.1:{port}/postgres"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _run(env: dict, *args: str) -> str:
    out = subprocess.run([*BC, *args], env=env, capture_output=True, text=True, timeout=180)
    if out.returncode != 0:
        raise RuntimeError(f"broadcaster {' '.join(args)}: {out.stdout}{out.stderr}")
    return out.stdout


def _first_bytes(log: Path) -> list[float]:
    if not log.exists():
        return []
    return [float(v) for _p, k, v in (ln.split() for ln in log.read_text().splitlines()) if k == "start"]


def _env(root: Path) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    return {
        "BROADCASTER_DATA_DIR": str(root),
        "BROADCASTER_TTS_ORDER": "pyttsx3",
        "BROADCASTER_SINK": "null",
        "PATH": os.environ.get("PATH", ""),
        "TZ": "UTC",
        "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT)),
    }


def measure(rounds: int = 5, *, say=print) -> dict:
    """Give back (and print) the figures of ``rounds`` emergencies to two real stations."""
    from broadcaster.config import load
    from broadcaster.live import MqttUrl
    from broadcaster.models import Emergency
    from broadcaster.store import open_store

    tmp = Path(tempfile.mkdtemp(prefix="bc-bench-khan-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, True)
        db_url = _postgres(tmp, stack)
        mqtt_port, web_port = free_port(), free_port()
        hub_password = os.urandom(8).hex()
        hub = _env(tmp / "hub") | {
            "BROADCASTER_DATABASE_URL": db_url,
            "BROADCASTER_MODE": "hub",
            "BROADCASTER_STATION_CODE": "huyen",
            "BROADCASTER_WEB_PORT": str(web_port),
            "BROADCASTER_WEB_WORKERS": "1",
            "BROADCASTER_MQTT_URL": f"mqtt://hub:{hub_password}@127.0.0.1:{mqtt_port}",
        }
        sinks = {c: tmp / f"sink-{c}.log" for c in CODES}
        envs = {
            c: _env(tmp / c)
            | {
                "BROADCASTER_STATION_CODE": c,
                "BROADCASTER_HUB_URL": f"http://127.0.0.1:{web_port}",
                "BROADCASTER_MQTT_URL": f"mqtt://127.0.0.1:{mqtt_port}",
                "BROADCASTER_SYNC_INTERVAL": "3600",
                "BROADCASTER_SINK": f"command:{sys.executable} {READER} {sinks[c]}",
            }
            for c in CODES
        }
        for e in (hub, *envs.values()):
            _run(e, "init", "--no-starter")
        (tmp / "dai.csv").write_text("code,name,group\nxa-a,Xã A,thử\nxa-b,Xã B,thử\n", encoding="utf-8")
        _run(hub, "station", "import", str(tmp / "dai.csv"), "-o", str(tmp / "tokens.csv"))
        for line in (tmp / "tokens.csv").read_text().splitlines()[1:]:
            code, token = line.split(",")
            envs[code]["BROADCASTER_HUB_TOKEN"] = token
        # The hub's own password goes in as the generator's hub user (mqtt-config reads it from the URL).
        _run(hub, "hub", "mqtt-config", str(tmp / "mqtt"), "--port", str(mqtt_port))
        assert MqttUrl.parse(hub["BROADCASTER_MQTT_URL"]).port == mqtt_port
        logs = tmp / "logs"
        logs.mkdir()

        def start(env: dict, *args: str, name: str) -> subprocess.Popen:
            fh = stack.enter_context(open(logs / f"{name}.log", "ab"))
            proc = subprocess.Popen([*BC, *args], env=env, stdout=fh, stderr=fh)
            stack.callback(_stop, proc)
            return proc

        broker = subprocess.Popen(
            ["/usr/sbin/mosquitto", "-c", str(tmp / "mqtt" / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(_stop, broker)
        _wait_port(mqtt_port)
        start(hub, "web", name="web")
        live = start(hub, "hub", "live", name="live")
        stations = [start(envs[c], "run", name=f"run-{c}") for c in CODES]
        _wait_port(web_port)
        store = open_store(load({k: v for k, v in hub.items() if k.startswith("BROADCASTER_")}))
        stack.callback(store.engine.dispose)

        from broadcaster import hub as hub_mod

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with store.sessions() as s:
                rows = hub_mod.stations_overview(s, "huyen", 3600)
            if rows and all(r["online"] for r in rows):
                break
            time.sleep(0.3)
        else:
            raise RuntimeError("the stations did not come online: " + (logs / "live.log").read_text()[-2000:])

        from_cmd: list[float] = []
        from_commit: list[float] = []
        to_station: list[float] = []  # hub commit → the station's "received" (NOTIFY, live, broker, link)
        at_station: list[float] = []  # "received" → first byte (fetch by sha256, mailbox, daemon, sink)
        for i in range(rounds):
            before = {c: len(_first_bytes(sinks[c])) for c in CODES}
            text = f"Thông báo khẩn cấp số {i + 1}: {WORDS[i % len(WORDS)]} đang đến, bà con chú ý."
            t0 = time.time()
            out = _run(hub, "hub", "emergency", "--text", text, "--to", ",".join(CODES))
            uid = out.strip().splitlines()[-1]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if all(len(_first_bytes(sinks[c])) > before[c] for c in CODES):
                    break
                time.sleep(0.02)
            time.sleep(0.5)  # the "received" reports reach the hub's rows
            with store.sessions() as s:
                em = s.query(Emergency).filter(Emergency.uid == uid).one()
                sent = em.sent_at.timestamp()
                received = {t.station.code: t.received_at for t in em.targets}
            for c in CODES:
                got = _first_bytes(sinks[c])
                if len(got) <= before[c]:
                    say(f"  vòng {i + 1}: {c} chưa phát sau 60 giây")
                    continue
                from_cmd.append(got[before[c]] - t0)
                from_commit.append(got[before[c]] - sent)
                if received.get(c) is not None:
                    to_station.append(received[c].timestamp() - sent)
                    at_station.append(got[before[c]] - received[c].timestamp())
            # Let both plays end before the next command (each is a few seconds of speech).
            time.sleep(5.5)
        figures = {
            "rounds": rounds,
            "plays": len(from_cmd),
            "cmd_p50_s": statistics.median(from_cmd) if from_cmd else None,
            "cmd_max_s": max(from_cmd, default=None),
            "commit_p50_s": statistics.median(from_commit) if from_commit else None,
            "commit_max_s": max(from_commit, default=None),
            "to_station_p50_s": statistics.median(to_station) if to_station else None,
            "at_station_p50_s": statistics.median(at_station) if at_station else None,
            "load": os.getloadavg()[0],
        }
        alive = all(p.poll() is None for p in (live, *stations))
        say(
            f"Khẩn cấp tới 2 đài thật ({figures['plays']} lần phát / {rounds} vòng, tải máy "
            f"{figures['load']:.1f}): lệnh → byte âm thanh đầu tiên ở bộ phát "
            f"p50 {_s(figures['cmd_p50_s'])}, max {_s(figures['cmd_max_s'])}; "
            f"huyện ghi xong → byte đầu tiên p50 {_s(figures['commit_p50_s'])}, "
            f"max {_s(figures['commit_max_s'])} (mục tiêu ≤ 5 s); trong đó huyện → đài nhận "
            f"p50 {_s(figures['to_station_p50_s'])}, "
            f"đài nhận → byte đầu tiên p50 {_s(figures['at_station_p50_s'])}"
            + ("" if alive else "; có tiến trình đã dừng!")
        )
        return figures


def _s(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f} s"


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    measure(p.parse_args().rounds)
