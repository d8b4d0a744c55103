"""Asynchronous, batched logging of serving events to the platform event log.

Appending to the local lake writes and fsyncs one segment per call; doing that on
every recommendation would cost more than the recommendation. Events are queued on
the request path (O(1), never blocks) and a background thread publishes them in
batches every ``flush_interval_s``. A crash loses at most one interval of
``recommendation.served`` events, which only weakens click attribution.

The sink is given the settings naming the event log (local lake or Kafka) by value;
the log itself is opened on the sink's thread at the first flush, never on a request.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from suuupra.settings import Settings

log = logging.getLogger(__name__)


class EventSink:
    """Queue of events published in batches to the event log of ``settings``."""

    def __init__(self, settings: Settings, flush_interval_s: float = 1.0, max_batch: int = 5000,
                 max_queue: int = 100_000) -> None:
        self.settings = settings
        self.flush_interval_s = flush_interval_s
        self.max_batch = max_batch
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._log: Any = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="event-sink", daemon=True)
        self._thread.start()
        self.written = 0
        self.dropped = 0

    def emit(self, event: Any) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:  # shed load rather than block requests
            self.dropped += 1

    def _event_log(self) -> Any:
        if self._log is None:
            from suuupra.eventlog import open_event_log

            self._log = open_event_log(self.settings)
        return self._log

    def flush(self) -> int:
        batch: list[Any] = []
        while len(batch) < self.max_batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if not batch:
            return 0
        try:
            n = self._event_log().append(batch)
        except Exception:
            log.exception("could not publish %d serving events", len(batch))
            self.dropped += len(batch)
            return 0
        self.written += n
        return n

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_interval_s):
            while self.flush() >= self.max_batch:
                pass
        self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
