"""Signed media files (HLS playlists and segments, posters).

No bearer token: HLS players fetch segments without custom headers, so the
signature in the path *is* the grant (see :mod:`apps_api.streaming.signing`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from apps_api.errors import ApiError
from apps_api.streaming.runtime import RuntimeDep
from apps_api.streaming.serving import media_response
from apps_api.streaming.signing import SignatureError, verify
from apps_api.streaming.storage import UnsafeKeyError

router = APIRouter(tags=["streaming"])
MEDIA_RESPONSES = {200: {"description": "the file (or a byte range of it)"},
                   206: {"description": "partial content for a Range request"},
                   304: {"description": "not modified (If-None-Match)"},
                   416: {"description": "the requested range cannot be satisfied"}}


@router.head("/media/s/{user_id}/{exp}/{sig}/{path:path}", name="streaming_media_head",
             operation_id="streaming_media_head", summary="Headers of a signed media file",
             response_class=Response, responses=MEDIA_RESPONSES)
@router.get("/media/s/{user_id}/{exp}/{sig}/{path:path}", name="streaming_media",
            operation_id="streaming_media", summary="Signed media file (HLS playlist/segment, poster)",
            response_class=Response, responses=MEDIA_RESPONSES)
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
