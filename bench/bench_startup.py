"""Start-up of the commands: `broadcaster --help`, `status`, `render --help`, `normalize`, `render`.

Run: ``.venv/bin/python bench/bench_startup.py``. Prints figures; passes or fails nothing.
Target (issue 11): each command starts in ≤ 0.3 s before its work begins. Measured as wall time
of the real command (median of 5) on a one-line text, next to the bare interpreter and, for
``render``, espeak-ng alone on the same line (the work itself); in a fresh data dir without a
station database, and again in a station's (its pronunciation entries and saved settings read
with sqlite3, not SQLAlchemy). Then the
modules that cost most to import (``-X importtime``), for the whole command and for the audio
room alone. ``status`` (issue 10): the station daemon down right after a write through a writer
(a CLI command; a save through the web server's API, ``status`` a second later, as an officer
would type it): the writer left the answer behind; the daemon down and nothing written; the cold
path (no kept answer at all, e.g. the first ``status`` after a restore: it reads the database);
the daemon up (it reads the daemon's snapshot). And what a web save costs (the API's answer time)
when the web server is quiet and when the save lands while that server rebuilds the answer after
the save before. Runs on any tree (only commands and HTTP): run it on the tree before a change
for the "before" figures.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from broadcaster.pgserver import free_port

ROOT = Path(__file__).resolve().parents[1]
LINE = "Ngày 05/3/2024 lúc 7h30, UBND xã họp với bà con."
RUNS = 5


def children_cpu() -> float:
    """Return the CPU seconds used so far by this process's finished children."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wall(args: list[str], env: dict[str, str], stdin: bytes = b"", before=None) -> tuple[float, float]:
    """Return the median wall time and median CPU time of ``RUNS`` runs of a command (it must succeed),
    ``before()`` run (untimed) ahead of each.

    The CPU time (all its processes) says what the command costs when the machine is shared.
    """
    took, cpu = [], []
    for _ in range(RUNS):
        if before is not None:
            before()
        t, c = time.perf_counter(), children_cpu()
        subprocess.run(args, input=stdin, env=env, check=True, capture_output=True, timeout=120)
        took.append(time.perf_counter() - t)
        cpu.append(children_cpu() - c)
    return statistics.median(took), statistics.median(cpu)


