"""Turn-2 protocols for `crs eval music`: the old one (agrees with itself) and one without shared machinery.

**Old** (``eval.music_eval.turn2_table``, the protocol the scorer is trained on): the
previous piece is a caption-space neighbour of the target, the feedback comes from the scorer's
own lexicon, and the "video" is the target's energy and valence plus noise.

**New** (this module): the target's attributes never reach the scorer.

* previous piece: ``random`` (a uniformly drawn other clip) or ``turn1`` (the system's own
  turn-1 pick for a synthetic video, analysed by the product's video code; no video is paired
  with a MusicCaps clip, so the video carries nothing about the target);
* video at turn 2: none for ``random`` (a zero vector, energy and valence 0.5), that same
  synthetic video's profile for ``turn1``;
* feedback: :mod:`eval.music_feedback`, copied from the two clips' human descriptions by code
  that shares nothing with the scorer's parser.

Baselines ranked the same way (previous piece excluded, ties against the target): random, text
only (MiniLM cosine of the feedback), aspect overlap (feedback words found in each clip's
aspect list).
"""

from __future__ import annotations

import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.music_feedback import write_feedback


@dataclass
class Case:
    """One turn-2 query of the new protocol."""

    target: int
    prev: int
    feedback: str
    video: int  # index into the synthetic video pool, -1: no video


def synthetic_videos(engine, n: int, seed: int) -> list[tuple]:
    """``n`` seeded synthetic videos (light, colour, motion, cuts drawn at random), each as
    (profile, profile vector, turn-1 order of the catalogue) from the product's own turn 1."""
    from crs.embeddings import encode
    from crs.music.synthetic import make_video

    rng = np.random.default_rng(seed)
    out = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(n):
            path = make_video(Path(d) / f"v{i}.mp4", seconds=2.0, fps=12, brightness=float(rng.uniform(0.15, 1.0)),
                              colour=tuple(float(c) for c in rng.uniform(0.2, 1.0, 3)),
                              speed=float(rng.choice([0, 1, 3, 6])), cut_every_s=float(rng.choice([0, 0, 0.5, 1.0])),
                              seed=int(rng.integers(1 << 30)))
            prof = engine.analyze(str(path))
            emb = encode([prof.text])[0]
            out.append((prof, emb, np.argsort(-engine.turn1(prof, emb), kind="stable")))
    return out


def new_cases(cat, targets: list[int], seed: int, prev_mode: str, videos: list | None = None) -> list[Case]:
    """One case per target; ``prev_mode`` is "random" or "turn1" (then ``videos`` is required)."""
    rng = random.Random(seed)
    cases = []
    for t in targets:
        if prev_mode == "random":
            v = -1
            prev = rng.randrange(len(cat) - 1)
            prev += prev >= t  # any clip but the target
        elif prev_mode == "turn1":
            v = rng.randrange(len(videos))
            order = videos[v][2]
            prev = int(order[0]) if int(order[0]) != t else int(order[1])  # a turn-1 hit would end the session
        else:
            raise ValueError(f"prev_mode must be 'random' or 'turn1', got {prev_mode!r}")
        ti, pi = cat.items[t], cat.items[prev]
        fb = write_feedback(ti.aspects, ti.caption, pi.aspects, pi.caption, rng)
        cases.append(Case(t, prev, fb, v))
    return cases


def cases_to_queries(cases: list[Case], videos: list | None, name: str):
    """Scorer queries: feedback parsed by the product, the synthetic video's profile or no video."""
    from crs.music.train import queries_from_texts

    dim = 384
    vid = np.stack([videos[c.video][1] if c.video >= 0 else np.zeros(dim, np.float32) for c in cases])
    energy = [videos[c.video][0].energy if c.video >= 0 else 0.5 for c in cases]
    valence = [videos[c.video][0].valence if c.video >= 0 else 0.5 for c in cases]
    q = queries_from_texts([c.feedback for c in cases], f"humanfb-{name}", vid, [c.prev for c in cases], energy,
                           valence)
    q.extra["target"] = np.array([c.target for c in cases], dtype=np.int64)
    return q


# ---------------------------------------------------------------------------------------- baselines
def random_scores(n_queries: int, n_items: int, prev: np.ndarray, seed: int) -> np.ndarray:
    s = np.random.default_rng(seed).random((n_queries, n_items))
    s[np.arange(n_queries), prev] = -np.inf
    return s


_TOKEN = re.compile(r"[a-z]+")
_SKIP = frozenset("a an the and or of with in on to for i it is this one some please".split())


def aspect_overlap_scores(feedback: list[str], cat, prev: np.ndarray) -> np.ndarray:
    """Share of each clip's aspect-list words that the feedback uses (no parser, no negation)."""
    from scipy import sparse

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, it in enumerate(cat.items):
        for w in set(_TOKEN.findall(" ".join(it.aspects).lower())) - _SKIP:
            rows.append(i)
            cols.append(vocab.setdefault(w, len(vocab)))
    A = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(cat), len(vocab)))
    qr, qc = [], []
    for i, text in enumerate(feedback):
        for w in set(_TOKEN.findall(text.lower())) - _SKIP:
            if w in vocab:
                qr.append(i)
                qc.append(vocab[w])
    Q = sparse.csr_matrix((np.ones(len(qr), np.float32), (qr, qc)), shape=(len(feedback), len(vocab)))
    overlap = np.asarray((Q @ A.T).todense(), dtype=np.float64)
    sizes = np.maximum(np.asarray(A.sum(1)).ravel(), 1.0)
    s = overlap / np.sqrt(sizes)[None, :]
    s[np.arange(len(feedback)), prev] = -np.inf
    return s


def compare(cat, scorer, fc, q, feedback: list[str], seed: int, alternatives: dict | None = None) -> tuple[list[dict], dict]:
    """Rank all clips with every method for queries ``q``; rows of Recall@1/5/10 and ranks per method
    (``alternatives``: more trained scorers by row name, e.g. the training ablations)."""
    from crs.music.scorer import HARD_NEGATION_PENALTY, FusionScorer, catalogue_to_torch, text_only_scores
    from crs.music.train import ranks_of
    from eval.music_eval import rank_summary

    y = q.extra["target"]
    cat_t = catalogue_to_torch(cat)
    no_text = q.slice(slice(None))
    for f in ("feedback", "asked", "declined", "has_text", "wanted", "unwanted", "direction"):
        setattr(no_text, f, np.zeros_like(getattr(q, f)))
    text = text_only_scores(q.feedback, cat, q.prev)
    methods = {
        "random": random_scores(len(y), len(cat), q.prev, seed),
        "text only (MiniLM cosine of the feedback)": text,
        "text only + negation filter": text - HARD_NEGATION_PENALTY * ((q.unwanted @ cat.tags.T) > 0),
        "aspect overlap (feedback words in the clip's aspect list)": aspect_overlap_scores(feedback, cat, q.prev),
        "fusion, hand-set weights (untrained)": FusionScorer(fc).score(q, cat_t, method="fusion"),
        "fusion, trained": scorer.score(q, cat_t, method="fusion"),
        "fusion, trained, feedback removed": scorer.score(no_text, cat_t, method="fusion"),
        f"the product (turn 2 = {scorer.method}, chosen on validation)": scorer.score(q, cat_t),
    }
    for name, other in (alternatives or {}).items():
        methods[name] = other.score(q, cat_t, method="fusion")
    rows, ranks = [], {}
    for name, scores in methods.items():
        ranks[name] = ranks_of(scores, y)
        rows.append({"method": name, **rank_summary(ranks[name])})
    return rows, ranks
