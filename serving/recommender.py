"""Recommendation logic behind ``POST /recommendations`` (plain Python, no Ray).

Kept free of Ray so it can be unit-tested and reused; the deployment in
:mod:`serving.deployments` only adds model polling, metrics and event logging.

Per request (a validated :class:`~serving.schemas.RecommendationRequest`: the
learner id, ``k`` and the anchor are parsed once, at the ingress):

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
from serving.errors import ModelUnavailable
from serving.feature_source import FeatureRows
from serving.model_source import LoadedModel
from serving.schemas import RecommendationRequest, RecommendationResponse, RecommendedCourse

#: ``(course_id, score, reason)`` of one candidate.
Candidate = tuple[str, float, str]

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


def candidates(loaded: LoadedModel | None, request: RecommendationRequest) -> tuple[list[Candidate], bool]:
    """Candidates over-fetched for filtering, and whether the learner is known to the model."""
    if loaded is None:
        raise ModelUnavailable("no recommender model is loaded yet (is a champion registered?)")
    model = loaded.model
    learner, anchor = request.learner_id, request.course_id
    want = request.k + OVERFETCH
    rows: list[Candidate] = []
    if anchor and _is_known(model, "_item_index", "item_ids", anchor):
        sim = model.similar_items([anchor], k=want)
        rows = [(str(i), float(s), f"similar to {anchor}") for i, s in zip(sim["similar_item_id"], sim["score"],
                                                                            strict=True)]
    if len(rows) < want:
        recs = model.recommend([learner], k=want, exclude_seen=True)
        have = {c for c, _, _ in rows}
        reasons = recs["reason"] if "reason" in recs.columns else ["recommended for you"] * len(recs)
        for item, score, reason in zip(recs["item_id"], recs["score"], reasons, strict=True):
            if str(item) not in have and str(item) != anchor:
                rows.append((str(item), float(score), str(reason)))
    return rows, _is_known(model, "_user_index", "user_ids", learner)


def entity_rows(request: RecommendationRequest, rows: list[Candidate]) -> list[dict[str, Any]]:
    """``recommender_v1`` entity rows: one (learner, candidate course) pair per candidate."""
    return [{"learner_id": request.learner_id, "course_id": c} for c, _, _ in rows]


def finalize(
    loaded: LoadedModel,
    request: RecommendationRequest,
    rows: list[Candidate],
    known_learner: bool,
    features: FeatureRows,
    catalog: CourseCatalog,
) -> RecommendationResponse:
    """Filter, rank and cut to ``k``; the ingress adds the request id."""
    items: list[RecommendedCourse] = []
    feats = features.rows if features.available else [{} for _ in rows]
    for (course_id, score, reason), f in zip(rows, feats, strict=True):
        if _flag(f, "enrolled") is True or _flag(f, "published") is False or not catalog.allowed(course_id):
            continue
        items.append(RecommendedCourse(course_id=course_id, score=round(score, 6), rank=len(items) + 1,
                                       reason=reason))
        if len(items) == request.k:
            break
    return RecommendationResponse(
        recommendation_id=str(uuid.uuid4()),
        learner_id=request.learner_id,
        surface=request.surface,
        items=items,
        model_version=loaded.label,
        cold_start=not known_learner,
        features_missing=(not features.available) or (bool(features.unknown) and all(features.unknown)),
    )


def served_event(response: RecommendationResponse) -> Any:
    """The ``recommendation.served`` event for a response (validated by the event schema)."""
    from suuupra.events import make_event

    return make_event(
        "recommendation.served",
        recommendation_id=response.recommendation_id,
        learner_id=response.learner_id,
        surface=response.surface,
        course_ids=[i.course_id for i in response.items],
        model_version=response.model_version,
        producer="serving",
    )
