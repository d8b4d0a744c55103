"""Start/stop Ray and Serve for a profile, and run the platform's applications.

``local``: an in-process Ray (``ray.init(num_cpus=2, include_dashboard=False)``) and
Serve on ``settings.serve_host:serve_port``. ``prod``: connect to the cluster at
``settings.ray_address``; there, prefer ``serve deploy serving/config/serve_prod.yaml``
(declarative, what the controller reconciles towards) over this module.
"""

from __future__ import annotations

from typing import Any

from suuupra.settings import Profile, Settings, get_settings


def replica_env(settings: Settings) -> dict[str, str]:
    """Settings replicas must share with the driver (they are separate processes)."""
    return {
        "SUUUPRA_PROFILE": settings.profile.value,
        "SUUUPRA_DATA_DIR": str(settings.data_dir),
        "SUUUPRA_MLFLOW_TRACKING_URI": str(settings.mlflow_tracking_uri),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": "1",
    }


def start(settings: Settings | None = None, num_cpus: int = 2) -> None:
    """Connect Ray (local or cluster) and start Serve's HTTP proxy on the configured port."""
    import ray
    from ray import serve

    settings = settings or get_settings()
    if not ray.is_initialized():
        env = {"env_vars": replica_env(settings)}
        if settings.profile is Profile.local and not settings.ray_address:
            ray.init(num_cpus=num_cpus, include_dashboard=False, runtime_env=env, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=settings.ray_address or "auto", runtime_env=env, log_to_driver=False)
    serve.start(http_options={"host": settings.serve_host, "port": settings.serve_port})


def run_platform(
    settings: Settings | None = None,
    serving_args: dict[str, Any] | None = None,
    tutor: bool = True,
    noop: bool = False,
) -> dict[str, str]:
    """Deploy the applications of ``serve_local.yaml`` from Python; returns name -> route."""
    from ray import serve

    from serving.app import build_app, build_noop_app

    settings = settings or get_settings()
    start(settings)
    routes = {"suuupra": "/"}
    serve.run(build_app(serving_args or {}), name="suuupra", route_prefix="/")
    if noop:
        serve.run(build_noop_app(), name="noop", route_prefix="/noop")
        routes["noop"] = "/noop"
    if tutor:
        from serving.tutor_app import build_llm_app, build_tutor_app

        serve.run(build_llm_app(), name="llm", route_prefix="/llm")
        serve.run(build_tutor_app(), name="tutor", route_prefix="/tutor")
        routes.update(llm="/llm", tutor="/tutor")
    return routes


def base_url(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return f"http://{settings.serve_host}:{settings.serve_port}"


def shutdown() -> None:
    import ray
    from ray import serve

    try:
        serve.shutdown()
    finally:
        ray.shutdown()
