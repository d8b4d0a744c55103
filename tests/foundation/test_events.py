"""Event schemas: round-trip, strictness, clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from suuupra.events import (
    EVENT_TYPES,
    TOPICS,
    EventValidationError,
    PaymentAttempted,
    make_event,
    parse_event,
)


def _payment(**over):
    fields = dict(
        learner_id="u1", payment_id="p1", amount_minor=49_900, currency="INR", method="upi",
        device_id="d1", ip="10.0.0.1", country="IN", occurred_at=datetime(2026, 11, 1, 10, tzinfo=UTC),
    )
    fields.update(over)
    return PaymentAttempted(**fields)


def test_round_trip_through_json_preserves_event():
    event = _payment(is_fraud=1, fraud_pattern="card_testing")
    line = json.dumps(event.to_record())
    back = parse_event(line)
    assert isinstance(back, PaymentAttempted)
    assert back == event
    assert back.topic == "payments"
    assert back.partition_key == "u1"


def test_every_event_type_has_a_topic_and_version():
    assert set(TOPICS) >= {"payments", "engagement", "commerce", "identity", "content"}
    for name, cls in EVENT_TYPES.items():
        assert cls.TOPIC, name
        assert cls.model_fields["schema_version"].default >= 1


def test_timestamps_normalised_to_utc_and_naive_rejected():
    ist = timezone(timedelta(hours=5, minutes=30))
    event = _payment(occurred_at=datetime(2026, 11, 1, 15, 30, tzinfo=ist))
    assert event.occurred_at == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    assert event.to_record()["occurred_at"] == "2026-11-01T10:00:00.000Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        _payment(occurred_at=datetime(2026, 11, 1, 10))


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"amount_minor": 0}, "amount_minor"),
        ({"method": "cash"}, "method"),
        ({"currency": "rupees"}, "currency"),
        ({"unexpected": 1}, "unexpected"),
        ({"event_type": "payment.teleported"}, "event_type"),
    ],
)
def test_bad_events_rejected_with_field_named(patch, message):
    record = _payment().to_record() | patch
    with pytest.raises(EventValidationError) as err:
        parse_event(record)
    assert message in str(err.value)


def test_missing_field_is_reported():
    record = _payment().to_record()
    del record["device_id"]
    with pytest.raises(EventValidationError, match="device_id"):
        parse_event(record)


def test_make_event_unknown_type():
    with pytest.raises(EventValidationError, match="unknown event_type"):
        make_event("nope.nothing")
    ev = make_event("search.performed", query="list comprehension", results=3)
    assert ev.event_type == "search.performed"
