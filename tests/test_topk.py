"""crs.topk (exact torch / NumPy / FAISS top-k) and eval.bench_rec on a tiny configuration.

No timing assertions: only correctness and the shape of the benchmark's output.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from crs.topk import BuildTimeout, FaissIndex, exact_topk, numpy_topk, pick_device


def _data(n=3000, d=32, b=17, seed=0):
    rng = np.random.default_rng(seed)
    items = rng.standard_normal((n, d)).astype(np.float32)
    users = rng.standard_normal((b, d)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    return users, items, bias


def _clustered(n=20_000, d=32, n_clusters=100, seed=0):
    from eval.bench_rec import gaussian_mixture

    rng = np.random.default_rng(seed)
    items, centers = gaussian_mixture(n, d, n_clusters, 1.0, rng)
    queries, _ = gaussian_mixture(200, d, n_clusters, 1.0, rng, centers=centers)
    return queries, items


def _recall(found, exact):
    return np.mean([len(set(f.tolist()) & set(e.tolist())) / exact.shape[1] for f, e in zip(found, exact)])


def test_pick_device():
    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError):
            pick_device("cuda")


@pytest.mark.parametrize("use_bias", [False, True])
def test_exact_equals_numpy(use_bias):
    users, items, bias = _data()
    b = bias if use_bias else None
    ns, ni = numpy_topk(users, items, 50, b)
    ts, ti = exact_topk(torch.from_numpy(users), torch.from_numpy(items), 50,
                        torch.from_numpy(bias) if use_bias else None)
    assert ti.shape == (17, 50) and ti.dtype == torch.int64
    np.testing.assert_array_equal(ti.numpy(), ni)
    np.testing.assert_allclose(ts.numpy(), ns, rtol=1e-5, atol=1e-4)
    # Best first, and equal to a full sort.
    full = users @ items.T + (bias if use_bias else 0)
    np.testing.assert_array_equal(ni, np.argsort(-full, axis=1, kind="stable")[:, :50])
    assert (np.diff(ns, axis=1) <= 0).all()


def test_bias_changes_ranking():
    users, items, bias = _data()
    big = np.zeros_like(bias)
    big[[5, 7]] = 1e4  # these two must lead every user's list
    _, ti = exact_topk(torch.from_numpy(users), torch.from_numpy(items), 5, torch.from_numpy(big))
    _, ni = numpy_topk(users, items, 5, big)
    assert (np.sort(ti.numpy()[:, :2], axis=1) == [5, 7]).all()
    np.testing.assert_array_equal(ti.numpy(), ni)


def test_chunked_and_amp_match_plain():
    users, items, bias = _data()
    u, it, b = map(torch.from_numpy, (users, items, bias))
    ref_s, ref_i = exact_topk(u, it, 20, b)
    for kw in ({"item_chunk": 97}, {"amp": True}, {"amp": True, "item_chunk": 200}):
        s, i = exact_topk(u, it, 20, b, **kw)
        np.testing.assert_array_equal(i.numpy(), ref_i.numpy(), err_msg=str(kw))
        np.testing.assert_allclose(s.numpy(), ref_s.numpy(), rtol=1e-4, atol=1e-3)


def test_exclusion():
    users, items, bias = _data(b=3)
    u, it = torch.from_numpy(users), torch.from_numpy(items)
    _, top = exact_topk(u, it, 10)
    excl = [top[0, :5].tolist(), [], top[2].tolist() + [0, 1]]
    for kw in ({}, {"amp": True}, {"item_chunk": 64}):
        s, i = exact_topk(u, it, 10, exclude=excl, **kw)
        for row, ex in zip(i.tolist(), excl):
            assert not set(row) & set(ex)
        assert i[1].tolist() == top[1].tolist()
        assert i[0, :5].tolist() == top[0, 5:].tolist()
        assert torch.isfinite(s).all()
    # Excluding almost everything: the tail of the row is -inf.
    n = items.shape[0]
    s, i = exact_topk(u[:1], it, 10, exclude=[list(range(n - 3))])
    assert sorted(i[0, :3].tolist()) == [n - 3, n - 2, n - 1]
    assert torch.isinf(s[0, 3:]).all() and torch.isfinite(s[0, :3]).all()
    with pytest.raises(ValueError):
        exact_topk(u, it, 10, exclude=[[1]])


def test_ties_ordered_by_index():
    items = torch.tensor([[1.0], [2.0], [2.0], [0.5], [2.0]])
    s, i = exact_topk(torch.tensor([[1.0]]), items, 3)
    assert i[0].tolist() == [1, 2, 4]
    _, ni = numpy_topk(np.array([[1.0]], np.float32), items.numpy(), 3)
    assert ni[0].tolist() == [1, 2, 4]


def test_small_shapes():
    users, items, _ = _data(n=7, b=2)
    s, i = exact_topk(torch.from_numpy(users[0]), torch.from_numpy(items), 50)  # 1-D user, k > N
    assert i.shape == (7,)
    _, ni = numpy_topk(users[0], items, 50)
    np.testing.assert_array_equal(i.numpy(), ni)


def test_faiss_flat_exact():
    users, items, bias = _data()
    _, ni = numpy_topk(users, items, 50, bias)
    idx = FaissIndex(items, kind="flat", bias=bias)
    assert idx.ntotal == items.shape[0]
    fs, fi = idx.search(users, 50)
    assert _recall(fi, ni) == 1.0
    # Custom ids come back from search.
    idx2 = FaissIndex(items, kind="flat", ids=np.arange(items.shape[0]) + 1000)
    _, fi2 = idx2.search(users[:2], 5)
    _, ni2 = numpy_topk(users[:2], items, 5)
    np.testing.assert_array_equal(fi2, ni2 + 1000)


def test_faiss_ivf_recall():
    queries, items = _clustered()
    _, exact = exact_topk(torch.from_numpy(queries), torch.from_numpy(items), 50)
    idx = FaissIndex(items, kind="ivf", nlist=128, nprobe=16)
    _, found = idx.search(queries, 50)
    assert _recall(found, exact.numpy()) > 0.8


def test_faiss_hnsw_small_and_budget():
    queries, items = _clustered(n=5000)
    _, exact = exact_topk(torch.from_numpy(queries), torch.from_numpy(items), 10)
    idx = FaissIndex(items, kind="hnsw", M=16, efSearch=64)
    _, found = idx.search(queries, 10)
    assert _recall(found, exact.numpy()) > 0.8
    with pytest.raises(BuildTimeout) as e:
        FaissIndex(items, kind="hnsw", M=16, build_budget_s=0.0, add_batch=1000)
    assert e.value.added == 1000 and e.value.total == 5000


@pytest.mark.gpu
def test_cuda_matches_cpu():
    if not torch.cuda.is_available():
        pytest.skip("CUDA not available")
    # Small integers (exact in fp32, bf16 and TF32) plus a distinct bias m / 2**13 per item: every
    # score is computed exactly whatever the summation order, and no two scores are equal.
    rng = np.random.default_rng(1)
    n, d = 6730, 64
    items = rng.integers(-3, 4, (n, d)).astype(np.float32)
    users = rng.integers(-3, 4, (64, d)).astype(np.float32)
    bias = rng.permutation(n).astype(np.float32) / 2**13
    u, it, b = map(torch.from_numpy, (users, items, bias))
    cs, ci = exact_topk(u, it, 50, b)
    for amp in (False, True):
        gs, gi = exact_topk(u.cuda(), it.cuda(), 50, b.cuda(), amp=amp)
        np.testing.assert_array_equal(gi.cpu().numpy(), ci.numpy(), err_msg=f"amp={amp}")
        np.testing.assert_array_equal(gs.cpu().numpy(), cs.numpy())
    excl = [ci[r, :3].tolist() for r in range(64)]
    _, ce = exact_topk(u, it, 50, b, exclude=excl)
    _, ge = exact_topk(u.cuda(), it.cuda(), 50, b.cuda(), exclude=excl)
    np.testing.assert_array_equal(ge.cpu().numpy(), ce.numpy())


def test_run_bench_tiny(tmp_path):
    from eval.bench_rec import run_bench

    res = run_bench(n_users=8, batch_sizes=(1, 4), synthetic_items=5000, dim=16, k=10, device="cpu",
                    out=tmp_path, n_items=500, n_queries=40, query_batch=16, n_clusters=20, hnsw_M=8,
                    warmup=1, min_iters=2, verbose=False)
    assert {"catalogue", "synthetic", "table", "markdown", "meta", "run_dir", "elapsed_s"} <= res.keys()
    cat = res["catalogue"]
    for bs in (1, 4):
        b = cat[f"batch{bs}"]
        assert {"torch", "numpy", "speedup", "rank_agreement"} <= b.keys()
        assert b["torch"]["users_per_s"] > 0 and b["numpy"]["p95_ms"] >= b["numpy"]["p50_ms"] > 0
        assert b["rank_agreement"] == 1.0
    syn = res["synthetic"]
    assert syn["items"] == 5000
    assert {"exact_torch", "ivf", "hnsw", "served"} <= syn.keys()
    assert syn["served"]["index"] == "ivf" and syn["served"]["recall"] > 0.5 and syn["served"]["exclusions_respected"]
    assert 0.0 <= syn["ivf"]["recall"] <= 1.0 and syn["ivf"]["build_s"] > 0
    assert "speedup_vs_exact" in syn["ivf"]
    methods = [(r["part"], r["method"]) for r in res["table"]]
    assert ("catalogue", "numpy_topk") in methods and ("synthetic", "faiss ivf") in methods
    for key in ("device", "device_name", "torch_version", "faiss_version", "cpu_count"):
        assert key in res["meta"]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["metrics"]["catalogue"]["items"] == 500
    assert "recall@10" in (tmp_path / "results.md").read_text()


def test_run_bench_model_items(tmp_path):
    from eval.bench_rec import run_bench

    class Model:
        def item_matrix(self):
            return torch.ones(300, 24)

        def item_bias(self):
            return None

    threads_before = torch.get_num_threads()
    res = run_bench(model=Model(), n_users=4, batch_sizes=(2,), synthetic_items=0, k=5, device="cpu", out=tmp_path,
                    warmup=0, min_iters=2, numpy_threads=1, torch_threads=1, verbose=False)
    assert res["catalogue"]["items"] == 300 and res["catalogue"]["dim"] == 24
    assert res["catalogue"]["bias"] is False
    assert res["synthetic"] is None
    assert (tmp_path / "results.json").exists()
    assert res["meta"]["config"]["torch_threads"] == 1
    assert torch.get_num_threads() == threads_before
