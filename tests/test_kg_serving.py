"""The KG recommender as served: one path on CPU and CUDA, bf16 candidates with an exact fp32 re-score.

The CPU tests run in the default suite on a small random model over the real TMDKG; the `gpu` tests
(skipped without CUDA) check the same on the H200 and, on the trained model, over all ReDial test turns.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from crs.recommenders.kg import KGRecommender, default_checkpoint
from crs.recommenders.kg_model import KGRecConfig, KGRecModel


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory, catalog, tmdkg):
    """A random small KG model over the real graph (no text or MovieLens features: no embeddings needed)."""
    from crs.recommenders.fusion import FusionConfig

    torch.manual_seed(0)
    cfg = KGRecConfig(n_entities=tmdkg.n_entities, n_relations=len(tmdkg.relations), n_items=len(catalog), dim=32,
                      n_bases=2, n_layers=2, entity_text=False, use_text=False, use_movielens=False)
    model = KGRecModel(cfg).eval()
    with torch.no_grad():
        model.item_bias.normal_(0, 0.5)
    path = tmp_path_factory.mktemp("kg") / "small"
    model.save_pretrained(path)
    FusionConfig(copy_weight=4.0, copy_decay=0.5, cooc_weight=8.0).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def test_samples(catalog):
    from eval.rec_eval import _samples

    return _samples("test", "crslab", catalog, 300, False)


def _overlap(a, b, k=10) -> float:
    return float(np.mean([len(set(x[0][:k]) & set(y[0][:k])) / max(1, min(k, len(x[0]))) for x, y in zip(a, b)]))


def test_bf16_autocast_on_cpu_serves_the_fp32_ranking(small_checkpoint, catalog, test_samples):
    """The low-precision serving path (here bf16 autocast on the CPU) ranks as fp32: bf16 only picks
    candidates, the exact fp32 re-score orders them."""
    from eval.rec_eval import rank_samples

    fp32 = KGRecommender(catalog, small_checkpoint, device="cpu", amp=False)
    bf16 = KGRecommender(catalog, small_checkpoint, device="cpu", amp=True)
    a = rank_samples(fp32, test_samples, "crslab", 51)
    b = rank_samples(bf16, test_samples, "crslab", 51)
    assert _overlap(a, b, 10) >= 0.99 and _overlap(a, b, 50) >= 0.99
    same = [np.array_equal(x[0], y[0]) for x, y in zip(a, b)]
    assert np.mean(same) >= 0.95
    for (ia, sa), (ib, sb) in zip(a, b):
        if np.array_equal(ia, ib):
            np.testing.assert_allclose(sa, sb, rtol=1e-5, atol=1e-5)


def test_the_rgcn_under_bf16_autocast_keeps_its_sparse_products_in_fp32(small_checkpoint, catalog):
    fp32 = KGRecommender(catalog, small_checkpoint, device="cpu")
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        e = fp32.model.encoder(fp32.graph.adj)
    ref = fp32.model.encoder(fp32.graph.adj)
    assert torch.isfinite(e).all()
    # Only the dense products ran in bf16: within bf16 rounding of the fp32 result.
    assert (e.float() - ref).abs().max() < 0.05 * ref.abs().max()


def test_served_scores_equal_the_model_plus_fusion(small_checkpoint, catalog, test_samples):
    from crs.recommenders.fusion import apply_fusion
    from crs.recommenders.kg import make_batch

    rec = KGRecommender(catalog, small_checkpoint, device="cpu")
    ctx = [s.context for s in test_samples[:40]]
    with torch.no_grad():
        model = rec.model(make_batch(ctx, rec.model.config, rec.graph), rec.graph.as_dict()).numpy()
    want = apply_fusion(model, ctx, rec.fusion, rec.cooc)
    np.testing.assert_allclose(rec.score(ctx), want, rtol=1e-4, atol=1e-4)
    # Recommender.rank goes through the same top-k.
    top = rec.rank(ctx[0], k=10, exclude=set(ctx[0].mentioned))
    assert top == [int(i) for i in np.argsort(-np.where(np.isin(np.arange(len(catalog)), ctx[0].mentioned),
                                                        -np.inf, want[0]), kind="stable")[:10]]


def test_above_the_threshold_the_index_serves_through_the_same_function(small_checkpoint, catalog, test_samples):
    from eval.rec_eval import rank_samples

    exact = KGRecommender(catalog, small_checkpoint, device="cpu", fusion=False)
    indexed = KGRecommender(catalog, small_checkpoint, device="cpu", fusion=False, ann_threshold=1000)
    a = rank_samples(exact, test_samples[:100], "new-items", 50)
    b = rank_samples(indexed, test_samples[:100], "new-items", 50)
    assert indexed.index is not None
    assert _overlap(a, b, 50) >= 0.9


# ------------------------------------------------------------------------------------ GPU


def _trained_checkpoint() -> Path:
    path = Path(os.environ.get("CRS_REC_CHECKPOINT", default_checkpoint()))
    if not (path / "config.json").exists():
        pytest.skip(f"no trained KG recommender at {path} (crs train rec, or set CRS_REC_CHECKPOINT)")
    return path


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_serves_the_small_model_as_the_cpu(small_checkpoint, catalog, test_samples):
    from eval.rec_eval import rank_samples

    cpu = KGRecommender(catalog, small_checkpoint, device="cpu")
    served = KGRecommender(catalog, small_checkpoint, device="cuda")  # bf16 candidates, fp32 re-score
    fp32 = KGRecommender(catalog, small_checkpoint, device="cuda", amp=False)
    a, b, c = (rank_samples(r, test_samples, "crslab", 51) for r in (cpu, served, fp32))
    assert _overlap(a, b) >= 0.99 and _overlap(b, c) >= 0.99
    assert served.item_matrix().device.type == "cuda"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("model", ["kg", "kg-base"])
def test_trained_model_cpu_and_cuda_agree_on_all_test_turns(model, catalog, tmp_path):
    """All ReDial test turns (crslab): R@1/10/50 within .002, top-10 overlap >= .99."""
    from eval.rec_eval import evaluate_recommender

    path = _trained_checkpoint()
    res = {}
    for dev in ("cpu", "cuda"):
        rec = KGRecommender(catalog, path, device=dev, fusion=model == "kg")
        res[dev] = evaluate_recommender(model, out=tmp_path / dev, progress=False, rec=rec, return_ranked=True)
    for k in (1, 10, 50):
        assert abs(res["cpu"][f"recall@{k}"] - res["cuda"][f"recall@{k}"]) <= 0.002, k
    overlap = _overlap(res["cpu"]["ranked"], res["cuda"]["ranked"], 10)
    print(f"{model}: cpu {[round(res['cpu'][f'recall@{k}'], 4) for k in (1, 10, 50)]} "
          f"cuda {[round(res['cuda'][f'recall@{k}'], 4) for k in (1, 10, 50)]} top-10 overlap {overlap:.4f}")
    assert overlap >= 0.99


def test_moving_the_model_drops_its_cached_entity_matrix():
    """The cached entity matrix follows the model to another device/dtype (it was stale on CUDA)."""
    from kg.rgcn import relation_adjacency

    cfg = KGRecConfig(n_entities=5, n_relations=2, n_items=4, dim=8, n_bases=2, entity_text=False, use_text=False,
                      use_movielens=False, max_entities=4)
    model = KGRecModel(cfg).eval()
    adj = relation_adjacency(torch.tensor([0, 1, 2]), torch.tensor([0, 1, 0]), torch.tensor([1, 2, 3]), 5, 2)
    model.entity_matrix(adj, None)
    assert model._entity_cache is not None
    model.to(torch.float64)
    assert model._entity_cache is None
