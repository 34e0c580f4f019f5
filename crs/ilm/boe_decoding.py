"""BOE-guided decoding (KECRS): at each step, weight x the BOE entity distribution, mapped onto the
vocabulary through the entities' name tokens, is added to the token distribution.

The BOE head needs the decoder state h_t; `HiddenTap` records it with a hook on the LM head's input,
so the processor works inside any `model.generate(...)` call (HFBackend.stream(logits_processor=...)).
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor


def entity_vocab_matrix(name_tokens: dict[int, list[int]], n_entities: int, vocab: int) -> torch.Tensor:
    """Sparse [n_entities, vocab]: each entity's name tokens, each row summing to 1."""
    rows, cols, vals = [], [], []
    for e, toks in name_tokens.items():
        toks = sorted(set(t for t in toks if t < vocab))
        for t in toks:
            rows.append(e)
            cols.append(t)
            vals.append(1.0 / len(toks))
    idx = torch.tensor([rows, cols], dtype=torch.long) if rows else torch.zeros(2, 0, dtype=torch.long)
    return torch.sparse_coo_tensor(idx, torch.tensor(vals, dtype=torch.float32), (n_entities, vocab),
                                   check_invariants=True).coalesce()


class HiddenTap:
    """Keeps the last position's final hidden state of every forward pass (input of the LM head)."""

    def __init__(self, model):
        self.last: torch.Tensor | None = None
        self._handle = model.get_output_embeddings().register_forward_pre_hook(self._hook)

    def _hook(self, module, args):
        self.last = args[0][:, -1].detach()

    def remove(self) -> None:
        self._handle.remove()


class BOELogitsProcessor(LogitsProcessor):
    """scores -> log(softmax(scores) + weight * p_BOE(entities) @ M), M the entity-to-vocabulary map."""

    def __init__(self, adapter, user: torch.Tensor, entities: torch.Tensor, entity_vocab: torch.Tensor,
                 tap: HiddenTap, weight: float = 0.1):
        self.adapter, self.user, self.entities = adapter, user, entities
        self.entity_vocab, self.tap, self.weight = entity_vocab, tap, weight

    @torch.no_grad()
    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.tap.last is None or self.weight == 0:
            return scores
        h = self.tap.last.to(self.user.device, self.user.dtype)
        u = self.user.expand(h.shape[0], -1)
        p_e = torch.softmax(self.adapter.boe_logits(u, h, self.entities).float(), dim=-1)  # [B, N]
        boost = torch.sparse.mm(self.entity_vocab.t(), p_e.t()).t()  # [B, vocab]
        probs = torch.softmax(scores.float(), dim=-1)
        v = min(probs.shape[-1], boost.shape[-1])
        probs[:, :v] = probs[:, :v] + self.weight * boost[:, :v].to(probs.device)
        return torch.log(probs.clamp_min(1e-12)).to(scores.dtype)
