"""Backends by name, and the config record that selects one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crs.config_utils import StrictConfig
from crs.llm.base import LLMBackend
from crs.llm.hf import HFBackend
from crs.llm.openai_compat import OpenAIBackend
from crs.llm.smollm import smollm_backend
from crs.llm.tiny import tiny_backend

# An explicit table rather than entry points or decorators: every backend is visible here.
BACKENDS: dict[str, Callable[..., LLMBackend]] = {
    "smollm2": smollm_backend,
    "hf": HFBackend,
    "openai": OpenAIBackend,
    "tiny": tiny_backend,
}


class UnknownBackendError(ValueError):
    """A backend name that is not in :data:`BACKENDS`."""


def load_backend(name: str, **kwargs: Any) -> LLMBackend:
    """Build the backend registered under ``name`` with ``kwargs``."""
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise UnknownBackendError(
            f"unknown LLM backend {name!r}; valid names: {', '.join(sorted(BACKENDS))}"
        ) from None
    return factory(**kwargs)


@dataclass
class BackendConfig(StrictConfig):
    """Which backend to use and the default generation settings (e.g. a YAML ``llm:`` block)."""

    name: str = "smollm2"
    model_dir: str | None = None  # "hf": the model folder; "smollm2": where the conversion is cached
    base_url: str | None = None  # "openai": e.g. http://localhost:8000/v1
    model: str | None = None  # "openai": the served model name
    max_new_tokens: int = 128
    temperature: float = 0.0

    def generation_kwargs(self) -> dict[str, Any]:
        """The per-call settings for ``backend.stream``/``generate``."""
        return {"max_new_tokens": self.max_new_tokens, "temperature": self.temperature}

    def build(self) -> LLMBackend:
        """The backend this config names, given only the fields that backend takes."""
        kwargs: dict[str, Any] = {}
        if self.name == "hf":
            kwargs["model_dir"] = self.model_dir
        elif self.name == "smollm2" and self.model_dir:
            kwargs["cache"] = self.model_dir
        elif self.name == "openai":
            kwargs.update(base_url=self.base_url, model=self.model)
        return load_backend(self.name, **kwargs)
