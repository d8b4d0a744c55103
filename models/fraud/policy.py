"""Decision policy: turn a calibrated fraud probability into approve / review / decline.

Thresholds are chosen on held-out data for business targets rather than hand-set:

* ``decline`` at the lowest score whose declined set still reaches ``target_precision``
  (we only auto-decline when we are usually right: false declines lose customers);
* ``review`` so that about ``target_review_rate`` of all traffic lands in the manual
  review band just below the decline threshold (analyst capacity is the constraint).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

APPROVE, REVIEW, DECLINE = "approve", "review", "decline"


@dataclass(frozen=True)
class DecisionPolicy:
    review_threshold: float
    decline_threshold: float
    target_precision: float = 0.9
    target_review_rate: float = 0.01

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_threshold <= self.decline_threshold <= 1.0:
            raise ValueError(
                "policy thresholds must satisfy 0 <= review_threshold <= decline_threshold <= 1, got "
                f"{self.review_threshold} and {self.decline_threshold}"
            )

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Array of ``approve``/``review``/``decline`` for each probability."""
        p = np.asarray(probabilities, dtype=float)
        return np.where(
            p >= self.decline_threshold, DECLINE, np.where(p >= self.review_threshold, REVIEW, APPROVE)
        )

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def choose(
        cls,
        y_true: np.ndarray,
        probabilities: np.ndarray,
        target_precision: float = 0.9,
        target_review_rate: float = 0.01,
    ) -> DecisionPolicy:
        """Pick thresholds on validation data (see module docstring)."""
        y = np.asarray(y_true, dtype=int)
        p = np.asarray(probabilities, dtype=float)
        order = np.argsort(-p, kind="stable")
        ps, ys = p[order], y[order]
        tp = np.cumsum(ys)
        precision = tp / np.arange(1, len(ys) + 1)
        # candidate cut points: the last index of each distinct score
        last_of_score = np.r_[ps[1:] != ps[:-1], True]
        ok = np.flatnonzero(last_of_score & (precision >= target_precision) & (tp > 0))
        decline = float(ps[ok.max()]) if len(ok) else 1.0
        n_declined = int((p >= decline).sum()) if decline < 1.0 else 0
        n_review = int(round(target_review_rate * len(p)))
        idx = min(n_declined + n_review, len(ps) - 1)
        review = float(min(ps[idx], decline)) if n_review > 0 else decline
        return cls(
            review_threshold=review,
            decline_threshold=decline,
            target_precision=target_precision,
            target_review_rate=target_review_rate,
        )
