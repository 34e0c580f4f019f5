"""Chat LLM backends behind one interface: local Hugging Face models, SmolLM2, OpenAI-compatible servers.

Importing this package is cheap: torch and transformers load on first use.

    from crs.llm import load_backend
    llm = load_backend("smollm2")
    print(llm.generate([{"role": "user", "content": "Recommend a sci-fi movie."}]))
"""

from crs.llm.base import ChatMessage, GenerationError, LLMBackend
from crs.llm.hf import HFBackend
from crs.llm.openai_compat import OpenAIBackend
from crs.llm.registry import BACKENDS, UnknownBackendError, load_backend
from crs.llm.smollm import ensure_smollm, smollm_backend
from crs.llm.tiny import tiny_backend

__all__ = [
    "BACKENDS",
    "ChatMessage",
    "GenerationError",
    "HFBackend",
    "LLMBackend",
    "OpenAIBackend",
    "UnknownBackendError",
    "ensure_smollm",
    "load_backend",
    "smollm_backend",
    "tiny_backend",
]
