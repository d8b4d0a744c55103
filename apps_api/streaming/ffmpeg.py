"""ffmpeg from PyPI (``imageio-ffmpeg``): locate it, probe media, make test clips.

``ffprobe`` is not shipped with imageio-ffmpeg, so :func:`probe` parses the
stream summary ``ffmpeg -i`` prints and then *decodes* the first seconds: a
header that parses but frames that don't decode is still a corrupt upload, and
we want to reject it at upload time rather than fail the transcode job later.
"""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path


class ProbeError(ValueError):
    """The file is not a video we can transcode (message is safe to show users)."""


class FfmpegError(RuntimeError):
    """ffmpeg exited non-zero; carries the tail of its log for the job's failure reason."""


@functools.cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str], *, timeout: float | None = None) -> str:
    """Run ffmpeg with ``args``; return stderr; raise :class:`FfmpegError` on failure."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-6:])
        raise FfmpegError(f"ffmpeg failed (exit {proc.returncode}): {tail}")
    return proc.stderr


@dataclass(frozen=True)
class ProbeResult:
    duration_s: float
    width: int
    height: int
    fps: float
    video_codec: str
    has_audio: bool
    bitrate_kbps: int | None

    def to_dict(self) -> dict:
        return asdict(self)


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_BITRATE = re.compile(r"Duration:.*bitrate:\s*(\d+)\s*kb/s")
_VIDEO = re.compile(r"Stream #\d+:\d+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})")
_FPS = re.compile(r"(\d+(?:\.\d+)?) fps")
_TBR = re.compile(r"(\d+(?:\.\d+)?) tbr")
_AUDIO = re.compile(r"Stream #\d+:\d+.*?: Audio: ")
_ROTATE = re.compile(r"rotate\s*:\s*-?(90|270)|displaymatrix: rotation of -?(90|270)")


def parse_probe(stderr: str) -> ProbeResult:
    """Parse ``ffmpeg -i`` output; raise :class:`ProbeError` if there is no usable video."""
    video_line = next((ln for ln in stderr.splitlines() if _VIDEO.search(ln)), None)
    if video_line is None:
        raise ProbeError("file has no video stream (is it a video?)")
    m = _VIDEO.search(video_line)
    assert m is not None
    codec, width, height = m.group(1), int(m.group(2)), int(m.group(3))
    if _ROTATE.search(stderr):
        width, height = height, width
    fps_m = _FPS.search(video_line) or _TBR.search(video_line)
    fps = float(fps_m.group(1)) if fps_m else 30.0
    d = _DURATION.search(stderr)
    if d is None:
        raise ProbeError("file has no readable duration (truncated or not a video container)")
    duration = int(d.group(1)) * 3600 + int(d.group(2)) * 60 + float(d.group(3))
    if duration <= 0:
        raise ProbeError("video has zero duration")
    if width < 16 or height < 16:
        raise ProbeError(f"video resolution {width}x{height} is too small")
    b = _BITRATE.search(stderr)
    return ProbeResult(duration_s=round(duration, 3), width=width, height=height, fps=fps,
                       video_codec=codec, has_audio=bool(_AUDIO.search(stderr)),
                       bitrate_kbps=int(b.group(1)) if b else None)


def probe(path: Path, *, decode_seconds: float = 2.0, timeout: float = 60.0) -> ProbeResult:
    """Probe ``path`` and decode its first ``decode_seconds`` (0 = skip the decode check)."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True, errors="replace", timeout=timeout)
    # "-i" without an output always exits 1; the stream summary is what we want.
    if "Invalid data found" in proc.stderr or "moov atom not found" in proc.stderr:
        raise ProbeError("file is corrupt or not a supported video container")
    result = parse_probe(proc.stderr)
    if decode_seconds > 0:
        dec = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-xerror", "-i", str(path),
             "-t", str(decode_seconds), "-map", "0:v:0", "-f", "null", "-"],
            capture_output=True, text=True, errors="replace", timeout=timeout)
        if dec.returncode != 0:
            raise ProbeError("video frames could not be decoded (file is corrupt)")
    return result


def make_test_clip(path: Path, *, seconds: float = 6.0, size: str = "640x360", fps: int = 30,
                   audio: bool = True, preset: str = "ultrafast") -> Path:
    """Synthesize a clip (``testsrc2`` pattern + sine tone): tests, benchmarks and demos."""
    path.parent.mkdir(parents=True, exist_ok=True)
    args = ["-f", "lavfi", "-i", f"testsrc2=duration={seconds}:size={size}:rate={fps}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-g", str(fps)]
    if audio:
        args += ["-c:a", "aac", "-b:a", "64k", "-shortest"]
    run_ffmpeg([*args, str(path)], timeout=120)
    return path
