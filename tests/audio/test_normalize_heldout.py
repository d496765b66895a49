"""The held-out set of the normalizer: sentences written before tuning, never tuned against.

The score is printed on every run; at least 95% of the sentences must read exactly as expected,
case and runs of whitespace aside (neither is heard).
"""

from __future__ import annotations

from pathlib import Path

from broadcaster.audio.normalize import normalize

HELDOUT = Path(__file__).with_name("heldout_normalize.tsv")


def _cases() -> list[tuple[str, str]]:
    cases = []
    for line in HELDOUT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        written, spoken = line.split("\t")
        cases.append((written.replace("\\n", "\n"), spoken))
    return cases


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def test_heldout_set_reads_at_least_95_percent_right(capsys) -> None:
    cases = _cases()
    assert len(cases) >= 80
    wrong = [(w, e, got) for w, e in cases if not _same(got := normalize(w), e)]
    right = len(cases) - len(wrong)
    with capsys.disabled():
        print(f"\nheld-out normalizer set: {right}/{len(cases)} right ({100 * right / len(cases):.1f}%)")
        for written, expected, got in wrong:
            print(f"  {written!r}\n    expected {expected!r}\n    got      {got!r}")
    assert right >= 0.95 * len(cases)
