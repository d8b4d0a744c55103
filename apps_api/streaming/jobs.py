"""Transcode jobs: persisted state machine, executed as Ray tasks.

State lives in ``stream_transcode_jobs``: ``queued -> running -> done`` or
``failed`` with a reason. The worker claims a job in one transaction (only a
``queued`` job, or a ``running`` one whose heartbeat is stale, i.e. whose worker
crashed), so a duplicate submission cannot run it twice. Renditions are
committed one by one to ``renditions_done``; a retry skips finished renditions
and the master playlist is written *last*, so an asset is playable only when every
rendition is complete.

The same :func:`execute_job` runs inline (tests, CLI), in a thread, or as a Ray
task (``ray.remote``) locally or on a cluster (``settings.ray_address``).
"""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from apps_api.db import Database, new_id, utcnow
from apps_api.streaming.models import TranscodeJob, VideoAsset
from apps_api.streaming.storage import LocalStorage, S3Storage, get_storage

log = logging.getLogger("apps_api.streaming.jobs")


class JobStateError(RuntimeError):
    """Illegal job transition (e.g. retrying a job that is done)."""


@dataclass(frozen=True)
class JobContext:
    """Everything a worker needs, as plain values (picklable for Ray)."""

    database_url: str
    data_dir: str
    profile: str = "local"
    preset: str = "veryfast"
    segment_s: int = 2
    threads: int = 0
    stale_running_s: float = 3600.0
    storage_overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any, config: Any) -> JobContext:
        return cls(database_url=str(settings.database_url), data_dir=str(settings.data_dir),
                   profile=str(settings.profile.value), preset=config.preset, segment_s=config.segment_s,
                   threads=config.ffmpeg_threads, stale_running_s=config.stale_running_s,
                   storage_overrides={"storage": config.storage, "s3_bucket": config.s3_bucket,
                                      "s3_endpoint_url": config.s3_endpoint_url,
                                      "s3_region": config.s3_region})

    def storage(self) -> LocalStorage | S3Storage:
        from apps_api.streaming.config import StreamingConfig
        from suuupra.settings import load_settings

        settings = load_settings(data_dir=Path(self.data_dir), profile=self.profile,
                                 database_url=self.database_url)
        return get_storage(settings, StreamingConfig(**self.storage_overrides))


def source_key(asset_id: str, ext: str) -> str:
    """Originals live outside the signable ``videos/`` scope: learners never get the source."""
    return f"sources/{asset_id}/original{ext}"


def create_job(session, asset: VideoAsset, executor: str) -> TranscodeJob:
    job = TranscodeJob(id=new_id("tjob"), asset_id=asset.id, status="queued", executor=executor)
    session.add(job)
    return job


def _claim(db: Database, job_id: str, stale_s: float) -> tuple[TranscodeJob, VideoAsset] | None:
    with db.begin() as s:
        job = s.get(TranscodeJob, job_id, with_for_update=True)
        if job is None:
            raise JobStateError(f"no transcode job {job_id}")
        now = utcnow()
        stale = job.status == "running" and (job.heartbeat_at is None
                                             or now - job.heartbeat_at > timedelta(seconds=stale_s))
        if job.status != "queued" and not stale:
            log.info("job not claimable", extra={"job_id": job_id, "status": job.status})
            return None
        job.status, job.reason = "running", None
        job.attempts += 1
        job.started_at = job.heartbeat_at = now
        asset = s.get(VideoAsset, job.asset_id)
        assert asset is not None
        asset.status = "processing"
        s.flush()
        s.expunge_all()
        return job, asset


