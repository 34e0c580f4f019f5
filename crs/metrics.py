"""Evaluation metrics, implemented once (numpy + scipy + sacrebleu).

Every function here is pure: it takes plain Python / numpy inputs and returns numbers.
Names of ranking and generation metrics follow CRSLab ("recall@1", "ndcg@10", "mrr@50").

Conventions chosen for honesty (the project brief's honest protocols):

* Ranking with ties is *pessimistic*: a target tied with other items is ranked below all
  of them (``rank = #greater + #tied_others + 1``). A model that scores every item the
  same therefore gets the worst rank, not the best. ``ties="optimistic"`` gives
  ``rank = #greater + 1`` for comparison with code bases that use it.
* Several targets in one turn are scored as separate samples (CRSLab protocol).
* Distinct-n is counted on whitespace-separated words over the whole corpus.
* BLEU is corpus BLEU from sacrebleu (default tokenizer "13a", exp smoothing), 0-100.
* Zero divisions return 0.0 (never nan), except where a flag says the value is degenerate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import NamedTuple

import numpy as np

DEFAULT_KS: tuple[int, ...] = (1, 10, 50)


def _div(num: float, den: float) -> float:
    return float(num) / float(den) if den else 0.0


# --------------------------------------------------------------------------- ranking


def _as_target_set(targets: Iterable[Hashable] | Hashable) -> set:
    """A set of target ids; a single id (int or str) becomes a one-element set."""
    if isinstance(targets, np.ndarray):
        return set(targets.reshape(-1).tolist())
    if isinstance(targets, (str, bytes)) or not isinstance(targets, Iterable):
        return {targets.item() if isinstance(targets, np.generic) else targets}
    return {t.item() if isinstance(t, np.generic) else t for t in targets}


def recall_at_k(ranked: Sequence[Hashable], targets: Iterable[Hashable], k: int) -> float:
    """Fraction of ``targets`` found in the first ``k`` items of ``ranked``.

    With a single target this is CRSLab's hit@k (1.0 or 0.0). Empty targets give 0.0.
    """
    tset = _as_target_set(targets)
    if not tset:
        return 0.0
    top = set(list(ranked)[:k])
    return len(top & tset) / len(tset)


def ndcg_at_k(ranked: Sequence[Hashable], targets: Iterable[Hashable], k: int) -> float:
    """Binary-relevance NDCG@k: DCG of ``ranked[:k]`` over the ideal DCG.

    For one target at 1-based rank ``r <= k`` this is ``1 / log2(r + 1)``.
    """
    tset = _as_target_set(targets)
    if not tset:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(list(ranked)[:k]) if item in tset)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(tset), k)))
    return dcg / idcg


def mrr_at_k(ranked: Sequence[Hashable], targets: Iterable[Hashable], k: int) -> float:
    """Reciprocal rank of the first relevant item within the top ``k`` (0.0 if none)."""
    tset = _as_target_set(targets)
    for i, item in enumerate(list(ranked)[:k]):
        if item in tset:
            return 1.0 / (i + 1)
    return 0.0


def target_rank(scores: np.ndarray, target: int, ties: str = "pessimistic") -> int:
    """1-based rank of item ``target`` under ``scores`` (higher score = better).

    ``ties="pessimistic"`` (default) puts the target below every item with an equal
    score; ``"optimistic"`` above them (``rank = #greater + 1``). NaN scores count as
    worse than everything; a NaN target score gets the worst rank.
    """
    return int(_ranks(np.asarray(scores, dtype=np.float64)[None, :], np.array([target]), ties)[0])


def _ranks(scores: np.ndarray, targets: np.ndarray, ties: str) -> np.ndarray:
    """Vectorised ranks: ``scores`` [B, n_items], ``targets`` [B] -> ranks [B]."""
    if ties not in ("pessimistic", "optimistic"):
        raise ValueError(f"ties must be 'pessimistic' or 'optimistic', got {ties!r}")
    scores = np.where(np.isnan(scores), -np.inf, scores)
    n_items = scores.shape[1]
    if np.any((targets < 0) | (targets >= n_items)):
        raise IndexError(f"target index out of range for {n_items} items")
    tscore = scores[np.arange(len(targets)), targets][:, None]
    greater = (scores > tscore).sum(axis=1)
    if ties == "optimistic":
        return greater + 1
    equal = (scores == tscore).sum(axis=1) - 1  # minus the target itself
    return greater + equal + 1


def metrics_from_ranks(ranks: np.ndarray, ks: Sequence[int] = DEFAULT_KS) -> dict[str, np.ndarray]:
    """Per-sample recall@k, ndcg@k, mrr@k arrays from 1-based ranks of single targets."""
    ranks = np.asarray(ranks, dtype=np.float64)
    out: dict[str, np.ndarray] = {}
    for k in ks:
        hit = ranks <= k
        out[f"recall@{k}"] = hit.astype(np.float64)
        out[f"ndcg@{k}"] = np.where(hit, 1.0 / np.log2(ranks + 1.0), 0.0)
        out[f"mrr@{k}"] = np.where(hit, 1.0 / ranks, 0.0)
    return out


def rank_metrics(
    scores: np.ndarray,
    targets: int | Sequence[int],
    ks: Sequence[int] = DEFAULT_KS,
    ties: str = "pessimistic",
) -> dict[str, float]:
    """Ranking metrics for one score row ``scores`` [n_items] over all items.

    Each target index is scored on its own (CRSLab: one sample per target movie) and
    the returned values are the means over targets, with ``"count"`` = number of
    targets. The rank is computed by counting scores (no sort), see :func:`target_rank`.
    """
    tarr = np.atleast_1d(np.asarray(targets, dtype=np.int64))
    if tarr.size == 0:
        return {**{f"{m}@{k}": 0.0 for k in ks for m in ("recall", "ndcg", "mrr")}, "count": 0}
    row = np.asarray(scores, dtype=np.float64).reshape(1, -1)
    ranks = _ranks(np.repeat(row, tarr.size, axis=0), tarr, ties)
    per = metrics_from_ranks(ranks, ks)
    return {**{name: float(v.mean()) for name, v in per.items()}, "count": int(tarr.size)}


class RankingMeter:
    """Accumulates ranking metrics over (score row, target) pairs.

    ``add`` takes one row and one or several targets (each target is one sample);
    ``add_batch`` takes a [B, n_items] matrix and B targets. ``compute`` returns the
    means plus ``"count"`` (number of samples).
    """

    def __init__(self, ks: Sequence[int] = DEFAULT_KS, ties: str = "pessimistic") -> None:
        self.ks = tuple(ks)
        self.ties = ties
        self.ranks: list[int] = []

    def add(self, scores: np.ndarray, targets: int | Sequence[int]) -> None:
        """Add one score row [n_items] with one target index or a list of them."""
        tarr = np.atleast_1d(np.asarray(targets, dtype=np.int64))
        if tarr.size == 0:
            return
        row = np.asarray(scores, dtype=np.float64).reshape(1, -1)
        self.ranks.extend(_ranks(np.repeat(row, tarr.size, axis=0), tarr, self.ties).tolist())

    def add_batch(self, scores: np.ndarray, targets: Sequence[int]) -> None:
        """Add a matrix [B, n_items] with exactly one target index per row."""
        scores = np.asarray(scores, dtype=np.float64)
        tarr = np.asarray(targets, dtype=np.int64).reshape(-1)
        if scores.ndim != 2 or scores.shape[0] != tarr.size:
            raise ValueError(f"need scores [B, n_items] and B targets, got {scores.shape} and {tarr.size}")
        self.ranks.extend(_ranks(scores, tarr, self.ties).tolist())

    def add_rank(self, rank: int) -> None:
        """Add a precomputed 1-based rank (e.g. from an ANN index)."""
        self.ranks.append(int(rank))

    def __len__(self) -> int:
        return len(self.ranks)

    def compute(self) -> dict[str, float]:
        """Means of recall@k / ndcg@k / mrr@k over all samples, plus ``"count"``."""
        if not self.ranks:
            return {**{f"{m}@{k}": 0.0 for k in self.ks for m in ("recall", "ndcg", "mrr")}, "count": 0}
        per = metrics_from_ranks(np.asarray(self.ranks), self.ks)
        return {**{name: float(v.mean()) for name, v in per.items()}, "count": len(self.ranks)}


# ------------------------------------------------------------------------ generation


def _words(text: str) -> list[str]:
    return text.split()


def distinct_n(texts: Iterable[str], n: int, tokenize: Callable[[str], list[str]] = _words) -> float:
    """Corpus Distinct-n: distinct word n-grams / total word n-grams over all ``texts``.

    Words are whitespace-separated tokens (no lowercasing); n-grams never cross texts.
    """
    total = 0
    seen: set[tuple[str, ...]] = set()
    for text in texts:
        toks = tokenize(text)
        grams = [tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)]
        total += len(grams)
        seen.update(grams)
    return _div(len(seen), total)


def bleu(hyps: Sequence[str], refs: Sequence[str] | Sequence[Sequence[str]], max_order: int = 4) -> float:
    """Corpus BLEU (0-100) with sacrebleu, n-grams up to ``max_order`` (BLEU-2, BLEU-4).

    ``refs`` is one reference string per hypothesis, or a list of references per
    hypothesis (all hypotheses must then have the same number of references).
    """
    import sacrebleu

    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} references")
    if not hyps:
        return 0.0
    if all(isinstance(r, str) for r in refs):
        streams = [list(refs)]
    else:
        n_refs = {len(r) for r in refs}
        if len(n_refs) != 1:
            raise ValueError("every hypothesis needs the same number of references")
        streams = [[r[j] for r in refs] for j in range(n_refs.pop())]
    metric = sacrebleu.BLEU(max_ngram_order=max_order)
    return float(metric.corpus_score(list(hyps), streams).score)


def item_ratio(texts: Sequence[str], pattern: str | re.Pattern = r"@\d+") -> float:
    """Fraction of ``texts`` that mention at least one item (a match of ``pattern``).

    The default pattern is ReDial's movie placeholder ``@<movie id>``.
    """
    rx = re.compile(pattern) if isinstance(pattern, str) else pattern
    return _div(sum(1 for t in texts if rx.search(t)), len(texts))


# -------------------------------------------------------------------- classification


def _pair(y_true: Sequence, y_pred: Sequence) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(y_true), np.asarray(y_pred)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-d of equal length, got {a.shape} and {b.shape}")
    return a, b


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    """Fraction of exact matches."""
    a, b = _pair(y_true, y_pred)
    return float((a == b).mean()) if a.size else 0.0


def uar(y_true: Sequence, y_pred: Sequence) -> float:
    """Unweighted average recall: mean per-class recall over classes present in ``y_true``."""
    a, b = _pair(y_true, y_pred)
    classes = np.unique(a)
    if classes.size == 0:
        return 0.0
    return float(np.mean([(b[a == c] == c).mean() for c in classes]))


def _f1(tp: float, n_pred: float, n_true: float) -> float:
    p, r = _div(tp, n_pred), _div(tp, n_true)
    return _div(2 * p * r, p + r)


def macro_f1(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> float:
    """Mean of per-class F1 over ``labels`` (default: union of classes in both inputs)."""
    a, b = _pair(y_true, y_pred)
    labels = np.unique(np.concatenate([a, b])) if labels is None else np.asarray(labels)
    if labels.size == 0:
        return 0.0
    return float(np.mean([_f1(((a == c) & (b == c)).sum(), (b == c).sum(), (a == c).sum()) for c in labels]))


def cohen_kappa(y_true: Sequence, y_pred: Sequence, weights: str | None = None) -> float:
    """Cohen's kappa (same formula as sklearn): ``1 - sum(W*O) / sum(W*E)``.

    ``O`` is the confusion matrix, ``E`` the outer product of its marginals over the
    total, ``W`` 0/1 off-diagonal (``weights=None``), ``|i-j|`` ("linear") or
    ``(i-j)**2`` ("quadratic") over sorted labels. Returns 0.0 if the denominator is 0.
    """
    a, b = _pair(y_true, y_pred)
    labels = np.unique(np.concatenate([a, b]))
    idx = {c: i for i, c in enumerate(labels.tolist())}
    n = labels.size
    conf = np.zeros((n, n), dtype=np.float64)
    for t, p in zip(a.tolist(), b.tolist()):
        conf[idx[t], idx[p]] += 1
    if conf.sum() == 0:
        return 0.0
    expected = np.outer(conf.sum(axis=1), conf.sum(axis=0)) / conf.sum()
    i, j = np.indices((n, n))
    if weights is None:
        w = (i != j).astype(np.float64)
    elif weights == "linear":
        w = np.abs(i - j).astype(np.float64)
    elif weights == "quadratic":
        w = ((i - j) ** 2).astype(np.float64)
    else:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    den = (w * expected).sum()
    return float(1.0 - (w * conf).sum() / den) if den else 0.0


class SpearmanResult(NamedTuple):
    """Spearman's rho; ``degenerate`` is True when an input was constant (rho set to 0.0)."""

    rho: float
    pvalue: float
    degenerate: bool


def spearman(x: Sequence[float], y: Sequence[float]) -> SpearmanResult:
    """Tie-aware Spearman correlation (``scipy.stats.spearmanr``, average ranks).

    A constant input (or fewer than 2 points) has no defined correlation: it returns
    ``rho=0.0, pvalue=1.0, degenerate=True`` instead of nan.
    """
    from scipy.stats import spearmanr

    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"x and y must be 1-d of equal length, got {a.shape} and {b.shape}")
    if a.size < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return SpearmanResult(0.0, 1.0, True)
    res = spearmanr(a, b)
    rho, p = float(res.statistic), float(res.pvalue)
    if math.isnan(rho):
        return SpearmanResult(0.0, 1.0, True)
    return SpearmanResult(rho, p, False)


