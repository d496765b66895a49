"""The render worker: the one place speech is rendered for officers, outside any web process.

The web enqueues a :class:`~broadcaster.models.RenderJob` (a programme's segments, one segment, or
the words an officer wants to hear before saving) and shows its progress from the row;
``broadcaster worker`` takes queued jobs one at a time and renders them with the station's
effective settings. The queue is the table, so it survives
restarts: a job left ``running`` by a worker that died (kill, power cut) is queued again when a
worker starts, and resumes cheaply, since every segment already rendered is a cache hit.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..config import Config
from ..db import utcnow
from ..models import Programme, RenderJob, Segment
from ..rules import effective_config, pid_alive
from ._errors import AudioError
from ._render import render_programme, render_segment, render_text, station_lexicon

log = logging.getLogger("broadcaster.worker")

#: Seconds between looks at the queue when it is empty.
POLL_S = 0.5
#: A job that made its worker die this many times is failed rather than tried again.
MAX_ATTEMPTS = 3
WAITING = ("queued", "running")
UNEXPECTED = "Có lỗi không mong đợi khi chuyển giọng nói; chi tiết ghi trong nhật ký máy chủ."
INTERRUPTED = "Việc chuyển giọng nói bị ngắt {n} lần (bộ chuyển giọng nói dừng đột ngột); đã thôi thử lại."


def enqueue_render(
    session: Session,
    station_id: int,
    *,
    programme_id: int | None = None,
    segment_id: int | None = None,
    force: bool = False,
) -> RenderJob:
    """Give back the job that renders this programme or segment: the one already queued or under
    way (a second click follows it), else a new queued one. Flushes; the caller commits."""
    if (programme_id is None) == (segment_id is None):
        raise ValueError("a render job is for one programme or one segment")
    target = RenderJob.programme_id == programme_id if programme_id else RenderJob.segment_id == segment_id
    job = session.scalar(
        select(RenderJob)
        .where(RenderJob.station_id == station_id, target, RenderJob.status.in_(WAITING))
        .order_by(RenderJob.id.desc())
        .limit(1)
    )
    if job is None:
        job = RenderJob(station_id=station_id, programme_id=programme_id, segment_id=segment_id)
        job.force, job.status = force, "queued"
        session.add(job)
        session.flush()
    return job


def enqueue_preview(session: Session, station_id: int, text: str) -> RenderJob:
    """Give back the job that renders ``text`` to listen to before saving: the same words already
    queued or under way, else a new queued one. Flushes; the caller commits."""
    job = session.scalar(
        select(RenderJob)
        .where(RenderJob.station_id == station_id, RenderJob.text == text, RenderJob.status.in_(WAITING))
        .order_by(RenderJob.id.desc())
        .limit(1)
    )
    if job is None:
        job = RenderJob(station_id=station_id, text=text, total=1, done=0, status="queued")
        session.add(job)
        session.flush()
    return job


def _presence_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "run" / "workers"


def worker_running(data_dir: Path) -> bool:
    """Tell whether a render worker serves this data dir now: one left its pid file and is alive.

    Files, not rows: an idle worker writes nothing to the database (a heartbeat there would
    change the data version ``status`` keys its cache by, every few seconds).
    """
    try:
        entries = list(_presence_dir(data_dir).glob("*.json"))
    except OSError:
        return False
    for path in entries:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("host") == os.uname().nodename and pid_alive(doc.get("pid")):
            return True
    return False


def _announce(data_dir: Path) -> Path | None:
    """Give back this worker's presence file, written (None when the data dir is not writable)."""
    path = _presence_dir(data_dir) / f"{os.getpid()}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("*.json"):  # left by workers that died
            try:
                if not pid_alive(int(old.stem)):
                    old.unlink()
            except (ValueError, OSError):
                pass
        path.write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename}), encoding="utf-8")
        return path
    except OSError as exc:
        log.warning("Không ghi được tệp báo bộ chuyển giọng nói đang chạy (%s).", exc.strerror or exc)
        return None


def requeue_interrupted(session: Session) -> int:
    """Give back how many jobs left ``running`` by a worker that is gone went back to the queue
    (or, after :data:`MAX_ATTEMPTS` interruptions, failed with a reason)."""
    n = 0
    for job in session.scalars(select(RenderJob).where(RenderJob.status == "running")):
        if job.worker_pid == os.getpid() or pid_alive(job.worker_pid):
            continue
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.error = "failed", INTERRUPTED.format(n=job.attempts)
        else:
            job.status, job.worker_pid = "queued", None
            n += 1
    return n


