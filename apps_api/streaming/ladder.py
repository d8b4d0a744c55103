"""Which HLS renditions to produce for a source: a fixed ladder, never upscaled.

Upscaling wastes bytes and bandwidth without adding detail, so a rung is kept
only if its height is at most the source height; a source smaller than the
lowest rung gets one rendition at its own size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from apps_api.streaming.ffmpeg import ProbeResult

AUDIO_CODEC = "mp4a.40.2"  # AAC-LC


@dataclass(frozen=True)
class Rung:
    name: str
    height: int
    video_kbps: int
    audio_kbps: int
    level: str  # H.264 level for the Main profile


LADDER: tuple[Rung, ...] = (
    Rung("240p", 240, 400, 64, "3.0"),
    Rung("360p", 360, 800, 96, "3.0"),
    Rung("720p", 720, 2500, 128, "3.1"),
)

_LEVEL_HEX = {"3.0": "1e", "3.1": "1f", "4.0": "28"}


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    video_kbps: int
    audio_kbps: int
    level: str
    fps: float

    @property
    def video_codec(self) -> str:
        """RFC 6381 codec string for H.264 Main profile at ``level`` (avc1.4D40xx)."""
        return f"avc1.4d40{_LEVEL_HEX[self.level]}"

    def codecs(self, has_audio: bool) -> str:
        return f"{self.video_codec},{AUDIO_CODEC}" if has_audio else self.video_codec

    def to_dict(self) -> dict:
        return asdict(self)


def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)


def plan_ladder(src: ProbeResult, ladder: tuple[Rung, ...] = LADDER, max_fps: float = 30.0) -> list[Rendition]:
    fps = min(src.fps, max_fps) if src.fps > 0 else max_fps
    rungs = [r for r in ladder if r.height <= src.height]
    out = []
    if not rungs:  # tiny source: one rendition at its own size, bitrate scaled by pixel count
        low = ladder[0]
        scale = (src.width * src.height) / (_even(src.width * low.height / src.height) * low.height)
        return [Rendition(f"{_even(src.height)}p", _even(src.width), _even(src.height),
                          max(100, int(low.video_kbps * scale)), low.audio_kbps, low.level, fps)]
    for r in rungs:
        width = _even(src.width * r.height / src.height)
        out.append(Rendition(r.name, width, r.height, r.video_kbps, r.audio_kbps, r.level, fps))
    return out
