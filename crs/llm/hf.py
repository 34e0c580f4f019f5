"""A backend for any Hugging Face causal LM, loaded lazily and streamed from a thread."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crs.llm.base import (
    ChatMessage,
    GenerationError,
    LLMBackend,
    apply_stop,
    check_generation_args,
    check_messages,
    normalize_stop,
)

if TYPE_CHECKING:  # imported for annotations only: torch is heavy and loads on first use
    import torch

# Beyond this many characters per prompt token the prompt is cut before
# tokenising: no tokenizer packs more than this, so nothing useful is lost, and
# a huge paste does not cost seconds of tokenisation.
_CHARS_PER_TOKEN_BOUND = 32
# Used when neither the model config nor the tokenizer states a context length.
_DEFAULT_CONTEXT = 2048


def resolve_device(device: str | None = "auto") -> torch.device:
    """``"auto"`` (or None) means CUDA when available, else CPU."""
    import torch

    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: Any, device: torch.device) -> torch.dtype:
    """None means float32 on CPU (fast and exact there) and bfloat16/float16 on GPU."""
    import torch

    if dtype is None:
        if device.type != "cuda":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if isinstance(dtype, torch.dtype):
        return dtype
    value = getattr(torch, str(dtype).removeprefix("torch."), None)
    if not isinstance(value, torch.dtype):
        raise GenerationError(f"unknown dtype {dtype!r}; use e.g. 'float32', 'bfloat16' or 'float16'")
    return value


def _plain_prompt(messages: list[dict[str, str]]) -> str:
    """The prompt for tokenizers without a chat template: 'role: content' lines."""
    lines = [f"{m['role']}: {m['content']}" for m in messages]
    return "\n".join(lines) + "\nassistant:"


class HFBackend(LLMBackend):
    """A Hugging Face causal LM from a local directory, or an already-built model.

    The model loads on first use (``.model``, ``.tokenizer`` or a generation
    call), so building a backend is cheap. Prompts longer than the context
    (or ``max_context`` tokens, when given) are cut from the left, keeping the
    most recent text.
    """

    name = "hf"

    def __init__(
        self,
        model_dir: str | Path | None = None,
        device: str | None = "auto",
        dtype: Any = None,
        *,
        model: Any = None,
        tokenizer: Any = None,
        gguf_file: str | None = None,
        max_context: int | None = None,
    ) -> None:
        if model_dir is None and (model is None or tokenizer is None):
            raise GenerationError("HFBackend needs model_dir, or both model= and tokenizer=")
        self.model_dir = Path(model_dir).expanduser() if model_dir is not None else None
        self.gguf_file = gguf_file
        # A cap below the model's own context: prefilling 8k tokens on a CPU takes minutes.
        self.max_context = max_context
        self._device_arg = device
        self._dtype_arg = dtype
        self._model = model
        self._tokenizer = tokenizer
        self._device: torch.device | None = None
        self._lock = threading.Lock()
        # Token counts of the latest finished call, for throughput measurements.
        self.last_usage: dict[str, int | bool] = {}
        if model is not None:
            self._adopt(model, tokenizer)

    # -- loading ---------------------------------------------------------------

    def _adopt(self, model: Any, tokenizer: Any) -> None:
        """Use a ready model; an explicit device moves it, "auto" leaves it where it is."""
        if self._device_arg in (None, "auto"):
            self._device = next(model.parameters()).device
        else:
            self._device = resolve_device(self._device_arg)
            model.to(self._device)
        model.eval()
        self._model, self._tokenizer = model, tokenizer

    def _load(self) -> None:
        with self._lock:  # two threads asking at once must not load twice
            if self._model is not None and self._tokenizer is not None:
                return
            from transformers import AutoModelForCausalLM, AutoTokenizer

            assert self.model_dir is not None
            if not self.model_dir.is_dir():
                raise GenerationError(f"model directory not found: {self.model_dir}")
            extra = {"gguf_file": self.gguf_file} if self.gguf_file else {}
            device = resolve_device(self._device_arg)
            dtype = resolve_dtype(self._dtype_arg, device)
            try:
                tokenizer = self._tokenizer
                if tokenizer is None:
                    tokenizer = AutoTokenizer.from_pretrained(self.model_dir, **extra)
                model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=dtype, **extra)
            except (OSError, ValueError, KeyError) as exc:
                raise GenerationError(
                    f"could not load a causal LM from {self.model_dir}: {exc}"
                ) from exc
            model.to(device).eval()
            self._device, self._model, self._tokenizer = device, model, tokenizer

    @property
    def model(self) -> Any:
        """The ``transformers`` model (loads it on first access)."""
        if self._model is None:
            self._load()
        return self._model

    @property
    def tokenizer(self) -> Any:
        """The tokenizer (loads the model on first access)."""
        if self._tokenizer is None:
            self._load()
        return self._tokenizer

    @property
    def device(self) -> torch.device:
        """Where the model runs (loads it on first access)."""
        if self._device is None:
            self._load()
        return self._device

    @property
    def context_length(self) -> int:
        """How many tokens (prompt plus reply) the model can attend to."""
        n = getattr(self.model.config, "max_position_embeddings", None)
        if not n:
            # Tokenizers without a limit report a huge sentinel (about 1e30).
            n = getattr(self.tokenizer, "model_max_length", 0)
            n = n if 0 < n < 10**7 else _DEFAULT_CONTEXT
        return int(min(n, self.max_context) if self.max_context else n)

    # -- prompting -------------------------------------------------------------

    def render(self, messages: Sequence[ChatMessage]) -> str:
        """The prompt text: the tokenizer's chat template, else 'role: content' lines."""
        clean = check_messages(messages)
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(clean, tokenize=False, add_generation_prompt=True)
        return _plain_prompt(clean)

    def encode(self, messages: Sequence[ChatMessage], max_new_tokens: int) -> tuple[Any, int, bool]:
        """Prompt ids (1, n) on the model device, the reply budget, and whether it was truncated.

        The prompt keeps its most recent tokens so that prompt + reply fits the
        context; if the reply alone would not leave room for a quarter of the
        context, the reply budget shrinks instead.
        """
        import torch

        context = self.context_length
        text = self.render(messages)
        prompt_budget = max(context - max_new_tokens, context // 4)
        max_chars = prompt_budget * _CHARS_PER_TOKEN_BOUND
        truncated = len(text) > max_chars
        if truncated:
            text = text[-max_chars:]
        # Special tokens are already in the rendered template; adding BOS again would double it.
        ids = self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        if len(ids) > prompt_budget:
            ids, truncated = ids[-prompt_budget:], True
        if not ids:  # an empty prompt would crash generate(); start from a known token
            fallback = self.tokenizer.bos_token_id or self.tokenizer.eos_token_id or 0
            ids = [fallback]
        new_tokens = max(1, min(max_new_tokens, context - len(ids)))
        return torch.tensor([ids], device=self.device), new_tokens, truncated

    # -- generation ------------------------------------------------------------

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_new_tokens: int = 128,
        temperature: float = 0.0,
        stop: str | list[str] | None = None,
        logits_processor: Sequence[Callable[..., Any]] | None = None,
        **kwargs: Any,
    ) -> Iterator[str]:
        """Yield reply deltas; ``logits_processor`` callables ``(input_ids, scores) -> scores`` steer decoding."""
        if kwargs:
            raise GenerationError(f"unsupported generation options for HFBackend: {sorted(kwargs)}")
        check_generation_args(max_new_tokens, temperature)
        # Encode now, not inside the generator, so bad input raises at the call site.
        input_ids, new_tokens, truncated = self.encode(messages, max_new_tokens)
        deltas = self._stream_ids(input_ids, new_tokens, temperature, logits_processor, truncated)
        return apply_stop(deltas, normalize_stop(stop))

    def _generation_config(self, new_tokens: int, temperature: float) -> Any:
        cfg = copy.deepcopy(self.model.generation_config)
        cfg.max_new_tokens = new_tokens
        cfg.max_length = None
        cfg.do_sample = temperature > 0
        if cfg.do_sample:
            cfg.temperature = temperature
        else:
            # Unset sampling knobs a checkpoint may carry, which greedy search would warn about.
            cfg.temperature = cfg.top_p = cfg.top_k = None
        if cfg.pad_token_id is None:
            tok = self.tokenizer
            cfg.pad_token_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        if cfg.eos_token_id is None and self.tokenizer.eos_token_id is not None:
            cfg.eos_token_id = self.tokenizer.eos_token_id
        return cfg

    def _stream_ids(
        self,
        input_ids: Any,
        new_tokens: int,
        temperature: float,
        logits_processor: Sequence[Callable[..., Any]] | None,
        truncated: bool,
    ) -> Iterator[str]:
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList, TextIteratorStreamer

        cancel = threading.Event()
        steps = [0]

        def stop_when_cancelled(ids: Any, scores: Any, **_: Any) -> Any:
            # Called once per new token: count it, and end early once the caller stopped reading.
            steps[0] += 1
            return torch.full((ids.shape[0],), cancel.is_set(), dtype=torch.bool, device=ids.device)

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            generation_config=self._generation_config(new_tokens, temperature),
            streamer=streamer,
            stopping_criteria=StoppingCriteriaList([stop_when_cancelled]),
        )
        if logits_processor:
            kwargs["logits_processor"] = LogitsProcessorList(list(logits_processor))
        errors: list[BaseException] = []

        def run() -> None:
            try:
                self.model.generate(**kwargs)
            except BaseException as exc:  # re-raised in the caller's thread below
                errors.append(exc)
                streamer.end()  # unblock the consumer, which would otherwise wait forever

        thread = threading.Thread(target=run, name="hf-generate", daemon=True)
        thread.start()
        try:
            for text in streamer:
                if errors:
                    break
                if text:
                    yield text
        finally:
            cancel.set()
            thread.join()
        if errors:
            raise GenerationError(f"generation failed: {errors[0]!r}") from errors[0]
        self.last_usage = {
            "prompt_tokens": int(input_ids.shape[1]),
            "completion_tokens": steps[0],
            "truncated": truncated,
        }

    def __repr__(self) -> str:
        where = self.model_dir if self.model_dir is not None else "in-memory model"
        return f"HFBackend({str(where)!r})"
