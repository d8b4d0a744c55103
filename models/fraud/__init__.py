"""Fraud scorer: torch MLP with categorical embeddings, calibrated, with a decision policy.

Public API::

    from models.fraud import train_fraud_model, FraudModel
    model = train_fraud_model(df, label="is_fraud", features=[...], params={"n_models": 3})
    model.predict_proba(df)    # calibrated P(fraud), 1-D array
    model.score(df)            # fraud_probability, decision (approve/review/decline), reason_codes
    model.policy.decide(p)     # thresholds chosen for target precision and review rate
    model.save(path); FraudModel.load(path)
"""

from models.fraud.model import FraudModel
from models.fraud.params import FraudParams
from models.fraud.policy import APPROVE, DECLINE, REVIEW, DecisionPolicy
from models.fraud.train import train_fraud_model, validate_training_frame

load_fraud_model = FraudModel.load

__all__ = [
    "APPROVE",
    "DECLINE",
    "REVIEW",
    "DecisionPolicy",
    "FraudModel",
    "FraudParams",
    "load_fraud_model",
    "train_fraud_model",
    "validate_training_frame",
]
