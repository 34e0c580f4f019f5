"""The backend interface every LLM implementation follows, and shared helpers.

A backend turns a chat (a list of ``{"role", "content"}`` dicts) into text,
either as a stream of deltas or as one string. Nothing here imports torch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# A chat message is a plain dict so it serialises to JSON and matches what
# both Hugging Face chat templates and the OpenAI API expect.
ChatMessage = dict

ROLES = ("system", "user", "assistant", "tool")


class GenerationError(RuntimeError):
    """Text generation failed: bad input, a model that cannot load, or a server error."""


def check_messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """Validate a chat and return it as a list of plain ``{"role", "content"}`` dicts."""
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise GenerationError(
            "messages must be a list of {'role': ..., 'content': ...} dicts, "
            f"got {type(messages).__name__}"
        )
    if not messages:
        raise GenerationError("messages is empty: give at least one {'role': 'user', 'content': ...}")
    clean = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or "role" not in msg or "content" not in msg:
            raise GenerationError(f"message {i} must be a dict with 'role' and 'content', got {msg!r:.200}")
        if msg["role"] not in ROLES:
            raise GenerationError(f"message {i} has role {msg['role']!r}; valid roles: {', '.join(ROLES)}")
        if not isinstance(msg["content"], str):
            raise GenerationError(
                f"message {i} content must be a string, got {type(msg['content']).__name__}"
            )
        clean.append({"role": msg["role"], "content": msg["content"]})
    return clean


def normalize_stop(stop: str | Iterable[str] | None) -> list[str]:
    """Stop sequences as a list of non-empty strings (accepts one string, like the OpenAI API)."""
    if stop is None:
        return []
    if isinstance(stop, str):
        stop = [stop]
    return [s for s in stop if s]


def apply_stop(deltas: Iterable[str], stop: Sequence[str]) -> Iterator[str]:
    """Pass deltas through, ending right before the first stop string.

    A stop string can straddle two deltas, so the tail that could still be the
    start of a stop string is held back until the next delta decides it.
    """
    try:
        if not stop:
            yield from deltas
            return
        hold = max(len(s) for s in stop) - 1
        buf = ""
        for delta in deltas:
            buf += delta
            cut = min((i for i in (buf.find(s) for s in stop) if i >= 0), default=-1)
            if cut >= 0:
                if cut:
                    yield buf[:cut]
                return
            if len(buf) > hold:
                safe = len(buf) - hold
                yield buf[:safe]
                buf = buf[safe:]
        if buf:
            yield buf
    finally:
        # Closing the source tells a backend to stop generating (and free its
        # thread or HTTP connection) as soon as the caller has what it needs.
        close = getattr(deltas, "close", None)
        if close is not None:
            close()


class LLMBackend(ABC):
    """A chat model. Subclasses implement :meth:`stream`; :meth:`generate` joins it."""

    name: str = "llm"

    @abstractmethod
    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_new_tokens: int = 128,
        temperature: float = 0.0,
        stop: str | list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[str]:
        """Yield the reply as text deltas; greedy when ``temperature == 0``.

        Raises :class:`GenerationError` on failure.
        """

    def generate(
        self,
        messages: list[ChatMessage],
        *,
        max_new_tokens: int = 128,
        temperature: float = 0.0,
        stop: str | list[str] | None = None,
        **kwargs: Any,
    ) -> str:
        """The whole reply as one string (the joined :meth:`stream`)."""
        return "".join(
            self.stream(
                messages, max_new_tokens=max_new_tokens, temperature=temperature, stop=stop, **kwargs
            )
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def check_generation_args(max_new_tokens: int, temperature: float) -> None:
    """Reject arguments every backend would reject, with one clear message."""
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise GenerationError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    if temperature < 0:
        raise GenerationError(f"temperature must be >= 0 (0 means greedy), got {temperature!r}")
