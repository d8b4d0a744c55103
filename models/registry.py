"""MLflow tracking and the champion/challenger model registry.

* Every training run logs params, metrics, plots, the feature-service version and the
  model (as an MLflow pyfunc with a signature and an input example).
* Each new version gets the ``challenger`` alias. :func:`promote_if_better` scores the
  challenger and the current ``champion`` on the *same* holdout and moves ``champion``
  only when the challenger wins by ``margin``; the decision and its reason are written
  as tags on the challenger version (and its run), so "why is this the champion?" has
  an answer in the registry.
* Consumers (serving) call :func:`load_champion` and get our native model object back
  (``RecommenderModel`` / ``FraudModel``), plus its version.

Every function is told which backend to use: the tracking URI (reads, the gate) or the
whole :class:`~suuupra.settings.Settings` (logging a run, which also needs the data
dir for local artifacts). Nothing here reads process-wide settings, so one process can
talk to two registries (a test's temporary store and the default one) without either
leaking into the other.

Local profile: SQLite backend at ``<data_dir>/mlflow/mlflow.db`` and artifacts under
``<data_dir>/mlflow/artifacts`` (never the working directory). Prod: the MLflow server
at ``settings.mlflow_tracking_uri``, which owns artifact storage.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from suuupra.sqlite_files import ensure_sqlite_parent

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from suuupra.settings import Settings

RECOMMENDER_NAME = "suuupra-recommender"
FRAUD_NAME = "suuupra-fraud"
CHAMPION = "champion"
CHALLENGER = "challenger"

try:  # mlflow is a hard dependency, but keep `import models.registry` cheap to reason about
    import mlflow.pyfunc as _pyfunc

    _PythonModel = _pyfunc.PythonModel
except ImportError:  # pragma: no cover
    _PythonModel = object  # type: ignore[assignment,misc]


class RegistryError(RuntimeError):
    """Registry state that callers must fix (e.g. no champion yet)."""


# --------------------------------------------------------------------------- setup
def _uri(settings: Settings) -> str:
    """The MLflow tracking/registry URI of ``settings`` (filled per profile by the loader)."""
    return str(settings.mlflow_tracking_uri or "")


def configure_mlflow(settings: Settings, experiment: str) -> str:
    """Point MLflow at ``settings``' backend and select ``experiment``; returns its id.

    For a local SQLite URI the experiment is created with an artifact location under
    ``settings.data_dir`` so nothing lands in ``./mlruns``.
    """
    import mlflow

    uri = _uri(settings)
    artifact_location = None
    if uri.startswith("sqlite:///"):
        artifact_root = settings.data_dir / "mlflow" / "artifacts"
        artifact_root.mkdir(parents=True, exist_ok=True)
        artifact_location = (artifact_root / experiment).as_uri()
    configure_tracking_only(uri)
    exp = mlflow.get_experiment_by_name(experiment)
    exp_id = (
        exp.experiment_id
        if exp
        else mlflow.create_experiment(experiment, artifact_location=artifact_location)
    )
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


def registry_client(tracking_uri: str) -> MlflowClient:
    """An MLflow tracking + registry client on ``tracking_uri``.

    A fresh local SQLite store gets its folder first: MLflow creates the file, not the folder.
    """
    from mlflow import MlflowClient

    ensure_sqlite_parent(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def configure_tracking_only(tracking_uri: str) -> None:
    """Point MLflow's fluent API (``mlflow.pyfunc``, runs) at ``tracking_uri`` for tracking and registry.

    MLflow keeps this as process state, so every entry point here sets it from the URI
    it was given right before using the fluent API, instead of trusting what was set last.
    """
    import mlflow

    ensure_sqlite_parent(tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)


# ------------------------------------------------------------------ pyfunc wrappers
class RecommenderPyFunc(_PythonModel):  # type: ignore[misc,valid-type]
    """pyfunc view: input ``user_id`` column -> top-10 recommendations frame."""

    def load_context(self, context: Any) -> None:
        from models.recommender import RecommenderModel

        self.model = RecommenderModel.load(context.artifacts["model"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        k = int((params or {}).get("k", 10))
        return self.model.recommend(model_input["user_id"].tolist(), k=k)


class FraudPyFunc(_PythonModel):  # type: ignore[misc,valid-type]
    """pyfunc view: feature rows -> probability, decision, reason codes."""

    def load_context(self, context: Any) -> None:
        from models.fraud import FraudModel

        self.model = FraudModel.load(context.artifacts["model"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        out = self.model.score(model_input)
        out["reason_codes"] = out["reason_codes"].map(",".join)
        return out


def _model_kind(model: Any) -> str:
    from models.fraud import FraudModel
    from models.recommender import RecommenderModel

    if isinstance(model, RecommenderModel):
        return "recommender"
    if isinstance(model, FraudModel):
        return "fraud"
    raise TypeError(f"cannot register a {type(model).__name__}; expected RecommenderModel or FraudModel")


# ----------------------------------------------------------------------- logging
@dataclass(frozen=True)
class LoggedModel:
    run_id: str
    name: str
    version: str


def log_training_run(
    model: Any,
    *,
    settings: Settings,
    name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    input_example: pd.DataFrame,
    figures: Mapping[str, Any] | None = None,  # matplotlib figures or PNG bytes
    feature_service: str | None = None,
    feature_service_version: str | None = None,
    tags: Mapping[str, str] | None = None,
    experiment: str | None = None,
    run_name: str | None = None,
) -> LoggedModel:
    """Log one training run to ``settings``' MLflow and register the model as a new ``challenger``."""
    import mlflow
    from mlflow.models import infer_signature

    from models.evaluation.plots import figure_png

    kind = _model_kind(model)
    configure_mlflow(settings, experiment or name)
    wrapper = RecommenderPyFunc() if kind == "recommender" else FraudPyFunc()
    with tempfile.TemporaryDirectory(prefix="suuupra-model-") as tmp:
        model_dir = model.save(Path(tmp) / "model")
        if kind == "recommender":
            output_example = model.recommend(input_example["user_id"].tolist(), k=10)
            requirements = ["numpy", "pandas", "scipy"]
        else:
            output_example = model.score(input_example)
            output_example["reason_codes"] = output_example["reason_codes"].map(",".join)
            requirements = ["numpy", "pandas", "scipy", "scikit-learn", "torch"]
        signature = infer_signature(input_example, output_example)
        with mlflow.start_run(run_name=run_name or f"train-{kind}") as run:
            mlflow.log_params({k: _param(v) for k, v in params.items()})
            mlflow.log_params(
                {
                    "feature_service": feature_service or "none",
                    "feature_service_version": feature_service_version or "none",
                }
            )
            clean = {metric_key(k): float(v) for k, v in metrics.items() if v is not None and v == v}
            mlflow.log_metrics(clean)
            mlflow.set_tags({"suuupra.kind": kind, **(tags or {})})
            for fname, fig in (figures or {}).items():
                png = fig if isinstance(fig, bytes) else figure_png(fig)
                mlflow.log_image(_png_image(png), f"plots/{fname}.png")
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=wrapper,
                artifacts={"model": str(model_dir)},
                signature=signature,
                input_example=input_example,
                registered_model_name=name,
                pip_requirements=requirements,
            )
    version = str(info.registered_model_version)
    client = registry_client(_uri(settings))
    client.set_registered_model_alias(name, CHALLENGER, version)
    client.set_model_version_tag(name, version, "feature_service_version", feature_service_version or "none")
    return LoggedModel(run_id=run.info.run_id, name=name, version=version)


