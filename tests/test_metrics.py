"""Metrics against hand-computed cases (crs/metrics.py and the evaluate module)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from crs import metrics as M

REPO = Path(__file__).resolve().parents[1]
L3 = 1.0 / math.log2(3)  # DCG gain at rank 2


# ---------------------------------------------------------------- list-based ranking


def test_single_target_ranked_list():
    ranked, t = [3, 1, 2], {1}
    assert M.recall_at_k(ranked, t, 1) == 0.0
    assert M.recall_at_k(ranked, t, 2) == 1.0
    assert M.ndcg_at_k(ranked, t, 1) == 0.0
    assert M.ndcg_at_k(ranked, t, 10) == pytest.approx(L3)
    assert M.mrr_at_k(ranked, t, 1) == 0.0
    assert M.mrr_at_k(ranked, t, 10) == 0.5
    # a bare id is the same as a one-element set
    assert M.recall_at_k(ranked, 1, 2) == 1.0


def test_multiple_targets_ranked_list():
    ranked, t = [5, 4, 3, 2, 1], {4, 1}
    assert M.recall_at_k(ranked, t, 3) == 0.5
    assert M.recall_at_k(ranked, t, 5) == 1.0
    idcg = 1.0 + L3
    assert M.ndcg_at_k(ranked, t, 3) == pytest.approx(L3 / idcg)
    assert M.ndcg_at_k(ranked, t, 5) == pytest.approx((L3 + 1 / math.log2(6)) / idcg)
    assert M.mrr_at_k(ranked, t, 5) == 0.5
    assert M.recall_at_k(ranked, set(), 5) == 0.0


# --------------------------------------------------------------- score-based ranking


def test_rank_metrics_hand():
    scores = np.array([0.1, 0.9, 0.5, 0.3])
    assert M.target_rank(scores, 2) == 2
    out = M.rank_metrics(scores, 2, ks=(1, 10))
    assert out == pytest.approx(
        {"recall@1": 0.0, "ndcg@1": 0.0, "mrr@1": 0.0, "recall@10": 1.0, "ndcg@10": L3, "mrr@10": 0.5, "count": 1}
    )
    # two targets are two samples: rank 1 and rank 2
    two = M.rank_metrics(scores, [1, 2], ks=(1,))
    assert two["recall@1"] == 0.5 and two["mrr@1"] == 0.5 and two["count"] == 2


def test_ties_are_pessimistic_by_default():
    flat = np.zeros(4)
    assert M.target_rank(flat, 0) == 4
    assert M.target_rank(flat, 0, ties="optimistic") == 1
    assert M.rank_metrics(flat, 0, ks=(1,))["recall@1"] == 0.0
    scores = np.array([0.2, 0.5, 0.5, 0.9])
    assert M.target_rank(scores, 1) == 3  # below 0.9 and below its tie
    assert M.target_rank(scores, 1, ties="optimistic") == 2
    # NaN scores never beat the target; a NaN target is last
    assert M.target_rank(np.array([np.nan, 0.1, 0.3]), 1) == 2
    assert M.target_rank(np.array([np.nan, 0.1, 0.3]), 0) == 3
    with pytest.raises(IndexError):
        M.target_rank(scores, 4)


def test_rank_metrics_agrees_with_list_functions():
    rng = np.random.default_rng(0)
    ks = (1, 5, 10, 50)
    for _ in range(200):
        scores = rng.normal(size=120)
        target = int(rng.integers(120))
        ranked = np.argsort(-scores).tolist()
        got = M.rank_metrics(scores, target, ks=ks)
        for k in ks:
            assert got[f"recall@{k}"] == pytest.approx(M.recall_at_k(ranked, {target}, k))
            assert got[f"ndcg@{k}"] == pytest.approx(M.ndcg_at_k(ranked, {target}, k))
            assert got[f"mrr@{k}"] == pytest.approx(M.mrr_at_k(ranked, {target}, k))


def test_ranking_meter():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(30, 80))
    targets = rng.integers(80, size=30)
    a, b = M.RankingMeter(ks=(1, 10)), M.RankingMeter(ks=(1, 10))
    a.add_batch(scores, targets)
    for row, t in zip(scores, targets):
        b.add(row, int(t))
    assert a.compute() == pytest.approx(b.compute())
    assert a.compute()["count"] == 30 == len(a)
    expected = np.mean([M.rank_metrics(r, int(t), ks=(1, 10))["ndcg@10"] for r, t in zip(scores, targets)])
    assert a.compute()["ndcg@10"] == pytest.approx(expected)
    empty = M.RankingMeter(ks=(1,))
    assert empty.compute() == {"recall@1": 0.0, "ndcg@1": 0.0, "mrr@1": 0.0, "count": 0}
    m = M.RankingMeter(ks=(1, 10))
    m.add(np.array([0.1, 0.9, 0.5, 0.3]), [1, 2])  # ranks 1 and 2
    m.add_rank(20)
    out = m.compute()
    assert out["count"] == 3
    assert out["recall@1"] == pytest.approx(1 / 3)
    assert out["recall@10"] == pytest.approx(2 / 3)
    assert out["mrr@10"] == pytest.approx((1 + 0.5) / 3)
    with pytest.raises(ValueError):
        m.add_batch(scores, targets[:5])


# -------------------------------------------------------------------- generation


def test_distinct_on_words_over_corpus():
    texts = ["a b a b", "a b c"]
    # unigrams: 7 total, {a, b, c}; bigrams: ab ba ab | ab bc -> 5 total, 3 distinct
    assert M.distinct_n(texts, 1) == pytest.approx(3 / 7)
    assert M.distinct_n(texts, 2) == pytest.approx(3 / 5)
    # trigrams: aba bab | abc -> 3 distinct of 3 (none spans two texts)
    assert M.distinct_n(texts, 3) == 1.0
    assert M.distinct_n(["one"], 2) == 0.0
    assert M.distinct_n([], 2) == 0.0


def test_bleu():
    hyp = "the cat sat on the mat"
    assert M.bleu([hyp], [hyp], max_order=4) == pytest.approx(100.0)
    assert M.bleu([hyp], [hyp], max_order=2) == pytest.approx(100.0)
    # unigram precision 5/6, bigram 3/5, same length (BP = 1): sqrt(5/6 * 3/5) = sqrt(1/2)
    ref = "the cat is on the mat"
    assert M.bleu([hyp], [ref], max_order=2) == pytest.approx(100 * math.sqrt(0.5), abs=1e-6)
    assert M.bleu([hyp], [ref], max_order=4) < M.bleu([hyp], [ref], max_order=2)
    # several references per hypothesis: the exact one gives 100
    assert M.bleu([hyp], [[ref, hyp]], max_order=4) == pytest.approx(100.0)
    assert M.bleu([], [], 4) == 0.0
    with pytest.raises(ValueError):
        M.bleu([hyp, hyp], [ref], 2)


def test_item_ratio():
    assert M.item_ratio(["I like @123", "hi", "@4 and @5"]) == pytest.approx(2 / 3)
    assert M.item_ratio(["Inception rocks", "no"], pattern=r"Inception") == 0.5
    assert M.item_ratio([]) == 0.0


# ---------------------------------------------------------------- classification


def test_accuracy_and_uar():
    assert M.accuracy([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75
    # class 0 recall 2/3, class 1 recall 1 -> 5/6 (accuracy would be 3/4)
    assert M.uar([0, 0, 0, 1], [0, 0, 1, 1]) == pytest.approx(5 / 6)
    # a class only predicted (2) does not enter the average
    assert M.uar([0, 0], [0, 2]) == 0.5


def test_macro_f1():
    # class 0: P=1/2 R=1/2 F=1/2; class 1: P=2/3 R=1 F=4/5; class 2: F=0
    assert M.macro_f1([0, 0, 1, 1, 2], [0, 1, 1, 1, 0]) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert M.macro_f1([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], labels=[0, 1]) == pytest.approx(0.65)


def test_cohen_kappa_hand():
    # po = 3/4; marginals true (2, 2), pred (1, 3): pe = (2*1 + 2*3) / 16 = 1/2
    assert M.cohen_kappa([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(0.5)
    assert M.cohen_kappa([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    # quadratic weights on 3 ordered labels, by hand:
    # O = [[1,0,0],[0,0,1],[0,1,0]] (true 1,2,3 vs pred 1,3,2); rows (1,1,1), cols (1,1,1)
    # E = 1/3 everywhere; W = (i-j)^2; sum W*O = 1 + 1 = 2; sum W*E = (0+1+4+1+0+1+4+1+0)/3 = 4
    assert M.cohen_kappa([1, 2, 3], [1, 3, 2], weights="quadratic") == pytest.approx(1 - 2 / 4)


def test_cohen_kappa_matches_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(2)
    a, b = rng.integers(1, 6, size=200), rng.integers(1, 6, size=200)
    for w in (None, "linear", "quadratic"):
        assert M.cohen_kappa(a, b, weights=w) == pytest.approx(sk.cohen_kappa_score(a, b, weights=w))


def test_spearman_ties_and_constant():
    # ranks x: 1, 2.5, 2.5, 4 ; y: 1, 3, 2, 4 -> Pearson on ranks = 4.5 / sqrt(4.5 * 5)
    res = M.spearman([1, 2, 2, 3], [1, 3, 2, 4])
    assert res.rho == pytest.approx(4.5 / math.sqrt(22.5))
    assert res.rho != pytest.approx(0.95)  # the no-ties formula 1 - 6*sum(d^2)/(n(n^2-1))
    assert not res.degenerate
    const = M.spearman([1, 1, 1], [1, 2, 3])
    assert const == (0.0, 1.0, True)
    assert M.spearman([1], [2]).degenerate


def test_dissatisfaction_f1():
    # dissatisfied = rating < 3: true at 0, 1, 5; predicted at 0, 2; tp = 1
    # precision 1/2, recall 1/3 -> F1 = 2 * (1/6) / (5/6) = 0.4
    assert M.dissatisfaction_f1([1, 2, 3, 4, 5, 2], [2, 3, 1, 4, 5, 5]) == pytest.approx(0.4)
    assert M.dissatisfaction_f1([4, 5], [4, 5]) == 0.0  # no dissatisfied turns at all


# ------------------------------------------------------------------ entity linking


def test_prf1():
    out = M.prf1([{"a", "b"}, {"c"}], [{"a"}, {"c", "d"}])
    assert (out["precision"], out["recall"], out["f1"]) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    out = M.prf1([{"a"}, set()], [{"a", "b"}, {"c"}])
    assert (out["precision"], out["recall"], out["f1"]) == pytest.approx((1.0, 1 / 3, 0.5))
    assert (out["tp"], out["n_pred"], out["n_gold"]) == (1, 1, 3)
    assert M.prf1([set()], [set()])["f1"] == 0.0


# ------------------------------------------------------------ evaluate module (offline)


def test_evaluate_module_loads_offline(tmp_path):
    pytest.importorskip("evaluate")
    code = (
        "import json, evaluate\n"
        "m = evaluate.load('eval/hf_metrics/ranking_at_k')\n"
        "print(json.dumps(m.compute(predictions=[[3, 1, 2], [5, 6, 7]], references=[[1], [7, 9]], k=[1, 2, 10])))\n"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_EVALUATE_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    # example 1: target 1 at rank 2; example 2: target 7 at rank 3, target 9 missing
    assert {k: v for k, v in out.items() if k.startswith("recall") or k == "count"} == pytest.approx(
        {"recall@1": 0.0, "recall@2": 0.5, "recall@10": 0.75, "count": 2})
    # the same per-example code as crs eval rec: compare with crs.metrics directly
    from crs.metrics import mrr_at_k, ndcg_at_k

    for k in (1, 2, 10):
        assert out[f"ndcg@{k}"] == pytest.approx((ndcg_at_k([3, 1, 2], [1], k) + ndcg_at_k([5, 6, 7], [7, 9], k)) / 2)
        assert out[f"mrr@{k}"] == pytest.approx((mrr_at_k([3, 1, 2], [1], k) + mrr_at_k([5, 6, 7], [7, 9], k)) / 2)
    assert out["mrr@2"] == pytest.approx(0.25)  # 1/2 for example 1, nothing in the top 2 of example 2

