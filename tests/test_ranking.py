"""The one ranking path (crs/topk.py rank_topk, crs/recommenders/ranking.py): exclusions, the
dialogue's KG policy, the exact fp32 re-score of bf16 candidates, the large-catalogue index."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from crs.recommenders.ranking import EntityIncidence, dialogue_policy
from crs.topk import DenseScores, ItemIndex, RankPolicy, VectorScores, rank_topk


def _vectors(n=3000, d=32, b=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, d, generator=g), torch.randn(n, d, generator=g) / d ** 0.5, 0.1 * torch.randn(n, generator=g)


def _reference(scores: np.ndarray, k: int, exclude=()) -> list[int]:
    s = scores.astype(np.float64).copy()
    s[list(exclude)] = -np.inf
    order = np.lexsort((np.arange(len(s)), -s))
    return [int(i) for i in order[:k] if np.isfinite(s[i])]


def test_dense_scores_with_exclusions_match_a_plain_sort():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((5, 400)).astype(np.float32)
    excl = [rng.choice(400, 30, replace=False).tolist() for _ in range(5)]
    out = rank_topk(DenseScores(scores), 20, exclude=excl)
    for row, ex, (items, sc) in zip(scores, excl, out):
        assert items.tolist() == _reference(row, 20, ex)
        np.testing.assert_allclose(sc, row[items])


def test_fewer_items_than_k_after_exclusions():
    out = rank_topk(DenseScores(np.array([[3.0, 2.0, 1.0]])), 10, exclude=[[1]])
    assert out[0][0].tolist() == [0, 2]


def test_bf16_candidates_rescored_exactly_give_the_fp32_ranking():
    """The served low-precision path (bf16 autocast on the CPU here, on CUDA in production) ranks
    as fp32 does: bf16 only picks candidates, which are re-scored in fp32."""
    u, items, bias = _vectors()
    excl = [list(range(r, 3000, 97)) for r in range(16)]
    fp32 = rank_topk(VectorScores(u, items, bias, amp=False), 50, exclude=excl)
    bf16 = rank_topk(VectorScores(u, items, bias, amp=True), 50, exclude=excl)
    exact = (u.double() @ items.double().T + bias.double()).numpy()
    for (i32, s32), (i16, s16), row, ex in zip(fp32, bf16, exact, excl):
        assert i16.tolist() == i32.tolist() == _reference(row, 50, ex)
        np.testing.assert_allclose(s16, s32, rtol=1e-5, atol=1e-5)


def _old_manager_ranking(scores, excluded, ents, disliked, liked, focus, bonus_w, n):
    """The manager's NumPy ranking before it moved to rank_topk (reference)."""
    scores = scores.astype(np.float64).copy()
    if excluded:
        scores[list(excluded)] = -np.inf
    finite = np.isfinite(scores)
    z = (scores - scores[finite].mean()) / (scores[finite].std() + 1e-9)
    items = np.flatnonzero(finite)
    if disliked:
        items = np.array([i for i in items if not (ents[i] & disliked)], dtype=int)
    if focus:
        hits = np.array([len(ents[i] & focus) for i in items])
        if hits.size and hits.max() > 0:
            items = items[hits == hits.max()]
    bonus = np.array([len(ents[i] & liked) for i in items]) * bonus_w if liked else 0.0
    final = z[items] + bonus
    return items[np.argsort(-final, kind="stable")][:n].tolist()


@pytest.mark.parametrize("case", range(6))
def test_dialogue_policy_ranks_as_the_manager_did(case):
    rng = np.random.default_rng(case)
    n, n_ent = 500, 40
    ents = [set(rng.choice(n_ent, rng.integers(0, 5), replace=False).tolist()) for _ in range(n)]
    scores = rng.standard_normal(n).astype(np.float32)
    excluded = set(rng.choice(n, 20, replace=False).tolist())
    disliked = {1, 2} if case % 2 else set()
    liked = {3, 4, 5} if case >= 2 else set()
    focus = {6} if case >= 4 else set()
    want = _old_manager_ranking(scores, excluded, ents, disliked, liked, focus, 0.75, 10)
    inc = EntityIncidence(ents)
    policy = dialogue_policy(inc, torch.device("cpu"), excluded, disliked, liked, focus, 0.75)
    items, _ = rank_topk(DenseScores(scores[None]), 10, exclude=[sorted(excluded)], policy=policy)[0]
    assert items.tolist() == want


def test_full_ranking_puts_filtered_items_after_the_others():
    ents = [{0}, set(), {1}, {0, 1}, set(), {1}]
    inc = EntityIncidence(ents)
    scores = np.array([[6, 5, 4, 3, 2, 1]], dtype=np.float32)
    # dislike entity 0, focus on entity 1: tier 0 = focus hit and not disliked (2, 5); then no hit (1, 4);
    # then disliked with the best hits (3), then disliked without (0).
    policy = dialogue_policy(inc, torch.device("cpu"), (), disliked_entities={0}, focus={1}, strict=False)
    items, _ = rank_topk(DenseScores(scores), 6, policy=policy)[0]
    assert items.tolist() == [2, 5, 1, 4, 3, 0]
    strict = dialogue_policy(inc, torch.device("cpu"), (), disliked_entities={0}, focus={1}, strict=True)
    assert rank_topk(DenseScores(scores), 6, policy=strict)[0][0].tolist() == [2, 5]


