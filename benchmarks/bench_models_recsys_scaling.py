"""Recommender training time vs data size, and implicit ALS vs Spark MLlib ALS.

Both parts use MovieLens-100k (from the recbole wheel) with the same 75/25 per-user
stratified split as ``suuupra bench recsys``:

1. Training time of each algorithm on 1x and 10x the interactions (10x = the same
   ratings replayed by 10 disjoint copies of every user), ratio 10x/1x.
2. implicit ALS vs Spark MLlib ALS (implicitPrefs) on the *same* training frame, same
   rank and iterations: fit time and NDCG@10 on the same test set. Spark's factors are
   scored by the same numpy code (``RecommenderModel``), so only the factorisation differs.
   Ratio = Spark / implicit.

Run: .venv/bin/python benchmarks/bench_models_recsys_scaling.py [--scale 10] [--no-spark]
     [--algorithms als,itemknn,popular]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from _report import report  # noqa: E402


def replicate(df: pd.DataFrame, times: int) -> pd.DataFrame:
    """``times`` disjoint user copies: same item distribution, ``times``x rows and users."""
    offset = int(df["user_id"].max()) + 1
    return pd.concat([df.assign(user_id=df["user_id"] + i * offset) for i in range(times)], ignore_index=True)


def spark_als(train: pd.DataFrame, rank: int, iterations: int, reg: float, alpha: float, seed: int):
    """Fit Spark MLlib ALS; returns (factors-as-RecommenderModel, fit seconds, startup seconds)."""
    import tempfile

    from pyspark.ml.recommendation import ALS

    from models.recommender import RecommenderModel, RecommenderParams, build_matrix
    from pipelines.spark.session import get_spark
    from suuupra.settings import load_settings

    t0 = time.perf_counter()
    spark = get_spark(load_settings(data_dir=tempfile.mkdtemp(prefix="bench-als-")))
    startup = time.perf_counter() - t0
    m, users, items = build_matrix(train.groupby(["user_id", "item_id"], as_index=False)["weight"].sum())
    coo = m.tocoo()
    sdf = spark.createDataFrame(
        pd.DataFrame(
            {"u": coo.row.astype("int32"), "i": coo.col.astype("int32"), "r": coo.data.astype(float)}
        )
    ).cache()
    sdf.count()
    als = ALS(
        rank=rank,
        maxIter=iterations,
        regParam=reg,
        alpha=alpha,
        implicitPrefs=True,
        userCol="u",
        itemCol="i",
        ratingCol="r",
        seed=seed,
        coldStartStrategy="drop",
        nonnegative=False,
    )
    t0 = time.perf_counter()
    model = als.fit(sdf)
    uf = model.userFactors.toPandas()
    itf = model.itemFactors.toPandas()
    fit_s = time.perf_counter() - t0
    user_factors = np.zeros((len(users), rank), dtype=np.float32)
    item_factors = np.zeros((len(items), rank), dtype=np.float32)
    user_factors[uf["id"].to_numpy()] = np.stack(uf["features"].to_numpy())
    item_factors[itf["id"].to_numpy()] = np.stack(itf["features"].to_numpy())
    wrapped = RecommenderModel(
        params=RecommenderParams(algorithm="als", factors=rank),
        user_ids=users.astype(np.int64),
        item_ids=items.astype(np.int64),
        seen=m,
        popularity=np.asarray((m > 0).sum(axis=0), dtype=np.float32).ravel(),
        user_factors=user_factors,
        item_factors=item_factors,
    )
    sdf.unpersist()
    return wrapped, fit_s, startup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=10, help="Large size as a multiple of MovieLens-100k.")
    ap.add_argument(
        "--algorithms", default="als,itemknn,popular", help="Algorithms for the scaling table (bpr is slow)."
    )
    ap.add_argument("--no-spark", action="store_true", help="Skip the Spark MLlib comparison.")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    from models.bench import RECSYS_PRESETS
    from models.datasets import load_movielens_100k
    from models.evaluation.recsys import evaluate_recommender, stratified_random_split
    from models.recommender import train_recommender

    data = load_movielens_100k()
    train, test = stratified_random_split(data, 0.75, seed=args.seed)
    big = replicate(train, args.scale)

    rows = []
    for algo in args.algorithms.split(","):
        params = {**RECSYS_PRESETS[algo], "seed": args.seed}
        times = {}
        for label, frame in (("1x", train), (f"{args.scale}x", big)):
            t0 = time.perf_counter()
            train_recommender(frame, params)
            times[label] = time.perf_counter() - t0
        rows.append(
            {
                "part": "scaling",
                "model": algo,
                "rows_1x": len(train),
                "train_s_1x": times["1x"],
                f"rows_{args.scale}x": len(big),
                f"train_s_{args.scale}x": times[f"{args.scale}x"],
                "ratio": times[f"{args.scale}x"] / max(times["1x"], 1e-9),
            }
        )
    report(
        "models_recsys_scaling",
        f"Recommender training time, MovieLens-100k 1x vs {args.scale}x",
        rows,
        notes="ratio = large / 1x training seconds (ideal linear scaling = the scale factor)",
    )

    if args.no_spark:
        return
    als = RECSYS_PRESETS["als"]
    t0 = time.perf_counter()
    imp = train_recommender(train, {**als, "seed": args.seed})
    imp_s = time.perf_counter() - t0
    imp_metrics = evaluate_recommender(imp, train, test)
    # Spark's regParam is scaled per user/item by their rating counts (ALS-WR), so the
    # same number means something else: use Spark's usual default range instead.
    spark_model, spark_s, startup = spark_als(
        train, als["factors"], als["iterations"], reg=0.1, alpha=als["alpha"], seed=args.seed
    )
    spark_metrics = evaluate_recommender(spark_model, train, test)
    cmp_rows = [
        {
            "engine": "implicit ALS",
            "fit_s": imp_s,
            "ndcg@10": imp_metrics["ndcg@10"],
            "precision@10": imp_metrics["precision@10"],
            "time_ratio": 1.0,
        },
        {
            "engine": "Spark MLlib ALS",
            "fit_s": spark_s,
            "ndcg@10": spark_metrics["ndcg@10"],
            "precision@10": spark_metrics["precision@10"],
            "time_ratio": spark_s / max(imp_s, 1e-9),
        },
    ]
    report(
        "models_recsys_implicit_vs_spark",
        "implicit ALS vs Spark MLlib ALS, MovieLens-100k (same split, rank, iterations)",
        cmp_rows,
        notes=f"Spark session startup {startup:.1f}s not included in fit_s; time_ratio = Spark / implicit",
    )
    from pipelines.spark.session import stop_spark

    stop_spark()


if __name__ == "__main__":
    main()
