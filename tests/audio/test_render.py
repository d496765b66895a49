"""Rendering end to end: loudness by an independent meter, pauses, cache, segments, uploads, chimes."""

from __future__ import annotations

import os
import subprocess
import wave
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from broadcaster.audio import (
    CHIMES,
    ENGINES,
    AudioError,
    Pyttsx3Engine,
    _pcm,
    asset_file,
    chime_path,
    chimes,
    import_upload,
    load_pcm,
    render_programme,
    render_segment,
    render_text,
)
from broadcaster.content import load_starter
from broadcaster.models import AudioAsset, Programme, Pronunciation, RenderJob, Segment

from .conftest import duration_s, meter, quiet_runs, silences, sox

STARTER = yaml.safe_load(Path("playlists/starter.yaml").read_text("utf-8"))
KHAI_SINH = next(s["body"] for s in STARTER["segments"] if s["key"] == "khai-sinh")


def _loud_ok(path: Path, config) -> None:
    lufs, tp = meter(path)
    assert abs(lufs - config.loudness_target) <= 1.0, lufs
    assert tp <= config.true_peak + 0.1, tp


def test_starter_segment_sounds_like_speech_at_the_target_loudness(config) -> None:
    r = render_text(KHAI_SINH, config)
    assert r.engine == "pyttsx3" and r.voice == "vi" and not r.cached
    assert r.path.is_file() and r.path.is_relative_to(config.media_dir)
    with wave.open(str(r.path)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (1, 44100, 2)
    _loud_ok(r.path, config)
    # Plausible Vietnamese pace at the default speed: ~2.5–3.5 syllables a second, pauses included.
    words = len(render_text.__globals__["_normalize"](KHAI_SINH, "north", None).split())
    secs = duration_s(r.path)
    assert abs(secs - r.duration_ms / 1000) < 0.1
    assert 2.5 <= words / secs <= 3.5, (words, secs)
    # Not silence, no gap of 2 s or more, no long edges.
    assert max(silences(r.path, min_s=0.3), default=0) < 2.0
    pcm = load_pcm(r.path)
    assert _pcm.peak_dbfs(pcm) > -6
    lead = _pcm.loud_frames(pcm, 44100)
    assert lead.index(True) < 10 and lead[::-1].index(True) < 10  # ≤ 100 ms of edge silence


def test_pauses_follow_the_settings(config) -> None:
    text = "Câu thứ nhất. Câu thứ hai.\n\nĐoạn thứ hai."
    short = render_text(text, config.with_overrides(sentence_pause_ms=200, paragraph_pause_ms=400))
    long = render_text(text, config.with_overrides(sentence_pause_ms=800, paragraph_pause_ms=1400))
    # Two gaps changed by 600 and 1000 ms.
    assert 1.4 <= (long.duration_ms - short.duration_ms) / 1000 <= 1.8
    gaps = silences(long.path, min_s=0.5)
    assert len(gaps) == 2
    assert gaps[0] == pytest.approx(0.8, abs=0.12) and gaps[1] == pytest.approx(1.4, abs=0.12)


def test_mp3_output_and_dialect_speed_are_recorded(config) -> None:
    cfg = config.with_overrides(audio_format="mp3", sample_rate=48000)
    r = render_text("Bà con lưu ý lịch tiếp công dân tháng này.", cfg, dialect="south", speed=130)
    assert r.path.suffix == ".mp3" and r.voice == "vi-vn-x-south"
    assert r.speed == 130 and r.sample_rate == 48000
    _loud_ok(r.path, cfg)


def test_chime_is_put_in_front(config) -> None:
    plain = render_text("Thông báo khẩn.", config)
    chimed = render_text("Thông báo khẩn.", config, chime="thong-bao")
    assert chimed.cache_key != plain.cache_key
    assert chimed.duration_ms - plain.duration_ms >= 2000
    _loud_ok(chimed.path, config)
    with pytest.raises(AudioError, match="Không có nhạc hiệu"):
        render_text("Thông báo.", config, chime="kèn")


def test_cache_hit_returns_the_same_file_without_the_engine(config, monkeypatch) -> None:
    first = render_text(KHAI_SINH, config)
    stat = first.path.stat()

    class Broken(Pyttsx3Engine):
        def synthesize(self, *a, **k):
            raise AssertionError("engine called on a cache hit")

    monkeypatch.setitem(ENGINES, "pyttsx3", Broken)
    again = render_text(KHAI_SINH, config)
    assert again.cached and again.path == first.path and again.sha256 == first.sha256
    assert again.path.stat().st_mtime_ns == stat.st_mtime_ns
    assert (again.loudness_lufs, again.duration_ms) == (first.loudness_lufs, first.duration_ms)
    # A different speed is a different sound: it misses the cache and needs the engine.
    with pytest.raises(AssertionError, match="engine called"):
        render_text(KHAI_SINH, config, speed=170)


def test_cache_entry_with_a_damaged_file_is_rendered_again(config) -> None:
    first = render_text("Xin chào bà con.", config)
    first.path.write_bytes(b"broken")
    again = render_text("Xin chào bà con.", config)
    assert not again.cached and again.sha256 == first.sha256


@pytest.mark.parametrize("text", ["", "   \n\t  ", "\n\n"])
def test_empty_text_is_refused_in_vietnamese(config, text: str) -> None:
    with pytest.raises(AudioError, match="Văn bản trống"):
        render_text(text, config)


def test_text_over_the_limit_is_refused_with_the_limit_named(config) -> None:
    with pytest.raises(AudioError, match="200.000"):
        render_text("Bà con đi làm thủ tục. " * 9000, config)  # ~207 KB


def test_bad_choices_are_refused(config) -> None:
    with pytest.raises(AudioError, match="giọng vùng"):
        render_text("Xin chào.", config, dialect="west")
    with pytest.raises(AudioError, match="Tốc độ"):
        render_text("Xin chào.", config, speed=1000)


def test_internal_three_second_silence_is_shortened(tmp_path, config, session, station) -> None:
    src = tmp_path / "talk.wav"
    a, b, gap = tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "gap.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-w", str(a), "xin chào bà con"], check=True, timeout=30)
    subprocess.run(["espeak-ng", "-v", "vi", "-w", str(b), "hẹn gặp lại"], check=True, timeout=30)
    sox("-n", "-r", "22050", "-c", "1", "-b", "16", str(gap), "trim", "0", "3")
    sox(str(a), str(gap), str(b), str(src))
    assert max(silences(src)) >= 3.0
    asset = import_upload(session, config, station.id, src, "talk.wav")
    out = asset_file(config, asset)
    assert max(silences(out)) < 2.0
    assert asset.duration_ms < duration_s(src) * 1000 - 1000
    _loud_ok(out, config)


