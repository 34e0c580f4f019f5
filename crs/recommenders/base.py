"""The recommender protocol: score every catalogue item for a batch of conversation contexts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class RecContext:
    """What a recommender may see: the dialogue so far and what was linked in it."""

    text: str  # the dialogue so far, movie mentions rendered as titles
    liked: list[int] = field(default_factory=list)  # catalogue items
    disliked: list[int] = field(default_factory=list)
    mentioned: list[int] = field(default_factory=list)  # every item mentioned so far
    entities: list[tuple[int, str]] = field(default_factory=list)  # (TMDKG entity, polarity)
    text_embedding: object = None  # optional precomputed MiniLM embedding of `text` (batch evaluation)


class Recommender:
    """Subclasses implement `score`; `rank` filters and takes the top k."""

    name = "base"

    def score(self, contexts: list[RecContext]) -> np.ndarray:
        """Scores [batch, n_items]; higher is better."""
        raise NotImplementedError

    def rank(self, context: RecContext, k: int = 10, exclude: set[int] | None = None) -> list[int]:
        """Top-k items for one context, never returning an excluded item."""
        scores = self.score([context])[0].astype(np.float64)
        if exclude:
            scores[list(exclude)] = -np.inf
        k = min(k, int(np.isfinite(scores).sum()))
        top = np.argpartition(-scores, k - 1)[:k] if k > 0 else np.array([], dtype=int)
        return [int(i) for i in top[np.argsort(-scores[top], kind="stable")]]
