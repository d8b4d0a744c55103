"""Prod profile: the streaming migration and the job state machine on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture()
def pg_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"suuupra_stream_test_{uuid.uuid4().hex[:10]}"  # our own database: no collisions
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.prod
def test_job_lifecycle_on_postgresql(pg_url: str, data_dir: Path, clip240: Path) -> None:
    from apps_api.db import Database
    from apps_api.migrate import assert_at_head, upgrade
    from apps_api.models import User
    from apps_api.streaming import jobs
    from apps_api.streaming.config import StreamingConfig
    from apps_api.streaming.models import TranscodeJob, VideoAsset
    from apps_api.streaming.storage import LocalStorage
    from suuupra.settings import load_settings

    upgrade(pg_url)
    db = Database(pg_url)
    assert_at_head(db.engine)
    settings = load_settings(data_dir=data_dir, database_url=pg_url)
    LocalStorage(settings.media_dir).put_file("sources/vid_pg/original.mp4", clip240)
    with db.begin() as s:
        s.add(User(id="usr_pg", email="pg@example.com", password_hash="x", role="instructor"))
        s.flush()
        s.add(VideoAsset(id="vid_pg", owner_id="usr_pg", source_key="sources/vid_pg/missing.mp4",
                         renditions=[], probe={}))
        s.flush()
        job_id = jobs.create_job(s, s.get(VideoAsset, "vid_pg"), "inline").id
    ctx = jobs.JobContext.from_settings(settings, StreamingConfig(preset="ultrafast", storage="local"))
    assert jobs.execute_job(ctx, job_id) == "failed"
    with db.read_session() as s:
        assert "missing from storage" in s.get(TranscodeJob, job_id).reason
    with db.begin() as s:
        s.get(VideoAsset, "vid_pg").source_key = "sources/vid_pg/original.mp4"
    jobs.retry_job(db, job_id, max_attempts=3, stale_running_s=60)
    assert jobs.execute_job(ctx, job_id) == "done"
    assert jobs.execute_job(ctx, job_id) == "done"  # not claimable twice
    with db.read_session() as s:
        j, a = s.get(TranscodeJob, job_id), s.get(VideoAsset, "vid_pg")
        assert (j.status, j.attempts, a.status) == ("done", 2, "ready")
    summary = jobs.job_summary(db, 60)
    assert summary["jobs"]["done"] == 1 and summary["assets"] == {"ready": 1}
    db.dispose()
