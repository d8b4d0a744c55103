"""Encode one HLS rendition, write the master playlist, poster and thumbnail sprite.

Every rendition is encoded with the same GOP (``segment_s * fps`` frames, no
scene-cut keyframes) so segment boundaries line up across renditions and a
player can switch bitrate at any segment edge. BANDWIDTH in the master playlist
is the *measured* peak segment bitrate (what the HLS spec asks for), not the
encoder target, so players don't under-estimate what they need.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from apps_api.streaming.ffmpeg import ProbeResult, run_ffmpeg
from apps_api.streaming.ladder import Rendition

PLAYLIST = "index.m3u8"
MASTER = "master.m3u8"


@dataclass(frozen=True)
class RenditionResult:
    name: str
    width: int
    height: int
    fps: float
    codecs: str
    bandwidth: int  # peak bits/s over segments
    average_bandwidth: int
    segments: int
    duration_s: float
    encode_s: float

    def to_dict(self) -> dict:
        return asdict(self)


def encode_args(src: Path, out_dir: Path, r: Rendition, *, has_audio: bool, segment_s: int = 2,
                preset: str = "veryfast", threads: int = 0) -> list[str]:
    gop = max(1, int(round(r.fps * segment_s)))
    args = ["-i", str(src), "-map", "0:v:0"]
    if has_audio:
        args += ["-map", "0:a:0"]
    args += [
        "-vf", f"scale={r.width}:{r.height}:flags=bicubic,setsar=1", "-r", f"{r.fps:g}",
        "-c:v", "libx264", "-preset", preset, "-profile:v", "main", "-level", r.level,
        "-pix_fmt", "yuv420p",
        "-b:v", f"{r.video_kbps}k", "-maxrate", f"{int(r.video_kbps * 1.1)}k",
        "-bufsize", f"{r.video_kbps * 2}k",
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
        "-force_key_frames", f"expr:gte(t,n_forced*{segment_s})",
    ]
    if threads:
        args += ["-threads", str(threads)]
    if has_audio:
        args += ["-c:a", "aac", "-b:a", f"{r.audio_kbps}k", "-ac", "2", "-ar", "48000"]
    args += ["-f", "hls", "-hls_time", str(segment_s), "-hls_playlist_type", "vod",
             "-hls_flags", "independent_segments", "-hls_segment_type", "mpegts",
             "-hls_segment_filename", str(out_dir / "seg_%05d.ts"), str(out_dir / PLAYLIST)]
    return args


def measure_playlist(out_dir: Path) -> tuple[int, int, int, float]:
    """(peak bps, average bps, segment count, duration) from a rendition's playlist and files."""
    import m3u8

    pl = m3u8.load(str(out_dir / PLAYLIST))
    peak, bits, dur = 0.0, 0, 0.0
    for seg in pl.segments:
        size = (out_dir / seg.uri).stat().st_size * 8
        d = float(seg.duration or 0.0)
        if d > 0:
            peak = max(peak, size / d)
        bits += size
        dur += d
    avg = bits / dur if dur else 0.0
    return int(math.ceil(peak)), int(math.ceil(avg)), len(pl.segments), round(dur, 3)


def transcode_rendition(src: Path, out_dir: Path, r: Rendition, *, has_audio: bool, segment_s: int = 2,
                        preset: str = "veryfast", threads: int = 0, timeout: float | None = None
                        ) -> RenditionResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    run_ffmpeg(encode_args(src, out_dir, r, has_audio=has_audio, segment_s=segment_s, preset=preset,
                           threads=threads), timeout=timeout)
    elapsed = time.perf_counter() - t0
    peak, avg, n, dur = measure_playlist(out_dir)
    return RenditionResult(r.name, r.width, r.height, r.fps, r.codecs(has_audio), peak, avg, n, dur,
                           round(elapsed, 3))


def master_playlist(results: list[RenditionResult]) -> str:
    """Master playlist text: each rendition once, ascending bandwidth."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for r in sorted(results, key=lambda x: x.bandwidth):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={r.bandwidth},AVERAGE-BANDWIDTH={r.average_bandwidth},"
            f'RESOLUTION={r.width}x{r.height},FRAME-RATE={r.fps:.3f},CODECS="{r.codecs}"')
        lines.append(f"{r.name}/{PLAYLIST}")
    return "\n".join(lines) + "\n"


def make_poster(src: Path, dest: Path, probe: ProbeResult, *, max_height: int = 360) -> Path:
    at = min(1.0, probe.duration_s / 2)
    h = min(max_height, probe.height)
    run_ffmpeg(["-ss", f"{at:.3f}", "-i", str(src), "-frames:v", "1", "-vf", f"scale=-2:{h}",
                "-q:v", "3", "-update", "1", str(dest)], timeout=60)
    return dest


@dataclass(frozen=True)
class SpriteLayout:
    interval_s: float
    count: int
    columns: int
    rows: int
    thumb_w: int
    thumb_h: int


def sprite_layout(duration_s: float, *, max_thumbs: int = 100, min_interval_s: float = 2.0,
                  thumb_w: int = 160, thumb_h: int = 90, columns: int = 10) -> SpriteLayout:
    interval = max(min_interval_s, math.ceil(duration_s / max_thumbs))
    count = max(1, math.ceil(duration_s / interval))
    cols = min(columns, count)
    return SpriteLayout(interval, count, cols, math.ceil(count / cols), thumb_w, thumb_h)


def make_sprite(src: Path, sprite: Path, vtt: Path, probe: ProbeResult, sprite_url: str = "sprite.jpg"
                ) -> SpriteLayout:
    """One JPEG grid of preview thumbnails plus the WebVTT that maps time ranges to tiles."""
    lay = sprite_layout(probe.duration_s)
    vf = (f"fps=1/{lay.interval_s:g},scale={lay.thumb_w}:{lay.thumb_h}:force_original_aspect_ratio=decrease,"
          f"pad={lay.thumb_w}:{lay.thumb_h}:(ow-iw)/2:(oh-ih)/2,tile={lay.columns}x{lay.rows}")
    run_ffmpeg(["-i", str(src), "-an", "-vf", vf, "-frames:v", "1", "-q:v", "4", "-update", "1",
                str(sprite)], timeout=300)
    cues = ["WEBVTT", ""]
    for i in range(lay.count):
        start, end = i * lay.interval_s, min((i + 1) * lay.interval_s, probe.duration_s)
        x, y = (i % lay.columns) * lay.thumb_w, (i // lay.columns) * lay.thumb_h
        cues += [f"{_vtt_ts(start)} --> {_vtt_ts(end)}",
                 f"{sprite_url}#xywh={x},{y},{lay.thumb_w},{lay.thumb_h}", ""]
    vtt.write_text("\n".join(cues))
    return lay


def _vtt_ts(t: float) -> str:
    ms = int(round(t * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"
