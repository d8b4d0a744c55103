"""Live classes: schedule, go live (SRT ingest), stop (recording), playback, chat."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, WebSocket
from fastapi.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from apps_api.db import new_id, utcnow
from apps_api.deps import CurrentUser, Principal, ReadSessionDep, SessionDep, require_role
from apps_api.errors import ApiError
from apps_api.models import Course
from apps_api.security import TokenError, decode_access_token
from apps_api.streaming.access import live_view, may_join, owned_live, signed_urls
from apps_api.streaming.live import Member, finalize_recording, hash_key, new_stream_key
from apps_api.streaming.models import LiveSession, VideoAsset
from apps_api.streaming.runtime import RuntimeDep
from apps_api.streaming.schemas import LiveCreate, LiveOut, LivePlaybackOut, LiveStartOut

log = logging.getLogger("apps_api.streaming")
router = APIRouter(prefix="/live/sessions", tags=["streaming"])
Instructor = Annotated[Principal, Depends(require_role("instructor", "admin"))]


@router.post("", status_code=201, response_model=LiveOut, summary="Schedule a live class")
def create_live(body: LiveCreate, user: Instructor, session: SessionDep) -> LiveOut:
    course = session.get(Course, body.course_id)
    if course is None:
        raise ApiError(404, f"course {body.course_id} not found")
    if course.instructor_id != user.id and not user.is_admin:
        raise ApiError(403, "you can only schedule live classes for your own courses")
    s = LiveSession(id=new_id("live"), course_id=course.id, instructor_id=course.instructor_id,
                    title=body.title or course.title, scheduled_at=body.scheduled_at, status="scheduled")
    session.add(s)
    session.commit()
    return live_view(s)


@router.get("/{session_id}", response_model=LiveOut, summary="Live class state")
def get_live(session_id: str, user: CurrentUser, session: ReadSessionDep) -> LiveOut:
    s = session.get(LiveSession, session_id)
    if s is None or not may_join(session, user, s):
        raise ApiError(404, f"live session {session_id} not found")
    return live_view(s)


@router.post("/{session_id}/start", response_model=LiveStartOut,
             summary="Go live: start the ingest listener, get a stream key")
def start_live(session_id: str, user: Instructor, session: SessionDep, rt: RuntimeDep) -> LiveStartOut:
    s = owned_live(session, session_id, user)
    if s.status == "ended":
        raise ApiError(409, "this live session has ended; schedule a new one")
    if s.status != "scheduled":
        raise ApiError(409, "session is already live; the stream key was shown when it started")
    key = new_stream_key()
    try:
        ing = rt.ingest.start(s.id, key)
    except (RuntimeError, OSError) as exc:
        raise ApiError(503, f"cannot start the live ingest listener: {exc}; try again shortly",
                       headers={"Retry-After": "5"}) from None
    s.status, s.started_at, s.stream_key_hash, s.ingest_port = "live", utcnow(), hash_key(key), ing.port
    session.commit()
    ingest_url = f"srt://{rt.config.live_host}:{ing.port}?passphrase={key}&pbkeylen=16"
    return LiveStartOut(**live_view(s).model_dump(), stream_key=key, ingest_url=ingest_url,
                        publish_example=f'ffmpeg -re -i <input> -c:v libx264 -c:a aac -f mpegts "{ingest_url}"')


@router.post("/{session_id}/stop", response_model=LiveOut, summary="End the class and finalize its recording")
def stop_live(session_id: str, user: Instructor, session: SessionDep, rt: RuntimeDep) -> LiveOut:
    s = owned_live(session, session_id, user)
    if s.status != "live":
        raise ApiError(409, f"live session is {s.status}, not live")
    ing = rt.ingest.stop(s.id)
    s.status, s.ended_at = "ended", utcnow()
    rec = ing.rec_path if ing else rt.settings.media_dir / "recordings" / s.id / "recording.ts"
    work = Path(tempfile.mkdtemp(prefix="rec-", dir=rt.settings.media_dir))
    try:
        folder, res, info = finalize_recording(rec, work)
        asset = VideoAsset(id=new_id("vid"), owner_id=s.instructor_id, course_id=s.course_id, kind="recording",
                           title=f"{s.title} (recording)"[:200], status="ready",
                           source_key=f"videos/{s.id}/rec", source_bytes=rec.stat().st_size,
                           duration_s=info.duration_s, width=info.width, height=info.height,
                           probe=info.to_dict(), renditions=[res.to_dict()], ready_at=utcnow())
        rt.storage.put_tree(f"videos/{asset.id}", folder)
        session.add(asset)
        s.recording_asset_id = asset.id
    except Exception as exc:  # the class still ends; the reason is kept on the session
        log.warning("recording finalize failed", extra={"session_id": s.id, "error": str(exc)})
        s.reason = f"no recording: {exc}"[:500]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    session.commit()
    return live_view(s)


@router.get("/{session_id}/playback", response_model=LivePlaybackOut,
            summary="Signed live HLS URL for enrolled learners")
def live_playback(session_id: str, request: Request, user: CurrentUser, session: ReadSessionDep,
                  rt: RuntimeDep) -> LivePlaybackOut:
    s = session.get(LiveSession, session_id)
    if s is None:
        raise ApiError(404, f"live session {session_id} not found")
    if not may_join(session, user, s):
        raise ApiError(403, "enroll in the course to join this live class")
    if s.status != "live":
        raise ApiError(409, f"live session is {s.status}"
                       + (f"; watch the recording {s.recording_asset_id}" if s.recording_asset_id else ""))
    urls, exp = signed_urls(request, rt, f"live/{s.id}", {"hls": "index.m3u8"}, user.id)
    return LivePlaybackOut(session_id=s.id, expires_at=exp, **urls)


@router.websocket("/{session_id}/chat")
async def live_chat(websocket: WebSocket, session_id: str, token: Annotated[str, Query()] = "") -> None:
    """Chat: send ``{"type":"message","text":...}``; instructors may also send
    ``{"type":"mute"|"unmute","user_id":...}`` and ``{"type":"delete","message_id":...}``."""
    state = websocket.app.state.suuupra
    try:
        claims = decode_access_token(state.jwt_secret, token)
    except TokenError:
        await websocket.close(code=4401, reason="invalid or missing access token")
        return
    user = Principal(id=claims.user_id, role=claims.role)

    def _check() -> LiveSession | None:
        with state.db.read_session() as s:
            live = s.get(LiveSession, session_id)
            return live if live is not None and may_join(s, user, live) else None

    live = await run_in_threadpool(_check)
    if live is None:
        await websocket.close(code=4403, reason="not allowed in this live class")
        return
    rt = state.streaming
    await websocket.accept()
    member = Member(user.id, user.role, moderator=user.is_admin or live.instructor_id == user.id)
    await rt.chat.join(session_id, websocket, member)
    try:
        while True:
            await rt.chat.handle(session_id, websocket, await websocket.receive_text())
    except WebSocketDisconnect:
        pass
    finally:
        await rt.chat.leave(session_id, websocket)
