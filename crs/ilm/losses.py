"""Training losses: item-text and item-item contrastive, item-grounded generation, KECRS BOE and infusion.

BOE and infusion follow KECRS's released code (see docs/ANCHORS.md):
  BOE:       p_t = softmax(W[u; h_t] E^T + b_bag); s = sum over non-pad steps of p_t;
             L_BOE = -mean_batch sum_{e in N1(y)} log sigmoid(s_e)
  infusion:  z = W_align(u) W_word^T + b;  L_inf = mean_batch sum_w (z_w - y_w)^2,
             y multi-hot over the name tokens of the entities mentioned in the context.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F

from crs.data.tmdkg import BOE_RELATIONS


def info_nce(a: torch.Tensor, b: torch.Tensor, logit_scale: torch.Tensor | float = 20.0) -> torch.Tensor:
    """Symmetric InfoNCE: row i of `a` matches row i of `b`, every other row in the batch is a negative."""
    scale = logit_scale.exp().clamp(max=100.0) if isinstance(logit_scale, torch.Tensor) else logit_scale
    logits = scale * F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T
    target = torch.arange(a.shape[0], device=a.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def item_text_contrastive(item_emb: torch.Tensor, text_emb: torch.Tensor, logit_scale=20.0) -> torch.Tensor:
    """An item against its own metadata text (ILM/BLIP-2 item-text contrastive)."""
    return info_nce(item_emb, text_emb, logit_scale)


def item_item_contrastive(emb_a: torch.Tensor, emb_b: torch.Tensor, logit_scale=20.0) -> torch.Tensor:
    """Co-liked item pairs (MovieLens users, ReDial seekers) pulled together, the rest of the batch apart."""
    return info_nce(emb_a, emb_b, logit_scale)


def generation_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy over the positions whose label is not -100 (item-grounded generation, NLL)."""
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1),
                           ignore_index=-100)


def summed_nll(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, int]:
    """(summed next-token NLL, number of target tokens): perplexity = exp(sum / count) over many batches."""
    lab = labels[:, 1:]
    total = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), lab.reshape(-1),
                            ignore_index=-100, reduction="sum")
    return float(total), int((lab != -100).sum())


# ---------------------------------------------------------------------- Bag-of-Entity
def boe_neighbourhoods(triples: np.ndarray, relations: dict[int, str], heads: Iterable[int],
                       boe_relations: tuple[str, ...] = BOE_RELATIONS) -> dict[int, list[int]]:
    """N1(y) for each head entity y: tails of triples (y, r, t) with r in `boe_relations`, sorted."""
    heads = set(int(h) for h in heads)
    keep = {r for r, name in relations.items() if name in boe_relations}
    out: dict[int, set[int]] = {h: set() for h in heads}
    for h, r, t in triples:
        if int(h) in heads and int(r) in keep and int(t) != int(h):
            out[int(h)].add(int(t))
    return {h: sorted(v) for h, v in out.items()}


def multi_hot(index_lists: list[Iterable[int]], size: int, device=None) -> torch.Tensor:
    y = torch.zeros(len(index_lists), size, device=device)
    for b, idx in enumerate(index_lists):
        idx = list(idx)
        if idx:
            y[b, torch.as_tensor(idx, dtype=torch.long, device=device)] = 1.0
    return y


def boe_bag(logits: torch.Tensor, step_mask: torch.Tensor) -> torch.Tensor:
    """s = sum_t p_t over the steps in `step_mask` ([B, T, N] logits -> [B, N])."""
    p = torch.softmax(logits.float(), dim=-1)
    return (p * step_mask.unsqueeze(-1).to(p.dtype)).sum(1)


def boe_loss(logits: torch.Tensor, step_mask: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """L_BOE = -mean_b sum_{e in N1(y_b)} log sigmoid(s_{b,e}); `targets` is the multi-hot N1 [B, N]."""
    s = boe_bag(logits, step_mask)
    return -(F.logsigmoid(s) * targets).sum(-1).mean()


# ---------------------------------------------------------------------- infusion
def entity_name_tokens(tokenizer, names: dict[int, str]) -> dict[int, list[int]]:
    """Token ids of each entity's name as it appears mid-sentence (with a leading space)."""
    ids = list(names)
    enc = tokenizer([" " + names[e] for e in ids], add_special_tokens=False)["input_ids"]
    return {e: list(t) for e, t in zip(ids, enc)}


def infusion_targets(context_entities: list[Iterable[int]], name_tokens: dict[int, list[int]], vocab: int,
                     device=None) -> torch.Tensor:
    """y [B, vocab]: 1 for every token of the name of an entity mentioned in the context."""
    return multi_hot([{t for e in ents for t in name_tokens.get(int(e), [])} for ents in context_entities],
                     vocab, device)


def infusion_loss(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L_inf = mean_b sum_w (z_w - y_w)^2."""
    return ((z.float() - y) ** 2).sum(-1).mean()