def test_upload_is_normalized_stored_and_recorded(tmp_path, config, session, station) -> None:
    src = tmp_path / "ghi-am.mp3"
    sox("-n", "-r", "48000", "-c", "2", str(src), "synth", "4", "sine", "440", "vol", "0.03")
    asset = import_upload(session, config, station.id, src, "Ghi âm thông báo.mp3")
    assert asset.source == "upload" and asset.original_name == "Ghi âm thông báo.mp3"
    out = asset_file(config, asset)
    assert out.is_relative_to(config.media_dir) and not Path(asset.path).is_absolute()
    _loud_ok(out, config)
    assert abs(asset.loudness_lufs - config.loudness_target) <= 1.0
    assert 3900 <= asset.duration_ms <= 4100 and asset.sample_rate == 44100


@pytest.mark.parametrize("content", [b"", b"this is not audio at all" * 100, os.urandom(20_000)])
def test_corrupt_upload_is_refused_and_nothing_saved(tmp_path, config, session, station, content) -> None:
    src = tmp_path / "song.mp3"
    src.write_bytes(content)
    with pytest.raises(AudioError, match="Tệp không phải âm thanh hợp lệ"):
        import_upload(session, config, station.id, src, "song.mp3")
    assert session.scalars(select(AudioAsset)).all() == []
    uploads = config.media_dir / "uploads"
    assert not uploads.exists() or not [p for p in uploads.rglob("*") if p.is_file()]