def importtime(code: str, env: dict[str, str], top: int = 8) -> list[tuple[int, str]]:
    """Return the ``top`` top-level imports by cumulative µs when ``code`` runs, and the total."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True,
                          timeout=120, input=b"")
    rows = []
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if m and len(m.group(2)) <= 1:  # modules imported by the code itself, not their children
            rows.append((int(m.group(1)), m.group(3)))
    return sorted(rows, reverse=True)[:top]


STATUS_CODE = ("import sys, contextlib, io; import broadcaster.cli as c\n"
               "with contextlib.redirect_stdout(io.StringIO()): c.main(['status'])")


def start_daemon(py: str, env: dict[str, str]) -> subprocess.Popen:
    """Start `broadcaster run` and return it once it has written its status snapshot."""
    proc = subprocess.Popen([py, "-m", "broadcaster.cli", "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    snap = Path(env["BROADCASTER_DATA_DIR"]) / "run" / "status.json"
    deadline = time.monotonic() + 60
    while not snap.exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("the station daemon wrote no status snapshot")
        time.sleep(0.1)
    return proc


def add_user(py: str, env: dict[str, str], name: str, role: str) -> None:
    """Add an account with ``broadcaster user add``: a write by a short-lived CLI process."""
    subprocess.run([py, "-m", "broadcaster.cli", "user", "add", name, "--role", role, "--password-stdin"],
                   env=env, input=b"mat-khau-dai-du-12\n", check=True, capture_output=True)


def web_saves(py: str, env: dict[str, str], runs: int = 10) -> dict[str, list[float]]:
    """Give back the seconds each web save took (a schedule renamed through the API of a real
    ``broadcaster web``, one worker), saves 1.5 s apart ("quiet") and 0.45 s apart (each lands as
    the server rebuilds ``status``'s answer after the one before: "after a save"), and
    ``status`` a second after a save ("status after a web save")."""
    import requests

    add_user(py, env, "quantri", "admin")
    made = subprocess.run([py, "-m", "broadcaster.cli", "token", "add", "quantri", "--name", "bench"],
                          env=env, check=True, capture_output=True, text=True)
    token = made.stdout.strip().splitlines()[-1]
    port = free_port()
    web = subprocess.Popen([py, "-m", "broadcaster.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
                           env={**env, "BROADCASTER_WEB_WORKERS": "1"}, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        web.stdout.readline()  # the ready line
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        base = f"http://127.0.0.1:{port}/api/v1"
        sid = api.get(f"{base}/schedules", timeout=30).json()["lich"][0]["id"]
        for seg in api.get(f"{base}/approvals", timeout=30).json()["cho_duyet"]:  # a schedule saves
            api.post(f"{base}/segments/{seg['id']}/approve", json={}, timeout=30)  # approved items only
        n = 0

        def save() -> float:
            nonlocal n
            n += 1
            t = time.perf_counter()
            r = api.patch(f"{base}/schedules/{sid}", json={"name": f"Lịch thử {n}"}, timeout=30)
            took = time.perf_counter() - t
            if r.status_code != 200:
                raise SystemExit(f"web save refused: {r.status_code} {r.text[:200]}")
            return took

        save()  # warm the worker
        time.sleep(1.5)
        figures: dict[str, list[float]] = {"quiet": [], "after a save": [], "status after a web save": []}
        for _ in range(runs):
            figures["quiet"].append(save())
            time.sleep(1.5)
        for _ in range(runs):
            figures["after a save"].append(save())
            time.sleep(0.45)
        time.sleep(1.5)
        for _ in range(RUNS):
            save()
            time.sleep(1.0)
            t = time.perf_counter()
            subprocess.run([py, "-m", "broadcaster.cli", "status"], env=env, check=True, capture_output=True)
            figures["status after a web save"].append(time.perf_counter() - t)
        return figures
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)


def main() -> int:
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        env = {**os.environ, "BROADCASTER_DATA_DIR": tmp, "BROADCASTER_TTS_ORDER": "pyttsx3",
               "PYTHONPATH": str(ROOT)}
        src = Path(tmp) / "line.txt"
        src.write_text(LINE, "utf-8")
        out = Path(tmp) / "line.wav"
        bare = wall([py, "-c", "pass"], env)
        norm = wall([py, "-m", "broadcaster.cli", "normalize"], env, LINE.encode())
        rend = wall([py, "-m", "broadcaster.cli", "render", str(src), "-o", str(out), "--force"], env)
        spoken = subprocess.run([py, "-m", "broadcaster.cli", "normalize"], env=env, input=LINE.encode(),
                                capture_output=True, check=True).stdout
        alone = wall(["espeak-ng", "-v", "vi", "-w", str(Path(tmp) / "raw.wav")], env, spoken)
        load = os.getloadavg()[0]
        print(f"one line: {LINE!r}; median of {RUNS}, wall / CPU (all processes), load {load:.1f}")
        # `status` reads a station's store: one of its own, so the audio figures keep a fresh data dir.
        station = {**env, "BROADCASTER_DATA_DIR": str(Path(tmp) / "station")}
        subprocess.run([py, "-m", "broadcaster.cli", "init", "--no-starter"], env=station, check=True,
                       capture_output=True)
        helps = wall([py, "-m", "broadcaster.cli", "--help"], env)
        norm_db = wall([py, "-m", "broadcaster.cli", "normalize"], station, LINE.encode())
        rend_db = wall([py, "-m", "broadcaster.cli", "render", str(src), "-o", str(out), "--force"], station)
        # `status` on a station with the starter column: two daily slots, their items waiting.
        subprocess.run([py, "-m", "broadcaster.cli", "init"], env=station, check=True, capture_output=True)
        cache = Path(station["BROADCASTER_DATA_DIR"]) / "run" / "status-cache.json"
        names = (f"canbo{i}" for i in range(1000))
        status = wall([py, "-m", "broadcaster.cli", "status"], station,
                      before=lambda: add_user(py, station, next(names), "editor"))
        status_cold = wall([py, "-m", "broadcaster.cli", "status"], station,
                           before=lambda: cache.unlink(missing_ok=True))  # no kept answer at all
        status_kept = wall([py, "-m", "broadcaster.cli", "status"], station)
        status_kept_imports = importtime(STATUS_CODE, station)
        daemon = start_daemon(py, {**station, "BROADCASTER_SINK": "null"})
        try:
            status_up = wall([py, "-m", "broadcaster.cli", "status"], station)
            status_up_imports = importtime(STATUS_CODE, station)
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
        render_help = wall([py, "-m", "broadcaster.cli", "render", "--help"], env)
        saves = web_saves(py, station)
        rows = (("python -c pass", bare), ("broadcaster --help", helps),
                ("broadcaster status (down, CLI write)", status),
                ("broadcaster status (down, kept)", status_kept),
                ("broadcaster status (down, cold)", status_cold),
                ("broadcaster status (daemon up)", status_up),
                ("broadcaster render --help", render_help), ("broadcaster normalize", norm),
                ("broadcaster render --force (WAV)", rend), ("espeak-ng alone, same line", alone),
                ("normalize, station database", norm_db), ("render --force, station database", rend_db))
        for label, (w, c) in rows:
            print(f"  {label:34s} {w * 1000:6.0f} ms / {c * 1000:6.0f} ms")
        print(f"start-up before work, normalize ≈ {norm[0] * 1000:.0f} ms / {norm[1] * 1000:.0f} ms CPU "
              "(the normalizing itself is ~20 ms)   target <= 300 ms")
        print(f"start-up before work, render    ≈ {(rend[0] - alone[0]) * 1000:.0f} ms / "
              f"{(rend[1] - alone[1]) * 1000:.0f} ms CPU (render minus espeak-ng alone: includes "
              "loudness and writing)   target <= 300 ms")
        print(f"start-up before work, render, station database ≈ {(rend_db[0] - alone[0]) * 1000:.0f} ms"
              f" / {(rend_db[1] - alone[1]) * 1000:.0f} ms CPU   target <= 300 ms")
        for label, (w, c) in (("--help", helps), ("status (down, CLI write)", status),
                              ("status (down, kept)", status_kept), ("status (up)", status_up),
                              ("render --help", render_help)):
            print(f"start-up, {label:24s} {w * 1000:6.0f} ms / {c * 1000:6.0f} ms CPU   target <= 300 ms")
        took = saves["status after a web save"]
        print(f"start-up, {'status (down, web save)':24s} {statistics.median(took) * 1000:6.0f} ms wall "
              f"(median of {len(took)}, worst {max(took) * 1000:.0f} ms)   target <= 300 ms")
        print(f"start-up, {'status (down, cold)':24s} {status_cold[0] * 1000:6.0f} ms / "
              f"{status_cold[1] * 1000:6.0f} ms CPU   (no kept answer: the first status after a restore; "
              "reads the database)")
        for label in ("quiet", "after a save"):
            took = sorted(saves[label])
            print(f"web save (schedule renamed through the API), {label:12s}: median "
                  f"{statistics.median(took) * 1000:5.1f} ms, worst {took[-1] * 1000:5.1f} ms of {len(took)}")
        for label, code, where in (
            ("broadcaster --help", "import sys, contextlib, io; sys.argv=['broadcaster','--help']; "
                                   "import broadcaster.cli as c\n"
                                   "with contextlib.redirect_stdout(io.StringIO()), "
                                   "contextlib.suppress(SystemExit): c.main()", env),
            ("whole command (normalize)", "import sys; sys.argv=['broadcaster','normalize']; "
                                          "import broadcaster.cli as c; c.main()", env),
            ("audio room alone", "import broadcaster.audio.cli, broadcaster.audio.normalize; "
                                 "from broadcaster.audio import render_text", env),
        ):
            rows = importtime(code, where)
            print(f"largest imports, {label} (cumulative ms):")
            for us, name in rows:
                print(f"  {us / 1000:7.1f}  {name}")
        for label, rows in (("daemon down, nothing written: the kept answer", status_kept_imports),
                            ("daemon up: its snapshot", status_up_imports)):
            print(f"largest imports, broadcaster status ({label}) (cumulative ms):")
            for us, name in rows:
                print(f"  {us / 1000:7.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
