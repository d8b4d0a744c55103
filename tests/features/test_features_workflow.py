"""The Feast template workflow as a real test: apply -> historical -> materialize -> online -> push -> online."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from features.apply import apply_repo
from features.materialize import materialize_incremental
from features.online import get_online_features
from features.push import PushError, push_rows
from features.sample_data import course_views_7d, learner_views_7d, write_sample_tables
from features.store import build_repo_config, forget_stores, get_store
from features.training import build_training_set


def _velocity_row(learner_id: str, payments_10m: int) -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(
                learner_id=learner_id, event_timestamp=datetime.now(UTC), payments_10m=payments_10m,
                amount_10m=123.0, payments_1h=payments_10m, amount_1h=123.0, payments_24h=payments_10m,
                amount_24h=123.0, distinct_devices_24h=2, distinct_countries_24h=1,
            )
        ]
    )


def test_template_workflow(tmp_path, monkeypatch, make_feast_settings, sample_start):
    monkeypatch.chdir(tmp_path)  # nothing may depend on the working directory
    settings = make_feast_settings(tmp_path / "data", profile="local")
    try:
        w = write_sample_tables(settings, start=sample_start)
        last = w.days - 1

        # 1. apply
        summary = apply_repo(settings)
        assert {"recommender_v1", "fraud_v1", "tutor_context_v1"} <= set(summary.feature_services)
        assert (settings.feast_dir / "registry.db").is_file()

        # 2. historical (point-in-time)
        entity = pd.DataFrame(
            dict(learner_id=["L2", "L3"], course_id=["C0", "C1"],
                 event_timestamp=[w.day_ts(1) + timedelta(hours=1), w.day_ts(last)])
        )
        hist = build_training_set("recommender_v1", entity, settings)
        assert hist["learner_activity__views_7d"].tolist() == [learner_views_7d(2, 1), learner_views_7d(3, last)]

        # 3. materialize (incremental; a second run has nothing new and still succeeds)
        m = materialize_incremental(settings)
        assert not m.skipped and "learner_activity" in m.materialized
        materialize_incremental(settings)

        # 4. online: latest values, unknown entity flagged with defaults
        rows = [{"learner_id": "L2", "course_id": "C0"}, {"learner_id": "ghost", "course_id": "nope"}]
        res = get_online_features("recommender_v1", rows, settings, budget_ms=5000)
        assert res.ok, res.error
        assert res.rows[0]["learner_activity__views_7d"] == learner_views_7d(2, last)
        assert res.rows[0]["course_stats__views_7d"] == course_views_7d(0, last)
        assert res.unknown_entity == [False, True]
        assert res.rows[1]["learner_activity__views_7d"] == 0 and res.rows[1]["course_stats__category"] == ""
        assert "learner_activity__views_7d" in res.missing[1] and res.missing[0] == []

        fraud_row = {"learner_id": "L1", "device_id": "D1", "ip": "10.0.0.1", "amount_minor": 4008.0}
        before = get_online_features("fraud_v1", [fraud_row], settings, budget_ms=5000)
        assert before.ok and not before.unknown_entity[0]
        assert before.rows[0]["payment_request_features__amount_to_avg_ratio"] == pytest.approx(
            4008.0 / (2000.0 + last)
        )
        assert before.rows[0]["payment_request_features__is_new_device"] == 0
        assert before.rows[0]["learner_payment_velocity__payments_10m"] == 1

        # 5. push (as the Flink job does) ...
        assert push_rows("learner_payment_velocity_push", _velocity_row("L1", 42), settings) == 1
        # 6. ... and online reflects it immediately, offline too
        after = get_online_features("fraud_v1", [fraud_row], settings, budget_ms=5000)
        assert after.rows[0]["learner_payment_velocity__payments_10m"] == 42
        assert after.rows[0]["device_payment_velocity__payments_10m"] == 1  # other views untouched
        hist2 = build_training_set(
            "fraud_v1",
            pd.DataFrame(dict(learner_id=["L1"], device_id=["D1"], ip=["10.0.0.1"], amount_minor=[1.0],
                              event_timestamp=[datetime.now(UTC) + timedelta(seconds=5)])),
            settings,
        )
        assert hist2["learner_payment_velocity__payments_10m"].tolist() == [42]

        # stale local state from another cwd: config paths are absolute
        cfg = build_repo_config(settings)
        assert os.path.isabs(cfg.registry.path) and os.path.isabs(cfg.online_store.path)
    finally:
        forget_stores()


def test_online_never_raises(local_feast):
    settings, _ = local_feast
    # unknown service
    res = get_online_features("does_not_exist_v1", [{"learner_id": "L1"}], settings)
    assert not res.ok and res.unknown_entity == [True] and "does_not_exist_v1" in res.error
    # missing join key / request field -> defaults + error, not an exception
    res = get_online_features("fraud_v1", [{"learner_id": "L1", "device_id": "D1", "ip": "x"}], settings)
    assert res.error and "amount_minor" in res.error
    assert res.rows[0]["payment_request_features__seconds_since_last_payment"] == -1.0
    # budget exceeded -> defaults and timed_out
    res = get_online_features("recommender_v1", [{"learner_id": "L1", "course_id": "C1"}] * 50, settings,
                              budget_ms=0.001)
    assert res.timed_out and all(res.unknown_entity) and res.rows[0]["learner_course__weight"] == 0.0
    # empty request
    assert get_online_features("recommender_v1", [], settings).rows == []


def test_tutor_context_service(local_feast):
    settings, w = local_feast
    res = get_online_features("tutor_context_v1", [{"learner_id": "L2", "course_id": "C0"}], settings,
                              budget_ms=5000)
    assert res.ok and not res.unknown_entity[0]
    assert res.rows[0]["learner_course__enrolled"] is True
    assert res.rows[0]["course_stats__category"] == "data"


def test_push_validates_frames(local_feast):
    settings, _ = local_feast
    with pytest.raises(PushError, match="unknown push source"):
        push_rows("nope_push", _velocity_row("L1", 1), settings)
    with pytest.raises(PushError, match="missing columns"):
        push_rows("learner_payment_velocity_push", _velocity_row("L1", 1).drop(columns=["amount_1h"]), settings)
    # Flink may emit counts as doubles: coerced to the declared int type
    frame = _velocity_row("L4", 3).astype({"payments_10m": "float64"})
    assert push_rows("learner_payment_velocity_push", frame, settings, to="online") == 1
    res = get_online_features("fraud_v1", [{"learner_id": "L4", "device_id": "D4", "ip": "10.0.0.4",
                                            "amount_minor": 1.0}], settings, budget_ms=5000)
    assert res.rows[0]["learner_payment_velocity__payments_10m"] == 3


def test_materialize_skips_views_without_data(tmp_path, make_feast_settings):
    settings = make_feast_settings(tmp_path / "data", profile="local")
    try:
        apply_repo(settings)  # no lake tables at all: stream tables get seeded, batch ones are missing
        m = materialize_incremental(settings)
        assert "learner_activity" in m.skipped and "learner_payment_velocity" in m.materialized
        assert get_store(settings).list_feature_services()
    finally:
        forget_stores()
