"""Write the data scientists' notebooks (stored without outputs).

Kept as code so notebook edits are reviewable diffs; run
``python scripts/build_notebooks.py`` after changing a cell.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parent.parent / "notebooks"

SETUP = """\
# A notebook is an edge: it reads the SUUUPRA_* settings (data dir, profile) once and passes them on.
import os
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from suuupra.settings import get_settings
from suuupra.lake import table_path
settings = get_settings()
print(settings.profile, settings.data_dir)"""

NOTEBOOKS = {
    "01_features_and_training_sets.ipynb": [
        new_markdown_cell("# Features and point-in-time training sets\n\n"
                          "Explore the Feast feature services and build a point-in-time correct training set "
                          "for `fraud_v1` from labelled payments. Run `suuupra pipeline run` first."),
        new_code_cell(SETUP),
        new_code_cell("""\
from features.store import get_store
store = get_store(settings)
services = {fs.name: [p.name for p in fs.feature_view_projections] for fs in store.list_feature_services()}
services"""),
        new_code_cell("""\
payments = pd.read_parquet(table_path("payments_labeled", settings))
print(len(payments), "payments;", f"fraud rate {payments['is_fraud'].mean():.2%}")
payments.groupby("fraud_pattern").size()"""),
        new_code_cell("""\
from features.training import build_training_set
entity_df = payments[["learner_id", "device_id", "ip", "amount_minor", "event_timestamp", "is_fraud"]].copy()
training = build_training_set("fraud_v1", entity_df, settings)
assert len(training) == len(entity_df)
training.filter(like="__").isna().mean().sort_values().tail(10)"""),
        new_code_cell("""\
velocity = [c for c in training.columns if c.endswith("payments_1h")]
fig, ax = plt.subplots(figsize=(6, 3))
if velocity:
    training.boxplot(column=velocity[0], by="is_fraud", ax=ax)
    ax.set_title("payments in the last hour, by label")
training.head()"""),
    ],
    "02_recommender_evaluation.ipynb": [
        new_markdown_cell("# Recommender evaluation and error analysis\n\n"
                          "Time-based holdout on the platform's interactions; ALS vs popularity; where it fails."),
        new_code_cell(SETUP),
        new_code_cell("""\
from models.evaluation.recsys import time_holdout_split, evaluate_recommender
from models.recommender import train_recommender
inter = pd.read_parquet(table_path("interactions", settings))
df = inter.rename(columns={"learner_id": "user_id", "course_id": "item_id", "last_ts": "timestamp"})[
    ["user_id", "item_id", "weight", "timestamp"]]
train, test = time_holdout_split(df, test_fraction=0.2)
print(len(train), "train rows,", len(test), "test rows,", test.user_id.nunique(), "test learners")"""),
        new_code_cell("""\
results = {}
models = {}
for algo in ("popular", "als"):
    models[algo] = train_recommender(train, {"algorithm": algo, "factors": 32, "iterations": 10, "seed": 7})
    results[algo] = evaluate_recommender(models[algo], train, test, k=10)
pd.DataFrame(results).T"""),
        new_code_cell("""\
# Error analysis: does quality depend on how much history a learner has?
recs = models["als"].recommend(test.user_id.unique().tolist(), k=10)
hits = recs.merge(test[["user_id", "item_id"]], on=["user_id", "item_id"])
per_user = recs.groupby("user_id").size().rename("n").to_frame().join(hits.groupby("user_id").size().rename("hits")).fillna(0)
per_user = per_user.join(train.groupby("user_id").size().rename("history"))
per_user["history_bucket"] = pd.cut(per_user["history"], [0, 1, 2, 4, 100], labels=["1", "2", "3-4", "5+"])
summary = per_user.groupby("history_bucket", observed=True)["hits"].mean()
summary.plot(kind="bar", title="hits@10 by learner history length", figsize=(5, 3))
summary"""),
        new_code_cell("""\
