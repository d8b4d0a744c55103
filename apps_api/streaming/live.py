"""Live classes: an SRT ingest listener packaged to live HLS, recording, and chat.

Ingest: for each started session the platform runs one ``ffmpeg`` listening on
``srt://<host>:<port>`` with the stream key as the SRT *passphrase*, so a
publisher without the key is rejected in the handshake (plain RTMP listen mode in
ffmpeg only logs a wrong stream name and accepts the data anyway). ffmpeg
re-encodes to H.264 Main with a 2-second GOP and writes, through the ``tee``
muxer, (a) a sliding-window HLS playlist under ``<media_dir>/live/<id>/`` and
(b) a full MPEG-TS recording. Stopping the session ends ffmpeg (which closes the
playlist with ``#EXT-X-ENDLIST``) and remuxes the recording into a VOD asset.

Chat: one in-process room per session (WebSocket fan-out, moderation, viewer
count). A multi-process deployment would put the room behind Redis pub/sub;
that is not built here (see docs/streaming.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apps_api.streaming.ffmpeg import ffmpeg_exe, probe, run_ffmpeg

LIVE_PLAYLIST = "index.m3u8"


def new_stream_key() -> str:
    # SRT passphrases are 10-79 chars; url-safe so it can sit in a query string.
    return secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def free_port(host: str, lo: int, hi: int) -> int:
    """First UDP port in [lo, hi] nobody is bound to (SRT runs over UDP)."""
    for port in range(lo, hi + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free live ingest port in {lo}-{hi}")


def listener_args(host: str, port: int, key: str, live_dir: Path, rec_path: Path, *, segment_s: int = 2,
                  list_size: int = 6, preset: str = "veryfast") -> list[str]:
    gop = 30 * segment_s
    hls_opts = (f"f=hls:hls_time={segment_s}:hls_list_size={list_size}"
                f":hls_flags=delete_segments+independent_segments+program_date_time"
                f":hls_segment_filename={live_dir}/seg_%05d.ts")
    return [
        "-probesize", "500000", "-analyzeduration", "1000000", "-fflags", "+nobuffer",
        "-f", "mpegts", "-i", f"srt://{host}:{port}?mode=listener&passphrase={key}&pbkeylen=16",
        "-map", "0:v:0", "-map", "0:a:0?",
        "-vf", "scale=-2:'min(720,ih)'", "-r", "30",
        "-c:v", "libx264", "-preset", preset, "-tune", "zerolatency", "-profile:v", "main",
        "-level", "3.1", "-pix_fmt", "yuv420p", "-b:v", "1500k", "-maxrate", "1650k", "-bufsize", "3000k",
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2",
        "-f", "tee", f"[{hls_opts}]{live_dir}/{LIVE_PLAYLIST}|[f=mpegts]{rec_path}",
    ]


@dataclass
class Ingest:
    session_id: str
    port: int
    proc: subprocess.Popen
    live_dir: Path
    rec_path: Path
    log_path: Path
    started: float = field(default_factory=time.time)


class LiveIngestManager:
    """Owns the ffmpeg listener processes of this API process (one per live session)."""

    def __init__(self, media_dir: Path, host: str, port_range: tuple[int, int], list_size: int = 6) -> None:
        self.media_dir, self.host, self.port_range, self.list_size = media_dir, host, port_range, list_size
        self._ingests: dict[str, Ingest] = {}
        self._lock = threading.Lock()

    def live_dir(self, session_id: str) -> Path:
        return self.media_dir / "live" / session_id

    def start(self, session_id: str, key: str) -> Ingest:
        with self._lock:
            if session_id in self._ingests and self._ingests[session_id].proc.poll() is None:
                return self._ingests[session_id]
            live_dir = self.live_dir(session_id)
            shutil.rmtree(live_dir, ignore_errors=True)
            live_dir.mkdir(parents=True)
            rec_dir = self.media_dir / "recordings" / session_id
            rec_dir.mkdir(parents=True, exist_ok=True)
            rec_path, log_path = rec_dir / "recording.ts", rec_dir / "ingest.log"
            port = free_port(self.host, *self.port_range)
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "warning", "-y",
                   *listener_args(self.host, port, key, live_dir, rec_path, list_size=self.list_size)]
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
            ing = Ingest(session_id, port, proc, live_dir, rec_path, log_path)
            self._ingests[session_id] = ing
            return ing

    def get(self, session_id: str) -> Ingest | None:
        return self._ingests.get(session_id)

    def stop(self, session_id: str, timeout: float = 15.0) -> Ingest | None:
        """End the listener gracefully (SIGINT lets ffmpeg write trailers and ENDLIST)."""
        with self._lock:
            ing = self._ingests.pop(session_id, None)
        if ing is None:
            return None
        if ing.proc.poll() is None:
            ing.proc.send_signal(signal.SIGINT)
            try:
                ing.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                ing.proc.kill()
                ing.proc.wait()
        return ing

    def stop_all(self) -> None:
        for sid in list(self._ingests):
            self.stop(sid)


def finalize_recording(rec_path: Path, work: Path, segment_s: int = 2) -> tuple[Path, Any, Any]:
    """Remux a live recording into a single-rendition VOD HLS folder (no re-encode).

    Returns (folder with master.m3u8/rec/..., RenditionResult, ProbeResult). Raises
    :class:`apps_api.streaming.ffmpeg.ProbeError` if nothing was recorded.
    """
    from apps_api.streaming import hls

    if not rec_path.exists() or rec_path.stat().st_size == 0:
        raise FileNotFoundError("nothing was recorded (no ingest was received)")
    info = probe(rec_path, decode_seconds=0)
    out = work / "rec"
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    run_ffmpeg(["-i", str(rec_path), "-map", "0", "-c", "copy", "-f", "hls", "-hls_time", str(segment_s),
                "-hls_playlist_type", "vod", "-hls_flags", "independent_segments",
                "-hls_segment_filename", str(out / "seg_%05d.ts"), str(out / hls.PLAYLIST)], timeout=600)
    peak, avg, n, dur = hls.measure_playlist(out)
    codecs = "avc1.4d401f,mp4a.40.2" if info.has_audio else "avc1.4d401f"
    res = hls.RenditionResult("rec", info.width, info.height, 30.0, codecs, peak, avg, n, dur,
                              round(time.perf_counter() - t0, 3))
    (work / hls.MASTER).write_text(hls.master_playlist([res]))
    hls.make_poster(rec_path, work / "poster.jpg", info)
    return work, res, info


# ---- chat ----------------------------------------------------------------------------------


@dataclass
class Member:
    user_id: str
    role: str
    moderator: bool


@dataclass
class ChatRoom:
    history: deque = field(default_factory=lambda: deque(maxlen=200))
    members: dict[Any, Member] = field(default_factory=dict)  # websocket -> member
    muted: set[str] = field(default_factory=set)

    def viewer_count(self) -> int:
        return len({m.user_id for m in self.members.values() if not m.moderator})


class ChatHub:
    """In-process chat rooms keyed by live session id."""

    def __init__(self, max_chars: int = 500, history: int = 200) -> None:
        self.rooms: dict[str, ChatRoom] = {}
        self.max_chars, self.history = max_chars, history
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    def room(self, session_id: str) -> ChatRoom:
        if session_id not in self.rooms:
            self.rooms[session_id] = ChatRoom(history=deque(maxlen=self.history))
        return self.rooms[session_id]

    async def _broadcast(self, room: ChatRoom, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, default=str)
        for ws in list(room.members):
            try:
                await ws.send_text(text)
            except Exception:  # a dead socket is dropped on its own disconnect
                room.members.pop(ws, None)

    async def join(self, session_id: str, ws: Any, member: Member) -> None:
        room = self.room(session_id)
        room.members[ws] = member
        await ws.send_text(json.dumps({"type": "history", "messages": list(room.history)}, default=str))
        await self._broadcast(room, {"type": "viewers", "count": room.viewer_count()})

    async def leave(self, session_id: str, ws: Any) -> None:
        room = self.room(session_id)
        if room.members.pop(ws, None) is not None:
            await self._broadcast(room, {"type": "viewers", "count": room.viewer_count()})

    async def handle(self, session_id: str, ws: Any, raw: str) -> None:
        """One client frame: ``message``, or (moderators) ``mute``/``unmute``/``delete``."""
        room = self.room(session_id)
        member = room.members.get(ws)
        if member is None:
            return
        try:
            msg = json.loads(raw)
            kind = msg["type"]
        except (ValueError, KeyError, TypeError):
            await ws.send_text(json.dumps({"type": "error", "detail": "frames are JSON objects with a 'type'"}))
            return
        if kind == "message":
            text = str(msg.get("text", "")).strip()
            if member.user_id in room.muted:
                await ws.send_text(json.dumps({"type": "error", "detail": "you are muted in this class"}))
                return
            if not text or len(text) > self.max_chars:
                await ws.send_text(json.dumps(
                    {"type": "error", "detail": f"message must be 1-{self.max_chars} characters"}))
                return
            entry = {"type": "message", "id": next(self._ids), "user_id": member.user_id, "text": text,
                     "at": time.time()}
            room.history.append(entry)
            await self._broadcast(room, entry)
        elif kind in ("mute", "unmute", "delete"):
            if not member.moderator:
                await ws.send_text(json.dumps({"type": "error", "detail": "only the instructor can moderate"}))
                return
            if kind == "delete":
                mid = msg.get("message_id")
                before = len(room.history)
                kept = [m for m in room.history if m["id"] != mid]
                room.history.clear()
                room.history.extend(kept)
                if len(kept) != before:
                    await self._broadcast(room, {"type": "deleted", "message_id": mid})
            else:
                target = str(msg.get("user_id", ""))
                (room.muted.add if kind == "mute" else room.muted.discard)(target)
                await self._broadcast(room, {"type": "muted" if kind == "mute" else "unmuted",
                                             "user_id": target})
        else:
            await ws.send_text(json.dumps({"type": "error", "detail": f"unknown frame type {kind!r}"}))
