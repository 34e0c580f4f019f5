"""Popularity: how often each movie is mentioned in ReDial *train* dialogues (never test)."""

from __future__ import annotations

import numpy as np

from crs.data.movies import Catalog
from crs.data.redial import load_redial
from crs.recommenders.base import RecContext, Recommender


def train_mentions(catalog: Catalog, split: str = "train") -> np.ndarray:
    """[n_items] how often each catalogue item is mentioned in the messages of `split` (ReDial train)."""
    counts = np.zeros(len(catalog), dtype=np.float64)
    for d in load_redial(split):
        for t in d.messages:
            for rid in t.movies:
                item = catalog.item_of(rid)
                if item is not None:
                    counts[item] += 1
    return counts


class PopularityRecommender(Recommender):
    name = "popularity"

    def __init__(self, catalog: Catalog, split: str = "train"):
        counts = train_mentions(catalog, split)
        # A tiny item-order tie-break keeps rankings deterministic across runs.
        self.scores = (np.log1p(counts) - np.arange(len(catalog)) * 1e-9).astype(np.float32)

    def score(self, contexts: list[RecContext]) -> np.ndarray:
        return np.broadcast_to(self.scores, (len(contexts), len(self.scores))).copy()