def metric_key(name: str) -> str:
    """MLflow-safe metric name: ``ndcg@10`` -> ``ndcg_at_10``."""
    return name.replace("@", "_at_")


def _png_image(png: bytes):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(png))


def _param(value: Any) -> Any:
    if isinstance(value, list | tuple | dict):
        return str(value)
    return value


# ---------------------------------------------------------------------- loading
def load_version(name: str, version: str | int, *, tracking_uri: str) -> Any:
    """Our native model object for ``name`` at ``version`` in the registry at ``tracking_uri``."""
    import mlflow

    configure_tracking_only(tracking_uri)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    return pyfunc.unwrap_python_model().model


def load_champion(name: str, alias: str = CHAMPION, *, tracking_uri: str) -> tuple[Any, str]:
    """``(model, version)`` of the version holding ``alias`` (default ``champion``).

    ``model`` is a :class:`~models.recommender.RecommenderModel` for
    ``suuupra-recommender`` and a :class:`~models.fraud.FraudModel` for ``suuupra-fraud``.
    Raises :class:`RegistryError` naming the fix when there is no such alias yet.
    """
    version = alias_version(name, alias, tracking_uri=tracking_uri)
    if version is None:
        raise RegistryError(
            f"model {name!r} has no {alias!r} version yet; train one first (`suuupra models train ...`)"
        )
    return load_version(name, version, tracking_uri=tracking_uri), version


