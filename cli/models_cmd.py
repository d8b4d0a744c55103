"""CLI for the models area.

``suuupra bench recsys|fraud`` print the external benchmark tables (and write JSON to
``benchmarks/results/``); ``suuupra models ...`` trains on platform tables, shows and
promotes registry versions. The commands are the edge: they read the platform settings
once and hand them to the library, which never looks them up itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

bench_app = typer.Typer(
    help="External model benchmarks (MovieLens-100k, ULB credit-card fraud).", no_args_is_help=True
)
app = typer.Typer(help="Train, inspect and promote the recommender and fraud models.", no_args_is_help=True)

RESULTS_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "results"


def _write(name: str, payload: dict[str, Any], out: Path | None) -> Path:
    path = out or RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str))
    tmp.replace(path)
    return path


def _f(v: Any, digits: int = 4) -> str:
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


@bench_app.command("recsys")
def bench_recsys(
    algorithms: str = typer.Option(
        "als,bpr,itemknn,popular", help="Comma-separated: als,bpr,itemknn,popular."
    ),
    seed: int = typer.Option(42, help="Split and model seed."),
    out: Path | None = typer.Option(
        None, help="JSON output (default benchmarks/results/models_recsys_movielens.json)."
    ),
) -> None:
    """MovieLens-100k, 75/25 per-user stratified split, k=10, vs microsoft/recommenders BPR."""
    from models.bench import run_recsys_benchmark
    from models.datasets import DatasetUnavailable
    from suuupra.errors import CLIError

    console = Console()
    algos = [a.strip() for a in algorithms.split(",") if a.strip()]
    try:
        res = run_recsys_benchmark(algos, seed=seed, log=lambda m: console.print(f"[dim]{m}[/]"))
    except (DatasetUnavailable, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    k = res["k"]
    table = Table(
        title=f"MovieLens-100k, {res['split']}, k={k} ({res['n_train']:,} train / {res['n_test']:,} test)"
    )
    cols = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", "map", f"map@{k}", "coverage", "novelty"]
    table.add_column("model")
    for c in [*cols, "train s"]:
        table.add_column(c, justify="right")
    ref = res["reference"]
    for row in res["rows"]:
        table.add_row(row["model"], *[_f(row[c]) for c in cols], _f(row["train_s"], 2))
    table.add_row(ref["model"], *[_f(ref.get(c, "-")) for c in cols], "-", style="dim")
    console.print(table)
    best = max(res["rows"], key=lambda r: r[f"ndcg@{k}"])
    console.print(
        f"best: {best['model']} NDCG@{k} {best[f'ndcg@{k}']:.4f} "
        f"({best[f'ndcg@{k}'] / ref[f'ndcg@{k}']:.2f}x reference), "
        f"precision@{k} {best[f'precision@{k}']:.4f} ({best[f'precision@{k}'] / ref[f'precision@{k}']:.2f}x)"
    )
    console.print(f"written: {_write('models_recsys_movielens', res, out)}")


@bench_app.command("fraud")
def bench_fraud(
    n_models: int | None = typer.Option(
        None, help="Torch seed-ensemble size (1 = a single MLP). Default: the FraudParams default."
    ),
    max_epochs: int | None = typer.Option(
        None,
        help="Upper bound on epochs per member (early stopping on validation PR-AUC). Default: the FraudParams default.",
    ),
    neg_sample_rate: float | None = typer.Option(
        None,
        help="Share of negatives each epoch sees (all positives always); <1 = much cheaper epochs. "
        "Default: the FraudParams default.",
    ),
    time_of_day: bool | None = typer.Option(
        None,
        help="Add hour-of-day sin/cos features (from Time) for all models. Default: FRAUD_TIME_OF_DAY.",
    ),
    seed: int = typer.Option(42, help="Split and model seed."),
    split: str = typer.Option("stratified", help="stratified (80/20 by class) or time (train on the earliest "
                              "80% of transactions, test on the latest 20%)."),
    repeats: int = typer.Option(
        1,
        help="Also score N-1 further splits (seeds seed+1, ...) and report mean/std per model "
        "plus paired torch-minus-baseline differences (JSON: models_fraud_creditcard_repeats.json).",
    ),
    baselines: bool = typer.Option(
        True, help="Also train logistic regression and LightGBM on the same split."
    ),
    out: Path | None = typer.Option(
        None, help="JSON output (default benchmarks/results/models_fraud_creditcard.json)."
    ),
) -> None:
    """ULB credit-card fraud, stratified 80/20: torch MLP vs LR vs LightGBM (PR-AUC headline)."""
    from models.bench import run_fraud_benchmark
    from models.datasets import DatasetUnavailable
    from suuupra.errors import CLIError

    if (n_models is not None and n_models < 1) or (max_epochs is not None and max_epochs < 1):
        raise CLIError("--n-models and --max-epochs must be at least 1")
    if neg_sample_rate is not None and not 0 < neg_sample_rate <= 1:
        raise CLIError("--neg-sample-rate must be in (0, 1]")
    if repeats < 1:
        raise CLIError("--repeats must be at least 1 (1 = only the --seed split)")
    overrides = {
        k: v
        for k, v in {
            "n_models": n_models,
            "max_epochs": max_epochs,
            "neg_sample_rate": neg_sample_rate,
        }.items()
        if v is not None
    }
    console = Console()
    if repeats > 1 and split != "stratified":
        raise CLIError("--repeats scores several stratified splits; a time-based split has only one")
    if repeats > 1:
        _fraud_repeats(console, [seed + i for i in range(repeats)], overrides, time_of_day, baselines, out)
        return
    try:
        res = run_fraud_benchmark(
            overrides,
            seed=seed,
            time_of_day=time_of_day,
            baselines=baselines,
            log=lambda m: console.print(f"[dim]{m}[/]"),
            split=split,
        )
    except (DatasetUnavailable, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    table = Table(
        title=f"ULB credit-card fraud, {res['split']} ({res['n_test']:,} test rows, {res['test_frauds']} frauds)"
    )
    cols = ["pr_auc", "roc_auc", "recall_at_1pct_fpr", "brier"]
    table.add_column("model")
    for c in [*cols, "train s"]:
        table.add_column(c, justify="right")
    for row in res["rows"]:
        table.add_row(row["model"], *[_f(row[c]) for c in cols], _f(row["train_s"], 1))
    for ref in res["reference"]["published"]:
        table.add_row(f"published XGBoost ({ref['source'].split(',')[0]})", f"{ref['pr_auc']:.3f}", "-", "-", "-", "-",
                      style="dim")
    console.print(table)
    cost = res["policy_cost_on_test"]
    pol = res["policy"]
    console.print(
        f"policy: review >= {pol['review_threshold']:.4f}, decline >= {pol['decline_threshold']:.4f}; on test: "
        f"decline precision {cost['decline_precision']:.3f}, review rate {cost['review_rate']:.4f}, "
        f"fraud caught {cost['fraud_caught_rate']:.3f}, expected cost {cost['expected_cost']:.0f} "
        f"vs approve-all {cost['cost_approve_all']:.0f}"
    )
    name = "models_fraud_creditcard" if split == "stratified" else "models_fraud_creditcard_time"
    console.print(f"written: {_write(name, res, out)}")


def _fraud_repeats(
    console: Console,
    seeds: list[int],
    overrides: dict[str, Any],
    time_of_day: bool | None,
    baselines: bool,
    out: Path | None,
) -> None:
    from models.bench import run_fraud_repeats
    from models.datasets import DatasetUnavailable
    from suuupra.errors import CLIError

    try:
        res = run_fraud_repeats(
            seeds,
            overrides,
            baselines=baselines,
            log=lambda m: console.print(f"[dim]{m}[/]"),
            time_of_day=time_of_day,
        )
    except DatasetUnavailable as exc:
        raise CLIError(str(exc)) from exc
    models = [row["model"] for row in res["per_seed"][0]["rows"]]
    per_seed = Table(title=f"ULB credit-card fraud: test PR-AUC on {len(seeds)} stratified 80/20 splits")
    per_seed.add_column("seed")
    per_seed.add_column("test frauds", justify="right")
    for m in models:
        per_seed.add_column(m, justify="right")
    for run, frauds in zip(res["per_seed"], res["test_frauds"], strict=True):
        per_seed.add_row(str(run["seed"]), str(frauds), *[_f(r["pr_auc"]) for r in run["rows"]])
    summary = res["summary"]
    per_seed.add_row("mean", "", *[_f(summary[m]["pr_auc"]["mean"]) for m in models], style="bold")
    per_seed.add_row("std", "", *[_f(summary[m]["pr_auc"]["std"]) for m in models], style="dim")
    console.print(per_seed)
    for name, d in res["paired"].items():
        console.print(
            f"{name}: {d['mean']:+.4f} ± {d['std']:.4f} (suuupra_fraud ahead on {d['wins']}/{d['of']} splits)"
        )
    refs = ", ".join(f"{r['pr_auc']:.3f} ({r['source'].split(',')[0]})" for r in res["reference"]["published"])
    console.print(f"published XGBoost PR-AUC: {refs}; goal {res['reference']['goal']:.3f}")
    console.print(f"written: {_write('models_fraud_creditcard_repeats', res, out)}")


@app.command("train")
def train(
    model: str = typer.Argument(..., help="recommender | fraud"),
    margin: float = typer.Option(0.005, help="Promotion margin on the gate metric (NDCG@10 / PR-AUC)."),
) -> None:
    """Train on the platform tables (Spark ETL output), log to MLflow and run the promotion gate."""
    from models.errors import TrainingInputError
    from models.platform import PlatformDataMissing, train_fraud_from_tables, train_recommender_from_tables
    from suuupra.errors import CLIError
    from suuupra.settings import get_settings

    runners = {"recommender": train_recommender_from_tables, "fraud": train_fraud_from_tables}
    if model not in runners:
        raise CLIError(f"unknown model {model!r}; use one of {sorted(runners)}")
    try:
        out = runners[model](get_settings(), margin=margin)
    except (PlatformDataMissing, TrainingInputError) as exc:
        raise CLIError(str(exc)) from exc
    d = out["decision"]
    console = Console()
    console.print(f"registered {out['logged'].name} v{out['logged'].version} (run {out['logged'].run_id})")
    console.print(f"{'PROMOTED' if d.promoted else 'kept champion'}: {d.reason}")


@app.command("champion")
def champion(name: str = typer.Argument("suuupra-recommender", help="Registered model name.")) -> None:
    """Show which version holds the champion and challenger aliases, and why."""
    from models.registry import CHALLENGER, CHAMPION, alias_version, registry_client
    from suuupra.settings import get_settings

    uri = str(get_settings().mlflow_tracking_uri or "")
    client = registry_client(uri)
    table = Table(title=name)
    for col in ("alias", "version", "decision", "reason"):
        table.add_column(col)
    for alias in (CHAMPION, CHALLENGER):
        version = alias_version(name, alias, tracking_uri=uri)
        if version is None:
            table.add_row(alias, "-", "-", "-")
            continue
        tags = client.get_model_version(name, version).tags
        table.add_row(alias, version, tags.get("promotion.decision", "-"), tags.get("promotion.reason", "-"))
    Console().print(table)