def test_upload_over_the_size_limit_is_refused(tmp_path, config, session, station) -> None:
    src = tmp_path / "big.wav"
    sox("-n", "-r", "44100", "-c", "1", str(src), "synth", "15", "sine", "440")
    with pytest.raises(AudioError, match="tối đa 1 MB"):
        import_upload(session, config.with_overrides(upload_limit_mb=1), station.id, src, "big.wav")


def test_load_pcm_decodes_and_names_what_is_wrong(tmp_path, config) -> None:
    pcm = load_pcm(chime_path("thong-bao"), 22050)
    assert len(pcm) == pytest.approx(2 * 22050 * CHIMES["thong-bao"].duration, rel=0.01)
    bad = tmp_path / "hong.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" + os.urandom(500))
    with pytest.raises(AudioError, match="hong.wav.*bị hỏng"):
        load_pcm(bad)
    with pytest.raises(AudioError, match="Không tìm thấy tệp âm thanh «mat.wav»"):
        load_pcm(tmp_path / "mat.wav")


def test_shipped_chimes_match_the_generator_and_are_not_silent(tmp_path) -> None:
    for name, chime in CHIMES.items():
        shipped = chime_path(name)
        fresh = chimes.generate(name, tmp_path / f"{name}.wav")
        assert duration_s(shipped) == pytest.approx(chime.duration, abs=0.01)
        assert duration_s(fresh) == pytest.approx(duration_s(shipped), abs=0.001)
        pcm = load_pcm(shipped)
        assert -6 < _pcm.peak_dbfs(pcm) < 0
        assert fresh.read_bytes() == shipped.read_bytes()  # no dither: bit for bit
    with pytest.raises(AudioError, match="Không có nhạc hiệu"):
        chime_path("nhac-lạ")


# --------------------------------------------------------------------------- database


@pytest.fixture
def starter(session, station):
    load_starter(session, station)
    session.commit()
    return session.scalars(select(Programme)).first()


def test_render_segment_creates_then_reuses_the_asset(config, session, station, starter) -> None:
    seg = session.scalars(select(Segment).where(Segment.title.like("%khai sinh%"))).first()
    asset = render_segment(session, config, seg)
    session.commit()
    assert seg.render_asset_id == asset.id and seg.audio is asset
    assert asset.source == "tts" and asset.engine == "pyttsx3" and asset.voice == "vi" and asset.speed == 150
    assert asset.cache_key and asset.duration_ms > 20_000 and not Path(asset.path).is_absolute()
    _loud_ok(asset_file(config, asset), config)
    again = render_segment(session, config, seg)
    assert again.id == asset.id
    assert session.scalars(select(AudioAsset)).all() == [asset]


def test_station_pronunciations_change_the_sound(config, session, station, starter) -> None:
    seg = session.scalars(select(Segment).where(Segment.title.like("%khai sinh%"))).first()
    before = render_segment(session, config, seg)
    session.add(Pronunciation(station_id=station.id, term="UBND", spoken="ủy ban xã mình"))
    session.flush()
    after = render_segment(session, config, seg)
    assert after.id != before.id and after.cache_key != before.cache_key
    assert seg.render_asset_id == after.id


def test_upload_wins_over_rendering(tmp_path, config, session, station, starter) -> None:
    seg = session.scalars(select(Segment)).first()
    src = tmp_path / "a.wav"
    sox("-n", "-r", "44100", "-c", "1", str(src), "synth", "2", "sine", "300", "vol", "0.2")
    seg.upload_asset_id = import_upload(session, config, station.id, src, "a.wav").id
    session.flush()
    assert render_segment(session, config, seg).source == "upload"


