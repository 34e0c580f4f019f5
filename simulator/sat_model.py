"""Hierarchical satisfaction estimator: utterance embeddings -> GRU + causal attention -> heads.

Utterances are encoded once by all-MiniLM-L6-v2 (frozen; see simulator/uss_data.py). Across
turns a unidirectional GRU reads ``[START, turn_1, ..., turn_n]``, so the state at position
``i`` has seen exactly the first ``i`` turns; causal attention over states ``0..i`` is
concatenated (HiGRU+ATTN). Heads: 5-class and 3-class turn satisfaction, the user's action,
and the dialogue's OVERALL rating (from the last position).

``predict_before_user_turn=True`` (Sun et al.'s setting) predicts user turn ``t`` from the
state before it (turns ``1..t-1``); False also reads the user's own utterance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from crs.config_utils import StrictConfig
from crs.pretrained import load_pretrained_files, save_pretrained_files

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


@dataclass
class SatConfig(StrictConfig):
    """Architecture of the estimator; saved as config.json next to the weights."""

    emb_dim: int = 384  # utterance embedding size (all-MiniLM-L6-v2)
    hidden: int = 128  # GRU and attention size
    dropout: float = 0.2
    attention: bool = True  # causal attention over earlier turn states (HiGRU+ATTN); False: HiGRU
    n_actions: int = 0  # user-action classes (0: no action head)
    actions: tuple[str, ...] = ()  # their names, index order
    predict_before_user_turn: bool = True  # Sun et al.: satisfaction of turn t from turns < t
    encoder: str = "all-MiniLM-L6-v2"  # the frozen utterance encoder the embeddings come from

    def __post_init__(self):
        self.actions = tuple(self.actions)
        if self.emb_dim <= 0 or self.hidden <= 0:
            raise ValueError("emb_dim and hidden must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.n_actions < 0 or (self.actions and len(self.actions) != self.n_actions):
            raise ValueError("n_actions must match the number of action names")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["actions"] = list(self.actions)
        return d


class SatModel(nn.Module):
    """Batch in: emb [B, T, E], roles [B, T], lengths [B]; out: logits per turn position."""

    def __init__(self, config: SatConfig):
        super().__init__()
        self.config = config
        h = config.hidden
        self.proj = nn.Linear(config.emb_dim, h)
        self.role = nn.Embedding(2, h)
        self.start = nn.Parameter(torch.zeros(h))
        self.gru = nn.GRU(h, h, batch_first=True)
        self.drop = nn.Dropout(config.dropout)
        feat = 2 * h if config.attention else h
        if config.attention:
            self.query, self.key = nn.Linear(h, h), nn.Linear(h, h)
        self.sat5 = nn.Linear(feat, 5)
        self.sat3 = nn.Linear(feat, 3)
        self.overall = nn.Linear(feat, 5)
        self.action = nn.Linear(feat, config.n_actions) if config.n_actions else None

    def states(self, emb: torch.Tensor, roles: torch.Tensor) -> torch.Tensor:
        """Features [B, T + 1, F]; position i has read the first i turns."""
        x = self.drop(torch.tanh(self.proj(emb) + self.role(roles)))
        start = self.start.expand(x.shape[0], 1, -1)
        h, _ = self.gru(torch.cat([start, x], dim=1))
        if not self.config.attention:
            return self.drop(h)
        scores = self.query(h) @ self.key(h).transpose(1, 2) / h.shape[-1] ** 0.5
        n = h.shape[1]
        causal = torch.ones(n, n, dtype=torch.bool, device=h.device).tril()
        ctx = scores.masked_fill(~causal, float("-inf")).softmax(-1) @ h
        return self.drop(torch.cat([h, ctx], dim=-1))

    def forward(self, emb: torch.Tensor, roles: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        """Logits [B, T, C] aligned with the turns (the prediction *for* turn t), and overall [B, 5]."""
        s = self.states(emb, roles)
        turn = s[:, :-1] if self.config.predict_before_user_turn else s[:, 1:]
        out = {"sat5": self.sat5(turn), "sat3": self.sat3(turn)}
        if self.action is not None:
            out["action"] = self.action(s[:, :-1])  # the next action is predicted before it is taken
        last = s[torch.arange(s.shape[0]), lengths.clamp(min=0)]
        out["overall"] = self.overall(last)
        return out

    # -------------------------------------------------------------- persistence
    def save_pretrained(self, path: str | Path, extra: dict | None = None) -> Path:
        """Write config.json (plus ``extra`` metadata, e.g. training data) and model.safetensors."""
        payload = {**self.config.to_dict(), **({"_meta": extra} if extra else {})}
        return save_pretrained_files(self, path, payload, CONFIG_NAME, WEIGHTS_NAME)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu") -> SatModel:
        data, state = load_pretrained_files(path, CONFIG_NAME, WEIGHTS_NAME, device,
                                            "no satisfaction model there (run `crs train sat`)")
        if data.get("kind") == "linear":  # the context + logistic-head estimator (simulator/sat_linear.py)
            from simulator.sat_linear import LinearSatModel

            return LinearSatModel.from_pretrained(path, device)
        data.pop("_meta", None)
        model = cls(SatConfig.from_dict(data))
        model.load_state_dict(state)
        return model.eval()

    @torch.no_grad()
    def predict_dialogue(self, emb: np.ndarray, roles: np.ndarray) -> dict[str, np.ndarray]:
        """Per-turn expected satisfaction (1-5), class probabilities, and overall, for one dialogue."""
        self.eval()
        e = torch.as_tensor(np.asarray(emb, dtype=np.float32))[None]
        r = torch.as_tensor(np.asarray(roles, dtype=np.int64))[None]
        out = self(e, r, torch.tensor([len(roles)]))
        p5 = out["sat5"][0].softmax(-1).numpy()
        po = out["overall"][0].softmax(-1).numpy()
        return {"p5": p5, "expected": p5 @ np.arange(1, 6), "overall_expected": float(po @ np.arange(1, 6))}


def pad_batch(dialogues: list, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Pad EncodedDialogue records into tensors; labels are -1 on padding."""
    n = max(len(d.roles) for d in dialogues)
    b = len(dialogues)
    emb = np.zeros((b, n, dialogues[0].emb.shape[1]), dtype=np.float32)
    roles = np.zeros((b, n), dtype=np.int64)
    labels = {k: np.full((b, n), -1, dtype=np.int64) for k in ("sat5", "sat3", "action")}
    for i, d in enumerate(dialogues):
        t = len(d.roles)
        emb[i, :t], roles[i, :t] = d.emb, d.roles
        for k in labels:
            labels[k][i, :t] = getattr(d, k)
    batch = {"emb": emb, "roles": roles, "lengths": np.array([len(d.roles) for d in dialogues]),
             "overall": np.array([d.overall5 for d in dialogues]), **labels}
    return {k: torch.as_tensor(v, device=device) for k, v in batch.items()}
