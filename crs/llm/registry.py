"""Backends by name, and the config record that selects one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
