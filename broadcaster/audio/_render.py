"""render_text, the render cache, and rendering a segment or a whole programme into AudioAsset rows.

The cache key is the sha256 of everything that changes the sound: normalized text, engine, voice,
speed, dialect, chime, pipeline version, loudness target, true-peak ceiling, pauses, sample rate
and format. The file lives at ``<media>/tts/<k[:2]>/<key>.<fmt>`` with a JSON sidecar holding
its measurements, so a hit needs no engine, no ffmpeg and no database: stat, read, return.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import DIALECTS, Config
from . import _tools
from ._assemble import finish, spool_lead, spool_speech
from ._engines import Engine, get_engine
from ._errors import AudioError
from ._split import paragraphs as split_paragraphs

if TYPE_CHECKING:  # the database side loads SQLAlchemy and the models when it is used, not before
    from sqlalchemy.orm import Session

    from ..models import AudioAsset, Programme, RenderJob, Segment

log = logging.getLogger(__name__)

#: Bump when the pipeline changes the sound for the same inputs: old cache entries then miss.
PIPELINE_VERSION = 3


@dataclass(frozen=True)
class Rendered:
    """A rendered file and what it is: measurements, engine and voice, and its cache key."""

    path: Path
    sha256: str
    duration_ms: int
    loudness_lufs: float
    true_peak_dbtp: float
    sample_rate: int
    engine: str
    voice: str
    speed: int
    cache_key: str
    cached: bool


def _normalize(text: str, dialect: str, lexicon: Mapping[str, str] | None) -> str:
    from .normalize import NormalizeError, normalize

    try:
        return normalize(text, dialect=dialect, lexicon=lexicon)
    except NormalizeError as exc:
        raise AudioError(str(exc)) from None


def cache_key(normalized: str, engine: str, voice: str, speed: int, dialect: str, chime: str | None,
              config: Config) -> str:
    """Return the render cache key: sha256 over everything that changes the sound."""
    parts = {
        "text": normalized, "engine": engine, "voice": voice, "speed": speed, "dialect": dialect,
        "chime": chime or "", "pipeline": PIPELINE_VERSION, "lufs": config.loudness_target,
        "tp": config.true_peak, "rate": config.sample_rate, "format": config.audio_format,
        "pauses": [config.sentence_pause_ms, config.paragraph_pause_ms],
    }
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def cache_path(config: Config, key: str) -> Path:
    """Return where the rendered file for ``key`` lives."""
    return config.media_dir / "tts" / key[:2] / f"{key}.{config.audio_format}"


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def _cached(config: Config, key: str) -> Rendered | None:
    path = cache_path(config, key)
    try:
        meta = json.loads(_sidecar(path).read_text("utf-8"))
        if not path.is_file() or path.stat().st_size != meta.pop("size"):
            return None
        meta.pop("path", None)
        return Rendered(path=path, cached=True, **{k: v for k, v in meta.items() if k != "cached"})
    except (OSError, ValueError, TypeError, KeyError):
        return None



def _check_choice(dialect: str, speed: int) -> None:
    if dialect not in DIALECTS:
        raise AudioError(f"Không có giọng vùng «{dialect}» (chọn north, central hoặc south).")
    if not isinstance(speed, int) or not 60 <= speed <= 400:
        raise AudioError(f"Tốc độ đọc {speed!r} không hợp lệ: chọn từ 60 đến 400 từ mỗi phút.")


def _engines_for(engine: str, config: Config) -> list[Engine]:
    names = list(config.tts_order) if engine == "auto" else [engine]
    return [get_engine(n, config) for n in names]


def render_text(
    text: str,
    config: Config,
    *,
    engine: str = "auto",
    dialect: str | None = None,
    speed: int | None = None,
    chime: str | None = None,
    lexicon: Mapping[str, str] | None = None,
    force: bool = False,
) -> Rendered:
    """Return the text rendered to a broadcast-ready file (from the cache when possible).

    ``engine="auto"`` tries ``config.tts_order`` and falls back to the next engine when one
    fails; the result names the engine and voice that really spoke. Raises AudioError with a
    Vietnamese reason for empty text, text over the limit, or when every engine failed.
    """
    if not isinstance(text, str) or not text.strip():
        raise AudioError("Văn bản trống, không có gì để đọc.")
    dialect = dialect or config.dialect
    speed = speed if speed is not None else config.speed
    _check_choice(dialect, speed)
    if chime is not None:
        # The chime catalogue comes with the base layer (and its models): only when a chime is asked.
        from .chimes import chime_path

        chime_path(chime)  # unknown chime: refuse before any work
    normalized = _normalize(text, dialect, lexicon)
    engines = _engines_for(engine, config)
    keys = {e.NAME: cache_key(normalized, e.NAME, e.voice_for(dialect), speed, dialect, chime, config)
            for e in engines}
    if not force:
        for e in engines:
            hit = _cached(config, keys[e.NAME])
            if hit is not None:
                return hit
    _dsp_meanwhile()
    paras = split_paragraphs(normalized)
    errors: list[str] = []
    for e in engines:
        try:
            speech = e.synthesize(paras, dialect=dialect, speed=speed)
            return _store(speech, e, [len(p) for p in paras], keys[e.NAME], config, speed, chime)
        except _SpeechFailed as exc:
            reason = exc.args[0]
        except AudioError as exc:
            if isinstance(exc, _StoreError):
                raise
            reason = exc
        log.warning("engine %s failed: %s", e.NAME, reason)
        errors.append(f"{e.LABEL}: {reason}")
    raise AudioError("Không chuyển được văn bản thành giọng nói. " + " ".join(errors))


def _dsp_meanwhile() -> None:
    """Start loading the DSP (numpy: ~0.1 s, a third of a one-line render) in a thread.

    The engine speaks in other processes, so the import runs beside it instead of after it;
    assembling imports the same module and waits for this import if it is not done yet.
    """
    name = f"{__package__}._dsp"
    if name in sys.modules:
        return

    def load() -> None:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - assembling imports it again and reports the error
            pass

    threading.Thread(target=load, name="dsp-import").start()


class _SpeechFailed(Exception):
    """The engine failed while its clips were being read (the next engine is tried)."""


class _StoreError(AudioError):
    """Assembling or writing failed: not the engine's fault, no other engine is tried."""


