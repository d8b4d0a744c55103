"""Versioned feature services, one per consumer.

A service is the contract between the feature store and a model: the model is
trained on exactly these features (``features.training``) and served exactly
these (``features.online``). Changing a service's feature list means a new
version (``recommender_v2``), never editing ``v1`` under a deployed model.

Tags:
* ``entities``: join keys an entity row must carry (comma separated).
* ``pit_strict``: ``"true"`` when training labels come from the same table as a
  feature (fraud labels live on the payment row that also feeds
  ``learner_last_payment``): training then joins features strictly *before*
  the label time, which is what serving sees (the payment being scored is not
  in the store yet).
"""

from __future__ import annotations

from feast import FeatureService, FeatureView
from feast.on_demand_feature_view import OnDemandFeatureView


def build_feature_services(
    views: dict[str, FeatureView], odfvs: dict[str, OnDemandFeatureView]
) -> dict[str, FeatureService]:
    """All feature services, keyed by name."""
    recommender_v1 = FeatureService(
        name="recommender_v1",
        features=[
            views["learner_activity"][["views_7d", "watch_minutes_7d", "enrollments_30d", "completions"]],
            views["course_stats"][
                [
                    "views_7d",
                    "enrollments_7d",
                    "completion_rate_30d",
                    "price_minor",
                    "category",
                    "published",
                    "learners",
                ]
            ],
            views["course_engagement"][["views_5m", "learners_5m", "enrollments_total", "views_total"]],
            views["learner_course"],
        ],
        description="Candidate ranking: learner, course and learner x course features.",
        owner="team:models",
        tags={"consumer": "recommender", "entities": "learner_id,course_id", "pit_strict": "false"},
    )
    fraud_v1 = FeatureService(
        name="fraud_v1",
        features=[
            views["learner_payment_velocity"],
            views["device_payment_velocity"],
            views["ip_payment_velocity"],
            views["learner_activity"][["avg_payment_amount_30d", "payments_30d"]],
            views["learner_last_payment"][["last_amount_minor", "last_country"]],
            odfvs["payment_request_features"],
        ],
        description="Payment fraud scoring: velocity per learner/device/IP plus request-time features.",
        owner="team:models",
        tags={
            "consumer": "fraud",
            "entities": "learner_id,device_id,ip",
            "request": "amount_minor,payment_device_id,request_unix_ts",
            "pit_strict": "true",
        },
    )
    tutor_context_v1 = FeatureService(
        name="tutor_context_v1",
        features=[
            views["learner_activity"][
                ["views_7d", "watch_minutes_7d", "enrollments_30d", "completions", "views"]
            ],
            views["learner_course"][["views", "watch_seconds", "completions", "enrolled"]],
            views["course_stats"][["category", "completion_rate_30d"]],
        ],
        description="Personal context for the AI tutor prompt (progress in the course at hand).",
        owner="team:tutor",
        tags={"consumer": "tutor", "entities": "learner_id,course_id", "pit_strict": "false"},
    )
    return {s.name: s for s in (recommender_v1, fraud_v1, tutor_context_v1)}
