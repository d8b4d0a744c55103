"""Real ffmpeg: probe, ladder, HLS packaging, master playlist, poster and sprite."""

from __future__ import annotations

from pathlib import Path

import m3u8
import pytest

from apps_api.streaming import hls
from apps_api.streaming.ffmpeg import ProbeError, ProbeResult, probe
from apps_api.streaming.ladder import plan_ladder

SEG = 2.0
TOL = 0.1  # seconds; keyframes every 60 frames at 30 fps make segments exactly 2 s


def _src(w: int, h: int, fps: float = 30.0) -> ProbeResult:
    return ProbeResult(duration_s=10, width=w, height=h, fps=fps, video_codec="h264", has_audio=True,
                       bitrate_kbps=None)


@pytest.mark.parametrize(("w", "h", "names"), [
    (1920, 1080, ["240p", "360p", "720p"]),
    (1280, 720, ["240p", "360p", "720p"]),
    (640, 360, ["240p", "360p"]),
    (854, 480, ["240p", "360p"]),
    (426, 240, ["240p"]),
    (320, 180, ["180p"]),
])
def test_ladder_never_upscales(w: int, h: int, names: list[str]) -> None:
    ladder = plan_ladder(_src(w, h))
    assert [r.name for r in ladder] == names
    for r in ladder:
        assert r.height <= h and r.width <= w
        assert r.width % 2 == 0 and r.height % 2 == 0
        assert abs(r.width / r.height - w / h) < 0.02  # aspect ratio kept


def test_ladder_caps_fps_at_30() -> None:
    assert {r.fps for r in plan_ladder(_src(1280, 720, fps=60))} == {30.0}
    assert {r.fps for r in plan_ladder(_src(1280, 720, fps=25))} == {25.0}


def test_probe_reads_real_clip(clip360: Path) -> None:
    info = probe(clip360)
    assert (info.width, info.height, info.has_audio) == (640, 360, True)
    assert info.fps == 30.0
    assert abs(info.duration_s - 6.0) < 0.1


def test_probe_rejects_non_video_and_corrupt_files(tmp_path: Path, clip360: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    with pytest.raises(ProbeError):
        probe(text)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip360.read_bytes()[: 20_000])  # moov atom is at the end: unreadable
    with pytest.raises(ProbeError):
        probe(truncated)
    garbage = tmp_path / "garbage.mp4"
    data = bytearray(clip360.read_bytes())
    data[4:12] = b"\x00" * 8  # break the ftyp box
    garbage.write_bytes(bytes(data[:5000]))
    with pytest.raises(ProbeError):
        probe(garbage)


def _segment_durations(playlist: Path) -> list[float]:
    pl = m3u8.load(str(playlist))
    assert pl.is_endlist and pl.playlist_type == "vod"
    assert pl.target_duration == int(SEG)
    for seg in pl.segments:
        assert (playlist.parent / seg.uri).stat().st_size > 0
    return [float(s.duration) for s in pl.segments]


@pytest.mark.slow
def test_hls_ladder_end_to_end(clip360: Path, tmp_path: Path) -> None:
    info = probe(clip360)
    ladder = plan_ladder(info)
    results = [hls.transcode_rendition(clip360, tmp_path / r.name, r, has_audio=info.has_audio,
                                       preset="ultrafast") for r in ladder]
    durations = {}
    for r in results:
        d = _segment_durations(tmp_path / r.name / hls.PLAYLIST)
        assert all(abs(x - SEG) <= TOL for x in d[:-1]), d
        assert 0 < d[-1] <= SEG + TOL
        assert abs(sum(d) - info.duration_s) < 0.2
        durations[r.name] = d
    # aligned keyframes: every rendition cuts its segments at the same times
    first = next(iter(durations.values()))
    assert all(len(d) == len(first) and all(abs(a - b) < 0.05 for a, b in zip(d, first, strict=True))
               for d in durations.values())

    (tmp_path / hls.MASTER).write_text(hls.master_playlist(results))
    master = m3u8.load(str(tmp_path / hls.MASTER))
    assert master.is_variant
    uris = [p.uri for p in master.playlists]
    assert sorted(uris) == sorted({f"{r.name}/index.m3u8" for r in ladder})  # each rendition exactly once
    bandwidths = [p.stream_info.bandwidth for p in master.playlists]
    assert bandwidths == sorted(bandwidths)
    for p in master.playlists:
        w, h = p.stream_info.resolution
        assert w <= info.width and h <= info.height  # no rendition above the source
        assert p.stream_info.codecs == "avc1.4d401e,mp4a.40.2"
        # BANDWIDTH is the measured peak: at least the average, and in the encoder's ballpark
        name = p.uri.split("/")[0]
        res = next(r for r in results if r.name == name)
        assert p.stream_info.bandwidth >= p.stream_info.average_bandwidth > 0
        rung_kbps = next(r.video_kbps + r.audio_kbps for r in ladder if r.name == name)
        assert 0.3 * rung_kbps * 1000 < res.average_bandwidth < 2.5 * rung_kbps * 1000
    assert [p.stream_info.resolution for p in master.playlists] == [(426, 240), (640, 360)]


def test_small_source_gets_one_rendition_and_no_audio_codec(clip240: Path, tmp_path: Path) -> None:
    info = probe(clip240)
    assert not info.has_audio
    (r,) = plan_ladder(info)
    res = hls.transcode_rendition(clip240, tmp_path / r.name, r, has_audio=False, preset="ultrafast")
    assert (res.width, res.height) == (426, 240)
    assert res.codecs == "avc1.4d401e"
    d = _segment_durations(tmp_path / r.name / hls.PLAYLIST)
    assert len(d) == 2 and all(abs(x - SEG) <= TOL for x in d)


def test_poster_and_sprite(clip360: Path, tmp_path: Path) -> None:
    info = probe(clip360)
    hls.make_poster(clip360, tmp_path / "poster.jpg", info)
    lay = hls.make_sprite(clip360, tmp_path / "sprite.jpg", tmp_path / "thumbs.vtt", info)
    assert (tmp_path / "poster.jpg").read_bytes()[:2] == b"\xff\xd8"  # JPEG SOI
    poster = probe(tmp_path / "poster.jpg", decode_seconds=0)
    assert (poster.width, poster.height) == (640, 360)
    sprite = probe(tmp_path / "sprite.jpg", decode_seconds=0)
    assert (sprite.width, sprite.height) == (lay.columns * lay.thumb_w, lay.rows * lay.thumb_h)
    vtt = (tmp_path / "thumbs.vtt").read_text().splitlines()
    assert vtt[0] == "WEBVTT"
    cues = [ln for ln in vtt if "#xywh=" in ln]
    assert len(cues) == lay.count == 3
    assert cues[-1] == "sprite.jpg#xywh=320,0,160,90"
