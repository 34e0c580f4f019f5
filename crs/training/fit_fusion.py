"""Fitting the score fusion (copy + co-mention bonus) on validation: training-time work, kept out of serving."""

from __future__ import annotations

import itertools

import numpy as np

from crs.recommenders.fusion import FusionConfig, co_mention_bonus, co_mention_matrix, copy_bonus

GRID = {"copy_weight": (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0), "copy_decay": (0.5, 0.8, 1.0),
        "cooc_weight": (0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)}


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
