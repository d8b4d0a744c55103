"""Recommender: determinism, exclusions, cold start, persistence, input errors, quality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.errors import TrainingInputError
from models.evaluation.recsys import evaluate_recommender, ranking_metrics, time_holdout_split
from models.recommender import RecommenderModel, train_recommender

ALS = {
    "algorithm": "als",
    "factors": 8,
    "regularization": 0.1,
    "iterations": 10,
    "weighting": "none",
    "seed": 3,
}
BPR = {
    "algorithm": "bpr",
    "factors": 8,
    "iterations": 30,
    "learning_rate": 0.05,
    "weighting": "none",
    "seed": 3,
}


@pytest.mark.parametrize("params", [ALS, BPR, {"algorithm": "itemknn"}], ids=["als", "bpr", "itemknn"])
def test_training_is_deterministic_under_a_seed(interactions, params):
    a = train_recommender(interactions, params)
    b = train_recommender(interactions, params)
    users = interactions["user_id"].unique()[:20]
    pd.testing.assert_frame_equal(a.recommend(users, k=5), b.recommend(users, k=5))
    if a.item_factors is not None:
        np.testing.assert_array_equal(a.item_factors, b.item_factors)
    other = train_recommender(interactions, {**params, "seed": 4})
    if params["algorithm"] != "itemknn":  # a different seed really changes factor models
        assert not np.array_equal(a.item_factors, other.item_factors)


def test_recommend_excludes_seen_items_and_ranks(interactions):
    model = train_recommender(interactions, ALS)
    users = interactions["user_id"].unique()[:30].tolist()
    recs = model.recommend(users, k=10)
    assert list(recs.columns) == ["user_id", "item_id", "score", "rank", "reason"]
    seen = set(zip(interactions["user_id"], interactions["item_id"], strict=True))
    assert not any((u, i) in seen for u, i in zip(recs["user_id"], recs["item_id"], strict=True))
    for _, g in recs.groupby("user_id"):
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
        assert g["score"].is_monotonic_decreasing
    assert recs["reason"].str.startswith("because you engaged with c").all()
    # with exclude_seen=False seen items come back (they score highest for a fitted model)
    with_seen = model.recommend(users[:5], k=5, exclude_seen=False)
    assert any((u, i) in seen for u, i in zip(with_seen["user_id"], with_seen["item_id"], strict=True))


def test_cold_start_uses_stated_interests(interactions, categories):
    model = train_recommender(interactions, ALS, item_categories=categories)
    recs = model.recommend(["new-learner", "no-interest"], k=5, interests={"new-learner": ["history"]})
    new = recs[recs["user_id"] == "new-learner"]
    history_items = set(categories.loc[categories["category"] == "history", "item_id"])
    assert len(new) == 5 and set(new["item_id"]) <= history_items
    assert (new["reason"] == "popular in history").all()
    none = recs[recs["user_id"] == "no-interest"]
    top_popular = model.item_ids[np.argsort(-model.popularity, kind="stable")[:5]].tolist()
    assert none["item_id"].tolist() == top_popular


def test_similar_items_come_from_the_same_cluster(interactions, categories):
    model = train_recommender(interactions, ALS)
    sims = model.similar_items(["c0", "c13", "unknown"], k=5)
    cat = categories.set_index("item_id")["category"]
    assert set(sims["item_id"]) == {"c0", "c13"}
    same = (sims["item_id"].map(cat) == sims["similar_item_id"].map(cat)).mean()
    assert same >= 0.8
    assert "c0" not in set(sims.loc[sims["item_id"] == "c0", "similar_item_id"])


@pytest.mark.parametrize(
    "params", [ALS, {"algorithm": "itemknn"}, {"algorithm": "popular"}], ids=["als", "knn", "pop"]
)
def test_loaded_model_gives_identical_scores(interactions, tmp_path, params):
    model = train_recommender(interactions, params)
    loaded = RecommenderModel.load(model.save(tmp_path / "m"))
    users = interactions["user_id"].unique()[:25].tolist() + ["cold"]
    pd.testing.assert_frame_equal(model.recommend(users, k=7), loaded.recommend(users, k=7))
    pd.testing.assert_frame_equal(
        model.similar_items(["c1", "c30"], 4), loaded.similar_items(["c1", "c30"], 4)
    )


def test_als_beats_popularity_on_a_time_holdout(interactions):
    train, test = time_holdout_split(interactions, 0.25)
    als = evaluate_recommender(train_recommender(train, ALS), train, test)
    pop = evaluate_recommender(train_recommender(train, {"algorithm": "popular"}), train, test)
    assert als["ndcg@10"] > pop["ndcg@10"] + 0.05
    assert 0 < als["coverage"] <= 1 and als["novelty"] > pop["novelty"]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"user_id": [1], "item_id": [2], "weight": [1.0]}), "missing required column"),
        (pd.DataFrame(columns=["user_id", "item_id", "weight", "timestamp"]), "empty"),
        (
            pd.DataFrame({"user_id": [1, 2], "item_id": [1, 2], "weight": [-1.0, 1.0], "timestamp": [0, 1]}),
            "non-negative",
        ),
        (
            pd.DataFrame({"user_id": [1, 2], "item_id": [1, 2], "weight": ["a", "b"], "timestamp": [0, 1]}),
            "numeric",
        ),
        (
            pd.DataFrame({"user_id": [1, 2], "item_id": [1, 1], "weight": [1.0, 1.0], "timestamp": [0, 1]}),
            "two distinct items",
        ),
    ],
    ids=["missing", "empty", "negative", "non-numeric", "one-item"],
)
def test_bad_training_input_fails_with_a_clear_message(frame, message):
    with pytest.raises(TrainingInputError, match=message):
        train_recommender(frame, ALS)


def test_unknown_params_are_rejected(interactions):
    with pytest.raises(TrainingInputError, match="unknown recommender params"):
        train_recommender(interactions, {"factorz": 3})
    with pytest.raises(TrainingInputError, match="unknown algorithm"):
        train_recommender(interactions, {"algorithm": "svd"})


def test_ranking_metrics_match_hand_computation():
    recs = pd.DataFrame(
        {"user_id": ["a"] * 3 + ["b"] * 3, "item_id": [1, 2, 3, 4, 5, 6], "rank": [1, 2, 3] * 2}
    )
    truth = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": [1, 3, 9]})
    m = ranking_metrics(recs, truth, k=3)
    # user a: hits at ranks 1 and 3; user b: none
    dcg = 1 + 1 / np.log2(4)
    idcg = 1 + 1 / np.log2(3)
    assert m["precision@3"] == pytest.approx((2 / 3) / 2)
    assert m["recall@3"] == pytest.approx(1.0 / 2)
    assert m["ndcg@3"] == pytest.approx((dcg / idcg) / 2)
    assert m["map@3"] == pytest.approx(((1 + 2 / 3) / 2) / 2)
