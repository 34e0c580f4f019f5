"""A tiny random-init Llama-style model for fast unit tests (no download, no cache needed)."""

from __future__ import annotations

import logging
from typing import Any

from crs.llm.hf import HFBackend

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# The ChatML layout SmolLM2 uses, so tests exercise the same prompt shape as the real model.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# A little text to learn merges from; byte-level BPE can still encode anything.
_CORPUS = [
    "I loved The Matrix and Inception, can you recommend a similar movie?",
    "You might enjoy Interstellar, a science fiction film by Christopher Nolan.",
    "What genre do you like? Comedy, drama, horror or animation?",
    "I prefer romantic comedies from the nineties with a happy ending.",
    "Here are three films: Notting Hill, Sleepless in Seattle and Groundhog Day.",
    "Thanks! Have you seen the new thriller with the twist at the end?",
]


def simple_tokenizer(vocab_size: int = 400) -> Any:
    """A byte-level BPE tokenizer with ChatML special tokens, trained in milliseconds."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte, so no unknown tokens
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    fast.chat_template = CHATML_TEMPLATE
    return fast


def _smollm_tokenizer() -> Any | None:
    """The real SmolLM2 tokenizer when the converted model is already cached, else None."""
    from crs.llm.smollm import default_cache, is_converted

    try:
        folder = default_cache()
        if not is_converted(folder):
            return None
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(folder)
    except Exception as e:  # a broken or unreadable cache must not break unit tests: fall back
        logging.getLogger(__name__).warning("tiny LLM: SmolLM2 tokenizer unreadable (%s); using the byte tokenizer", e)
        return None


def tiny_backend(seed: int = 0, tokenizer: str = "auto", context: int = 256) -> HFBackend:
    """An HFBackend over a random 2-layer Llama (hidden 32) on CPU.

    ``tokenizer``: "auto" reuses the cached SmolLM2 tokenizer when present and
    otherwise trains a small one; "simple" always trains the small one.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if tokenizer not in ("auto", "simple"):
        raise ValueError(f"tokenizer must be 'auto' or 'simple', got {tokenizer!r}")
    tok = _smollm_tokenizer() if tokenizer == "auto" else None
    if tok is None:
        tok = simple_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=context,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
        tie_word_embeddings=True,
        # Wider than the usual 0.02 so greedy output varies instead of repeating one token.
        initializer_range=0.2,
    )
    # Seed a private generator so building a backend does not disturb global RNG state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    backend = HFBackend(model=model, tokenizer=tok, device="cpu")
    backend.name = "tiny"
    return backend
