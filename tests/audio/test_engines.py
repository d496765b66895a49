"""Engines on real parts: espeak-ng through pyttsx3 in a subprocess; gTTS against a local stand-in."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time

import pytest

from broadcaster.audio import (
    ENGINES,
    AudioError,
    GttsEngine,
    Pyttsx3Engine,
    _engines,
    engine_health,
    get_engine,
    render_text,
)
from broadcaster.config import load

from .conftest import meter, quiet_runs


def test_registry_names_every_engine(config) -> None:
    assert set(ENGINES) == {"gtts", "pyttsx3"}
    assert all(cls.NAME == name for name, cls in ENGINES.items())
    with pytest.raises(AudioError, match="Không có bộ đọc"):
        get_engine("festival", config)


def test_pyttsx3_dialects_are_different_espeak_voices(config) -> None:
    eng = Pyttsx3Engine(config)
    got = {}
    for dialect in ("north", "central", "south"):
        speech = eng.synthesize([["xin chào bà con."]], dialect=dialect, speed=150)
        clips = list(speech.clips)
        assert speech.rate == 22050 and len(clips) == 1
        assert len(clips[0]) > 22050  # more than half a second of speech
        got[dialect] = (speech.voice, hashlib.sha256(clips[0]).hexdigest())
    assert [v for v, _ in got.values()] == ["vi", "vi-vn-x-central", "vi-vn-x-south"]
    assert len({h for _, h in got.values()}) == 3  # three really different sounds


def test_pyttsx3_speed_changes_duration(config) -> None:
    eng = Pyttsx3Engine(config)
    text = [["hôm nay đài truyền thanh xã thông báo lịch tiếp công dân của ủy ban nhân dân xã."]]
    slow = len(b"".join(eng.synthesize(text, dialect="north", speed=100).clips))
    fast = len(b"".join(eng.synthesize(text, dialect="north", speed=250).clips))
    assert slow > 1.8 * fast


def test_pyttsx3_public_api_mode_saves_every_utterance(tmp_path) -> None:
    """pyttsx3's own save_to_file + runAndWait, one utterance per runAndWait, files all there."""
    req = {"voice": "vi-vn-x-south", "rate": 150, "dir": str(tmp_path),
           "texts": ["câu thứ nhất.", "câu thứ hai, dài hơn một chút.", "câu ba."]}
    proc = subprocess.run([sys.executable, "-m", "broadcaster.audio._pyttsx3_worker"],
                          input=json.dumps(req).encode(), capture_output=True, timeout=60)
    reply = json.loads(proc.stdout)
    assert proc.returncode == 0, reply
    assert reply["driver"] == "espeak" and reply["voice"] == "vi-vn-x-south"
    sizes = [(tmp_path / f"{i:05d}.wav").stat().st_size for i in range(3)]
    assert all(s > 10_000 for s in sizes)


def test_pyttsx3_job_that_overruns_its_timeout_is_killed(config) -> None:
    eng = Pyttsx3Engine(config.with_overrides(tts_timeout=0.05))
    started = time.monotonic()
    with pytest.raises(AudioError, match="không trả lời"):
        eng.synthesize([["một câu khá dài để bộ đọc phải làm việc một lúc."] * 50] * 4, dialect="north",
                       speed=150)
    assert time.monotonic() - started < 5


def test_long_text_through_pyttsx3_api_is_spread_over_workers_in_order(env) -> None:
    """pyttsx3's own save_to_file path (SAPI5's path on Windows), forced here on espeak."""
    eng = Pyttsx3Engine(load({**env, "BROADCASTER_PYTTSX3_MODE": "api"}))
    # Groups of sentences 1, 2, 3, 4 words long: clip lengths must rise within every group.
    sents = [" ".join(["ba"] * k) + "." for k in (1, 2, 3, 4)] * 60
    assert sum(map(len, sents)) > _engines.PARALLEL_CHARS
    speech = eng.synthesize([sents[i:i + 8] for i in range(0, len(sents), 8)], dialect="south", speed=150)
    assert not speech.joined and speech.voice == "vi-vn-x-south"
    assert len(speech.clips) == len(sents)
    lengths = [len(c) for c in speech.clips]
    for g in range(0, len(lengths), 4):
        assert lengths[g] < lengths[g + 1] < lengths[g + 2] < lengths[g + 3], lengths[g:g + 4]


def test_espeak_path_puts_the_sentence_pause_in_and_parts_the_paragraphs(config) -> None:
    """One espeak-ng process for both paragraphs; the sound comes back cut at the paragraph mark."""
    eng = Pyttsx3Engine(config.with_overrides(sentence_pause_ms=500, paragraph_pause_ms=1200))
    speech = eng.synthesize([["câu một.", "câu hai."], ["đoạn hai."]], dialect="north", speed=150)
    clips = list(speech.clips)
    assert speech.joined and len(clips) == 2 and speech.voice == "vi"
    runs = [quiet_runs(clip, speech.rate, 300) for clip in clips]
    assert runs[1] == [] and len(runs[0]) == 1
    assert runs[0][0] == pytest.approx(500, abs=80)
    # A paragraph with nothing to say joins two marks: no clip for it, and no mark left in a clip.
    speech = eng.synthesize([["câu một."], ["."], ["câu hai."]], dialect="north", speed=150)
    clips = list(speech.clips)
    assert len(clips) == 2 and all(quiet_runs(c, speech.rate, 300) == [] for c in clips)


# --------------------------------------------------------------------------- gTTS


