"""USS data for the satisfaction estimator: aggregated labels, encoded dialogues, CV folds.

Labels (Sun et al., SIGIR 2021): every user turn of SGD, MultiWOZ, ReDial and CCPE has 3-5
annotators' ratings on a 1-5 scale.

* ``majority``: the most frequent rating; a tie goes to the *lowest* tied rating, which is
  what Sun et al.'s code does (``np.argmax`` over the counts 1..5).
* ``mean``: the mean rating, rounded half up to 1..5 for the classes (the float is kept too).

The 5-class label is the aggregated rating minus 1 (0..4); the 3-class label is
0 (< 3), 1 (= 3), 2 (> 3) of the same rating. Dialogue-level ``OVERALL`` ratings are
aggregated the same way. ``ReDial-action`` has user actions (IARD intents) and no ratings.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from crs.data.uss import USSDialogue, load_uss

DOMAINS = ("SGD", "MWOZ", "ReDial", "CCPE")
ACTION_DOMAIN = "ReDial-action"
ROLES = {"USER": 0, "SYSTEM": 1}
AGGREGATIONS = ("majority", "mean")


def aggregate(ratings: list[int], how: str = "majority") -> int | None:
    """One 1-5 rating from several annotators' ratings (None when there are none)."""
    if not ratings:
        return None
    if how == "majority":
        counts = Counter(ratings)
        best = max(counts.values())
        return min(r for r, c in counts.items() if c == best)
    if how == "mean":
        return int(math.floor(sum(ratings) / len(ratings) + 0.5))
    raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {how!r}")


def three_class(rating: int) -> int:
    """0: dissatisfied (< 3), 1: neutral (3), 2: satisfied (> 3)."""
    return 0 if rating < 3 else (1 if rating == 3 else 2)


@dataclass
class EncodedDialogue:
    """One dialogue as embedding rows plus per-turn labels (-1 where a turn has none)."""

    emb: np.ndarray  # [n_turns, dim] utterance embeddings
    roles: np.ndarray  # [n_turns] 0 user, 1 system
    sat5: np.ndarray  # [n_turns] 0..4 on rated user turns, else -1
    sat3: np.ndarray  # [n_turns]
    action: np.ndarray  # [n_turns] action index on user turns with an action, else -1
    mean_rating: np.ndarray  # [n_turns] float mean rating (nan where unrated)
    overall5: int = -1  # dialogue-level OVERALL, 0..4, or -1
    texts: list[str] = field(default_factory=list)
    # [n_turns] share of annotators who rated below 3 / above 3 (nan where unrated; None if unknown)
    low_share: np.ndarray | None = None
    high_share: np.ndarray | None = None


@dataclass
class USSDataset:
    domain: str
    dialogues: list[EncodedDialogue]
    actions: list[str]  # action vocabulary (index -> name)
    aggregation: str


def action_vocab(dialogues: list[USSDialogue]) -> list[str]:
    """User actions sorted by frequency (ties by name); '' (no action) is not a class."""
    counts = Counter(t.action for d in dialogues for t in d.turns if t.role == "USER" and t.action)
    return [a for a, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def encode_dialogues(dialogues: list[USSDialogue], embeddings: np.ndarray, actions: list[str],
                     aggregation: str = "majority") -> list[EncodedDialogue]:
    """Attach labels to pre-computed utterance embeddings (rows in turn order over all dialogues)."""
    a_index = {a: i for i, a in enumerate(actions)}
    out, row = [], 0
    for d in dialogues:
        n = len(d.turns)
        sat5, sat3, act = np.full(n, -1), np.full(n, -1), np.full(n, -1)
        mean, low, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        for i, t in enumerate(d.turns):
            if t.role != "USER":
                continue
            r = aggregate(t.ratings, aggregation)
            if r is not None:
                sat5[i], sat3[i], mean[i] = r - 1, three_class(r), float(np.mean(t.ratings))
                low[i], high[i] = float(np.mean(np.array(t.ratings) < 3)), float(np.mean(np.array(t.ratings) > 3))
            if t.action in a_index:
                act[i] = a_index[t.action]
        overall = aggregate(d.overall, aggregation)
        out.append(EncodedDialogue(
            emb=embeddings[row:row + n], roles=np.array([ROLES[t.role] for t in d.turns]),
            sat5=sat5, sat3=sat3, action=act, mean_rating=mean,
            overall5=-1 if overall is None else overall - 1, texts=[t.text for t in d.turns],
            low_share=low, high_share=high))
        row += n
    return out


def load_dataset(domain: str, aggregation: str = "majority", limit: int | None = None,
                 progress: bool = False) -> USSDataset:
    """Load, embed (all-MiniLM-L6-v2, cached in $CRS_HOME/embeddings) and label one USS domain."""
    from crs.embeddings import cached_embeddings

    dialogues = load_uss(domain)
    if limit is not None:
        dialogues = dialogues[:limit]
    texts = [t.text for d in dialogues for t in d.turns]
    emb = cached_embeddings(f"uss-{domain}", texts, progress=progress)
    actions = action_vocab(dialogues)
    return USSDataset(domain, encode_dialogues(dialogues, emb, actions, aggregation), actions, aggregation)


def cv_folds(n: int, k: int = 10, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """k-fold cross-validation over dialogues: (train, validation, test) index arrays per fold.

    Dialogues are shuffled once with ``seed`` and cut into k parts; fold i tests on part i and
    validates on part (i + 1) mod k (the inner validation fold), and trains on the other k - 2.
    A dialogue is never in two of the three sets of one fold.
    """
    if k < 3:
        raise ValueError("need k >= 3 for train / validation / test parts")
    order = np.random.default_rng(seed).permutation(n)
    parts = np.array_split(order, k)
    folds = []
    for i in range(k):
        j = (i + 1) % k
        train = np.concatenate([parts[m] for m in range(k) if m not in (i, j)])
        folds.append((np.sort(train), np.sort(parts[j]), np.sort(parts[i])))
    return folds