def execute_job(ctx: JobContext, job_id: str) -> str:
    """Run one transcode job to completion; returns the final job status."""
    from apps_api.streaming import hls
    from apps_api.streaming.ffmpeg import probe
    from apps_api.streaming.ladder import plan_ladder

    db = Database(ctx.database_url)
    try:
        claimed = _claim(db, job_id, ctx.stale_running_s)
        if claimed is None:
            with db.read_session() as s:
                job = s.get(TranscodeJob, job_id)
                return job.status if job else "missing"
        job, asset = claimed
        storage = ctx.storage()
        work = Path(tempfile.mkdtemp(prefix=f"{job_id}-", dir=_work_root(ctx)))
        try:
            src = _fetch_source(storage, asset.source_key, work)
            info = probe(src, decode_seconds=0)
            ladder = plan_ladder(info)
            done = set(job.renditions_done or [])
            results = {r["name"]: r for r in (asset.renditions or []) if r.get("name") in done}
            prefix = f"videos/{asset.id}"
            for r in ladder:
                if r.name in done and r.name in results and storage.stat(f"{prefix}/{r.name}/index.m3u8"):
                    continue
                storage.delete_prefix(f"{prefix}/{r.name}")
                res = hls.transcode_rendition(src, work / r.name, r, has_audio=info.has_audio,
                                              segment_s=ctx.segment_s, preset=ctx.preset, threads=ctx.threads)
                storage.put_tree(f"{prefix}/{r.name}", work / r.name)
                results[r.name] = res.to_dict()
                done.add(r.name)
                with db.begin() as s:  # progress is durable: a retry resumes from here
                    j = s.get(TranscodeJob, job_id)
                    a = s.get(VideoAsset, asset.id)
                    j.renditions_done = sorted(done)
                    j.heartbeat_at = utcnow()
                    a.renditions = [results[x.name] for x in ladder if x.name in results]
            hls.make_poster(src, work / "poster.jpg", info)
            hls.make_sprite(src, work / "sprite.jpg", work / "thumbnails.vtt", info)
            for name in ("poster.jpg", "sprite.jpg", "thumbnails.vtt"):
                storage.put_file(f"{prefix}/{name}", work / name)
            final = [hls.RenditionResult(**results[r.name]) for r in ladder]
            storage.put_bytes(f"{prefix}/{hls.MASTER}", hls.master_playlist(final).encode())
            with db.begin() as s:
                j, a = s.get(TranscodeJob, job_id), s.get(VideoAsset, asset.id)
                j.status, j.finished_at, j.reason = "done", utcnow(), None
                a.status, a.ready_at = "ready", utcnow()
                a.duration_s, a.width, a.height, a.probe = info.duration_s, info.width, info.height, info.to_dict()
                a.renditions = [results[r.name] for r in ladder]
                _link_lesson(s, a)
            return "done"
        except Exception as exc:  # recorded, not raised: the job row is the API's source of truth
            log.exception("transcode failed", extra={"job_id": job_id})
            _fail(db, job_id, f"{type(exc).__name__}: {exc}"[:2000])
            return "failed"
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        db.dispose()


def _work_root(ctx: JobContext) -> str:
    root = Path(ctx.data_dir) / "media-work"
    root.mkdir(parents=True, exist_ok=True)
    return str(root)


def _fetch_source(storage: LocalStorage | S3Storage, key: str, work: Path) -> Path:
    local = storage.local_path(key)
    if local is not None and local.is_file():
        return local
    info = storage.stat(key)
    if info is None:
        raise FileNotFoundError(f"source {key} is missing from storage")
    dest = work / ("source" + Path(key).suffix)
    with open(dest, "wb") as fh:
        for chunk in storage.read_range(key, 0, max(0, info.size - 1)):
            fh.write(chunk)
    return dest


def _fail(db: Database, job_id: str, reason: str) -> None:
    with db.begin() as s:
        j = s.get(TranscodeJob, job_id)
        if j is None:
            return
        j.status, j.reason, j.finished_at = "failed", reason, utcnow()
        a = s.get(VideoAsset, j.asset_id)
        if a is not None:
            a.status = "failed"


def mark_failed(ctx: JobContext, job_id: str, reason: str) -> None:
    """Record a failure from outside the worker (e.g. the job could not be submitted)."""
    db = Database(ctx.database_url)
    try:
        _fail(db, job_id, reason[:2000])
    finally:
        db.dispose()


def _link_lesson(session, asset: VideoAsset) -> None:
    """Point the lesson at its now-playable video and record its duration."""
    if not asset.lesson_id:
        return
    from apps_api.models import Lesson

    lesson = session.get(Lesson, asset.lesson_id)
    if lesson is not None:
        lesson.video_asset_id = asset.id
        lesson.duration_s = int(round(asset.duration_s))


