"""A stand-in sound card for tests and the bench: reads a WAV stream on stdin at real-time pace.

Appends "PID start UNIX_TIME" when the first PCM byte after the 44-byte header arrives,
"PID last UNIX_TIME" when the last byte has been consumed and "PID end BYTES" at the end of the
stream. ``--linger S`` stays S seconds after the end before exiting (a player playing out its
buffer). ``--die-after BYTES`` exits with code 3 after that many PCM bytes (a player that crashes
mid-item); ``--once-marker FILE`` makes it die only the first time.
"""

import argparse
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("log")
p.add_argument("--rate", type=int, default=44100)
p.add_argument("--fast", action="store_true")
p.add_argument("--die-after", type=int, default=0)
p.add_argument("--once-marker", default="")
p.add_argument("--linger", type=float, default=0.0)
a = p.parse_args()
die = a.die_after
if die and a.once_marker:
    if os.path.exists(a.once_marker):
        die = 0
    else:
        open(a.once_marker, "w").close()
src = sys.stdin.buffer
head = src.read(44)
first = src.read(1)
t = time.time()
with open(a.log, "a") as fh:
    fh.write(f"{os.getpid()} start {t:.6f}\n")
total = len(first)
bps = a.rate * 2
t0 = time.monotonic()
while True:
    chunk = src.read(4410)
    if not chunk:
        break
    total += len(chunk)
    if die and total >= die:
        sys.exit(3)
    if not a.fast:
        delay = t0 + total / bps - time.monotonic()
        if delay > 0:
            time.sleep(delay)
with open(a.log, "a") as fh:
    fh.write(f"{os.getpid()} last {time.time():.6f}\n{os.getpid()} end {total}\n")
time.sleep(a.linger)
