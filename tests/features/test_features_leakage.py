"""Point-in-time correctness: a training set never sees a value from after its label time."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from features.sample_data import course_views_7d, learner_views_7d
from features.training import TrainingSetError, build_training_set


def test_training_set_uses_only_values_known_at_label_time(local_feast):
    settings, w = local_feast
    rows = []
    # Labels between two daily rows: the value of the *later* day is the future.
    for i in range(len(w.learners)):
        for day in range(w.days - 1):
            rows.append(
                dict(
                    learner_id=f"L{i}",
                    course_id=f"C{i % len(w.courses)}",
                    event_timestamp=w.day_ts(day) + timedelta(hours=12),
                    # label = tomorrow's value: using any future feature value would make
                    # the feature equal the label instead of lagging it by one day
                    label=learner_views_7d(i, day + 1),
                    i=i,
                    day=day,
                )
            )
    entity = pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # shuffled order must be kept
    out = build_training_set("recommender_v1", entity, settings)

    assert len(out) == len(entity)
    assert list(out["label"]) == list(entity["label"])  # row order preserved
    expected_learner = [learner_views_7d(i, d) for i, d in zip(entity["i"], entity["day"], strict=True)]
    expected_course = [
        course_views_7d(i % len(w.courses), d) for i, d in zip(entity["i"], entity["day"], strict=True)
    ]
    assert out["learner_activity__views_7d"].astype(int).tolist() == expected_learner
    assert out["course_stats__views_7d"].astype(int).tolist() == expected_course
    # the future (= the label) never appears as a feature
    assert (out["learner_activity__views_7d"].astype(int) != out["label"]).all()
    # returned timestamps are the label times
    assert (pd.to_datetime(out["event_timestamp"], utc=True).tolist()
            == pd.to_datetime(entity["event_timestamp"], utc=True).tolist())


def test_label_before_first_row_and_after_ttl_get_no_value(local_feast):
    settings, w = local_feast
    entity = pd.DataFrame(
        dict(
            learner_id=["L1", "L1", "L1"],
            course_id=["C1", "C1", "C1"],
            event_timestamp=[
                w.day_ts(0) - timedelta(minutes=1),  # before any data
                w.day_ts(0),  # exactly at the row's timestamp: visible (inclusive)
                w.day_ts(w.days - 1) + timedelta(days=31),  # past the 30-day TTL
            ],
        )
    )
    out = build_training_set("recommender_v1", entity, settings)
    views = out["learner_activity__views_7d"]
    assert pd.isna(views.iloc[0])
    assert int(views.iloc[1]) == learner_views_7d(1, 0)
    assert pd.isna(views.iloc[2])


def test_fraud_training_excludes_the_labelled_payment_itself(local_feast):
    """fraud_v1 is strict: the payment being labelled must not describe itself."""
    settings, w = local_feast
    day = 3
    pay_ts = w.day_ts(day) - timedelta(hours=2)  # sample payments happen at this time
    entity = pd.DataFrame(
        dict(learner_id=["L2"], device_id=["D2"], ip=["10.0.0.2"], amount_minor=[3000.0 + day],
             event_timestamp=[pay_ts], is_fraud=[0])
    )
    out = build_training_set("fraud_v1", entity, settings)
    row = out.iloc[0]
    # previous payment (day-1), not the labelled one
    assert row["learner_last_payment__last_amount_minor"] == 3000.0 + day - 1
    assert row["payment_request_features__seconds_since_last_payment"] == 86400.0
    assert row["learner_payment_velocity__payments_1h"] == 1 + day - 1
    assert row["payment_request_features__is_new_device"] == 0
    assert "learner_last_payment__last_device_id" not in out.columns  # ODFV inputs are not served
    # the non-strict join (what a naive pipeline does) would leak the payment itself
    leaky = build_training_set("fraud_v1", entity, settings, strict=False)
    assert leaky.iloc[0]["payment_request_features__seconds_since_last_payment"] == 0.0


def test_training_set_rejects_frames_without_keys(local_feast):
    settings, _ = local_feast
    with pytest.raises(TrainingSetError, match="course_id"):
        build_training_set("recommender_v1", pd.DataFrame({"learner_id": ["L1"], "event_timestamp": [pd.Timestamp.now(tz="UTC")]}), settings)
    with pytest.raises(TrainingSetError, match="unknown feature service"):
        build_training_set("nope_v9", pd.DataFrame({"learner_id": ["L1"]}), settings)