def retry_job(db: Database, job_id: str, *, max_attempts: int, stale_running_s: float) -> TranscodeJob:
    """Re-queue a failed job, or a running one whose worker stopped heart-beating (crashed)."""
    with db.begin() as s:
        job = s.get(TranscodeJob, job_id, with_for_update=True)
        if job is None:
            raise JobStateError(f"no transcode job {job_id}")
        stale = job.status == "running" and (
            job.heartbeat_at is None or utcnow() - job.heartbeat_at > timedelta(seconds=stale_running_s))
        if job.status not in ("failed", "queued") and not stale:
            raise JobStateError(f"job {job_id} is {job.status}; only failed or crashed jobs can be retried")
        if job.attempts >= max_attempts:
            raise JobStateError(f"job {job_id} already used {job.attempts}/{max_attempts} attempts")
        job.status, job.reason, job.finished_at = "queued", None, None
        asset = s.get(VideoAsset, job.asset_id)
        if asset is not None:
            asset.status = "processing"
        s.flush()
        s.expunge(job)
        return job


# ---- executors ---------------------------------------------------------------------------

_threads: ThreadPoolExecutor | None = None
_threads_lock = threading.Lock()


@functools.cache
def _ray_task():
    import ray

    return ray.remote(num_cpus=1, max_retries=0)(execute_job)


def ensure_ray(address: str | None = None) -> None:
    import ray

    if not ray.is_initialized():
        ray.init(address=address or None, ignore_reinit_error=True, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)


def submit(ctx: JobContext, job_id: str, executor: str, ray_address: str | None = None) -> Any:
    """Start ``job_id``; returns a Ray ObjectRef, a Future, or the final status (inline)."""
    global _threads
    if executor == "inline":
        return execute_job(ctx, job_id)
    if executor == "thread":
        with _threads_lock:
            if _threads is None:
                _threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="transcode")
        return _threads.submit(execute_job, ctx, job_id)
    if executor == "ray":
        ensure_ray(ray_address)
        return _ray_task().remote(ctx, job_id)
    raise ValueError(f"unknown transcode executor {executor!r} (ray, thread or inline)")


def job_view(job: TranscodeJob) -> dict[str, Any]:
    return {"id": job.id, "asset_id": job.asset_id, "status": job.status, "reason": job.reason,
            "attempts": job.attempts, "renditions_done": list(job.renditions_done or []),
            "executor": job.executor, "created_at": job.created_at, "started_at": job.started_at,
            "finished_at": job.finished_at}


def job_summary(db: Database, stale_running_s: float) -> dict[str, Any]:
    """Counts per job status, crashed (stale running) jobs and recent failure reasons."""
    from sqlalchemy import func

    with db.read_session() as s:
        counts = dict(s.execute(select(TranscodeJob.status, func.count()).group_by(TranscodeJob.status)).all())
        cutoff = utcnow() - timedelta(seconds=stale_running_s)
        stale = list(s.scalars(select(TranscodeJob.id).where(
            TranscodeJob.status == "running",
            (TranscodeJob.heartbeat_at.is_(None)) | (TranscodeJob.heartbeat_at < cutoff))))
        failed = s.execute(select(TranscodeJob.id, TranscodeJob.reason).where(TranscodeJob.status == "failed")
                           .order_by(TranscodeJob.id.desc()).limit(20)).all()
        assets = dict(s.execute(select(VideoAsset.status, func.count()).group_by(VideoAsset.status)).all())
        hours = s.scalar(select(func.coalesce(func.sum(VideoAsset.duration_s), 0.0))
                         .where(VideoAsset.status == "ready")) or 0.0
    return {"jobs": {k: int(counts.get(k, 0)) for k in ("queued", "running", "done", "failed")},
            "assets": {k: int(v) for k, v in assets.items()}, "stale_running": stale,
            "recent_failures": [{"job_id": j, "reason": r} for j, r in failed],
            "ready_hours": round(float(hours) / 3600, 3)}


def pending_jobs(db: Database) -> list[str]:
    with db.read_session() as s:
        return list(s.scalars(select(TranscodeJob.id).where(TranscodeJob.status == "queued")))


__all__ = ["JobContext", "JobStateError", "create_job", "execute_job", "job_view", "retry_job",
           "source_key", "submit"]
