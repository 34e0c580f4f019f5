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
    """Subclasses implement `score`; `score_source` hands the scores to the shared device top-k
    (crs/topk.py `rank_topk`), which `rank` and every other caller use."""

    name = "base"

    def score(self, contexts: list[RecContext]) -> np.ndarray:
        """Scores [batch, n_items]; higher is better."""
        raise NotImplementedError

    def score_source(self, contexts: list[RecContext]):
        """What `crs.topk.rank_topk` ranks: by default the full fp32 score rows on the CPU."""
        from crs.topk import DenseScores

        return DenseScores(self.score(contexts))

    def rank(self, context: RecContext, k: int = 10, exclude: set[int] | None = None) -> list[int]:
        """Top-k items for one context, never returning an excluded item."""
        from crs.topk import rank_topk

        items, _ = rank_topk(self.score_source([context]), k, exclude=[sorted(exclude or ())])[0]
        return [int(i) for i in items]
