"""Recommendation logic behind ``POST /recommendations`` (plain Python, no Ray).

Kept free of Ray so it can be unit-tested and reused; the deployment in
:mod:`serving.deployments` only adds model polling, metrics and event logging.

Per request:

1. take the served model once (a champion swap mid-request cannot mix versions);
2. :func:`candidates`: ask it for more than ``k`` courses — similar courses when a
   ``course_id`` anchor is given and known, personal ones otherwise (unknown
   learners get the model's cold-start answer: popular courses);
3. read ``recommender_v1`` online features for the (learner, candidate) pairs in ONE
   call: ``learner_course.enrolled`` and ``course_stats.published`` drive the filter;
4. :func:`finalize`: drop enrolled/unpublished courses (the lake catalogue backs up
   ``published`` when the online store is down), re-rank, attach an id. The id goes
   into a ``recommendation.served`` event so ``recommendation.clicked`` can be
   attributed.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from serving.catalog import CourseCatalog
from serving.feature_source import FeatureRows
from serving.model_source import LoadedModel, ModelUnavailable

FEATURE_SERVICE = "recommender_v1"
WARMUP_ROW = {"learner_id": "__warmup__", "course_id": "__warmup__"}
OVERFETCH = 20


def _is_known(model: Any, attr: str, ids_attr: str, key: str) -> bool:
    index = getattr(model, attr, None)
    if isinstance(index, dict):
        return key in index
    return key in set(map(str, getattr(model, ids_attr, [])))


def _flag(row: dict[str, Any], name: str) -> bool | None:
    """Feature ``name`` as a bool, whatever prefix the store used (``view__name``/``view:name``)."""
    for key, value in row.items():
        if key == name or key.endswith(f"__{name}") or key.endswith(f":{name}"):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return None
            return bool(value)
    return None


def candidates(loaded: LoadedModel | None, request: dict[str, Any]) -> tuple[list[tuple[str, float, str]], bool]:
    """``[(course_id, score, reason)]`` over-fetched for filtering, and whether the learner is known."""
    if loaded is None:
        raise ModelUnavailable("no recommender model is loaded yet (is a champion registered?)")
    model = loaded.model
    learner = str(request["learner_id"])
    k = int(request.get("k", 10))
    anchor = request.get("course_id")
    want = k + OVERFETCH
    rows: list[tuple[str, float, str]] = []
    if anchor and _is_known(model, "_item_index", "item_ids", str(anchor)):
        sim = model.similar_items([anchor], k=want)
        rows = [(str(i), float(s), f"similar to {anchor}") for i, s in zip(sim["similar_item_id"], sim["score"],
                                                                            strict=True)]
    if len(rows) < want:
        recs = model.recommend([learner], k=want, exclude_seen=True)
        have = {c for c, _, _ in rows}
        reasons = recs["reason"] if "reason" in recs.columns else ["recommended for you"] * len(recs)
        for item, score, reason in zip(recs["item_id"], recs["score"], reasons, strict=True):
            if str(item) not in have and str(item) != str(anchor):
                rows.append((str(item), float(score), str(reason)))
    return rows, _is_known(model, "_user_index", "user_ids", learner)


def entity_rows(request: dict[str, Any], rows: list[tuple[str, float, str]]) -> list[dict[str, Any]]:
    return [{"learner_id": str(request["learner_id"]), "course_id": c} for c, _, _ in rows]


def finalize(
    loaded: LoadedModel,
    request: dict[str, Any],
    rows: list[tuple[str, float, str]],
    known_learner: bool,
    features: FeatureRows,
    catalog: CourseCatalog,
) -> dict[str, Any]:
    k = int(request.get("k", 10))
    items: list[dict[str, Any]] = []
    feats = features.rows if features.available else [{} for _ in rows]
    for (course_id, score, reason), f in zip(rows, feats, strict=True):
        if _flag(f, "enrolled") is True or _flag(f, "published") is False or not catalog.allowed(course_id):
            continue
        items.append({"course_id": course_id, "score": round(score, 6), "rank": len(items) + 1, "reason": reason})
        if len(items) == k:
            break
    return {
        "recommendation_id": str(uuid.uuid4()),
        "learner_id": str(request["learner_id"]),
        "surface": request.get("surface", "home"),
        "items": items,
        "model_version": loaded.label,
        "cold_start": not known_learner,
        "features_missing": (not features.available) or (bool(features.unknown) and all(features.unknown)),
    }


def served_event(response: dict[str, Any]) -> Any:
    """The ``recommendation.served`` event for a response (validated by the event schema)."""
    from suuupra.events import make_event

    return make_event(
        "recommendation.served",
        recommendation_id=response["recommendation_id"],
        learner_id=response["learner_id"],
        surface=response["surface"],
        course_ids=[i["course_id"] for i in response["items"]],
        model_version=response["model_version"],
        producer="serving",
    )
