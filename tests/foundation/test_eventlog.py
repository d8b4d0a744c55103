"""Event log: partitioned atomic segments, no torn reads, rejection writes nothing, Kafka path."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from suuupra.eventlog import LocalEventLog, open_event_log
from suuupra.eventlog.kafka import KafkaEventLog
from suuupra.events import EventValidationError, LessonViewed, PaymentAttempted


def _view(i: int, at: datetime) -> LessonViewed:
    return LessonViewed(learner_id=f"u{i}", course_id="c1", lesson_id="c1-l01", occurred_at=at)


def test_append_partitions_by_topic_date_hour(tmp_path):
    log = LocalEventLog(tmp_path)
    t = datetime(2026, 11, 1, 23, 59, tzinfo=UTC)
    log.append([_view(1, t), _view(2, t + timedelta(minutes=2))])
    dirs = sorted(p.parent.relative_to(tmp_path).as_posix() for p in log.segments())
    assert dirs == ["topic=engagement/date=2026-11-01/hour=23", "topic=engagement/date=2026-11-02/hour=00"]
    assert [r["learner_id"] for r in log.read("engagement")] == ["u1", "u2"]


def test_bad_event_in_batch_writes_nothing(tmp_path):
    log = LocalEventLog(tmp_path)
    good = _view(1, datetime(2026, 11, 1, tzinfo=UTC)).to_record()
    bad = dict(good, event_id="x", learner_id=None)
    with pytest.raises(EventValidationError, match="learner_id"):
        log.append([good, bad])
    assert log.segments() == []
    assert list(tmp_path.rglob("*")) == []


def test_concurrent_reader_never_sees_partial_lines(tmp_path):
    """A reader polling while a writer publishes big segments only ever sees whole records."""
    log = LocalEventLog(tmp_path)
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    batches, per_batch = 30, 2_000
    stop = threading.Event()
    problems: list[str] = []
    seen_counts: list[int] = []

    def reader() -> None:
        while not stop.is_set():
            n = 0
            for seg in tmp_path.rglob("*"):
                if not seg.is_file() or seg.name.startswith("."):
                    continue
                text = seg.read_text()
                if not text.endswith("\n"):
                    problems.append(f"torn segment {seg.name}")
                for line in text.splitlines():
                    try:
                        json.loads(line)
                        n += 1
                    except json.JSONDecodeError:
                        problems.append(f"partial line in {seg.name}")
            if n % per_batch:
                problems.append(f"saw {n} records, not a whole number of batches")
            seen_counts.append(n)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for b in range(batches):
            log.append([_view(b * per_batch + i, at) for i in range(per_batch)])
    finally:
        stop.set()
        thread.join()
    assert problems == []
    assert len(seen_counts) > 1
    assert sum(1 for _ in log.read()) == batches * per_batch


def test_buffered_writer_publishes_everything(tmp_path):
    log = LocalEventLog(tmp_path, segment_events=100)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    with log.writer() as w:
        for i in range(1_050):
            w.write(_view(i, at + timedelta(minutes=i)))
    assert sum(1 for _ in log.read()) == 1_050
    assert log.dates("engagement") == ["2026-11-01"]


def test_factory_picks_backend(settings, monkeypatch):
    assert isinstance(open_event_log(settings), LocalEventLog)


class _RecordingProducer:
    """Stands in for a Kafka broker connection (no broker runs here)."""

    def __init__(self, config):
        self.config = config
        self.sent = []

    def send(self, topic, key, value, headers):
        self.sent.append((topic, self.config["key_serializer"](key), self.config["value_serializer"](value), headers))

        class _Fut:
            def get(self, timeout):
                return None

        return _Fut()

    def flush(self, timeout):
        return None

    def close(self):
        return None


def test_kafka_backend_sends_keyed_serialized_records():
    holder = {}

    def factory(config):
        holder["p"] = _RecordingProducer(config)
        return holder["p"]

    log = KafkaEventLog("k1:9092,k2:9092", "suuupra.", producer_factory=factory)
    ev = PaymentAttempted(learner_id="u9", payment_id="p9", amount_minor=100, method="card",
                          device_id="d", ip="1.2.3.4", country="IN")
    assert log.append([ev]) == 1
    producer = holder["p"]
    assert producer.config["bootstrap_servers"] == ["k1:9092", "k2:9092"]
    assert producer.config["acks"] == "all"
    topic, key, value, headers = producer.sent[0]
    assert topic == "suuupra.payments" and key == b"u9"
    assert json.loads(value)["payment_id"] == "p9"
    assert ("event_type", b"payment.attempted") in headers
    with pytest.raises(EventValidationError):
        log.append([{"event_type": "payment.attempted"}])
    assert len(producer.sent) == 1


def test_kafka_backend_selected_in_prod(monkeypatch, data_dir):
    from suuupra.settings import load_settings

    monkeypatch.setenv("SUUUPRA_PROFILE", "prod")
    monkeypatch.setenv("SUUUPRA_JWT_SECRET", "a-real-secret-for-prod-0123456789")
    monkeypatch.setenv("SUUUPRA_MEDIA_SIGNING_SECRET", "test-media-secret-for-prod-QNjn49Hu3S8DyU_mLg")
    monkeypatch.setenv("SUUUPRA_SERVE_SERVICE_TOKEN", "test-serve-token-for-prod-kMHEVmfki3EE4h6WRR")
    log = open_event_log(load_settings())
    assert isinstance(log, KafkaEventLog)
    assert log._producer is None  # no broker contact until the first append