def dissatisfaction_f1(y_true: Sequence[float], y_pred: Sequence[float], threshold: float = 3) -> float:
    """Binary F1 for the class "dissatisfied" (rating ``< threshold`` on a 1-5 scale).

    Precision is over turns predicted dissatisfied, recall over truly dissatisfied turns.
    """
    a, b = _pair(y_true, y_pred)
    t, p = a.astype(np.float64) < threshold, b.astype(np.float64) < threshold
    return _f1((t & p).sum(), p.sum(), t.sum())


# -------------------------------------------------------------------- entity linking


def prf1(pred_sets: Sequence[Iterable[Hashable]], gold_sets: Sequence[Iterable[Hashable]]) -> dict[str, float]:
    """Micro precision / recall / F1 over per-example sets of predicted and gold ids.

    Returns ``precision``, ``recall``, ``f1`` and the counts ``tp``, ``n_pred``, ``n_gold``.
    """
    if len(pred_sets) != len(gold_sets):
        raise ValueError(f"{len(pred_sets)} predictions but {len(gold_sets)} gold sets")
    tp = n_pred = n_gold = 0
    for pred, gold in zip(pred_sets, gold_sets):
        ps, gs = set(pred), set(gold)
        tp += len(ps & gs)
        n_pred += len(ps)
        n_gold += len(gs)
    p, r = _div(tp, n_pred), _div(tp, n_gold)
    return {"precision": p, "recall": r, "f1": _div(2 * p * r, p + r), "tp": tp, "n_pred": n_pred, "n_gold": n_gold}


