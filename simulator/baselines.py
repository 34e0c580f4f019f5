"""A random recommender for the simulator's validity check (random must come clearly last).

Scores are uniform noise drawn from a generator seeded by the context's text, so a rerun of the
same dialogue ranks the same way. It goes through the same ``Recommender.score_source`` /
``crs.topk.rank_topk`` path as every other recommender.
"""

from __future__ import annotations

import hashlib

import numpy as np

from crs.recommenders.base import RecContext, Recommender


class RandomRecommender(Recommender):
    name = "random"

    def __init__(self, catalog, seed: int = 0):
        self.n, self.seed = len(catalog), seed

    def score(self, contexts: list[RecContext]) -> np.ndarray:
        rows = []
        for c in contexts:
            h = int.from_bytes(hashlib.sha256(f"{self.seed}|{c.text}".encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(h).random(self.n, dtype=np.float32))
        return np.stack(rows) if rows else np.zeros((0, self.n), dtype=np.float32)