def alias_version(name: str, alias: str, *, tracking_uri: str) -> str | None:
    """The version ``alias`` points at in the registry at ``tracking_uri``, or None if unset."""
    from mlflow.exceptions import MlflowException

    try:
        return str(registry_client(tracking_uri).get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


# -------------------------------------------------------------------- promotion
@dataclass(frozen=True)
class PromotionDecision:
    promoted: bool
    reason: str
    challenger_version: str
    champion_version: str | None
    metric: str
    challenger_score: float
    champion_score: float | None


def promote_if_better(
    name: str,
    challenger_version: str | int,
    evaluate: Callable[[Any], Mapping[str, float]],
    metric: str,
    margin: float = 0.0,
    higher_is_better: bool = True,
    *,
    tracking_uri: str,
    blockers: Sequence[str] = (),
) -> PromotionDecision:
    """The promotion gate.

    ``evaluate(model) -> metrics`` must score a model on a fixed holdout; it is applied to
    both the challenger and the current champion here, in the same process, so neither
    side benefits from a friendlier split. Promotes when the challenger beats the champion
    by more than ``margin`` (absolute, in ``metric`` units), or when there is no champion.
    Both versions are read from, and the decision written to, the registry at ``tracking_uri``.
    Any entry in ``blockers`` (a monitoring check that failed) refuses to replace a champion
    and is named in the reason.
    """
    challenger_version = str(challenger_version)
    client = registry_client(tracking_uri)
    challenger = load_version(name, challenger_version, tracking_uri=tracking_uri)
    c_score = float(evaluate(challenger)[metric])
    champ_version = alias_version(name, CHAMPION, tracking_uri=tracking_uri)
    champ_score: float | None = None
    if champ_version is None:
        promoted, reason = True, f"no champion yet; {metric}={c_score:.4f}"
    elif champ_version == challenger_version:
        champ_score = c_score
        promoted, reason = False, "challenger is already the champion"
    else:
        champ_score = float(evaluate(load_version(name, champ_version, tracking_uri=tracking_uri))[metric])
        gain = (c_score - champ_score) if higher_is_better else (champ_score - c_score)
        promoted = gain > margin
        verdict = "beats" if promoted else "does not beat"
        reason = (
            f"challenger v{challenger_version} {metric}={c_score:.4f} {verdict} champion v{champ_version} "
            f"{metric}={champ_score:.4f} by the required margin {margin:g} (gain {gain:+.4f})"
        )
    if promoted and blockers and champ_version is not None:
        # e.g. drift of served traffic: a person looks before the champion is replaced. A first
        # model is promoted anyway (no model at all is worse) with the blockers in its reason.
        promoted, reason = False, f"promotion blocked: {'; '.join(blockers)} (metric gate: {reason})"
    elif promoted and blockers:
        reason = f"{reason}; promoted although {'; '.join(blockers)} (no champion to keep)"
    if promoted:
        client.set_registered_model_alias(name, CHAMPION, challenger_version)
    tags = {
        "promotion.decision": "promoted" if promoted else "rejected",
        "promotion.reason": reason,
        "promotion.metric": metric,
        "promotion.challenger_score": f"{c_score:.6f}",
        "promotion.champion_version": champ_version or "none",
        "promotion.champion_score": "none" if champ_score is None else f"{champ_score:.6f}",
        "promotion.margin": f"{margin:g}",
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, challenger_version, key, value)
    run_id = client.get_model_version(name, challenger_version).run_id
    if run_id:
        for key, value in tags.items():
            client.set_tag(run_id, key, value)
    return PromotionDecision(
        promoted=promoted,
        reason=reason,
        challenger_version=challenger_version,
        champion_version=champ_version,
        metric=metric,
        challenger_score=c_score,
        champion_score=champ_score,
    )