# ------------------------------------------------------------------------ beyond accuracy


def ranks_from_topk(items: np.ndarray, scores: np.ndarray, target: int, k_max: int) -> float:
    """Pessimistic 1-based rank of ``target`` from a top list of at least ``k_max + 1`` items
    (or all rankable ones), ``inf`` when it is beyond ``k_max``.

    Ties count against the target (as :func:`target_rank`): with one item more than ``k_max`` in
    the list, a tie group that reaches past the list puts the target past ``k_max`` too.
    """
    hit = np.flatnonzero(items == target)
    if not hit.size:
        return float("inf")
    s = scores[hit[0]]
    if len(items) > k_max and scores[k_max] >= s:
        return float("inf")
    return float((scores >= s).sum())


def coverage_at_k(lists: Sequence[Sequence[int]], n_items: int, k: int) -> float:
    """Catalogue coverage: share of all items that appear in at least one top-k list."""
    seen = set()
    for items in lists:
        seen.update(int(i) for i in list(items)[:k])
    return _div(len(seen), n_items)


def arp_at_k(lists: Sequence[Sequence[int]], popularity: np.ndarray, k: int) -> float:
    """Average recommendation popularity (Abdollahpouri et al., 2019): the mean, over lists, of
    the mean popularity (e.g. training mentions) of the top-k items."""
    vals = [float(np.mean(popularity[np.asarray(list(items)[:k], dtype=np.int64)])) for items in lists if len(items)]
    return float(np.mean(vals)) if vals else 0.0


def novelty_at_k(lists: Sequence[Sequence[int]], popularity: np.ndarray, k: int) -> float:
    """Mean self-information -log2 p(i) of the top-k items, p(i) = (count_i + 1) / (sum + n_items)
    (add-one smoothing, so never-seen items are finite and the most novel)."""
    pop = np.asarray(popularity, dtype=np.float64)
    info = -np.log2((pop + 1.0) / (pop.sum() + len(pop)))
    vals = [float(np.mean(info[np.asarray(list(items)[:k], dtype=np.int64)])) for items in lists if len(items)]
    return float(np.mean(vals)) if vals else 0.0
