"""Fraud scorer: determinism, persistence, input errors, policy, calibration, reason codes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from models_testdata import FAST_FRAUD, FRAUD_FEATURES

from models.errors import TrainingInputError
from models.evaluation.fraud import CostModel, calibration_curve, expected_cost, fraud_metrics, recall_at_fpr
from models.fraud import DecisionPolicy, FraudModel, train_fraud_model
from models.fraud.train import stratified_split


@pytest.fixture(scope="module")
def split(payments):
    tr, te = stratified_split(payments["is_fraud"].to_numpy(), 0.25, seed=1)
    return payments.iloc[tr], payments.iloc[te]


@pytest.fixture(scope="module")
def model(split):
    return train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, FAST_FRAUD)


def test_training_is_deterministic_under_a_seed(split, model):
    again = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, FAST_FRAUD)
    np.testing.assert_array_equal(model.predict_proba(split[1]), again.predict_proba(split[1]))
    other = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, {**FAST_FRAUD, "seed": 7})
    assert not np.array_equal(model.predict_proba(split[1]), other.predict_proba(split[1]))


def test_model_learns_the_signal_and_is_calibrated(split, model):
    _, test = split
    y = test["is_fraud"].to_numpy()
    p = model.predict_proba(test)
    assert p.shape == (len(test),) and ((p >= 0) & (p <= 1)).all()
    m = fraud_metrics(y, p)
    assert m["roc_auc"] > 0.8
    assert m["pr_auc"] > 3 * y.mean()
    # calibrated: mean predicted rate close to the observed rate
    assert abs(p.mean() - y.mean()) < 0.5 * y.mean()
    # class imbalance: each epoch sees every fraud and a fresh 10% of the rest
    assert model.params.neg_sample_rate == 0.1 and model.metadata["pos_weight"] == 1.0


def test_loaded_model_gives_identical_scores(split, model, tmp_path):
    loaded = FraudModel.load(model.save(tmp_path / "fraud"))
    _, test = split
    np.testing.assert_array_equal(model.predict_proba(test), loaded.predict_proba(test))
    pd.testing.assert_frame_equal(model.score(test.head(50)), loaded.score(test.head(50)))
    assert loaded.policy == model.policy


def test_score_gives_decisions_and_reason_codes(split, model):
    _, test = split
    risky = pd.DataFrame({"amount": [5000.0], "country": ["XX"], "hour": [2], "noise": [0.0]})
    safe = pd.DataFrame({"amount": [5.0], "country": ["IN"], "hour": [14], "noise": [0.0]})
    out = model.score(pd.concat([risky, safe], ignore_index=True))
    assert out.loc[0, "fraud_probability"] > 10 * out.loc[1, "fraud_probability"]
    assert out.loc[1, "decision"] == "approve"
    assert out.loc[0, "decision"] in {"review", "decline"}
    assert "AMOUNT_HIGH" in out.loc[0, "reason_codes"] or "COUNTRY=XX" in out.loc[0, "reason_codes"]
    assert set(model.score(test)["decision"]) <= {"approve", "review", "decline"}
    # an unseen category maps to "unknown" instead of failing
    assert np.isfinite(model.predict_proba(risky.assign(country="ZZ"))).all()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.drop(columns=["amount"]), "missing required column"),
        (lambda d: d.iloc[0:0], "empty"),
        (lambda d: d.assign(is_fraud=0), "single class"),
        (lambda d: d.assign(is_fraud=2), "binary"),
        (lambda d: d.assign(is_fraud=np.where(d.index % 2 == 0, np.nan, 1)), "nulls"),
    ],
    ids=["missing", "empty", "single-class", "non-binary", "null-label"],
)
def test_bad_training_input_fails_with_a_clear_message(payments, mutate, message):
    with pytest.raises(TrainingInputError, match=message):
        train_fraud_model(mutate(payments.head(200)), "is_fraud", FRAUD_FEATURES, FAST_FRAUD)


def test_policy_thresholds_meet_targets():
    rng = np.random.default_rng(0)
    y = (rng.random(20000) < 0.02).astype(int)
    p = np.clip(np.where(y == 1, rng.beta(5, 2, len(y)), rng.beta(1, 30, len(y))), 0, 1)
    pol = DecisionPolicy.choose(y, p, target_precision=0.9, target_review_rate=0.02)
    assert pol.review_threshold <= pol.decline_threshold
    dec = pol.decide(p)
    assert y[dec == "decline"].mean() >= 0.9
    assert (dec == "review").mean() == pytest.approx(0.02, abs=0.002)
    with pytest.raises(ValueError):
        DecisionPolicy(0.9, 0.5)


def test_fraud_metrics_and_costs_by_hand():
    y = np.array([0, 0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.95])
    assert recall_at_fpr(y, p, 0.25) == 1.0  # one of four negatives allowed above the cut
    pol = DecisionPolicy(review_threshold=0.5, decline_threshold=0.9)
    cost = expected_cost(y, p, pol, CostModel(missed_fraud=100, review=5, false_decline=20))
    # decisions: A A A R R D -> 2 reviews, no missed fraud, no false decline
    assert cost["expected_cost"] == 10.0 and cost["fraud_caught_rate"] == 1.0
    curve = calibration_curve(y, p, n_bins=2)
    assert sum(curve["count"]) == 6


def test_negative_subsampling_is_deterministic_and_still_learns(split):
    params = {**FAST_FRAUD, "neg_sample_rate": 0.3, "n_models": 2}
    a = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, params)
    b = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, params)
    _, test = split
    np.testing.assert_array_equal(a.predict_proba(test), b.predict_proba(test))
    assert len(a.state_dicts) == 2
    assert fraud_metrics(test["is_fraud"].to_numpy(), a.predict_proba(test))["roc_auc"] > 0.8


def test_quantile_transform_round_trips_and_keeps_unseen_extremes_in_range():
    from models.fraud.preprocess import QUANTILE_Z, Preprocessor

    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {
            "heavy": rng.standard_cauchy(5000),  # heavy tails: mean/std would be useless
            "zeros": np.r_[np.zeros(3000), rng.exponential(size=2000)],  # a big tie at 0
            "const": np.ones(5000),
        }
    )
    pre = Preprocessor.fit(train, list(train.columns), [], transform="quantile")
    x = pre.numeric_matrix(train)
    assert np.isfinite(x).all() and np.abs(x).max() <= QUANTILE_Z + 1e-6
    assert abs(x[:, 0].mean()) < 0.05 and abs(x[:, 0].std() - 1) < 0.05  # ~N(0, 1)
    assert np.all(x[:, 2] == 0)
    order = np.argsort(train["heavy"].to_numpy())
    assert np.all(np.diff(x[order, 0]) >= 0)  # monotone: ranks are kept
    # unseen extremes and missing values: clipped to the end knots / imputed, never inf or nan
    new = pd.DataFrame({"heavy": [1e12, -1e12, np.nan], "zeros": [1e9, -3.0, 0.0], "const": [9.0, -9.0, 1.0]})
    out = pre.numeric_matrix(new)
    assert np.isfinite(out).all() and np.abs(out).max() <= QUANTILE_Z + 1e-6
    assert out[0, 0] == pytest.approx(QUANTILE_Z, rel=1e-5) and out[1, 0] == pytest.approx(
        -QUANTILE_Z, rel=1e-5
    )
    assert out[1, 1] == out[2, 1]  # below the training minimum = the tied minimum
    again = Preprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    np.testing.assert_array_equal(again.numeric_matrix(new), out)
    # a preprocessor saved before the option existed still loads as "standard"
    legacy = {
        k: v
        for k, v in Preprocessor.fit(train, ["heavy"], []).to_dict().items()
        if k not in ("transform", "quantiles")
    }
    assert Preprocessor.from_dict(legacy).transform == "standard"


def test_quantile_model_with_schedule_and_checkpoint_averaging_saves_and_loads(split, tmp_path):
    params = {
        **FAST_FRAUD,
        "numeric_transform": "quantile",
        "lr_schedule": "onecycle",
        "average_top_k": 2,
        "patience": 8,
    }
    a = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, params)
    b = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, params)
    _, test = split
    np.testing.assert_array_equal(a.predict_proba(test), b.predict_proba(test))
    assert fraud_metrics(test["is_fraud"].to_numpy(), a.predict_proba(test))["roc_auc"] > 0.8
    loaded = FraudModel.load(a.save(tmp_path / "quantile"))
    assert loaded.preprocessor.transform == "quantile" and loaded.params.lr_schedule == "onecycle"
    np.testing.assert_array_equal(a.predict_proba(test), loaded.predict_proba(test))
    cosine = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, {**FAST_FRAUD, "lr_schedule": "cosine"})
    assert np.isfinite(cosine.predict_proba(test)).all()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"numeric_transform": "log"}, "numeric_transform"),
        ({"lr_schedule": "step"}, "lr_schedule"),
        ({"average_top_k": 0}, "average_top_k"),
        ({"numeric_embedding": "fourier"}, "numeric_embedding"),
        ({"cross_fit": True, "n_models": 1}, "cross_fit needs n_models >= 2"),
    ],
)
def test_bad_new_params_fail_with_a_clear_message(payments, bad, message):
    with pytest.raises(TrainingInputError, match=message):
        train_fraud_model(payments.head(200), "is_fraud", FRAUD_FEATURES, {**FAST_FRAUD, **bad})


def test_time_of_day_features_are_cyclic():
    from models.datasets import CREDITCARD_TIME_OF_DAY, add_time_of_day

    df = pd.DataFrame({"Time": [0.0, 6 * 3600.0, 86400.0 - 1, 86400.0 + 12 * 3600.0]})
    out = add_time_of_day(df)
    assert list(out.columns) == ["Time", *CREDITCARD_TIME_OF_DAY] and "hour_sin" not in df
    np.testing.assert_allclose(out["hour_sin"], [0, 1, 0, 0], atol=1e-3)
    np.testing.assert_allclose(out["hour_cos"], [1, 0, 1, -1], atol=1e-3)


@pytest.mark.parametrize("embedding", ["periodic", "piecewise"])
def test_numeric_embeddings_learn_and_round_trip(split, tmp_path, embedding):
    params = {**FAST_FRAUD, "numeric_transform": "quantile", "numeric_embedding": embedding, "n_bins": 16}
    a = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, params)
    _, test = split
    y = test["is_fraud"].to_numpy()
    assert fraud_metrics(y, a.predict_proba(test))["roc_auc"] > 0.8
    net = a._networks()[0]
    assert net.numeric_embedding is not None and (a.bins is not None) == (embedding == "piecewise")
    loaded = FraudModel.load(a.save(tmp_path / embedding))
    np.testing.assert_array_equal(a.predict_proba(test), loaded.predict_proba(test))
    # reason codes still come from gradients through the embedding
    assert all(
        code.split("_")[0].lower() in {"amount", "hour", "noise"} or "=" in code
        for codes in loaded.score(test.head(5))["reason_codes"]
        for code in codes
    )


def test_cross_fit_members_cover_every_row_and_calibrate_out_of_fold(split):
    from models.fraud.params import FraudParams
    from models.fraud.train import member_splits

    y = split[0]["is_fraud"].to_numpy()
    folds = member_splits(y, FraudParams(n_models=3, cross_fit=True))
    held = np.concatenate([va for _, va in folds])
    assert sorted(held.tolist()) == list(range(len(y)))  # each row held out exactly once
    for tr, va in folds:
        assert not set(tr) & set(va) and y[va].sum() >= 1
    params = {**FAST_FRAUD, "n_models": 3, "cross_fit": True}
    a = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, params)
    b = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, params)
    _, test = split
    np.testing.assert_array_equal(a.predict_proba(test), b.predict_proba(test))
    assert a.metadata["n_val"] == len(y) and a.metadata["cross_fit"] is True
    p = a.predict_proba(test)
    yt = test["is_fraud"].to_numpy()
    assert fraud_metrics(yt, p)["roc_auc"] > 0.8 and abs(p.mean() - yt.mean()) < 0.5 * yt.mean()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repeats", "0"], "--repeats"),
        (["--n-models", "0"], "--n-models"),
        (["--neg-sample-rate", "2"], "(0, 1]"),
    ],
)
def test_bench_fraud_cli_rejects_bad_options_before_training(args, message):
    from typer.testing import CliRunner

    from cli.models_cmd import bench_app
    from suuupra.errors import CLIError

    res = CliRunner().invoke(bench_app, ["fraud", *args])
    assert isinstance(res.exception, CLIError) and message in str(res.exception)


def test_baselines_share_the_split_and_learn_the_signal(split):
    from models.fraud.baselines import train_baselines

    train, test = split
    numeric = [c for c in FRAUD_FEATURES if c != "country"]
    base = train_baselines(train, "is_fraud", numeric, seed=3, which=("logreg", "lightgbm", "xgboost"))
    y = test["is_fraud"].to_numpy()
    for name in ("logreg", "lightgbm", "xgboost"):
        p = base[name](test)
        assert p.shape == (len(test),) and fraud_metrics(y, p)["roc_auc"] > 0.8, name
        assert base["seconds"][name] > 0
    with pytest.raises(ValueError, match="numeric features only"):
        train_baselines(train, "is_fraud", FRAUD_FEATURES, which=("xgboost",))


def test_defaults_are_the_configuration_the_docs_report():
    from models.bench import FRAUD_PRESET
    from models.fraud import FraudParams

    defaults = FraudParams()
    assert {k: getattr(defaults, k) for k in FRAUD_PRESET} == FRAUD_PRESET
    assert (defaults.tree_member, defaults.tree_weight) == ("xgboost", 0.5)
    # explicit params still win, one field at a time
    assert FraudParams.from_any({"n_models": 2}).n_models == 2 and FraudParams.from_any({}).n_models == 5


def test_tree_member_is_blended_in_log_odds_and_can_be_turned_off(split, model):
    _, test = split
    assert model.tree is not None and model.tree.rounds >= 1
    w = model.tree.weight
    assert w == 0.5 and model.metadata["tree_weight"] == w
    auto = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, {**FAST_FRAUD, "tree_weight": "auto"})
    assert auto.tree.weight in (0.25, 0.5, 0.75)  # chosen on the validation rows
    expected = (1 - w) * model.network_logits(test) + w * model.tree.margin(test, model.preprocessor)
    np.testing.assert_allclose(model.raw_logits(test), expected)
    alone = train_fraud_model(split[0], "is_fraud", FRAUD_FEATURES, {**FAST_FRAUD, "tree_member": "none"})
    assert alone.tree is None
    np.testing.assert_allclose(alone.raw_logits(test), alone.network_logits(test))
