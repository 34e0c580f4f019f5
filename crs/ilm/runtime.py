"""Inference with a trained adapter: soft-token prompts, perplexity, and streamed generation with
optional BOE-guided decoding. Used by the dialogue manager and by `crs eval conv`."""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch

from crs.ilm.boe_decoding import BOELogitsProcessor, HiddenTap, entity_vocab_matrix
from crs.ilm.data import ItemFeatures
from crs.ilm.losses import summed_nll
from crs.ilm.model import ItemLanguageAdapter, attach_lora
from crs.ilm.prompt import assemble, render_chat

# A 135M model decoding greedily falls into loops ("The Shining, Psycho, The Shining, ..."):
# forbidding repeated token 4-grams stops them without touching the first mention of a title.
NO_REPEAT_NGRAM = 4


class ILMRuntime:
    """A frozen LLM (an HFBackend's model) reading items through a trained adapter."""

    def __init__(self, adapter: ItemLanguageAdapter, llm, tokenizer, features: ItemFeatures,
                 name_tokens: dict[int, list[int]] | None = None, adapter_path: str | Path | None = None):
        self.adapter, self.tokenizer, self.features = adapter.eval(), tokenizer, features
        self.adapter_path = Path(adapter_path).expanduser() if adapter_path is not None else None  # status line
        if adapter.config.lora and adapter_path is not None and not hasattr(llm, "peft_config"):
            llm = attach_lora(llm, adapter.config, adapter_path)
        self.llm = llm.eval()
        self.device = self.llm.get_input_embeddings().weight.device
        self.adapter.to(self.device)
        self._name_tokens = name_tokens
        self._entity_vocab = None

    # ------------------------------------------------------------------ pieces
    @torch.no_grad()
    def item_tokens(self, items: list[int]) -> torch.Tensor:
        if not items:
            return torch.zeros(0, self.adapter.config.n_query, self.adapter.config.llm_hidden, device=self.device)
        return self.adapter.soft_tokens(*self.features.take(items, self.device))

    @torch.no_grad()
    def user_token(self, u: torch.Tensor | None) -> torch.Tensor | None:
        return None if u is None else self.adapter.user_token(u.to(self.device).reshape(1, -1))[0]

    def entity_vocab(self) -> torch.Tensor:
        if self._entity_vocab is None:
            if self._name_tokens is None:
                from crs.data.tmdkg import cached_tmdkg
                from crs.ilm.losses import entity_name_tokens

                kg = cached_tmdkg()
                self._name_tokens = entity_name_tokens(self.tokenizer, {e: kg.name(e) for e in range(kg.n_entities)})
            vocab = self.llm.get_output_embeddings().weight.shape[0]
            self._entity_vocab = entity_vocab_matrix(self._name_tokens, self.adapter.config.n_entities, vocab).to(self.device)
        return self._entity_vocab

    # ------------------------------------------------------------------ scoring
    @torch.no_grad()
    def nll(self, messages_list: list[list[dict]], replies: list[str], items: list[list[int]],
            users: torch.Tensor | None = None, batch_size: int = 8, max_target_tokens: int = 64) -> tuple[float, int]:
        """Summed negative log-likelihood of the replies and their token count (perplexity = exp(sum/n))."""
        total, count = 0.0, 0
        for s in range(0, len(replies), batch_size):
            prompts = [render_chat(self.tokenizer, m) for m in messages_list[s:s + batch_size]]
            toks = [self.item_tokens(it) for it in items[s:s + batch_size]]
            ut = self.adapter.user_token(users[s:s + batch_size].to(self.device)) if users is not None else None
            b = assemble(self.llm, self.tokenizer, prompts, replies[s:s + batch_size], toks, ut, max_target_tokens)
            t, n = summed_nll(self.llm(inputs_embeds=b.inputs_embeds, attention_mask=b.attention_mask).logits, b.labels)
            total, count = total + t, count + n
        return total, count

    def perplexity(self, *args, **kwargs) -> float:
        total, count = self.nll(*args, **kwargs)
        return math.exp(total / max(count, 1))

    # ------------------------------------------------------------------ generation
    def stream(self, messages: list[dict], items: list[int], user: torch.Tensor | None = None,
               boe_weight: float = 0.0, max_new_tokens: int = 64, temperature: float = 0.0,
               no_repeat_ngram: int = NO_REPEAT_NGRAM) -> Iterator[str]:
        """Stream a reply; with a user vector and boe_weight > 0, BOE-guided decoding is on.
        `no_repeat_ngram`: never repeat a token n-gram of this size in the reply (0: off)."""
        from transformers import LogitsProcessorList, TextIteratorStreamer

        with torch.no_grad():
            ut = self.user_token(user) if user is not None else None
            b = assemble(self.llm, self.tokenizer, [render_chat(self.tokenizer, messages)], None,
                         [self.item_tokens(items)], ut.unsqueeze(0) if ut is not None else None, pad_left=True)
        tap = processors = None
        if boe_weight > 0 and user is not None:
            tap = HiddenTap(self.llm)
            processors = LogitsProcessorList([BOELogitsProcessor(self.adapter, user.to(self.device).reshape(1, -1),
                                                                 self.features.entities.to(self.device),
                                                                 self.entity_vocab(), tap, boe_weight)])
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=False, skip_special_tokens=True)
        tok = self.tokenizer
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        kwargs = dict(inputs_embeds=b.inputs_embeds, attention_mask=b.attention_mask, max_new_tokens=max_new_tokens,
                      do_sample=temperature > 0, streamer=streamer, pad_token_id=pad, eos_token_id=tok.eos_token_id)
        if temperature > 0:
            kwargs["temperature"] = temperature
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if processors is not None:
            kwargs["logits_processor"] = processors
        if no_repeat_ngram:
            kwargs["no_repeat_ngram_size"] = no_repeat_ngram
        errors: list[BaseException] = []

        def run():
            try:
                with torch.no_grad(), warnings.catch_warnings():
                    # Applying the n-gram rule to the reply only (not the prompt) is what we want.
                    warnings.filterwarnings("ignore", message=".*no_repeat_ngram_size.*inputs_embeds")
                    self.llm.generate(**kwargs)
            except BaseException as exc:  # re-raised below, in the caller's thread
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            for text in streamer:
                if text:
                    yield text
        finally:
            thread.join()
            if tap is not None:
                tap.remove()
        if errors:
            from crs.llm.base import GenerationError

            raise GenerationError(f"generation failed: {errors[0]!r}") from errors[0]

    def generate(self, *args, **kwargs) -> str:
        return "".join(self.stream(*args, **kwargs))