def test_drop_and_best_tier_as_plain_policy():
    scores = np.array([[1.0, 4.0, 3.0, 2.0]], dtype=np.float32)
    pol = RankPolicy(drop=torch.tensor([False, True, False, False]), tier=torch.tensor([0, 1, 1, 0]), best_tier_only=True)
    assert rank_topk(DenseScores(scores), 4, policy=pol)[0][0].tolist() == [2]


@pytest.mark.parametrize("kind", ["exact", "ivf"])
def test_item_index_serves_a_large_catalogue_through_the_same_function(kind):
    pytest.importorskip("faiss") if kind == "ivf" else None
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((50, 16)).astype(np.float32)
    items = torch.from_numpy(centers[rng.integers(0, 50, 20000)] + 0.5 * rng.standard_normal((20000, 16)).astype(np.float32))
    bias = torch.from_numpy(0.1 * rng.standard_normal(20000).astype(np.float32))
    users = torch.from_numpy(centers[rng.integers(0, 50, 32)] + 0.5 * rng.standard_normal((32, 16)).astype(np.float32))
    excl = [list(range(r, 20000, 211)) for r in range(32)]
    index = ItemIndex(items, bias, kind=kind, nlist=64, nprobe=16)
    exact = rank_topk(VectorScores(users, items, bias, amp=False), 50, exclude=excl)
    ann = rank_topk(VectorScores(users, items, bias, amp=False, index=index), 50, exclude=excl)
    recall = np.mean([len(set(a[0]) & set(e[0])) / 50 for a, e in zip(ann, exact)])
    assert recall >= (1.0 if kind == "exact" else 0.9)
    for (items_a, _), ex in zip(ann, excl):
        assert not set(items_a.tolist()) & set(ex)
    mean, std = index.row_stats(users)
    full = users @ items.T + bias
    np.testing.assert_allclose(mean, full.mean(1), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(std, full.std(1, unbiased=False), rtol=1e-3)


def test_index_path_standardises_like_the_full_row():
    u, items, bias = _vectors(n=5000)
    bonus = torch.zeros(5000)
    bonus[::7] = 0.5
    pol = RankPolicy(bonus=bonus, standardize=True)
    full = rank_topk(VectorScores(u, items, bias, amp=False), 20, policy=pol)
    via_index = rank_topk(VectorScores(u, items, bias, amp=False, index=ItemIndex(items, bias, kind="exact")), 20, policy=pol)
    overlap = np.mean([len(set(a[0]) & set(b[0])) / 20 for a, b in zip(full, via_index)])
    assert overlap >= 0.9  # the index proposes by raw score; a bonus can lift an item from outside


def test_fusion_rows_on_the_device_equal_the_numpy_fusion():
    from scipy import sparse

    from crs.recommenders.base import RecContext
    from crs.recommenders.fusion import FusionConfig, apply_fusion, cooc_tensor, fusion_rows

    rng = np.random.default_rng(0)
    m = sparse.random(60, 60, density=0.1, random_state=0, dtype=np.float32)
    cooc = (m + m.T).tocsr()
    ctxs = [RecContext("", mentioned=[3, 7, 9], disliked=[7]), RecContext(""), RecContext("", mentioned=[5])]
    fusion = FusionConfig(copy_weight=4.0, copy_decay=0.5, cooc_weight=8.0)
    scores = rng.standard_normal((3, 60)).astype(np.float32)
    want = apply_fusion(scores, ctxs, fusion, cooc)
    got = scores + fusion_rows(ctxs, fusion, cooc_tensor(cooc, "cpu"), 60, "cpu").numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert fusion_rows(ctxs, None, None, 60, "cpu") is None


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_served_path_ranks_as_the_cpu():
    u, items, bias = _vectors(n=6730, d=128, b=64)
    excl = [list(range(r, 6730, 101)) for r in range(64)]
    extra = torch.zeros(64, 6730)
    extra[:, ::13] = 0.3
    cpu = rank_topk(VectorScores(u, items, bias, extra, amp=False), 50, exclude=excl)
    dev = [t.cuda() for t in (u, items, bias, extra)]
    gpu = rank_topk(VectorScores(*dev), 50, exclude=excl)  # bf16 candidates by default on CUDA
    for (ci, cs), (gi, gs) in zip(cpu, gpu):
        assert gi.tolist() == ci.tolist()
        np.testing.assert_allclose(gs, cs, rtol=1e-5, atol=1e-5)
    index = ItemIndex(dev[1], dev[2])
    assert index.kind == "exact"
    big = rank_topk(VectorScores(dev[0], dev[1], dev[2], index=index), 50, exclude=excl)
    assert [b[0].tolist() for b in big] == [c[0].tolist() for c in cpu]
