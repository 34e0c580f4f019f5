"""A backend for OpenAI-compatible chat servers (vLLM, llama.cpp server, TGI, ...).

It speaks ``POST /v1/chat/completions`` with ``"stream": true`` and reads the
server-sent events reply. No network happens until a generation call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from crs.llm.base import (
    ChatMessage,
    GenerationError,
    LLMBackend,
    apply_stop,
    check_generation_args,
    check_messages,
    normalize_stop,
)

# How much of an error body to quote: enough for the server's message, not a whole HTML page.
_BODY_QUOTE = 500


def chat_url(base_url: str) -> str:
    """The chat endpoint for a base URL given with or without its ``/v1`` suffix."""
    url = base_url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/chat/completions"


def parse_sse(lines: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    """The JSON payloads of an SSE stream, ending at ``data: [DONE]``.

    Comment lines (``:``), blank lines and other fields (``event:``, ``id:``)
    carry nothing a chat client needs and are skipped.
    """
    for raw in lines:
        # Decoded by hand: SSE is UTF-8 by spec, but requests would guess
        # ISO-8859-1 for a text/* reply that names no charset.
        line = raw.decode("utf-8", errors="replace").strip()
        if not line.startswith("data:"):
            continue
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError as exc:
            raise GenerationError(f"malformed stream chunk from server: {data[:_BODY_QUOTE]!r}") from exc
        if not isinstance(chunk, dict):
            raise GenerationError(f"malformed stream chunk from server: {data[:_BODY_QUOTE]!r}")
        if "error" in chunk:  # vLLM reports mid-stream failures this way
            raise GenerationError(f"server error during generation: {chunk['error']}")
        yield chunk


def chunk_text(chunk: dict[str, Any]) -> str:
    """The text delta of one ``chat.completion.chunk`` (empty for role-only or final chunks)."""
    try:
        choices = chunk["choices"]
        if not choices:  # usage-only chunks have no choices
            return ""
        delta = choices[0].get("delta") or {}
        return delta.get("content") or ""
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise GenerationError(f"malformed stream chunk from server: {str(chunk)[:_BODY_QUOTE]}") from exc


class OpenAIBackend(LLMBackend):
    """A model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint."""

    name = "openai"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 60) -> None:
        if not base_url or not model:
            raise GenerationError("OpenAIBackend needs base_url (e.g. http://localhost:8000/v1) and model")
        self.base_url = base_url
        self.url = chat_url(base_url)
        self.model = model
        self.api_key = api_key
        self.timeout = timeout

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_new_tokens: int = 128,
        temperature: float = 0.0,
        stop: str | list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[str]:
        """Yield reply deltas as the server streams them."""
        if "logits_processor" in kwargs:
            raise GenerationError("logits_processor runs inside the model, so only HFBackend supports it")
        if kwargs:
            raise GenerationError(f"unsupported generation options for OpenAIBackend: {sorted(kwargs)}")
        check_generation_args(max_new_tokens, temperature)
        stops = normalize_stop(stop)
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": check_messages(messages),
            "max_tokens": max_new_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stops:
            payload["stop"] = stops
        # The server applies stop strings too; filtering here as well keeps
        # behaviour identical across servers that ignore the field.
        return apply_stop(self._post(payload), stops)

    def _post(self, payload: dict[str, Any]) -> Iterator[str]:
        import requests

        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            response = requests.post(self.url, json=payload, headers=headers, stream=True, timeout=self.timeout)
        except requests.RequestException as exc:
            raise GenerationError(f"cannot reach the LLM server at {self.url}: {exc}") from exc
        with response:
            if response.status_code != 200:
                body = response.text[:_BODY_QUOTE]
                raise GenerationError(f"LLM server {self.url} answered HTTP {response.status_code}: {body}")
            try:
                # chunk_size=None hands over bytes as they arrive, so deltas are not held back.
                for chunk in parse_sse(response.iter_lines(chunk_size=None)):
                    text = chunk_text(chunk)
                    if text:
                        yield text
            except requests.RequestException as exc:
                raise GenerationError(f"the stream from {self.url} broke off: {exc}") from exc

    def __repr__(self) -> str:
        return f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r})"
