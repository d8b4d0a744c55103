"""The streaming routes, mounted by the API under ``/api/v1``.

* ``/videos``: multipart upload, asset/job state, retry, signed playback URLs,
  watch heartbeats (:mod:`.routes_videos`); ``/videos/uploads``: resumable
  chunked uploads (:mod:`.routes_uploads`).
* ``/media/s/<user>/<exp>/<sig>/<scope>/<path>``: signed file serving
  (:mod:`.routes_media`).
* ``/live/sessions``: schedule/start/stop live classes, live playback, chat
  WebSocket (:mod:`.routes_live`).

What the routes share (storage, live ingest, chat) is the app's
:class:`~apps_api.streaming.runtime.Runtime`, built by ``create_app``.
"""

from __future__ import annotations

from fastapi import APIRouter

from apps_api.streaming import routes_live, routes_media, routes_uploads, routes_videos

router = APIRouter()
# Chunked uploads first: /videos/uploads/... must not be read as /videos/{asset_id}.
router.include_router(routes_uploads.router)
router.include_router(routes_videos.router)
router.include_router(routes_media.router)
router.include_router(routes_live.router)
