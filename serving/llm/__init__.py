"""The LLM Serve application behind the tutor: one OpenAI chat-completions protocol, two backends.

* ``local`` profile: :mod:`serving.llm.local_app` — a Ray Serve deployment of
  SmolLM2-135M-Instruct (the engine is :mod:`rag.llm.smollm2`) on CPU.
* ``prod`` profile: :mod:`serving.llm.vllm_app` — vLLM through ``ray.serve.llm``
  (``LLMConfig`` + ``build_openai_app``), or a plain ``vllm serve`` OpenAI server.

The tutor never imports either backend: it talks to ``settings.llm_base_url`` with
the ``openai`` client, so its code path is identical in both profiles. The wire
format both speak lives with the tutor's client code in :mod:`rag.llm.protocol`.

Importing this package is cheap (no torch, no vllm); heavy imports happen inside
functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ray.serve import Application

__all__ = ["build_llm_app"]


def build_llm_app(args: dict[str, Any] | None = None) -> Application:
    """The LLM Serve application of the active profile (``import_path: serving.llm:build_llm_app``).

    A Serve builder, so an edge: it reads the settings of the process Serve builds the
    application in to pick the backend (SmolLM2 locally, vLLM in prod).
    """
    from suuupra.settings import Profile, load_settings

    if load_settings().profile is Profile.prod:
        from serving.llm.vllm_app import build_vllm_app

        return build_vllm_app(args)
    from serving.llm.local_app import build_local_llm_app

    return build_local_llm_app(args)
