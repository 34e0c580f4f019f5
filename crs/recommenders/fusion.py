"""Score fusion for the KG recommender (applied when serving; fitted on validation by crs/training/fit_fusion.py).

Two signals the R-GCN scores do not carry well, added to them with weights chosen on validation:
- copy: a bonus for movies already mentioned in the dialogue, largest for the most recent one
  (in ReDial the recommender often comes back to a movie; the new-items protocol masks them anyway);
- co-mention: how often two movies are mentioned in the same ReDial *train* dialogue
  (symmetrically normalised counts, summed over the context's movies).
Saved as `fusion.json` beside the model; a checkpoint without it scores with the model alone.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from crs.config_utils import StrictConfig
from crs.paths import cache_dir

FUSION_NAME = "fusion.json"


@dataclass
class FusionConfig(StrictConfig):
    copy_weight: float = 0.0  # bonus for the most recently mentioned movie
    copy_decay: float = 0.8  # each earlier mention gets this factor more
    cooc_weight: float = 0.0  # weight of the co-mention similarity
    select_metric: str = "mean recall@1/10/50"
    valid: dict = field(default_factory=dict)  # validation metrics without and with the fusion

    def save_pretrained(self, path: str | Path) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / FUSION_NAME).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def from_pretrained(cls, path: str | Path) -> FusionConfig | None:
        f = Path(path) / FUSION_NAME
        return cls.from_dict(json.loads(f.read_text())) if f.exists() else None


def co_mention_matrix(catalog, split: str = "train"):
    """[n_items, n_items] sparse: D^-1/2 C D^-1/2 with C[a, b] = dialogues of `split` mentioning both a and b."""
    from scipy import sparse

    path = cache_dir("rec") / f"co-mention-{split}-{len(catalog)}.npz"
    if path.exists():
        return sparse.load_npz(path).tocsr()
    from crs.data.redial import load_redial

    rows, cols = [], []
    for d in load_redial(split):
        items = list(dict.fromkeys(i for t in d.messages for r in t.movies if (i := catalog.item_of(r)) is not None))
        for a, b in itertools.permutations(items, 2):
            rows.append(a)
            cols.append(b)
    n = len(catalog)
    c = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
    c.sum_duplicates()
    inv = 1.0 / np.sqrt(np.asarray(c.sum(1)).ravel() + 1.0)
    c = (sparse.diags(inv) @ c @ sparse.diags(inv)).astype(np.float32).tocsr()
    sparse.save_npz(path, c)
    return c


def copy_bonus(contexts, n_items: int, decay: float) -> np.ndarray:
    """[B, n_items]: 1 for the last mentioned movie, decay for the one before, and so on."""
    out = np.zeros((len(contexts), n_items), dtype=np.float32)
    for b, c in enumerate(contexts):
        m = c.mentioned
        for j, it in enumerate(m):
            out[b, it] = max(out[b, it], decay ** (len(m) - 1 - j))
    return out


def co_mention_bonus(contexts, cooc) -> np.ndarray:
    """[B, n_items]: the co-mention similarity to the movies of the context (disliked ones left out)."""
    out = np.zeros((len(contexts), cooc.shape[0]), dtype=np.float32)
    for b, c in enumerate(contexts):
        disliked = set(c.disliked)
        items = [i for i in c.mentioned if i not in disliked]
        if items:
            out[b] = np.asarray(cooc[items].sum(0)).ravel()
    return out


def apply_fusion(scores: np.ndarray, contexts, fusion: FusionConfig | None, cooc) -> np.ndarray:
    if fusion is None:
        return scores
    out = scores.astype(np.float32, copy=True)
    if fusion.copy_weight:
        out += fusion.copy_weight * copy_bonus(contexts, scores.shape[1], fusion.copy_decay)
    if fusion.cooc_weight and cooc is not None:
        out += fusion.cooc_weight * co_mention_bonus(contexts, cooc)
    return out


def fusion_rows(contexts, fusion: FusionConfig | None, cooc_t, n_items: int, device):
    """The fusion term of `apply_fusion` as a [B, n_items] tensor on `device` (None without a fusion).

    `cooc_t`: the co-mention matrix as a torch sparse CSR tensor on `device` (:func:`cooc_tensor`).
    """
    import torch

    if fusion is None or not (fusion.copy_weight or (fusion.cooc_weight and cooc_t is not None)):
        return None
    out = torch.zeros(len(contexts), n_items, device=device)
    if fusion.copy_weight:
        copy = copy_bonus(contexts, n_items, fusion.copy_decay)  # sparse in practice: the mentioned movies
        b, i = copy.nonzero()
        if len(b):
            out[torch.as_tensor(b, device=device), torch.as_tensor(i, device=device)] += (
                fusion.copy_weight * torch.as_tensor(copy[b, i], device=device))
    if fusion.cooc_weight and cooc_t is not None:
        rows, cols = [], []
        for r, c in enumerate(contexts):
            disliked = set(c.disliked)
            for it in c.mentioned:
                if it not in disliked:
                    rows.append(r)
                    cols.append(it)
        if rows:
            ind = torch.zeros(len(contexts), n_items, device=device)
            ind.index_put_((torch.as_tensor(rows, device=device), torch.as_tensor(cols, device=device)),
                           torch.ones(len(rows), device=device), accumulate=True)
            out += fusion.cooc_weight * (cooc_t @ ind.T).T  # the co-mention matrix is symmetric
    return out


def cooc_tensor(cooc, device):
    """A scipy CSR matrix as a torch sparse CSR float32 tensor on `device`."""
    import warnings

    import torch

    c = cooc.tocsr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(torch.as_tensor(c.indptr, dtype=torch.int64),
                                       torch.as_tensor(c.indices, dtype=torch.int64),
                                       torch.as_tensor(c.data, dtype=torch.float32), size=c.shape,
                                       check_invariants=False).to(device)
