"""Score fusion for the KG recommender, fitted on the validation split after training.

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
GRID = {"copy_weight": (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0), "copy_decay": (0.5, 0.8, 1.0),
        "cooc_weight": (0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)}


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
    def from_pretrained(cls, path: str | Path) -> "FusionConfig | None":
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


def _recalls(scores: np.ndarray, samples, protocol: str) -> dict:
    from crs.recommenders.samples import ranking_metrics

    m = ranking_metrics(scores, samples, protocol)
    return {k: round(m[k], 4) for k in ("recall@1", "recall@10", "recall@50")}


def fit_fusion(scores: np.ndarray, samples, protocol: str, catalog, progress: bool = True, cooc=None) -> FusionConfig:
    """Grid search of the fusion weights on validation `scores` [n_samples, n_items] (never test).

    `cooc`: the co-mention matrix (default: built from ReDial train for `catalog`).
    """
    from tqdm.auto import tqdm

    contexts = [s.context for s in samples]
    cooc = co_mention_bonus(contexts, co_mention_matrix(catalog) if cooc is None else cooc)
    copies = {d: copy_bonus(contexts, scores.shape[1], d) for d in GRID["copy_decay"]}
    # Best of each part alone as well as together: the validation ablation stored with the result.
    best = {part: (-1.0, None, None) for part in ("copy only", "co-mention only", "fused")}
    grid = list(itertools.product(*GRID.values()))
    for cw, decay, ow in tqdm(grid, desc="fitting the fusion on valid", disable=not progress):
        if cw == 0 and decay != GRID["copy_decay"][0]:
            continue  # the decay is irrelevant without the copy bonus
        m = _recalls(scores + cw * copies[decay] + ow * cooc, samples, protocol)
        value = float(np.mean(list(m.values())))
        parts = ["fused"] + (["copy only"] if ow == 0 else []) + (["co-mention only"] if cw == 0 else [])
        for part in parts:
            if value > best[part][0] + 1e-9:
                best[part] = (value, (cw, decay, ow), m)
    _, (cw, decay, ow), m = best["fused"]
    valid = {"model": _recalls(scores, samples, protocol), "copy only": best["copy only"][2],
             "co-mention only": best["co-mention only"][2], "fused": m}
    return FusionConfig(cw, decay, ow, valid=valid)


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
    import torch

    import warnings

    c = cooc.tocsr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(torch.as_tensor(c.indptr, dtype=torch.int64),
                                       torch.as_tensor(c.indices, dtype=torch.int64),
                                       torch.as_tensor(c.data, dtype=torch.float32), size=c.shape,
                                       check_invariants=False).to(device)
