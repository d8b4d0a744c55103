"""Course recommender: implicit ALS/BPR plus popularity and item-item baselines.

Public API (used by serving, Dagster and the benchmarks alike)::

    from models.recommender import train_recommender, RecommenderModel
    model = train_recommender(interactions, {"algorithm": "als", "factors": 64})
    model.recommend([user_id], k=10)        # user_id, item_id, score, rank, reason
    model.similar_items([item_id], k=10)    # item_id, similar_item_id, score, rank
    model.save(path); RecommenderModel.load(path)
"""

from models.recommender.model import RecommenderModel, RecommenderParams
from models.recommender.train import build_matrix, train_recommender, validate_interactions

load_recommender = RecommenderModel.load

__all__ = [
    "RecommenderModel",
    "RecommenderParams",
    "build_matrix",
    "load_recommender",
    "train_recommender",
    "validate_interactions",
]