def test_gtts_requests_are_short_and_numbers_and_names_whole(gtts_config, fake_google) -> None:
    text = (
        "Gia đình bà Nguyễn Thị Hòa ở thôn Đông được hỗ trợ một triệu năm trăm nghìn đồng để sửa nhà "
        "sau bão, ông Trần Văn Minh cũng nhận được hai triệu bảy trăm năm mươi nghìn đồng từ quỹ."
    )
    eng = GttsEngine(gtts_config)
    speech = eng.synthesize([[text]], dialect="north", speed=150)
    sent = fake_google.texts()
    assert len(sent) >= 2 and all(len(t) <= 100 for t in sent)
    assert any("Nguyễn Thị Hòa" in t for t in sent) and any("Trần Văn Minh" in t for t in sent)
    assert " ".join(sent) == text
    assert speech.rate == 24000 and speech.voice == "vi"
    assert len(speech.clips[0]) > 24000 * 2 * 3  # the MP3s decoded: several seconds of sound


def test_gtts_retries_429_and_500_with_growing_backoff(gtts_config, fake_google) -> None:
    fake_google.script = [429, 500, 503, "ok"]
    speech = GttsEngine(gtts_config).synthesize([["xin chào bà con."]], dialect="north", speed=150)
    assert len(speech.clips) == 1
    times = [t for t, _, _ in fake_google.requests]
    assert [o for _, _, o in fake_google.requests] == ["429", "500", "503", "ok"]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps[0] >= 0.045 and gaps[1] >= 0.095 and gaps[2] >= 0.195  # 50, 100, 200 ms


def test_gtts_gives_up_after_the_retries(gtts_config, fake_google) -> None:
    fake_google.script = [500] * 10
    with pytest.raises(AudioError, match="sau 4 lần thử"):
        GttsEngine(gtts_config).synthesize([["xin chào."]], dialect="north", speed=150)
    assert len(fake_google.requests) == 4


def test_gtts_client_error_is_not_retried(gtts_config, fake_google) -> None:
    fake_google.script = [403]
    with pytest.raises(AudioError, match="mã 403"):
        GttsEngine(gtts_config).synthesize([["xin chào."]], dialect="north", speed=150)
    assert len(fake_google.requests) == 1


def test_gtts_garbage_answer_is_an_error(gtts_config, fake_google) -> None:
    fake_google.script = ["garbage"]
    with pytest.raises(AudioError):
        GttsEngine(gtts_config).synthesize([["xin chào."]], dialect="north", speed=150)


def test_gtts_hang_is_cut_by_request_timeout_then_retried(gtts_env, fake_google) -> None:
    cfg = load({**gtts_env, "BROADCASTER_GTTS_REQUEST_TIMEOUT_MS": "500"})
    fake_google.script = ["hang", "ok"]
    fake_google.hang_s = 5
    started = time.monotonic()
    speech = GttsEngine(cfg).synthesize([["xin chào."]], dialect="north", speed=150)
    assert len(speech.clips) == 1
    assert time.monotonic() - started < 3


def test_gtts_overall_timeout_bounds_a_hanging_server(gtts_env, fake_google) -> None:
    cfg = load({**gtts_env, "BROADCASTER_TTS_TIMEOUT": "1.5", "BROADCASTER_GTTS_REQUEST_TIMEOUT_MS": "10000"})
    fake_google.script = ["hang"] * 10
    fake_google.hang_s = 10
    started = time.monotonic()
    with pytest.raises(AudioError, match="quá thời gian"):
        GttsEngine(cfg).synthesize([["xin chào.", "câu hai."]], dialect="north", speed=150)
    assert time.monotonic() - started < 3.5


def test_auto_falls_back_to_pyttsx3_and_says_so(gtts_config, fake_google) -> None:
    fake_google.script = [500] * 10
    r = render_text("Xin chào bà con. Đài truyền thanh xã thông báo.", gtts_config)
    assert r.engine == "pyttsx3" and r.voice == "vi"
    assert len(fake_google.requests) == 4
    lufs, tp = meter(r.path)
    assert abs(lufs - gtts_config.loudness_target) <= 1.0 and tp <= gtts_config.true_peak + 0.1


def test_auto_uses_gtts_when_it_works(gtts_config, fake_google) -> None:
    r = render_text("Xin chào bà con. Đài truyền thanh xã thông báo.", gtts_config)
    assert r.engine == "gtts" and r.voice == "vi"
    assert len(fake_google.texts()) == 2  # one request per sentence
    lufs, tp = meter(r.path)
    assert abs(lufs - gtts_config.loudness_target) <= 1.0 and tp <= gtts_config.true_peak + 0.1


def test_dead_network_is_detected_fast_and_remembered(env) -> None:
    # A port nobody listens on: connection refused at once; the answer is then remembered.
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cfg = load({**env, "BROADCASTER_TTS_ORDER": "gtts,pyttsx3", "BROADCASTER_GTTS_URL": f"http://127.0.0.1:{port}/x"})
    _engines.forget_network()
    started = time.monotonic()
    r = render_text("Xin chào bà con.", cfg)
    assert r.engine == "pyttsx3"
    assert time.monotonic() - started < 5
    ok, detail = _engines.reachable(cfg.gtts_url)
    assert not ok and "127.0.0.1" in detail
    assert _engines._net_cache[f"127.0.0.1:{port}"][1] is False
    _engines.forget_network()


def test_engine_health_reports_each_engine_and_is_cached(gtts_config, fake_google) -> None:
    _engines._health_cache.clear()
    h = engine_health(gtts_config)
    assert h["pyttsx3"]["available"] is True
    assert "giọng miền Bắc, miền Trung, miền Nam" in h["pyttsx3"]["detail"]
    assert h["gtts"]["available"] is True
    assert engine_health(gtts_config) is h  # cached for a minute
    _engines._health_cache.clear()
