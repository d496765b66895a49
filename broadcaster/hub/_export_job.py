"""The district report's export as a background job, followed from a file in the data dir.

At 1,000 communes a year's report takes two to three seconds to sum and up to one more to write:
too long for a web request to hold a worker. The page starts a job and polls it; the job is the
same work the command line does (``hub report``, which stays synchronous), in a thread of the web
process with a session of its own. Its state is a small JSON file under
``<data dir>/exports/<job id>/`` (not memory), so whichever web process the next poll reaches can
answer, and the finished document waits beside it. A job whose process has gone (the web service
restarted) reads as interrupted; jobs older than :data:`KEEP` are removed when a new one starts.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ..reports import Period, export_document, filename
from ..rules import pid_alive
from ._district import compute_district_report, district_document, district_letterhead

log = logging.getLogger("broadcaster.hub.export")

#: Seconds a finished (or failed) job and its document are kept.
KEEP = 6 * 3600
STAGES = {
    "report": "Đang tổng hợp số liệu của các đài xã…",
    "write": "Đang viết tệp {fmt}…",
    "done": "Báo cáo đã sẵn sàng.",
    "failed": "Có lỗi không mong đợi khi lập báo cáo; chi tiết ghi trong nhật ký máy chủ.",
    "gone": "Việc lập báo cáo bị ngắt (máy chủ web khởi động lại); hãy xuất lại.",
}
_ID = re.compile(r"[0-9a-f]{32}")


@dataclass
class ExportJob:
    """One export asked for: where it is, what the page says about it, the file when done."""

    id: str
    state: str  # running | done | failed
    message: str
    period: str  # its code, for the way back to the report
    filename: str
    path: Path | None  # the finished document


def start_export(
    sessions: sessionmaker[Session], root: Path, home_code: str, period: Period, fmt: str, now: datetime
) -> str:
    """Give back the id of a new job that writes the district report of ``period`` in ``fmt``
    under ``root``; the work runs in a thread of this process."""
    _prune(root)
    job_id = uuid.uuid4().hex
    folder = root / job_id
    folder.mkdir(parents=True)
    name = filename(period.code, fmt, "bao-cao-huyen")
    _save(
        folder,
        {
            "state": "running",
            "stage": "report",
            "period": period.code,
            "format": fmt,
            "filename": name,
            "pid": os.getpid(),
        },
    )
    threading.Thread(
        target=_run,
        args=(sessions, folder, home_code, period, fmt, now),
        name=f"district-export-{job_id[:8]}",
        daemon=True,
    ).start()
    return job_id


def export_job(root: Path, job_id: str) -> ExportJob | None:
    """Give back the job ``job_id`` as it stands (None if there is no such job)."""
    if not _ID.fullmatch(job_id):
        return None
    try:
        raw = json.loads((root / job_id / "job.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    state, stage = raw.get("state"), raw.get("stage")
    if state == "running" and not pid_alive(raw.get("pid")):
        state, stage = "failed", "gone"
    message = STAGES.get(stage, STAGES["failed"]).format(fmt=str(raw.get("format", "")).upper())
    path = root / job_id / raw["filename"] if state == "done" else None
    return ExportJob(job_id, state, message, str(raw.get("period", "")), raw["filename"], path)


def _run(
    sessions: sessionmaker[Session], folder: Path, home_code: str, period: Period, fmt: str, now: datetime
) -> None:
    job = json.loads((folder / "job.json").read_text("utf-8"))
    try:
        with sessions() as s:
            report = compute_district_report(s, home_code, period, now=now)
            _save(folder, job | {"stage": "write"})
            data = export_document(district_document(report), district_letterhead(s, home_code), fmt)
        part = folder / (job["filename"] + ".part")
        part.write_bytes(data)
        part.replace(folder / job["filename"])
        _save(folder, job | {"state": "done", "stage": "done"})
    except Exception:
        log.exception("district report export %s failed", folder.name)
        _save(folder, job | {"state": "failed", "stage": "failed"})


def _save(folder: Path, job: dict) -> None:
    # Written whole and renamed: a poll never reads half a file.
    part = folder / "job.json.part"
    part.write_text(json.dumps(job, ensure_ascii=False), "utf-8")
    part.replace(folder / "job.json")


def _prune(root: Path) -> None:
    if not root.is_dir():
        return
    old = time.time() - KEEP
    for folder in root.iterdir():
        try:
            if _ID.fullmatch(folder.name) and folder.stat().st_mtime < old:
                shutil.rmtree(folder)
        except OSError:
            pass  # another process removed it first
