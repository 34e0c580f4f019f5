"""Soft-token prompts: text with <item>/<user> placeholders becomes inputs_embeds for the frozen LLM.

The LLM's vocabulary is never extended (its weights stay byte-for-byte the same): the text is split
at the placeholders, each text piece is embedded with the LLM's own input embeddings, and each
<item> is replaced by that item's K soft tokens (<user> by one user token).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from crs.ilm.config import ITEM_PLACEHOLDER, USER_PLACEHOLDER

_SPLIT = re.compile(f"({re.escape(ITEM_PLACEHOLDER)}|{re.escape(USER_PLACEHOLDER)})")


def render_chat(tokenizer, messages: list[dict]) -> str:
    """The chat-template prompt text (placeholders kept literally), ready for the assistant's reply."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "\n".join(f"{m['role']}: {m['content']}" for m in messages) + "\nassistant:"


def split_placeholders(text: str) -> list[str]:
    """'a <item> b' -> ['a ', '<item>', ' b'] (empty pieces dropped)."""
    return [p for p in _SPLIT.split(text) if p]


@dataclass
class Batch:
    inputs_embeds: torch.Tensor  # [B, T, H]
    attention_mask: torch.Tensor  # [B, T]
    labels: torch.Tensor  # [B, T]; -100 outside the target
    target_mask: torch.Tensor  # [B, T] bool: positions whose hidden state predicts a target token


def assemble(llm, tokenizer, prompts: list[str], targets: list[str] | None = None,
             items: list[torch.Tensor] | None = None, users: torch.Tensor | None = None,
             max_target_tokens: int = 64, pad_left: bool = False) -> Batch:
    """Embed prompts (with placeholders) followed by targets; right-padded for training, left for generation.

    items[b]: [n_items_b, K, H] soft tokens for the <item> placeholders of prompt b, in order;
    users[b]: [H] for its <user> placeholder. Placeholders without a vector are an error.
    """
    emb = llm.get_input_embeddings()
    device = emb.weight.device
    rows, labels = [], []
    for b, prompt in enumerate(prompts):
        pieces, lab, n_item = [], [], 0
        for part in split_placeholders(prompt):
            if part == ITEM_PLACEHOLDER:
                if items is None or n_item >= len(items[b]):
                    raise ValueError(f"prompt {b} has more {ITEM_PLACEHOLDER} placeholders than items")
                vec = items[b][n_item].to(device)
                n_item += 1
            elif part == USER_PLACEHOLDER:
                if users is None:
                    raise ValueError(f"prompt {b} has {USER_PLACEHOLDER} but no user vector was given")
                vec = users[b].to(device).unsqueeze(0)
            else:
                ids = tokenizer(part, add_special_tokens=False)["input_ids"]
                if not ids:
                    continue
                vec = emb(torch.tensor(ids, device=device))
            pieces.append(vec)
            lab.extend([-100] * vec.shape[0])
        if targets is not None:
            ids = tokenizer(targets[b], add_special_tokens=False)["input_ids"][:max_target_tokens]
            if tokenizer.eos_token_id is not None and len(ids) < max_target_tokens:
                ids = ids + [tokenizer.eos_token_id]
            pieces.append(emb(torch.tensor(ids, device=device)))
            lab.extend(ids)
        rows.append(torch.cat(pieces, 0))
        labels.append(lab)
    T, H = max(r.shape[0] for r in rows), rows[0].shape[1]
    x = rows[0].new_zeros(len(rows), T, H)
    att = torch.zeros(len(rows), T, dtype=torch.long, device=device)
    lab_t = torch.full((len(rows), T), -100, dtype=torch.long, device=device)
    for b, (r, lab) in enumerate(zip(rows, labels)):
        n = r.shape[0]
        sl = slice(T - n, T) if pad_left else slice(0, n)
        x[b, sl], att[b, sl] = r, 1
        lab_t[b, sl] = torch.tensor(lab, device=device)
    # The hidden state at position t predicts token t+1: those positions carry the BOE steps.
    tmask = torch.zeros_like(att, dtype=torch.bool)
    tmask[:, :-1] = lab_t[:, 1:] != -100
    return Batch(x, att, lab_t, tmask)