def test_render_programme_tracks_progress_in_the_job(config, session, station, starter) -> None:
    job = RenderJob(station_id=station.id, programme_id=starter.id)
    session.add(job)
    session.commit()
    seen = []
    assets = render_programme(session, config, starter, job=job,
                              progress=lambda d, t, title: seen.append((d, t)))
    n = sum(1 for it in starter.items if it.segment_id)
    assert len(assets) == n and job.status == "done" and (job.done, job.total) == (n, n)
    assert seen == [(i, n) for i in range(1, n + 1)]
    # The job's progress is committed: another session sees it.
    from broadcaster.store import open_store

    other = open_store(config)
    with other.sessions() as s2:
        assert s2.get(RenderJob, job.id).done == n
    other.engine.dispose()


def test_render_programme_marks_the_job_failed_but_renders_the_rest(config, session, station, starter):
    segs = [it.segment for it in starter.items if it.segment_id]
    segs[1].body = "   "
    session.flush()
    job = RenderJob(station_id=station.id, programme_id=starter.id)
    session.add(job)
    session.commit()
    with pytest.raises(AudioError, match="1/"):
        render_programme(session, config, starter, job=job)
    assert job.status == "failed" and segs[1].title in job.error and job.done == job.total
    assert all(s.render_asset_id for i, s in enumerate(segs) if i != 1)


def test_the_gain_is_found_for_every_text_in_one_pass(config, monkeypatch) -> None:
    """No remembered state: the gain comes from the spool's block statistics, and the one
    rendering pass lands on the target (the independent meter agrees)."""
    from broadcaster.audio import _dsp

    passes = []
    real = _dsp.render
    monkeypatch.setattr(_dsp, "render", lambda *a, **k: passes.append(1) or real(*a, **k))
    texts = [KHAI_SINH, "Thông báo lịch tiếp công dân. Bà con mang theo căn cước công dân.",
             "Đề nghị bà con đưa trẻ đi tiêm chủng đúng lịch."]
    for text in texts:
        r = render_text(text, config)
        _loud_ok(r.path, config)
        assert abs(r.loudness_lufs - config.loudness_target) <= 0.5 and r.true_peak_dbtp <= config.true_peak
    assert len(passes) == len(texts)
    for speed in (100, 250):  # another voice speed: another crest factor, still one pass
        r = render_text(KHAI_SINH, config, speed=speed)
        _loud_ok(r.path, config)
    assert len(passes) == len(texts) + 2



PARAGRAPHS = ("Bà con chú ý. Sáng mai xã tổ chức tiêm phòng cho đàn gia súc.\n\n"
              "Các hộ chăn nuôi nhốt trâu bò tại chuồng. Cán bộ thú y sẽ đến từng thôn.\n\n"
              "Hộ nào vắng nhà thì báo trước cho trưởng thôn.\n\n"
              "Xin cảm ơn bà con đã lắng nghe.")


def test_paragraph_pause_is_the_setting_however_the_text_is_grouped(config, monkeypatch) -> None:
    """One espeak-ng process for the whole text or one per paragraph: the same pauses, the same length.

    Before, a paragraph pause inside a group was espeak-ng's break (~640-690 ms for 700) and one
    where two groups met the assembler's gap plus the edges trimming left (~760 ms).
    """
    from broadcaster.audio import _engines

    cfg = config.with_overrides(paragraph_pause_ms=900, sentence_pause_ms=300)
    monkeypatch.setattr(_engines, "PARALLEL_CHARS", 10_000)
    whole = render_text(PARAGRAPHS, cfg, force=True)
    whole_runs = quiet_runs(load_pcm(whole.path), 44100, 600)
    monkeypatch.setattr(_engines, "PARALLEL_CHARS", 0)
    monkeypatch.setattr(_engines, "CHUNK_CHARS", 10)  # a group, and a process, per paragraph
    apart = render_text(PARAGRAPHS, cfg, force=True)
    apart_runs = quiet_runs(load_pcm(apart.path), 44100, 600)
    assert apart.sha256 != whole.sha256  # really made another way
    assert len(whole_runs) == len(apart_runs) == 3, (whole_runs, apart_runs)
    for ms in whole_runs + apart_runs:
        assert ms == pytest.approx(900, abs=20), (whole_runs, apart_runs)
    assert abs(apart.duration_ms - whole.duration_ms) <= 30, (whole.duration_ms, apart.duration_ms)
