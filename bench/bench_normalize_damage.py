"""Damaged-text detection: false alarms on the clean seed plans, hit rate on damaged copies.

Run: ``.venv/bin/python bench/bench_normalize_damage.py``. Prints figures; passes or fails
nothing. For each seed plan in /work/shared/seeds: how many places assess() flags in the plan
as it is (the Thạch Thành plan really lost "ì"/"ò" in its PDF export, so its flags are listed),
then the share of places found in copies with 60 places damaged by tests/audio/damage.py,
by kind of damage, and the time assess() takes on the whole plan.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from audio.damage import KINDS, damage  # noqa: E402

from broadcaster.audio.normalize import assess  # noqa: E402

SEEDS = Path("/work/shared/seeds")


def main() -> None:
    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        print("no seed plans in", SEEDS)
        return
    for path in seeds:
        text = path.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        clean = assess(text)
        ms = (time.perf_counter() - t0) * 1000
        print(f"{path.name}: {len(text)} chars, score {clean.score:.4f}, "
              f"{len(clean.spans)} places flagged, assess() {ms:.0f} ms")
        for s in clean.spans:
            print(f"    {s.text!r:14} {s.reason}")
        found, total = Counter(), Counter()
        for seed in range(1, 6):
            damaged, places = damage(text, 60, seed)
            spans = assess(damaged).spans
            before = {(s.text, s.reason) for s in clean.spans}
            extra = [s for s in spans if (s.text, s.reason) not in before
                     and not any(a < s.end and s.start < b for a, b, _ in places)]
            for a, b, kind in places:
                total[kind] += 1
                found[kind] += any(s.start < b and a < s.end for s in spans)
            if seed == 1:
                print(f"    damaged copy: {len(extra)} flags outside the damaged places")
        all_found, all_total = sum(found.values()), sum(total.values())
        print(f"    detection over 5 copies: {all_found}/{all_total} "
              f"({100 * all_found / all_total:.1f}%); "
              + ", ".join(f"{k} {found[k]}/{total[k]}" for k in KINDS))


if __name__ == "__main__":
    main()
