"""The render worker as a real process: it takes queued jobs, survives a kill -9, finishes the job."""

from __future__ import annotations

import os
import signal
import time

from sqlalchemy import select

from broadcaster.audio import enqueue_render
from broadcaster.models import (
    ItemType,
    Programme,
    ProgrammeItem,
    RenderJob,
    Segment,
    SegmentKind,
    SegmentStatus,
)

SENTENCES = (
    "Ủy ban nhân dân xã thông báo lịch tiếp công dân trong tháng.",
    "Bà con mang theo căn cước công dân khi đến làm thủ tục.",
    "Bộ phận một cửa làm việc từ thứ Hai đến sáng thứ Bảy.",
)


def _programme(store, n: int) -> int:
    with store.sessions.begin() as s:
        st = store.station(s)
        prog = Programme(station_id=st.id, title="Chuyên mục cải cách hành chính")
        for i in range(n):
            seg = Segment(
                station_id=st.id,
                title=f"Bản tin {i + 1}",
                body=f"Bản tin số {i + 1}. " + " ".join(SENTENCES),
                kind=SegmentKind.CCHC_NEWS,
                status=SegmentStatus.APPROVED,
            )
            s.add(seg)
            s.flush()
            prog.items.append(ProgrammeItem(position=i, item_type=ItemType.SEGMENT, segment_id=seg.id))
        s.add(prog)
        s.flush()
        return prog.id


def _job(store, job_id: int) -> RenderJob:
    with store.sessions() as s:
        return s.get(RenderJob, job_id)


def _wait(pred, timeout: float, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(every)
    raise AssertionError("condition not met in time")


def test_a_job_killed_mid_render_is_taken_up_again_and_completes(store, render_worker):
    n = 6
    pid = _programme(store, n)
    with store.sessions.begin() as s:
        job_id = enqueue_render(s, store.station(s).id, programme_id=pid).id
        # A second ask while it waits follows the same job.
        assert enqueue_render(s, store.station(s).id, programme_id=pid).id == job_id

    first = render_worker()
    mid = _wait(lambda: (j := _job(store, job_id)).status == "running" and 1 <= j.done < n and j, 180)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    left = _job(store, job_id)
    assert left.status == "running" and left.done < n and left.worker_pid == first.pid, left.status

    second = render_worker()
    done = _wait(lambda: (j := _job(store, job_id)).status in ("done", "failed") and j, 300, 0.1)
    assert done.status == "done", done.error
    assert done.done == done.total == n and done.attempts == 2 and done.done > mid.done
    with store.sessions() as s:
        segs = s.scalars(select(Segment).join(ProgrammeItem, ProgrammeItem.segment_id == Segment.id)
                          .where(ProgrammeItem.programme_id == pid)).all()
        assert len(segs) == n and all(seg.render_asset_id is not None for seg in segs)
    second.terminate()
    _out, err = second.communicate(timeout=30)
    assert second.returncode == 0
    assert "Làm tiếp 1 việc chuyển giọng nói bị ngắt giữa chừng" in err


def test_a_segment_job_renders_with_the_station_settings(store, render_worker):
    from broadcaster import content

    with store.sessions.begin() as s:
        st = store.station(s)
        content.save_settings(s, st.id, store.config, None, {"speed": "180"})
        seg = Segment(
            station_id=st.id, title="Thông báo", body=SENTENCES[0], kind=SegmentKind.CCHC_NEWS
        )
        s.add(seg)
        s.flush()
        job_id = enqueue_render(s, st.id, segment_id=seg.id).id
        seg_id = seg.id
    render_worker()
    done = _wait(lambda: (j := _job(store, job_id)).status in ("done", "failed") and j, 120, 0.1)
    assert done.status == "done" and done.done == done.total == 1, done.error
    with store.sessions() as s:
        seg = s.get(Segment, seg_id)
        assert seg.render_asset is not None and seg.render_asset.speed == 180
