"""Built-in simulated payment processor (card token, UPI VPA, wallet).

Behaviour is deterministic for magic references, so tests can force outcomes,
and random otherwise with configurable decline/timeout rates:

* card ``tok_decline*`` / UPI ``decline@...`` / wallet ``wal_decline*`` -> declined
* ``..insufficient..`` anywhere in the reference -> declined (``insufficient_funds``)
* ``..timeout..`` anywhere in the reference -> the processor does not answer in
  time (sleeps ``timeout_s``) and the charge is reported as ``failed``
  (``processor_timeout``); nothing is captured and the order can be retried.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ChargeResult:
    status: Literal["captured", "declined", "timeout"]
    processor_ref: str | None
    code: str | None = None


class SimulatedProcessor:
    def __init__(self, decline_rate: float = 0.0, timeout_rate: float = 0.0, timeout_s: float = 1.0,
                 seed: int | None = None) -> None:
        self.decline_rate = decline_rate
        self.timeout_rate = timeout_rate
        self.timeout_s = timeout_s
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.charges = 0  # captures performed; tests assert "exactly one charge"

    def charge(self, method: str, ref: str, amount_minor: int, currency: str) -> ChargeResult:
        lowered = ref.lower()
        with self._lock:
            roll = self._rng.random()
        if "timeout" in lowered or roll < self.timeout_rate:
            time.sleep(self.timeout_s)
            return ChargeResult("timeout", None, "processor_timeout")
        if "insufficient" in lowered:
            return ChargeResult("declined", None, "insufficient_funds")
        if lowered.startswith(("tok_decline", "decline@", "wal_decline")) or (
            roll < self.timeout_rate + self.decline_rate
        ):
            return ChargeResult("declined", None, f"{method}_declined")
        with self._lock:
            self.charges += 1
        return ChargeResult("captured", f"sim_{secrets.token_hex(8)}")

    def refund(self, processor_ref: str, amount_minor: int) -> str:
        return f"simrf_{secrets.token_hex(8)}"
