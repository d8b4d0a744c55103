"""FastAPI routes for streaming, mounted by the API under ``/api/v1``.

* ``/videos``: upload (multipart or resumable chunks), asset/job status, retry,
  signed playback URLs, watch heartbeats.
* ``/media/s/<user>/<exp>/<sig>/<scope>/<path>``: signed file serving (HLS, posters).
* ``/live/sessions``: schedule/start/stop live classes, live playback, chat WebSocket.

Authorization uses the API's own dependencies (``CurrentUser``, ``can_view_lesson``,
``is_enrolled``); the signed media route needs no bearer token because HLS players
fetch segments without custom headers; the signature *is* the grant.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from apps_api.contract import Money, Raw, Text, UtcDatetime
from apps_api.db import new_id, utcnow
from apps_api.deps import (
    CurrentUser,
    OptionalUser,
    Principal,
    ReadSessionDep,
    SessionDep,
    can_view_lesson,
    is_enrolled,
    require_role,
)
from apps_api.errors import ApiError
from apps_api.models import Course, Lesson, LessonProgress
from apps_api.ownership import get_owned_or_404, lesson_serves_asset
from apps_api.streaming import jobs as jobs_mod
from apps_api.streaming.config import StreamingConfig, get_streaming_config
from apps_api.streaming.live import (
    ChatHub,
    LiveIngestManager,
    Member,
    finalize_recording,
    hash_key,
    new_stream_key,
)
from apps_api.streaming.models import LiveSession, TranscodeJob, UploadSession, VideoAsset
from apps_api.streaming.serving import media_response
from apps_api.streaming.signing import SignatureError, sign_scope, verify
from apps_api.streaming.storage import LocalStorage, S3Storage, UnsafeKeyError, get_storage
from apps_api.streaming.uploads import (
    UploadRejected,
    append_chunk_at,
    check_filename,
    incoming_dir,
    stream_to_temp,
    validate_video,
)
from suuupra.settings import Settings, get_settings

log = logging.getLogger("apps_api.streaming")
router = APIRouter(tags=["streaming"])
Instructor = Annotated[Principal, Depends(require_role("instructor", "admin"))]


# ---- per-app runtime ------------------------------------------------------------------------


@dataclass
class Runtime:
    settings: Settings
    config: StreamingConfig
    storage: LocalStorage | S3Storage
    live_storage: LocalStorage
    ingest: LiveIngestManager
    chat: ChatHub

    @property
    def secret(self) -> str:
        return self.settings.media_signing_secret.get_secret_value()

    chunk_limit: int = 0

    def job_context(self) -> jobs_mod.JobContext:
        return jobs_mod.JobContext.from_settings(self.settings, self.config)


def _holder(app: Any) -> dict[str, Any]:
    state = getattr(app.state, "suuupra", None)
    if state is not None:
        return state.extras
    if not hasattr(app.state, "streaming_extras"):
        app.state.streaming_extras = {}
    return app.state.streaming_extras


def runtime_for(app: Any) -> Runtime:
    extras = _holder(app)
    rt = extras.get("streaming")
    if rt is None:
        state = getattr(app.state, "suuupra", None)
        settings = state.settings if state is not None else get_settings()
        config = get_streaming_config()
        ingest = LiveIngestManager(settings.media_dir, config.live_host,
                                   (config.live_port_min, config.live_port_max), config.live_list_size)
        atexit.register(ingest.stop_all)
        rt = Runtime(settings, config, get_storage(settings, config), LocalStorage(settings.media_dir), ingest,
                     ChatHub(config.chat_max_chars, config.chat_history))
        # A chunk must also fit the API's request-body limit (BodySizeLimitMiddleware).
        body_limit = getattr(getattr(state, "config", None), "max_body_bytes", None)
        rt.chunk_limit = min(config.max_chunk_bytes, body_limit or config.max_chunk_bytes)
        extras["streaming"] = rt
    return rt


def get_runtime(request: Request) -> Runtime:
    return runtime_for(request.app)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


# ---- views ----------------------------------------------------------------------------------


def asset_view(a: VideoAsset, job: TranscodeJob | None = None) -> dict[str, Any]:
    out = {"id": a.id, "status": a.status, "kind": a.kind, "title": a.title, "lesson_id": a.lesson_id,
           "course_id": a.course_id, "duration_s": a.duration_s, "width": a.width, "height": a.height,
           "source_bytes": a.source_bytes, "playable": a.status == "ready",
           "renditions": [{k: r[k] for k in ("name", "width", "height", "bandwidth", "codecs") if k in r}
                          for r in (a.renditions or [])],
           "created_at": a.created_at, "ready_at": a.ready_at}
    if job is not None:
        out["job"] = jobs_mod.job_view(job)
    return out


def _latest_job(session: Session, asset_id: str) -> TranscodeJob | None:
    return session.scalars(select(TranscodeJob).where(TranscodeJob.asset_id == asset_id)
                           .order_by(TranscodeJob.id.desc()).limit(1)).first()


def _lesson_for_upload(session: Session, lesson_id: str | None, user: Principal) -> Lesson | None:
    if not lesson_id:
        return None
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise ApiError(404, f"lesson {lesson_id} not found")
    course = session.get(Course, lesson.course_id)
    if not user.is_admin and (course is None or course.instructor_id != user.id):
        raise ApiError(403, "you can only upload videos for lessons of your own courses")
    return lesson


def _create_asset_and_job(rt: Runtime, session: Session, *, user: Principal, tmp: Path, size: int, ext: str,
                          title: str, lesson: Lesson | None, info: Any) -> tuple[VideoAsset, TranscodeJob]:
    asset_id = new_id("vid")
    key = jobs_mod.source_key(asset_id, ext)
    rt.storage.move_file(key, tmp)  # validated bytes only; nothing was stored before this point
    try:
        asset = VideoAsset(id=asset_id, owner_id=user.id, course_id=lesson.course_id if lesson else None,
                           lesson_id=lesson.id if lesson else None, title=title[:200], status="uploaded",
                           source_key=key, source_bytes=size, duration_s=info.duration_s, width=info.width,
                           height=info.height, probe=info.to_dict(), renditions=[])
        session.add(asset)
        session.flush()
        job = jobs_mod.create_job(session, asset, rt.config.executor)
        session.commit()
    except Exception:
        session.rollback()
        rt.storage.delete_prefix(f"sources/{asset_id}")
        raise
    _dispatch(rt, job.id)
    session.expire_all()
    return session.get(VideoAsset, asset_id), session.get(TranscodeJob, job.id)


def _dispatch(rt: Runtime, job_id: str) -> None:
    """Start a job without holding up the request: connecting to (or starting) Ray can take
    many seconds, so that happens on a background thread; the job row already says ``queued``."""
    if rt.config.executor == "inline":
        jobs_mod.submit(rt.job_context(), job_id, "inline")
        return

    def _go() -> None:
        try:
            jobs_mod.submit(rt.job_context(), job_id, rt.config.executor, rt.settings.ray_address)
        except Exception as exc:  # e.g. Ray unreachable: record it so the job can be retried
            log.exception("could not submit transcode job", extra={"job_id": job_id})
            jobs_mod.mark_failed(rt.job_context(), job_id, f"could not submit: {exc}")

    threading.Thread(target=_go, name=f"submit-{job_id}", daemon=True).start()


# ---- upload ---------------------------------------------------------------------------------


@router.post("/videos", status_code=202, summary="Upload a lesson video (multipart) and start transcoding")
async def upload_video(user: Instructor, session: SessionDep, rt: RuntimeDep,
                       file: Annotated[UploadFile, File(description="the video file")],
                       title: Annotated[str, Form()] = "", lesson_id: Annotated[str | None, Form()] = None
                       ) -> dict[str, Any]:
    try:
        ext = check_filename(file.filename, rt.config.allowed_extensions)
        ctype = (file.content_type or "application/octet-stream").split(";")[0].strip().lower()
        if not (ctype.startswith("video/") or ctype == "application/octet-stream"):
            raise UploadRejected(422, f"content type {ctype!r} is not a video")
        lesson = await run_in_threadpool(_lesson_for_upload, session, lesson_id, user)

        async def chunks():
            while data := await file.read(1024 * 1024):
                yield data

        tmp, size = await stream_to_temp(chunks(), incoming_dir(rt.settings.media_dir),
                                         rt.config.max_upload_bytes, ext)
        info = await run_in_threadpool(validate_video, tmp, rt.config.max_duration_s)
    except UploadRejected as exc:
        raise ApiError(exc.status, exc.detail) from None
    asset, job = await run_in_threadpool(_create_asset_and_job, rt, session, user=user, tmp=tmp, size=size,
                                         ext=ext, title=title or (file.filename or ""), lesson=lesson,
                                         info=info)
    return asset_view(asset, job)


class UploadCreate(BaseModel):
    filename: Raw(255, min_length=1)
    total_bytes: Money(ge=1)
    title: Text(200) = ""
    lesson_id: Raw(40, min_length=1) | None = None


@router.post("/videos/uploads", status_code=201, summary="Start a resumable chunked upload")
def create_upload(body: UploadCreate, user: Instructor, session: SessionDep, rt: RuntimeDep
                  ) -> dict[str, Any]:
    try:
        check_filename(body.filename, rt.config.allowed_extensions)
    except UploadRejected as exc:
        raise ApiError(exc.status, exc.detail) from None
    if body.total_bytes > rt.config.max_upload_bytes:
        raise ApiError(413, f"upload exceeds the {rt.config.max_upload_bytes} byte limit")
    _lesson_for_upload(session, body.lesson_id, user)
    up = UploadSession(id=new_id("upl"), owner_id=user.id, filename=body.filename, lesson_id=body.lesson_id,
                       title=body.title, total_bytes=body.total_bytes)
    session.add(up)
    session.commit()
    return _upload_view(up, rt)


def _upload_view(up: UploadSession, rt: Runtime) -> dict[str, Any]:
    return {"id": up.id, "status": up.status, "offset": up.received_bytes, "total_bytes": up.total_bytes,
            "max_chunk_bytes": rt.chunk_limit, "asset_id": up.asset_id}


def _own_upload(session: Session, upload_id: str, user: Principal) -> UploadSession:
    return get_owned_or_404(session, UploadSession, upload_id, user, noun="upload")


@router.get("/videos/uploads/{upload_id}", summary="Resume point of a chunked upload")
def get_upload(upload_id: str, user: Instructor, session: ReadSessionDep, rt: RuntimeDep) -> dict[str, Any]:
    return _upload_view(_own_upload(session, upload_id, user), rt)


@router.patch("/videos/uploads/{upload_id}", summary="Append a chunk at Upload-Offset (raw body)")
async def upload_chunk(upload_id: str, request: Request, user: Instructor, session: SessionDep,
                       rt: RuntimeDep, upload_offset: Annotated[int, Header(ge=0)]) -> dict[str, Any]:
    up = await run_in_threadpool(_own_upload, session, upload_id, user)
    if up.status != "open":
        raise ApiError(409, f"upload {upload_id} is {up.status}")
    if upload_offset != up.received_bytes:
        raise ApiError(409, f"Upload-Offset {upload_offset} does not match the server offset "
                            f"{up.received_bytes}; resume from there", headers={"Upload-Offset": str(up.received_bytes)})
    part = incoming_dir(rt.settings.media_dir) / f"{up.id}.part"
    limit = min(rt.chunk_limit, up.total_bytes - up.received_bytes)
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise ApiError(413, f"chunk exceeds {limit} bytes (chunk limit or remaining size)")
    if not buf:
        raise ApiError(422, "empty chunk")
    end = await run_in_threadpool(append_chunk_at, part, upload_offset, bytes(buf))
    # compare-and-set: a concurrent duplicate chunk at the same offset loses with 409
    from sqlalchemy import update

    res = session.execute(update(UploadSession).where(UploadSession.id == up.id,
                                                      UploadSession.received_bytes == upload_offset)
                          .values(received_bytes=end))
    session.commit()
    if res.rowcount != 1:
        raise ApiError(409, "a concurrent chunk was written at this offset; GET the upload to resume")
    session.expire_all()
    up = session.get(UploadSession, upload_id)
    if end < up.total_bytes:
        return _upload_view(up, rt)
    # complete: validate, then move into storage
    ext = check_filename(up.filename, rt.config.allowed_extensions)
    tmp = part.with_name(f".{up.id}-complete{ext}")
    part.rename(tmp)
    try:
        info = await run_in_threadpool(validate_video, tmp, rt.config.max_duration_s)
    except UploadRejected as exc:
        up.status = "aborted"
        session.commit()
        raise ApiError(exc.status, exc.detail) from None
    lesson = await run_in_threadpool(_lesson_for_upload, session, up.lesson_id, user)
    asset, job = await run_in_threadpool(_create_asset_and_job, rt, session, user=user, tmp=tmp,
                                         size=up.total_bytes, ext=ext, title=up.title or up.filename,
                                         lesson=lesson, info=info)
    up = session.get(UploadSession, upload_id)
    up.status, up.asset_id = "complete", asset.id
    session.commit()
    return {**_upload_view(up, rt), "asset": asset_view(asset, job)}


@router.delete("/videos/uploads/{upload_id}", status_code=204, summary="Abort a chunked upload")
def abort_upload(upload_id: str, user: Instructor, session: SessionDep, rt: RuntimeDep) -> Response:
    up = _own_upload(session, upload_id, user)
    if up.status == "open":
        up.status = "aborted"
        session.commit()
        (incoming_dir(rt.settings.media_dir) / f"{up.id}.part").unlink(missing_ok=True)
    return Response(status_code=204)


# ---- assets and jobs ------------------------------------------------------------------------


def _asset_for_owner(session: Session, asset_id: str, user: Principal) -> VideoAsset:
    return get_owned_or_404(session, VideoAsset, asset_id, user, noun="video")


@router.get("/videos/{asset_id}", summary="Video asset with its transcode job state")
def get_asset(asset_id: str, user: Instructor, session: ReadSessionDep) -> dict[str, Any]:
    asset = _asset_for_owner(session, asset_id, user)
    return asset_view(asset, _latest_job(session, asset_id))


@router.post("/videos/jobs/{job_id}/retry", status_code=202, summary="Retry a failed or crashed transcode")
def retry(job_id: str, user: Instructor, session: SessionDep, rt: RuntimeDep, request: Request
          ) -> dict[str, Any]:
    job = session.get(TranscodeJob, job_id)
    if job is None:
        raise ApiError(404, f"job {job_id} not found")
    _asset_for_owner(session, job.asset_id, user)
    session.rollback()
    db = request.app.state.suuupra.db
    try:
        jobs_mod.retry_job(db, job_id, max_attempts=rt.config.max_attempts,
                           stale_running_s=rt.config.stale_running_s)
    except jobs_mod.JobStateError as exc:
        raise ApiError(409, str(exc)) from None
    _dispatch(rt, job_id)
    session.expire_all()
    return jobs_mod.job_view(session.get(TranscodeJob, job_id))


# ---- playback -------------------------------------------------------------------------------


def _signed(request: Request, rt: Runtime, scope: str, files: dict[str, str], user_id: str
            ) -> tuple[dict[str, str], int]:
    exp, sig = sign_scope(rt.secret, scope, user_id, rt.config.url_ttl_s)
    urls = {name: str(request.url_for("streaming_media", user_id=user_id, exp=str(exp), sig=sig,
                                      path=f"{scope}/{rel}"))
            for name, rel in files.items()}
    return urls, exp


def _lesson_of(session: Session, asset: VideoAsset, lesson_id: str | None) -> Lesson | None:
    if lesson_id:
        lesson = session.get(Lesson, lesson_id)
        if lesson is None or not lesson_serves_asset(lesson, asset):
            raise ApiError(404, f"lesson {lesson_id} has no video {asset.id}")
        return lesson
    if asset.lesson_id:
        lesson = session.get(Lesson, asset.lesson_id)
        return lesson if lesson is not None and lesson.course_id == asset.course_id else None
    if asset.course_id is None:
        return None
    return session.scalars(select(Lesson).where(Lesson.video_asset_id == asset.id,
                                                Lesson.course_id == asset.course_id).limit(1)).first()


def _may_watch(session: Session, user: Principal | None, asset: VideoAsset, lesson: Lesson | None) -> bool:
    if user is not None and (user.is_admin or asset.owner_id == user.id):
        return True
    if asset.kind == "recording" and asset.course_id and user is not None:  # live-class recordings
        return is_enrolled(session, user.id, asset.course_id)
    return lesson is not None and can_view_lesson(session, user, lesson)


@router.get("/videos/{asset_id}/playback", summary="Signed, expiring HLS URLs for an allowed viewer")
def playback(asset_id: str, request: Request, user: OptionalUser, session: ReadSessionDep, rt: RuntimeDep,
             lesson_id: str | None = None) -> dict[str, Any]:
    asset = session.get(VideoAsset, asset_id)
    if asset is None:
        raise ApiError(404, f"video {asset_id} not found")
    lesson = _lesson_of(session, asset, lesson_id)
    if not _may_watch(session, user, asset, lesson):
        if user is None:
            raise ApiError(401, "sign in to watch this lesson", headers={"WWW-Authenticate": "Bearer"})
        raise ApiError(403, "enroll in the course to watch this lesson")
    if asset.status != "ready":
        raise ApiError(409, f"video is {asset.status}; it becomes playable when every rendition is done")
    files = {"hls": "master.m3u8", "poster": "poster.jpg", "thumbnails": "thumbnails.vtt"}
    if asset.kind == "recording":
        files.pop("thumbnails")
    urls, exp = _signed(request, rt, f"videos/{asset.id}", files, user.id if user else "anon")
    return {"asset_id": asset.id, "lesson_id": lesson.id if lesson else None, "expires_at": exp,
            "duration_s": asset.duration_s, **urls}


@router.head("/media/s/{user_id}/{exp}/{sig}/{path:path}", name="streaming_media_head",
             operation_id="streaming_media_head", summary="Headers of a signed media file")
@router.get("/media/s/{user_id}/{exp}/{sig}/{path:path}", name="streaming_media",
            operation_id="streaming_media", summary="Signed media file (HLS playlist/segment, poster)")
def media(user_id: str, exp: str, sig: str, path: str, request: Request, rt: RuntimeDep) -> Response:
    try:
        grant = verify(rt.secret, user_id, exp, sig, path)
    except SignatureError as exc:
        raise ApiError(403, str(exc)) from None
    live = grant.scope.startswith("live/")
    storage = rt.live_storage if live else rt.storage
    try:
        resp = media_response(storage, grant.key, method=request.method,
                              range_header=request.headers.get("range"),
                              if_none_match=request.headers.get("if-none-match"), live=live)
    except UnsafeKeyError:
        raise ApiError(403, "invalid media path") from None
    if resp.status_code == 404:
        raise ApiError(404, "media file not found")
    return resp


# ---- watch telemetry ------------------------------------------------------------------------


class HeartbeatIn(BaseModel):
    lesson_id: Raw(40, min_length=1) | None = None
    session_id: Text(80) = ""
    position_s: float = Field(ge=0, le=7 * 86_400, allow_inf_nan=False)
    seconds_watched: float = Field(ge=0, le=300, allow_inf_nan=False,
                                   description="seconds watched since the previous heartbeat")
    # video.progress carries this delta (analytics SUM it) and completed=True only on the
    # heartbeat that completes the lesson (analytics count completions from it).
    rendition: Text(16) = ""
    ended: bool = False


COMPLETE_FRACTION = 0.9


@router.post("/videos/{asset_id}/heartbeat", summary="Record watch progress; emits video.progress")
def heartbeat(asset_id: str, body: HeartbeatIn, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    from apps_api.outbox import emit

    asset = session.get(VideoAsset, asset_id)
    if asset is None:
        raise ApiError(404, f"video {asset_id} not found")
    lesson = _lesson_of(session, asset, body.lesson_id)
    if lesson is None:
        raise ApiError(422, "this video is not attached to a lesson; progress needs a lesson")
    if not _may_watch(session, user, asset, lesson):
        raise ApiError(403, "enroll in the course to watch this lesson")
    duration = asset.duration_s or float(lesson.duration_s) or 0.0
    position = min(body.position_s, duration) if duration else body.position_s
    for attempt in range(2):
        prog = session.scalars(select(LessonProgress).where(LessonProgress.learner_id == user.id,
                                                            LessonProgress.lesson_id == lesson.id)).first()
        if prog is None:
            prog = LessonProgress(id=new_id("lpr"), learner_id=user.id, course_id=lesson.course_id,
                                  lesson_id=lesson.id, position_s=0.0, seconds_watched=0.0, completed=False)
            session.add(prog)
        prog.position_s = position
        prog.seconds_watched = (prog.seconds_watched or 0.0) + body.seconds_watched
        was_completed = bool(prog.completed)
        prog.completed = bool(was_completed or body.ended
                              or (duration > 0 and position >= COMPLETE_FRACTION * duration))
        prog.updated_at = utcnow()
        emit(session, "video.progress", learner_id=user.id, course_id=lesson.course_id, lesson_id=lesson.id,
             session_id=body.session_id, position_s=position, seconds_watched=body.seconds_watched,
             duration_s=max(duration, 0.001), completed=prog.completed and not was_completed,
             rendition=body.rendition,
             partition_key=user.id)
        try:
            session.commit()
            break
        except IntegrityError:  # concurrent first heartbeat created the row: update it instead
            session.rollback()
            if attempt:
                raise
    return {"lesson_id": lesson.id, "position_s": prog.position_s, "seconds_watched": prog.seconds_watched,
            "completed": prog.completed}


# ---- live classes ---------------------------------------------------------------------------


class LiveCreate(BaseModel):
    course_id: Raw(40, min_length=1)
    title: Text(200) = ""
    scheduled_at: UtcDatetime | None = None


def live_view(s: LiveSession) -> dict[str, Any]:
    return {"id": s.id, "course_id": s.course_id, "title": s.title, "status": s.status,
            "scheduled_at": s.scheduled_at, "started_at": s.started_at, "ended_at": s.ended_at,
            "recording_asset_id": s.recording_asset_id, "reason": s.reason}


def _own_live(session: Session, session_id: str, user: Principal) -> LiveSession:
    return get_owned_or_404(session, LiveSession, session_id, user, owner_attr="instructor_id",
                            noun="live session")


@router.post("/live/sessions", status_code=201, summary="Schedule a live class")
def create_live(body: LiveCreate, user: Instructor, session: SessionDep) -> dict[str, Any]:
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


@router.get("/live/sessions/{session_id}", summary="Live class state")
def get_live(session_id: str, user: CurrentUser, session: ReadSessionDep) -> dict[str, Any]:
    s = session.get(LiveSession, session_id)
    if s is None or not _may_join(session, user, s):
        raise ApiError(404, f"live session {session_id} not found")
    return live_view(s)


@router.post("/live/sessions/{session_id}/start", summary="Go live: start the ingest listener, get a stream key")
def start_live(session_id: str, user: Instructor, session: SessionDep, rt: RuntimeDep) -> dict[str, Any]:
    s = _own_live(session, session_id, user)
    if s.status == "ended":
        raise ApiError(409, "this live session has ended; schedule a new one")
    if s.status != "scheduled":
        raise ApiError(409, "session is already live; the stream key was shown when it started")
    key = new_stream_key()
    try:
        ing = rt.ingest.start(s.id, key)
    except (RuntimeError, OSError) as exc:
        raise ApiError(503, f"cannot start the live ingest listener: {exc}; try again shortly") from None
    s.status, s.started_at, s.stream_key_hash, s.ingest_port = "live", utcnow(), hash_key(key), ing.port
    session.commit()
    host = rt.config.live_host
    ingest_url = f"srt://{host}:{ing.port}?passphrase={key}&pbkeylen=16"
    return {**live_view(s), "stream_key": key, "ingest_url": ingest_url,
            "publish_example": f'ffmpeg -re -i <input> -c:v libx264 -c:a aac -f mpegts "{ingest_url}"'}


@router.post("/live/sessions/{session_id}/stop", summary="End the class and finalize its recording")
def stop_live(session_id: str, user: Instructor, session: SessionDep, rt: RuntimeDep) -> dict[str, Any]:
    s = _own_live(session, session_id, user)
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


def _may_join(session: Session, user: Principal, s: LiveSession) -> bool:
    return user.is_admin or s.instructor_id == user.id or is_enrolled(session, user.id, s.course_id)


@router.get("/live/sessions/{session_id}/playback", summary="Signed live HLS URL for enrolled learners")
def live_playback(session_id: str, request: Request, user: CurrentUser, session: ReadSessionDep,
                  rt: RuntimeDep) -> dict[str, Any]:
    s = session.get(LiveSession, session_id)
    if s is None:
        raise ApiError(404, f"live session {session_id} not found")
    if not _may_join(session, user, s):
        raise ApiError(403, "enroll in the course to join this live class")
    if s.status != "live":
        raise ApiError(409, f"live session is {s.status}"
                       + (f"; watch the recording {s.recording_asset_id}" if s.recording_asset_id else ""))
    urls, exp = _signed(request, rt, f"live/{s.id}", {"hls": "index.m3u8"}, user.id)
    return {"session_id": s.id, "expires_at": exp, **urls}


@router.websocket("/live/sessions/{session_id}/chat")
async def live_chat(websocket: WebSocket, session_id: str, token: Annotated[str, Query()] = "") -> None:
    """Chat: send ``{"type":"message","text":...}``; instructors may also send
    ``{"type":"mute"|"unmute","user_id":...}`` and ``{"type":"delete","message_id":...}``."""
    from apps_api.security import TokenError, decode_access_token

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
            return live if live is not None and _may_join(s, user, live) else None

    live = await run_in_threadpool(_check)
    if live is None:
        await websocket.close(code=4403, reason="not allowed in this live class")
        return
    rt = runtime_for(websocket.app)
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


__all__ = ["router", "runtime_for"]
