"""Text similarity: all-MiniLM-L6-v2 between the dialogue so far and each movie's title, genres and plot."""

from __future__ import annotations

import numpy as np

from crs.data.movies import Catalog
from crs.embeddings import cached_embeddings, encode
from crs.recommenders.base import RecContext, Recommender

MAX_CONTEXT_CHARS = 1500  # MiniLM reads 256 word pieces; keep the most recent text


class TextRecommender(Recommender):
    name = "text"

    def __init__(self, catalog: Catalog):
        self.items = cached_embeddings("movies", [m.text() for m in catalog.movies])

    def score(self, contexts: list[RecContext]) -> np.ndarray:
        queries = encode([c.text[-MAX_CONTEXT_CHARS:] or " " for c in contexts])
        return queries @ self.items.T