def claim_next(session: Session) -> RenderJob | None:
    """Give back the oldest queued job, now ``running`` for this process; None when none is left.

    The claim is one conditional UPDATE, so two workers never take the same job.
    """
    while True:
        job_id = session.scalar(
            select(RenderJob.id).where(RenderJob.status == "queued").order_by(RenderJob.id).limit(1)
        )
        if job_id is None:
            return None
        won = session.execute(
            update(RenderJob)
            .where(RenderJob.id == job_id, RenderJob.status == "queued")
            .values(
                status="running",
                worker_pid=os.getpid(),
                attempts=RenderJob.attempts + 1,
                updated_at=utcnow(),
            )
        ).rowcount
        session.commit()
        if won:
            return session.get(RenderJob, job_id)


def run_job(session: Session, config: Config, job: RenderJob) -> None:
    """Render what ``job`` asks for with the station's effective settings; the row ends ``done``
    or ``failed`` (with the reasons). Commits as it goes, so the page sees progress."""
    cfg = effective_config(session, job.station_id, config)
    if job.text is not None:
        _run_preview(session, cfg, job)
    elif job.programme_id is not None:
        prog = session.get(Programme, job.programme_id)
        if prog is None:
            job.status, job.error = "failed", "Chương trình không còn trong cơ sở dữ liệu."
        else:
            log.info("Chuyển giọng nói chương trình «%s» (việc số %d).", prog.title, job.id)
            try:
                render_programme(session, cfg, prog, job=job, force=job.force)
            except AudioError:
                pass  # the job carries the reasons
    else:
        seg = session.get(Segment, job.segment_id)
        job.total, job.done = 1, 0
        if seg is None:
            job.status, job.error = "failed", "Bản tin không còn trong cơ sở dữ liệu."
        else:
            log.info("Chuyển giọng nói bản tin «%s» (việc số %d).", seg.title, job.id)
            try:
                render_segment(session, cfg, seg, force=job.force)
                job.done, job.status, job.error = 1, "done", None
            except AudioError as exc:
                session.rollback()
                job = session.get(RenderJob, job.id)
                job.status, job.error = "failed", str(exc)
    session.commit()
    log.info("Việc số %d: %s.", job.id, "xong" if job.status == "done" else "có lỗi")


def _run_preview(session: Session, cfg: Config, job: RenderJob) -> None:
    """Render a listen-before-saving job's words with the station's pronunciations."""
    log.info("Chuyển giọng nói để nghe thử (việc số %d, %d ký tự).", job.id, len(job.text or ""))
    job.total, job.done = 1, 0
    try:
        r = render_text(job.text or "", cfg, lexicon=station_lexicon(session, job.station_id))
    except AudioError as exc:
        job.status, job.error = "failed", str(exc)
        return
    job.result = {
        "key": r.cache_key,
        "ext": r.path.suffix.lstrip("."),
        "duration_ms": r.duration_ms,
        "engine": r.engine,
    }
    job.done, job.status, job.error = 1, "done", None


def run_pending(sessions: sessionmaker[Session], config: Config, stop: threading.Event | None = None) -> int:
    """Give back how many jobs were run, after running every queued one (the worker's one round)."""
    n = 0
    while stop is None or not stop.is_set():
        with sessions() as s:
            job = claim_next(s)
            if job is None:
                return n
            try:
                run_job(s, config, job)
            except Exception:  # noqa: BLE001 - one bad job must not stop the queue
                log.exception("Việc chuyển giọng nói số %d lỗi", job.id)
                s.rollback()
                s.execute(
                    update(RenderJob)
                    .where(RenderJob.id == job.id)
                    .values(status="failed", error=UNEXPECTED)
                )
                s.commit()
        n += 1
    return n


def run_worker(
    sessions: sessionmaker[Session], config: Config, *, stop: threading.Event | None = None
) -> int:
    """Give back the exit code after serving the render queue until TERM/INT (or ``stop``)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        handler: Callable = lambda *_: stop.set()  # noqa: E731
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
    with sessions() as s:
        again = requeue_interrupted(s)
        s.commit()
    if again:
        log.info("Làm tiếp %d việc chuyển giọng nói bị ngắt giữa chừng.", again)
    presence = _announce(config.data_dir)  # the pages ask before queueing a listen-before-saving
    log.info("Bộ chuyển giọng nói sẵn sàng (tiến trình %d).", os.getpid())
    try:
        while not stop.is_set():
            try:
                run_pending(sessions, config, stop)
            except SQLAlchemyError as exc:
                log.error("Lỗi cơ sở dữ liệu, sẽ thử lại: %s", str(exc).splitlines()[0][:200])
            stop.wait(POLL_S)
    finally:
        if presence is not None:
            presence.unlink(missing_ok=True)
    log.info("Bộ chuyển giọng nói đã dừng.")
    return 0