some_course = train.item_id.value_counts().index[0]
models["als"].similar_items([some_course], k=5)"""),
    ],
    "03_fraud_model_analysis.ipynb": [
        new_markdown_cell("# Fraud model analysis: cost curve and threshold choice\n\n"
                          "Train on the `fraud_v1` training set, then see what each threshold costs."),
        new_code_cell(SETUP),
        new_code_cell("""\
import numpy as np
from features.training import build_training_set
payments = pd.read_parquet(table_path("payments_labeled", settings)).sort_values("event_timestamp")
training = build_training_set(
    "fraud_v1", payments[["learner_id", "device_id", "ip", "amount_minor", "event_timestamp", "is_fraud"]],
    settings)
features = [c for c in training.columns if "__" in c and pd.api.types.is_numeric_dtype(training[c])]
features += ["amount_minor"]
training[features] = training[features].fillna(0)
print(len(training), "rows,", len(features), "numeric features,", int(training.is_fraud.sum()), "frauds")"""),
        new_code_cell("""\
from models.fraud import train_fraud_model
cut = int(len(training) * 0.7)
train_df, test_df = training.iloc[:cut], training.iloc[cut:]
if train_df.is_fraud.nunique() < 2 or test_df.is_fraud.nunique() < 2:
    train_df = test_df = training  # tiny demo data: evaluate in-sample, clearly labelled below
model = train_fraud_model(train_df, "is_fraud", features, {"max_epochs": 15, "seed": 7})
proba = model.predict_proba(test_df)
from models.evaluation.fraud import fraud_metrics
fraud_metrics(test_df.is_fraud.to_numpy(), proba)"""),
        new_code_cell("""\
# Cost curve: missed fraud costs its amount, a review costs a fixed analyst fee, a false decline loses margin.
y = test_df.is_fraud.to_numpy()
amount = test_df.amount_minor.to_numpy() / 100
thresholds = np.linspace(0.01, 0.99, 50)
costs = []
for t in thresholds:
    flagged = proba >= t
    costs.append(((~flagged) & (y == 1)).dot(amount) + flagged.sum() * 20 + (flagged & (y == 0)).dot(amount) * 0.1)
best = thresholds[int(np.argmin(costs))]
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(thresholds, costs); ax.axvline(best, ls="--", color="red")
ax.set_xlabel("decline threshold"); ax.set_ylabel("expected cost (INR)"); ax.set_title(f"cost curve, best {best:.2f}")
best"""),
    ],
    "04_tutor_retrieval_evaluation.ipynb": [
        new_markdown_cell("# Tutor retrieval evaluation\n\n"
                          "How often does hybrid search put the page that answers a question in the top k?"),
        new_code_cell(SETUP),
        new_code_cell("""\
from rag import StoreLocation, search
store = StoreLocation.from_settings(settings)
questions = {
    "How do I compile a regular expression pattern?": "re.html",
    "What does functools.lru_cache do?": "functools.html",
    "How do I open a file and read it line by line?": "inputoutput.html",
    "How can I sort a list of dictionaries by a key?": "sorting.html",
}
rows = []
for q, page in questions.items():
    hits = search(q, k=10, store=store)
    ranks = [i + 1 for i, h in enumerate(hits) if h.url.endswith(page) or f"/{page}#" in h.url]
    rows.append({"question": q, "expected": page, "rank": ranks[0] if ranks else None,
                 "top_hit": hits[0].title if hits else None})
report = pd.DataFrame(rows)
report"""),
        new_code_cell("""\
k_values = [1, 3, 5, 10]
hit_at_k = {k: float((report["rank"].fillna(99) <= k).mean()) for k in k_values}
pd.Series(hit_at_k).plot(marker="o", title="hit@k", figsize=(5, 3), ylim=(0, 1.05))
hit_at_k"""),
    ],
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=cells, metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        })
        nbformat.write(nb, OUT / name)
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
