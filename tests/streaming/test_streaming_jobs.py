"""The transcode job as a real Ray task, with its state persisted in the database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ray_head import ray_head


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_transcode_job_runs_as_ray_task(data_dir: Path, clip240: Path, api_template: Path) -> None:
    ray = pytest.importorskip("ray")
    from apps_api.db import Database
    from apps_api.models import User
    from apps_api.streaming import jobs
    from apps_api.streaming.config import StreamingConfig
    from apps_api.streaming.models import TranscodeJob, VideoAsset
    from apps_api.streaming.storage import LocalStorage
    from suuupra.settings import load_settings

    db_path = data_dir / "jobs.sqlite3"
    shutil.copy(api_template, db_path)
    settings = load_settings(data_dir=data_dir, database_url=f"sqlite:///{db_path}")
    LocalStorage(settings.media_dir).put_file("sources/vid_ray/original.mp4", clip240)
    db = Database(settings.database_url)
    with db.begin() as s:
        s.add(User(id="usr_ray", email="ray@example.com", password_hash="x", role="instructor"))
        s.flush()
        s.add(VideoAsset(id="vid_ray", owner_id="usr_ray", source_key="sources/vid_ray/original.mp4",
                         renditions=[], probe={}))
        s.flush()
        job_id = jobs.create_job(s, s.get(VideoAsset, "vid_ray"), "ray").id
    ctx = jobs.JobContext.from_settings(settings, StreamingConfig(preset="ultrafast", storage="local"))
    # a private Ray head started by the CLI (see tests/ray_head.py for why not ray.init here)
    with ray_head(1, data_dir / "ray_head.log") as address:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
        _run_job_twice_on_ray(ctx, job_id)
    with db.read_session() as s:
        job, asset = s.get(TranscodeJob, job_id), s.get(VideoAsset, "vid_ray")
        assert (job.status, job.attempts, job.renditions_done) == ("done", 1, ["240p"])
        assert asset.status == "ready" and asset.renditions[0]["height"] == 240
    assert (settings.media_dir / "videos" / "vid_ray" / "master.m3u8").is_file()
    db.dispose()


def _run_job_twice_on_ray(ctx, job_id: str) -> None:
    import ray

    from apps_api.streaming import jobs

    ref = jobs.submit(ctx, job_id, "ray")
    assert isinstance(ref, ray.ObjectRef)
    assert ray.get(ref, timeout=180) == "done"
    # a duplicate submission of a finished job does nothing (claim is atomic)
    assert ray.get(jobs.submit(ctx, job_id, "ray"), timeout=60) == "done"
