"""Resumable chunked uploads: start, resume point, append at an offset, abort."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import update

from apps_api.db import new_id
from apps_api.deps import Principal, ReadSessionDep, SessionDep, require_role
from apps_api.errors import ApiError
from apps_api.streaming.access import asset_view, lesson_for_upload, owned_upload, upload_view
from apps_api.streaming.models import UploadSession
from apps_api.streaming.routes_videos import create_asset_and_job
from apps_api.streaming.runtime import RuntimeDep
from apps_api.streaming.schemas import UploadCreate, UploadOut
from apps_api.streaming.uploads import (
    UploadRejected,
    append_chunk_at,
    check_filename,
    incoming_dir,
    validate_video,
)

router = APIRouter(prefix="/videos/uploads", tags=["streaming"])
Instructor = Annotated[Principal, Depends(require_role("instructor", "admin"))]


@router.post("", status_code=201, response_model=UploadOut, summary="Start a resumable chunked upload")
def create_upload(body: UploadCreate, user: Instructor, session: SessionDep, rt: RuntimeDep) -> UploadOut:
    try:
        check_filename(body.filename, rt.config.allowed_extensions)
    except UploadRejected as exc:
        raise ApiError(exc.status, exc.detail) from None
    if body.total_bytes > rt.config.max_upload_bytes:
        raise ApiError(413, f"upload exceeds the {rt.config.max_upload_bytes} byte limit")
    lesson_for_upload(session, body.lesson_id, user)
    up = UploadSession(id=new_id("upl"), owner_id=user.id, filename=body.filename, lesson_id=body.lesson_id,
                       title=body.title, total_bytes=body.total_bytes)
    session.add(up)
    session.commit()
    return upload_view(up, rt)


@router.get("/{upload_id}", response_model=UploadOut, summary="Resume point of a chunked upload")
def get_upload(upload_id: str, user: Instructor, session: ReadSessionDep, rt: RuntimeDep) -> UploadOut:
    return upload_view(owned_upload(session, upload_id, user), rt)


@router.patch("/{upload_id}", response_model=UploadOut, summary="Append a chunk at Upload-Offset (raw body)")
async def upload_chunk(upload_id: str, request: Request, user: Instructor, session: SessionDep,
                       rt: RuntimeDep, upload_offset: Annotated[int, Header(ge=0, le=2**62)]) -> UploadOut:
    up = await run_in_threadpool(owned_upload, session, upload_id, user)
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
    res = session.execute(update(UploadSession).where(UploadSession.id == up.id,
                                                      UploadSession.received_bytes == upload_offset)
                          .values(received_bytes=end))
    session.commit()
    if res.rowcount != 1:
        raise ApiError(409, "a concurrent chunk was written at this offset; GET the upload to resume")
    session.expire_all()
    up = session.get(UploadSession, upload_id)
    if end < up.total_bytes:
        return upload_view(up, rt)
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
    lesson = await run_in_threadpool(lesson_for_upload, session, up.lesson_id, user)
    asset, job = await run_in_threadpool(create_asset_and_job, rt, session, user=user, tmp=tmp,
                                         size=up.total_bytes, ext=ext, title=up.title or up.filename,
                                         lesson=lesson, info=info)
    up = session.get(UploadSession, upload_id)
    up.status, up.asset_id = "complete", asset.id
    session.commit()
    return upload_view(up, rt).model_copy(update={"asset": asset_view(asset, job)})


@router.delete("/{upload_id}", status_code=204, response_class=Response, summary="Abort a chunked upload")
def abort_upload(upload_id: str, user: Instructor, session: SessionDep, rt: RuntimeDep) -> Response:
    up = owned_upload(session, upload_id, user)
    if up.status == "open":
        up.status = "aborted"
        session.commit()
        (incoming_dir(rt.settings.media_dir) / f"{up.id}.part").unlink(missing_ok=True)
    return Response(status_code=204)
