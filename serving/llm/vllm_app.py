"""The ``prod`` LLM backend: vLLM behind the same OpenAI protocol.

Two supported ways to run it, both built from the same settings
(``vllm_model``, ``vllm_tensor_parallel_size``, ``vllm_max_model_len``):

* :func:`build_vllm_app` — Ray Serve LLM (``ray.serve.llm.LLMConfig`` +
  ``build_openai_app``), the default: it gives autoscaling and shares the Serve
  cluster with the rest of ``serving/`` (selected by :func:`serving.llm.build_llm_app`). Its route prefix is ``/llm`` so
  ``settings.llm_base_url`` (``.../llm/v1``) is unchanged between profiles.
* :func:`vllm_serve_command` — a standalone ``vllm serve`` OpenAI server, for a
  dedicated GPU box; point ``SUUUPRA_LLM_BASE_URL`` at it.

vLLM is a GPU-only optional extra (``pip install suuupra[gpu]``), and
``ray.serve.llm`` refuses to import without it, so everything here builds *plain
dicts* first (testable on any machine) and imports ``ray.serve.llm`` only inside
:func:`build_vllm_app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from ray.serve import Application

    from suuupra.settings import Settings


class VLLMArgs(BaseModel):
    """Overrides for the vLLM deployment; unset fields come from settings."""

    model_id: str | None = Field(default=None, description="name clients send as `model`")
    model_source: str | None = Field(default=None, description="HF repo id or local path")
    tensor_parallel_size: int | None = Field(default=None, ge=1)
    max_model_len: int | None = Field(default=None, ge=512)
    gpu_memory_utilization: float = Field(default=0.90, gt=0, le=1)
    accelerator_type: str | None = Field(default=None, description="e.g. H100, A10G; None = any GPU")
    min_replicas: int = Field(default=1, ge=0)
    max_replicas: int = Field(default=2, ge=1)
    max_num_seqs: int = Field(default=64, ge=1)
    route_prefix: str = "/llm"


def served_model_id(settings: Settings, args: VLLMArgs | None = None) -> str:
    """The ``model`` name the tutor sends (see :func:`rag.llm.served_model_name`), unless overridden."""
    from rag.llm import served_model_name

    return (args.model_id if args and args.model_id else None) or served_model_name(settings)


def vllm_llm_config(settings: Settings, args: VLLMArgs | dict[str, Any] | None = None) -> dict:
    """Keyword arguments of ``ray.serve.llm.LLMConfig`` for the prod model.

    ``engine_kwargs`` go straight to vLLM's ``AsyncEngineArgs``: tensor parallelism
    and max model length are the two settings that decide whether a model fits.
    """
    a = args if isinstance(args, VLLMArgs) else VLLMArgs.model_validate(args or {})
    tp = a.tensor_parallel_size or settings.vllm_tensor_parallel_size
    cfg: dict[str, Any] = {
        "model_loading_config": {
            "model_id": served_model_id(settings, a),
            "model_source": a.model_source or settings.vllm_model,
        },
        "engine_kwargs": {
            "tensor_parallel_size": tp,
            "max_model_len": a.max_model_len or settings.vllm_max_model_len,
            "gpu_memory_utilization": a.gpu_memory_utilization,
            "max_num_seqs": a.max_num_seqs,
            "enable_prefix_caching": True,  # the tutor's system prompt is shared by every request
        },
        "deployment_config": {
            "autoscaling_config": {"min_replicas": a.min_replicas, "max_replicas": a.max_replicas},
        },
    }
    if a.accelerator_type:
        cfg["accelerator_type"] = a.accelerator_type
    return cfg


def vllm_serve_config(settings: Settings, args: VLLMArgs | dict[str, Any] | None = None) -> dict:
    """A ``serve deploy`` config file (as a dict) for the Ray Serve LLM OpenAI app."""
    a = args if isinstance(args, VLLMArgs) else VLLMArgs.model_validate(args or {})
    return {
        "applications": [
            {
                "name": "llm",
                "route_prefix": a.route_prefix,
                "import_path": "ray.serve.llm:build_openai_app",
                "args": {"llm_configs": [vllm_llm_config(settings, a)]},
            }
        ]
    }


def vllm_serve_command(settings: Settings, args: VLLMArgs | dict[str, Any] | None = None) -> list[str]:
    """Argv of an equivalent standalone vLLM OpenAI server (``vllm serve``)."""
    cfg = vllm_llm_config(settings, args)
    eng = cfg["engine_kwargs"]
    return [
        "vllm",
        "serve",
        cfg["model_loading_config"]["model_source"],
        "--served-model-name",
        cfg["model_loading_config"]["model_id"],
        "--tensor-parallel-size",
        str(eng["tensor_parallel_size"]),
        "--max-model-len",
        str(eng["max_model_len"]),
        "--gpu-memory-utilization",
        str(eng["gpu_memory_utilization"]),
        "--max-num-seqs",
        str(eng["max_num_seqs"]),
        "--enable-prefix-caching",
    ]


def build_vllm_app(args: VLLMArgs | dict[str, Any] | None = None) -> Application:
    """Ray Serve LLM OpenAI app (``/v1/chat/completions``, ``/v1/models``) on vLLM.

    A Serve builder, so an edge: the settings are those of the process Serve builds
    the application in. Raises a clear error when vLLM is not installed (it is a
    GPU-only extra).
    """
    from suuupra.settings import load_settings

    try:
        from ray.serve.llm import LLMConfig, build_openai_app
    except ImportError as exc:
        raise RuntimeError(
            "the prod LLM backend needs vLLM: pip install 'suuupra[gpu]' (or ray[llm]) on a GPU machine "
            f"({exc})"
        ) from exc
    llm_config = LLMConfig(**vllm_llm_config(load_settings(), args))
    return build_openai_app({"llm_configs": [llm_config]})