def _read(clips):
    it = iter(clips)
    while True:
        try:
            clip = next(it)
        except StopIteration:
            return
        except AudioError as exc:
            raise _SpeechFailed(exc) from None
        yield clip


def _store(speech, engine: Engine, sizes: list[int], key: str, config: Config, speed: int,
           chime: str | None) -> Rendered:
    path = cache_path(config, key)
    clips = _read(speech.clips)
    try:
        from . import _dsp  # numpy: only when audio is made

        with _dsp.Spool(speech.rate, directory=path.parent) as spool:
            try:
                if chime:
                    from .chimes import chime_path

                    spool_lead(spool, _tools.decode(chime_path(chime), speech.rate))
                spool_speech(spool, clips, None if speech.joined else sizes, config)
                done = finish(spool, config, path)
            except AudioError as exc:
                raise _StoreError(str(exc)) from None
    finally:
        close = getattr(speech.clips, "close", None)
        if close is not None:
            close()  # stop the engine's remaining work when assembling failed
    rendered = Rendered(
        path=path, sha256=done.sha256, duration_ms=done.duration_ms, loudness_lufs=done.loudness_lufs,
        true_peak_dbtp=done.true_peak_dbtp, sample_rate=done.sample_rate, engine=engine.NAME,
        voice=speech.voice, speed=speed, cache_key=key, cached=False,
    )
    meta = {k: v for k, v in asdict(rendered).items() if k not in ("path", "cached")}
    meta["size"] = path.stat().st_size
    side = _sidecar(path)
    tmp = side.with_name(f".{side.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    os.replace(tmp, side)
    return rendered


# --------------------------------------------------------------------------- database side


def station_lexicon(session: Session, station_id: int | None) -> dict[str, str]:
    """Return the station's pronunciation entries (term → spoken), laid over the defaults later."""
    if station_id is None:
        return {}
    from sqlalchemy import select

    from ..models import Pronunciation

    rows = session.scalars(select(Pronunciation).where(Pronunciation.station_id == station_id))
    return {r.term: r.spoken for r in rows}


def relative_media_path(config: Config, path: Path) -> str:
    """Return ``path`` relative to the media dir (as AudioAsset.path stores it)."""
    try:
        return path.resolve().relative_to(config.media_dir.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def asset_file(config: Config, asset: AudioAsset) -> Path:
    """Return the absolute file of an asset (its path is relative to the media dir)."""
    p = Path(asset.path)
    return p if p.is_absolute() else config.media_dir / p


def _asset_for(session: Session, config: Config, station_id: int | None, r: Rendered) -> AudioAsset:
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from ..models import AudioAsset

    fields = dict(
        path=relative_media_path(config, r.path), sha256=r.sha256, duration_ms=r.duration_ms,
        loudness_lufs=r.loudness_lufs, true_peak_dbtp=r.true_peak_dbtp, sample_rate=r.sample_rate,
        source="tts", engine=r.engine, voice=r.voice, speed=r.speed,
    )
    asset = session.scalar(select(AudioAsset).where(AudioAsset.cache_key == r.cache_key))
    if asset is None:
        try:
            with session.begin_nested():
                asset = AudioAsset(station_id=station_id, cache_key=r.cache_key, **fields)
                session.add(asset)
        except IntegrityError:  # another process rendered the same text at the same moment
            asset = session.scalar(select(AudioAsset).where(AudioAsset.cache_key == r.cache_key))
            if asset is None:
                raise
    for k, v in fields.items():
        if getattr(asset, k) != v:
            setattr(asset, k, v)
    session.flush()
    return asset


def render_segment(
    session: Session, config: Config, segment: Segment, *, engine: str = "auto", force: bool = False
) -> AudioAsset:
    """Return the asset that airs for a segment, rendering its text when needed.

    A segment with an uploaded recording gives back the upload. Otherwise the body is rendered
    with the station's pronunciation entries over the default lexicon; the AudioAsset row is
    created or reused by cache key and ``segment.render_asset_id`` set. The chime before an
    announcement (``segment.chime_before``) is not baked in: playout plays it in front.
    Flushes; the caller's unit of work commits.
    """
    if segment.upload_asset_id is not None and segment.upload_asset is not None:
        return segment.upload_asset
    if not (segment.body or "").strip():
        raise AudioError(f"Bản tin «{segment.title}» không có nội dung để đọc.")
    lexicon = station_lexicon(session, segment.station_id)
    try:
        r = render_text(segment.body, config, engine=engine, lexicon=lexicon, force=force)
    except AudioError as exc:
        raise AudioError(f"Bản tin «{segment.title}»: {exc}") from None
    asset = _asset_for(session, config, segment.station_id, r)
    if segment.render_asset_id != asset.id:
        segment.render_asset_id = asset.id
        segment.render_asset = asset
    session.flush()
    return asset


Progress = Callable[[int, int, str], None]


def render_programme(
    session: Session,
    config: Config,
    programme: Programme,
    *,
    job: RenderJob | None = None,
    progress: Progress | None = None,
    engine: str = "auto",
    force: bool = False,
) -> list[AudioAsset]:
    """Return the assets of every segment item of a programme, rendering what is missing.

    With a ``job``, ``job.total``/``job.done`` are updated and committed after each segment so a
    web page can poll them; ``progress(done, total, title)`` is called likewise (the CLI's tqdm
    bar). A segment that fails does not stop the others; at the end the job is marked ``failed``
    with every reason and AudioError is raised, or ``done``.
    """
    from ..models import ItemType

    segments = [it.segment for it in programme.items if it.item_type == ItemType.SEGMENT and it.segment]
    if job is not None:
        job.total, job.done, job.status, job.error = len(segments), 0, "running", None
        session.commit()
    assets: list[AudioAsset] = []
    errors: list[str] = []
    for i, seg in enumerate(segments, 1):
        try:
            assets.append(render_segment(session, config, seg, engine=engine, force=force))
        except AudioError as exc:
            errors.append(str(exc))
        if job is not None:
            job.done = i
        session.commit()
        if progress is not None:
            progress(i, len(segments), seg.title)
    if job is not None:
        job.status = "failed" if errors else "done"
        job.error = "\n".join(errors) or None
        session.commit()
    if errors:
        raise AudioError(f"{len(errors)}/{len(segments)} bản tin không chuyển được: " + " | ".join(errors))
    return assets


def tqdm_progress(total: int, desc: str) -> tuple[Progress, Callable[[], None]]:
    """Return a progress callback drawing a tqdm bar on a terminal (silent otherwise), and its closer."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="bản tin", disable=not sys.stderr.isatty(), file=sys.stderr)

    def step(done: int, _total: int, title: str) -> None:
        bar.set_postfix_str(title[:30], refresh=False)
        bar.update(done - bar.n)

    return step, bar.close

