"""An analyst's review decision becomes the fraud label of the next training set, point-in-time.

The whole path runs for real: the API holds a payment, the analyst declines it in the
queue, the outbox relay publishes ``payment.reviewed`` to the event log, the Spark ETL
builds ``events_clean`` and ``payments_labeled``, and the training frame reads the label.
"""

from __future__ import annotations

import pandas as pd
import pytest

from models.fraud_labels import apply_review_labels

pytestmark = pytest.mark.slow


def test_apply_review_labels_is_point_in_time():
    payments = pd.DataFrame({"payment_id": ["a", "b"], "is_fraud": [0, 0],
                             "event_timestamp": pd.to_datetime(["2026-03-01T10:00Z", "2026-03-01T11:00Z"])})
    labels = pd.DataFrame({"payment_id": ["a", "a"], "is_fraud": [1, 0],
                           "labeled_at": pd.to_datetime(["2026-03-02T09:00Z", "2026-03-05T09:00Z"])})
    before = apply_review_labels(payments, labels, pd.Timestamp("2026-03-01T23:00Z"))
    assert before["is_fraud"].tolist() == [0, 0] and set(before["label_source"]) == {"outcome"}
    mid = apply_review_labels(payments, labels, pd.Timestamp("2026-03-03T00:00Z"))
    assert mid["is_fraud"].tolist() == [1, 0] and mid["label_source"].tolist() == ["review", "outcome"]
    assert mid.loc[0, "label_timestamp"] == pd.Timestamp("2026-03-02T09:00Z")
    latest = apply_review_labels(payments, labels)  # the analyst later reversed the decision
    assert latest["is_fraud"].tolist() == [0, 0] and latest.loc[0, "label_timestamp"] == pd.Timestamp("2026-03-05T09:00Z")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_review_decision_is_a_label_in_the_next_training_set(api):
    from apps_api.outbox import relay_all
    from models.platform import fraud_training_frame, load_payments
    from pipelines.spark.etl import run_etl
    from suuupra.eventlog import open_event_log

    api.user("ins", "instructor")
    api.user("ann")
    api.user("risk", "admin")
    course = api.course("ins")["course"]
    api.req("POST", "/admin/fraud/rules", "risk", expect=201, json={
        "name": "review_scorer_down", "condition": "scorer_fallback == true", "action": "review", "enabled": True})
    held = api.buy("ann", course)["payment"]
    assert held["status"] == "pending_review"
    decided = api.req("POST", f"/admin/fraud/reviews/{held['id']}/decision", "risk", expect=200,
                      json={"decision": "decline", "note": "issuer confirmed a stolen card"}).json()
    settings = api.state.settings
    assert relay_all(api.state.db, open_event_log(settings)) > 0
    run_etl(settings, tables=["payments_labeled"])

    reviewed_at = pd.Timestamp(decided["reviewed_at"])
    frame, features, _ = fraud_training_frame(load_payments(settings), settings)
    row = frame[frame["payment_id"] == held["id"]].iloc[0]
    assert (row["is_fraud"], row["label_source"]) == (1, "review")
    assert abs(row["label_timestamp"] - reviewed_at) < pd.Timedelta(milliseconds=1)
    assert "amount_minor" in features
    # a training run cut before the decision does not see it
    earlier = load_payments(settings, labels_as_of=reviewed_at - pd.Timedelta(seconds=1))
    row = earlier[earlier["payment_id"] == held["id"]].iloc[0]
    assert (row["is_fraud"], row["label_source"]) == (0, "outcome")
