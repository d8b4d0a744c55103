"""Labelled payment history for backtests, with the model's score beside each payment.

Two ways to put a score on a past payment:

* ``"champion"`` — score the history with the fraud model that is champion now, on the
  point-in-time features the training set uses: what the candidate rules will run beside
  once enabled. The champion has seen the older part of this history in training, so its
  scores there are optimistic; the per-day table of the report shows the recent days apart.
* ``"recorded"`` — the score each payment got when it happened (``fraud_score`` of its
  ``payment.authorized`` / ``payment.declined`` event); payments with none score NaN.

``"auto"`` takes the champion when one is registered and the recorded scores otherwise.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from suuupra.settings import Settings

log = logging.getLogger("models.fraud_rules")
ScoreSource = Literal["auto", "champion", "recorded", "none"]
_DECISION_BY_DECLINE_REASON = {"fraud_declined": "decline", "declined_in_review": "review"}


def _recorded_scores(settings: Settings) -> pd.DataFrame:
    from suuupra.lake import table_path

    path = table_path("events_clean", settings)
    if not path.exists():
        return pd.DataFrame(columns=["payment_id", "score", "model_decision"])
    ev = pd.read_parquet(path, columns=["event_type", "payment_id", "fraud_score", "decision", "reason"],
                         filters=[("event_type", "in", ["payment.authorized", "payment.declined"])])
    # a decline says by its reason what the fraud check decided (a processor decline: approve);
    # an authorization carries the decision itself
    declined = ev["event_type"] == "payment.declined"
    from_decline = ev["reason"].map(_DECISION_BY_DECLINE_REASON).fillna("approve")
    from_authorization = ev["decision"].fillna("").replace("", "approve")
    out = pd.DataFrame({"payment_id": ev["payment_id"], "score": ev["fraud_score"].astype(float),
                        "model_decision": np.where(declined, from_decline, from_authorization)})
    return out.drop_duplicates("payment_id", keep="last")


def _champion_scores(history: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    from models.platform import fraud_training_frame
    from models.registry import FRAUD_NAME, load_champion

    model, version = load_champion(FRAUD_NAME, tracking_uri=str(settings.mlflow_tracking_uri or ""))
    frame, _, _ = fraud_training_frame(history, settings)
    proba = model.predict_proba(frame)
    log.info("scored %d past payments with %s v%s", len(frame), FRAUD_NAME, version)
    # the training frame keeps payment_id (its rows may come back in another order)
    return pd.DataFrame({"payment_id": frame["payment_id"], "score": proba,
                         "model_decision": model.policy.decide(proba)})


def payment_history(settings: Settings, *, score: ScoreSource = "auto", since: date | None = None,
                    until: date | None = None) -> tuple[pd.DataFrame, str]:
    """(``payments_labeled`` rows with ``score`` and ``model_decision``, the score source used)."""
    from models.platform import load_payments

    history = load_payments(settings)
    if since is not None:
        history = history[history["event_timestamp"].dt.date >= since]
    if until is not None:
        history = history[history["event_timestamp"].dt.date <= until]
    history = history.reset_index(drop=True)
    used = score
    scores = None
    if score in ("auto", "champion"):
        try:
            scores = _champion_scores(history, settings)
            used = "champion"
        except Exception as exc:
            if score == "champion":
                raise
            log.warning("no champion fraud model to score history with (%s); using recorded scores", exc)
            used = "recorded"
    if used == "recorded":
        scores = _recorded_scores(settings)
    if scores is not None and len(scores):
        history = history.drop(columns=[c for c in ("score", "model_decision") if c in history])
        history = history.merge(scores, on="payment_id", how="left")
    if "model_decision" not in history:
        history["score"], history["model_decision"] = np.nan, "approve"
    history["model_decision"] = history["model_decision"].fillna("approve")
    return history, used
