"""Both profiles on the same data: SQLite/file registry vs Redis/SQL registry (PostgreSQL).

The prod-profile store here uses Redis (127.0.0.1:6379) and the SQL registry in
a dedicated PostgreSQL schema of db ``test``; its offline store stays
file-based (``feast_offline_store="file"``) so the test needs no Spark session
(the Spark offline store is only configured, see test_features_store).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

pytestmark = pytest.mark.prod

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"


def _services_up() -> bool:
    try:
        import psycopg
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2).close()
        return True
    except Exception:
        return False


@pytest.fixture(scope="module")
def pg_schema():
    import psycopg

    if not _services_up():
        pytest.skip("PostgreSQL/Redis on 127.0.0.1 not reachable")
    schema = f"feast_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module")
def two_stores(tmp_path_factory, pg_schema, make_feast_settings, sample_start):
    from features.apply import apply_repo
    from features.materialize import materialize_incremental
    from features.sample_data import write_sample_tables
    from features.store import forget_stores, get_store

    end = datetime.now(UTC)
    local = make_feast_settings(tmp_path_factory.mktemp("feast_sqlite"), profile="local")
    prod = make_feast_settings(
        tmp_path_factory.mktemp("feast_redis"),
        profile="prod",
        jwt_secret="test-secret-for-prod-profile-0123456789",
        media_signing_secret="test-media-secret-for-prod-QNjn49Hu3S8DyU_mLg",
        serve_service_token="test-serve-token-for-prod-kMHEVmfki3EE4h6WRR",
        redis_url=REDIS,
        feast_registry_url=f"{PG}?options=-csearch_path%3D{pg_schema}",
        feast_offline_store="file",
    )
    stores = []
    try:
        for s in (local, prod):
            world = write_sample_tables(s, start=sample_start)
            apply_repo(s)
            materialize_incremental(s, end=end)
            stores.append(get_store(s))
        yield local, prod, world
    finally:
        for st in stores:
            try:
                st.teardown()  # drops the Redis keys / SQLite tables of this unique project
            except Exception:
                pass
        forget_stores()


def test_prod_profile_really_uses_redis_and_sql_registry(two_stores, pg_schema):
    import psycopg

    from features.store import get_store

    _, prod, _ = two_stores
    cfg = get_store(prod).config
    assert cfg.online_store.type == "redis" and "127.0.0.1:6379" in cfg.online_store.connection_string
    assert cfg.registry.registry_type == "sql" and cfg.registry.cache_mode == "thread"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test") as conn:
        n = conn.execute(
            f'SELECT count(*) FROM "{pg_schema}".feature_services WHERE project_id = %s', (prod.feast_project,)
        ).fetchone()[0]
    assert n == 3


def _rows(world):
    ts = int(datetime.now(UTC).timestamp())
    rec = [{"learner_id": lid, "course_id": cid} for lid in world.learners for cid in world.courses]
    rec.append({"learner_id": "ghost", "course_id": "C404"})
    fraud = [
        {"learner_id": lid, "device_id": dev, "ip": ip, "amount_minor": 777.0, "request_unix_ts": ts}
        for lid, dev, ip in zip(world.learners, world.devices, world.ips, strict=True)
    ]
    fraud.append({"learner_id": "ghost", "device_id": "Dghost", "ip": "1.2.3.4", "amount_minor": 5.0,
                  "request_unix_ts": ts})
    return {"recommender_v1": rec, "fraud_v1": fraud, "tutor_context_v1": rec}


def test_sqlite_and_redis_give_identical_answers(two_stores):
    from features.online import get_online_features

    local, prod, world = two_stores
    for service, rows in _rows(world).items():
        a = get_online_features(service, rows, local, budget_ms=10_000)
        b = get_online_features(service, rows, prod, budget_ms=10_000)
        assert a.ok and b.ok, (a.error, b.error)
        assert a.rows == b.rows, service
        assert a.unknown_entity == b.unknown_entity
        assert a.unknown_entity[-1] is True and not any(a.unknown_entity[:-1])


def test_push_reaches_both_online_stores_identically(two_stores):
    from features.online import get_online_features
    from features.push import push_rows

    local, prod, _ = two_stores
    frame = pd.DataFrame(
        [dict(course_id="C2", event_timestamp=datetime.now(UTC) - timedelta(seconds=1), views_5m=99,
              watch_minutes_5m=1.0, completions_5m=0, learners_5m=9, enrollments_total=5, views_total=500)]
    )
    answers = []
    for s in (local, prod):
        assert push_rows("course_engagement_push", frame, s) == 1
        res = get_online_features("recommender_v1", [{"learner_id": "L0", "course_id": "C2"}], s,
                                  budget_ms=10_000)
        answers.append(res.rows[0])
        assert res.rows[0]["course_engagement__views_5m"] == 99
    assert answers[0] == answers[1]
