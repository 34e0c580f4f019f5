"""`crs bench rec`: how fast can we rank items? Torch vs NumPy exact top-k, and FAISS ANN.

Two parts, one run directory (``results.json`` + ``results.md``):

(a) **catalogue**: rank *all* items of a catalogue the size of the real one (6,730 movies;
    the model's item matrix when a model is given, else a seeded random one with a random
    item bias) for random user vectors. :func:`crs.topk.exact_topk` on the chosen device vs
    :func:`crs.topk.numpy_topk` on the CPU, at each batch size: users/s, p50/p95 latency per
    batch, and the torch/NumPy speed-up. Timed per batch with ``time.perf_counter`` after
    warm-up batches; the torch time includes copying the result indices to the CPU (which
    also synchronises CUDA); the user vectors are already on the device.
(b) **synthetic**: a seeded Gaussian-mixture catalogue (default 1,000,000 x 128 float32), so
    that ANN indexes have structure to exploit. Exact top-k with torch (item-chunked) is the
    reference; FAISS IVF (nlist 1024, nprobe 16) and HNSW (M 32) are built on the CPU and
    compared on ``n_queries`` queries drawn from the same mixture: recall@k against exact,
    queries/s and the speed-up over exact, build time. The HNSW build is aborted (and
    reported as skipped, with its progress and a linear estimate of the full build time)
    when it exceeds ``hnsw_budget_s`` (default 120 s).
(c) **served**: the same synthetic catalogue through the recommenders' own API
    (:class:`crs.topk.ItemIndex` + :func:`crs.topk.rank_topk`, with exclusions and the fp32
    re-score): recall@k of the served lists against an exact index, and users/s of both.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from crs.topk import BuildTimeout, FaissIndex, ItemIndex, VectorScores, exact_topk, numpy_topk, pick_device, rank_topk
from eval.report import markdown_table, write_results
from eval.rundir import make_run_dir, run_metadata

CATALOGUE_ITEMS = 6730  # movies in the real catalogue
COLUMNS = ("part", "method", "device", "batch", "items", "iters", "users/s", "p50 ms", "p95 ms",
           "speed-up", "recall@k", "build s", "note")


def _log(msg: str, verbose: bool) -> None:
    if verbose:
        print(f"[bench rec] {msg}", file=sys.stderr, flush=True)


def _to_numpy(x: Any) -> np.ndarray | None:
    if x is None:
        return None
    if isinstance(x, torch.Tensor):
        x = x.detach().float().cpu().numpy()
    return np.ascontiguousarray(np.asarray(x, dtype=np.float32))


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else ``platform.processor()`` or the machine type."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def _blas_limit(threads: int | None):
    """Context limiting BLAS threads (NumPy's OpenBLAS/MKL) via threadpoolctl; no-op for None."""
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError as e:  # pragma: no cover - optional
        raise ImportError("numpy_threads needs threadpoolctl (pip install threadpoolctl)") from e
    return threadpool_limits(limits=int(threads), user_api="blas")


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_batches(fn: Callable[[int], Any], n_batches: int, batch: int, warmup: int, sync: Callable[[], None]) -> dict:
    """Call ``fn(j)`` for warm-up then ``n_batches`` timed batches; throughput and latency percentiles."""
    for j in range(warmup):
        fn(j)
    sync()
    lat = []
    for j in range(n_batches):
        t0 = time.perf_counter()
        fn(j)
        sync()
        lat.append(time.perf_counter() - t0)
    a = np.asarray(lat)
    total = float(a.sum())
    return {
        "iters": n_batches,
        "batch": batch,
        "users_per_s": n_batches * batch / total if total > 0 else float("inf"),
        "p50_ms": float(np.percentile(a, 50) * 1e3),
        "p95_ms": float(np.percentile(a, 95) * 1e3),
        "mean_ms": float(a.mean() * 1e3),
        "total_s": total,
    }


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean |found ∩ exact| / |exact| over rows (ids of -1 never match)."""
    k = exact.shape[1]
    hits = [np.intersect1d(f[f >= 0], e, assume_unique=True).size for f, e in zip(found, exact)]
    return float(np.mean(hits) / k) if len(hits) else float("nan")


def gaussian_mixture(n: int, dim: int, n_clusters: int, sigma: float, rng: np.random.Generator,
                     centers: np.ndarray | None = None, chunk: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """``n`` float32 points: a random centre (N(0, I/dim)) plus N(0, sigma^2 I/dim) noise.

    Centres have norm ~1 and noise norm ~sigma; returns (points [n, dim], centres). Written in
    chunks so peak memory stays near the output size.
    """
    if centers is None:
        centers = rng.standard_normal((n_clusters, dim), dtype=np.float32) / np.float32(math.sqrt(dim))
    out = np.empty((n, dim), dtype=np.float32)
    scale = np.float32(sigma / math.sqrt(dim))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        assign = rng.integers(0, centers.shape[0], stop - start)
        noise = rng.standard_normal((stop - start, dim), dtype=np.float32)
        noise *= scale
        noise += centers[assign]
        out[start:stop] = noise
    return out, centers


def _bench_catalogue(model, n_users, batch_sizes, dim, k, device, seed, warmup, min_iters, n_items, amp, numpy_threads,
                     verbose) -> tuple[dict, list[dict]]:
    rng = np.random.default_rng(seed)
    if model is not None:
        items = _to_numpy(model.item_matrix())
        bias_fn = getattr(model, "item_bias", None)
        bias = _to_numpy(bias_fn()) if callable(bias_fn) else None
        source = type(model).__name__
    else:
        items = rng.standard_normal((n_items, dim), dtype=np.float32) / np.float32(math.sqrt(dim))
        bias = (0.1 * rng.standard_normal(n_items)).astype(np.float32)
        source = "random (seeded)"
    assert items is not None
    if bias is not None:
        bias = bias.reshape(-1)
    n, d = items.shape
    items_t = torch.from_numpy(items).to(device)
    bias_t = torch.from_numpy(bias).to(device) if bias is not None else None
    metrics: dict[str, Any] = {"items": n, "dim": d, "item_source": source, "bias": bias is not None, "k": k}
    rows: list[dict] = []
    for bs in batch_sizes:
        iters = max(int(min_iters), math.ceil(n_users / bs))
        pool = rng.standard_normal((iters * bs, d), dtype=np.float32)
        pool_t = torch.from_numpy(pool).to(device)
        n_pool = iters  # batches available; warm-up reuses them cyclically

        # the loop's values are bound as defaults: each closure keeps its own batch size and pool
        def run_torch(j: int, n_pool=n_pool, pool_t=pool_t, bs=bs) -> None:
            j %= n_pool
            _, idx = exact_topk(pool_t[j * bs:(j + 1) * bs], items_t, k, bias_t, amp=amp)
            idx.cpu()

        def run_numpy(j: int, n_pool=n_pool, pool=pool, bs=bs) -> None:
            j %= n_pool
            numpy_topk(pool[j * bs:(j + 1) * bs], items, k, bias)

        _log(f"catalogue {n}x{d}: batch {bs}, {iters} timed batches", verbose)
        t = _time_batches(run_torch, iters, bs, warmup, lambda: _sync(device))
        with _blas_limit(numpy_threads):
            npy = _time_batches(run_numpy, iters, bs, warmup, lambda: None)
        # Sanity: same top-k as NumPy on the first batch (fraction of identical positions).
        _, ti = exact_topk(pool_t[:bs], items_t, k, bias_t, amp=amp)
        _, ni = numpy_topk(pool[:bs], items, k, bias)
        agree = float((ti.cpu().numpy() == ni).mean())
        speedup = t["users_per_s"] / npy["users_per_s"]
        metrics[f"batch{bs}"] = {"torch": t, "numpy": npy, "speedup": speedup, "rank_agreement": agree}
        for name, r, dev, sp in (("torch exact_topk", t, device.type, speedup), ("numpy_topk", npy, "cpu", 1.0)):
            rows.append({"part": "catalogue", "method": name, "device": dev, "batch": bs, "items": n,
                         "iters": r["iters"], "users/s": r["users_per_s"], "p50 ms": r["p50_ms"],
                         "p95 ms": r["p95_ms"], "speed-up": sp,
                         "note": f"same ranking as numpy: {agree:.3f}" if name.startswith("torch")
                         else "baseline" + (f", {numpy_threads} BLAS thread(s)" if numpy_threads else "")})
    return metrics, rows


def _bench_synthetic(n_items, dim, k, device, seed, n_queries, query_batch, n_clusters, cluster_sigma,
                     nlist, nprobe, hnsw, hnsw_M, hnsw_ef_search, hnsw_ef_construction, hnsw_budget_s,
                     amp, verbose) -> tuple[dict, list[dict]]:
    rng = np.random.default_rng(seed + 1)
    t0 = time.perf_counter()
    X, centers = gaussian_mixture(n_items, dim, n_clusters, cluster_sigma, rng)
    Q, _ = gaussian_mixture(n_queries, dim, n_clusters, cluster_sigma, rng, centers=centers)
    gen_s = time.perf_counter() - t0
    _log(f"synthetic {n_items}x{dim} ({n_clusters} clusters, sigma {cluster_sigma}) generated in {gen_s:.1f} s", verbose)
    metrics: dict[str, Any] = {"items": n_items, "dim": dim, "k": k, "queries": n_queries, "query_batch": query_batch,
                               "clusters": n_clusters, "cluster_sigma": cluster_sigma, "generate_s": gen_s}
    rows: list[dict] = []
    qb = max(1, min(query_batch, n_queries))
    n_batches = math.ceil(n_queries / qb)
    warm_n = min(16, n_queries)

    # Exact reference (torch, chunked over items).
    ref = {"X": torch.from_numpy(X).to(device), "Q": torch.from_numpy(Q).to(device)}
    exact_idx = np.empty((n_queries, min(k, n_items)), dtype=np.int64)

    def run_exact(j: int) -> None:
        if j < 0:  # warm-up on a few queries
            exact_topk(ref["Q"][:warm_n], ref["X"], k, amp=amp)[1].cpu()
            return
        _, idx = exact_topk(ref["Q"][j * qb:(j + 1) * qb], ref["X"], k, amp=amp)
        exact_idx[j * qb:(j + 1) * qb] = idx.cpu().numpy()

    run_exact(-1)
    _log(f"exact top-{k}: {n_batches} batches of {qb}", verbose)
    ex = _time_batches(run_exact, n_batches, qb, 0, lambda: _sync(device))
    ex["users_per_s"] = n_queries / ex["total_s"]
    metrics["exact_torch"] = ex
    rows.append({"part": "synthetic", "method": "torch exact_topk", "device": device.type, "batch": qb, "items": n_items,
                 "iters": n_batches, "users/s": ex["users_per_s"], "p50 ms": ex["p50_ms"], "p95 ms": ex["p95_ms"],
                 "speed-up": 1.0, "recall@k": 1.0, "note": "reference"})
    ref.clear()  # free the device copies of the 1M-item matrix before the index is built
    if device.type == "cuda":
        torch.cuda.empty_cache()

    def ann(name: str, **kw) -> None:
        _log(f"building FAISS {name} ...", verbose)
        try:
            index = FaissIndex(X, seed=seed, **kw)
        except BuildTimeout as e:
            est = e.estimated_total_s
            _log(f"{name}: {e}", verbose)
            metrics[name] = {"skipped": True, "reason": str(e), "added": e.added, "build_s_partial": e.elapsed_s,
                             "estimated_build_s": est}
            rows.append({"part": "synthetic", "method": f"faiss {name}", "device": "cpu", "items": n_items,
                         "build s": e.elapsed_s,
                         "note": f"skipped: build > {hnsw_budget_s:.0f} s ({e.added}/{n_items} added; est. full build ~{est:.0f} s)"})
            return
        found = np.empty((n_queries, k), dtype=np.int64)

        def run(j: int) -> None:
            if j < 0:
                index.search(Q[:warm_n], k)
                return
            found[j * qb:(j + 1) * qb] = index.search(Q[j * qb:(j + 1) * qb], k)[1]

        run(-1)
        r = _time_batches(run, n_batches, qb, 0, lambda: None)
        r["users_per_s"] = n_queries / r["total_s"]
        rec = _recall(found[:, :exact_idx.shape[1]], exact_idx)
        sp = r["users_per_s"] / ex["users_per_s"]
        params = {key: v for key, v in kw.items() if key not in {"kind", "build_budget_s"}}
        if name == "ivf":
            params["nlist"] = index.nlist
        metrics[name] = {**r, "recall": rec, "speedup_vs_exact": sp, "build_s": index.build_s, "params": params}
        note = ", ".join(f"{key}={v}" for key, v in params.items())
        rows.append({"part": "synthetic", "method": f"faiss {name}", "device": "cpu", "batch": qb, "items": n_items,
                     "iters": n_batches, "users/s": r["users_per_s"], "p50 ms": r["p50_ms"], "p95 ms": r["p95_ms"],
                     "speed-up": sp, "recall@k": rec, "build s": index.build_s, "note": note})
        _log(f"{name}: build {index.build_s:.1f} s, recall@{k} {rec:.4f}, speed-up {sp:.1f}x", verbose)

    try:
        import faiss  # noqa: F401
    except ImportError:
        metrics["ivf"] = metrics["hnsw"] = {"skipped": True, "reason": "faiss not installed"}
        served, srows = _bench_served(X, Q, k, device, seed, qb, nlist, nprobe, verbose)
        metrics["served"] = served
        return metrics, rows + srows
    ann("ivf", kind="ivf", nlist=nlist, nprobe=nprobe)
    if hnsw:
        ann("hnsw", kind="hnsw", M=hnsw_M, efSearch=hnsw_ef_search, efConstruction=hnsw_ef_construction,
            build_budget_s=hnsw_budget_s)
    else:
        metrics["hnsw"] = {"skipped": True, "reason": "disabled (hnsw=False)"}
    served, srows = _bench_served(X, Q, k, device, seed, qb, nlist, nprobe, verbose)
    metrics["served"] = served
    return metrics, rows + srows


def _bench_served(X, Q, k, device, seed, qb, nlist, nprobe, verbose) -> tuple[dict, list[dict]]:
    """(c) The catalogue served through the recommenders' API: `ItemIndex` ("auto": exact device
    top-k on CUDA, FAISS IVF on the CPU) + `rank_topk` with per-user exclusions (each user's 3 best
    items, as if already mentioned) and the exact fp32 re-score, against `rank_topk` over an exact
    index; recall@k of the served lists and users/s of both."""
    items, users = torch.from_numpy(X).to(device), torch.from_numpy(Q).to(device)
    n_queries = len(Q)
    t0 = time.perf_counter()
    exact_index = ItemIndex(items, kind="exact")
    served_index = ItemIndex(items, kind="auto", nlist=nlist, nprobe=nprobe, seed=seed)
    build_s = time.perf_counter() - t0
    firsts = exact_topk(users[:qb], items, 3)[1].cpu().tolist()
    out: dict[str, list] = {"exact": [], "served": []}

    def runner(name, index):
        def run(j: int) -> None:
            u = users[j * qb:(j + 1) * qb]
            excl = [list(firsts[i % len(firsts)]) for i in range(j * qb, j * qb + len(u))]
            out[name].extend(items_ for items_, _ in rank_topk(VectorScores(u, items, index=index), k, exclude=excl))
        return run

    n_batches = math.ceil(n_queries / qb)
    res = {name: _time_batches(runner(name, idx), n_batches, qb, 0, lambda: _sync(device))
           for name, idx in (("exact", exact_index), ("served", served_index))}
    recall = float(np.mean([len(set(a.tolist()) & set(e.tolist())) / max(1, len(e))
                            for a, e in zip(out["served"], out["exact"])]))
    excluded_ok = all(not set(a.tolist()) & set(firsts[i % len(firsts)]) for i, a in enumerate(out["served"]))
    sp = res["served"]["users_per_s"] / res["exact"]["users_per_s"]
    _log(f"served ({served_index.kind}): recall@{k} {recall:.4f} vs exact, {sp:.1f}x, exclusions kept: {excluded_ok}",
         verbose)
    metrics = {"index": served_index.kind, "recall": recall, "exclusions_respected": excluded_ok,
               "speedup_vs_exact": sp, "build_s": build_s, "exact": res["exact"], "served": res["served"]}
    rows = [{"part": "served", "method": f"rank_topk + {name} index", "device": device.type if kind == "exact" else "cpu",
             "batch": qb, "items": len(X), "iters": r["iters"], "users/s": r["users_per_s"], "p50 ms": r["p50_ms"],
             "p95 ms": r["p95_ms"], "speed-up": r["users_per_s"] / res["exact"]["users_per_s"],
             "recall@k": 1.0 if name == "exact" else recall, "note": "3 exclusions per user; fp32 re-score"}
            for name, kind, r in (("exact", "exact", res["exact"]), (served_index.kind, served_index.kind, res["served"]))]
    return metrics, rows


def run_bench(
    model=None,
    n_users: int = 2048,
    batch_sizes: Sequence[int] = (1, 256),
    synthetic_items: int | None = 1_000_000,
    dim: int = 128,
    k: int = 50,
    device: str = "auto",
    out=None,
    seed: int = 0,
    *,
    n_items: int = CATALOGUE_ITEMS,
    n_queries: int = 1000,
    query_batch: int = 256,
    n_clusters: int = 1000,
    cluster_sigma: float = 1.5,
    nlist: int = 1024,
    nprobe: int = 16,
    hnsw: bool = True,
    hnsw_M: int = 32,
    hnsw_ef_search: int = 128,
    hnsw_ef_construction: int = 40,
    hnsw_budget_s: float = 120.0,
    warmup: int = 5,
    min_iters: int = 20,
    amp: bool | None = None,
    numpy_threads: int | None = None,
    torch_threads: int | None = None,
    write: bool = True,
    verbose: bool = True,
) -> dict:
    """Benchmark top-k recommendation; print a Markdown table, write results.json/.md; return a dict.

    Args:
        model: optional object with ``item_matrix()`` ([N, d] numpy or torch) and optionally
            ``item_bias()`` ([N] or None); only those are used, with random user vectors of the
            same dim. Default: a seeded random ``n_items`` x ``dim`` matrix plus random bias.
        n_users: users timed per batch size in part (a) (at least ``min_iters`` batches each).
        batch_sizes: user batch sizes for part (a).
        synthetic_items: items in the synthetic catalogue of part (b); 0/None skips part (b).
            Use e.g. 100_000 for a quick run.
        dim: embedding dim for random/synthetic data (part (a) uses the model's dim if given).
        k: top-k (recall@k in part (b)).
        device: "auto" (CUDA if available), "cpu", "cuda", ... for the torch side; NumPy and
            FAISS always run on the CPU.
        out: run directory (default ``runs/<date>-bench-rec``).
        seed: seeds item/user data (part (a): ``seed``; part (b): ``seed + 1``) and FAISS k-means.
        n_items: catalogue size for part (a) without a model (default 6,730, the real one).
        n_queries / query_batch: queries and their batch size in part (b).
        n_clusters / cluster_sigma: the Gaussian mixture of part (b) (noise norm relative to
            centre norm; 1.5 gives IVF a non-trivial but high recall).
        nlist / nprobe: FAISS IVF parameters (nlist is capped at N // 39 items, so small runs train).
        hnsw, hnsw_M, hnsw_ef_search, hnsw_ef_construction: FAISS HNSW parameters; hnsw=False skips it.
        hnsw_budget_s: abort the HNSW build (reported as skipped) once it takes longer than this.
        warmup / min_iters: warm-up batches and minimum timed batches per configuration in part (a).
        amp: passed to ``exact_topk`` (default: on for CUDA, off on CPU).
        numpy_threads: limit NumPy's BLAS threads for the NumPy baseline (needs threadpoolctl);
            default None leaves the library default (all cores). On a busy machine multi-threaded
            BLAS has long tail latencies at batch 1, so 1 thread can be the faster baseline there.
        torch_threads: ``torch.set_num_threads`` for the run (restored afterwards); None keeps it.
        write: write results.json / results.md (otherwise only return and print).
        verbose: progress lines on stderr and the table on stdout.

    Returns:
        ``{"catalogue": {...}, "synthetic": {...} or None, "table": [rows], "markdown": str,
        "meta": {...}, "run_dir": str or None, "elapsed_s": float}``.
    """
    prev_threads = torch.get_num_threads()
    if torch_threads is not None:
        torch.set_num_threads(int(torch_threads))
    try:
        return _run(model, n_users, batch_sizes, synthetic_items, dim, k, device, out, seed, n_items, n_queries,
                    query_batch, n_clusters, cluster_sigma, nlist, nprobe, hnsw, hnsw_M, hnsw_ef_search,
                    hnsw_ef_construction, hnsw_budget_s, warmup, min_iters, amp, numpy_threads, write, verbose)
    finally:
        torch.set_num_threads(prev_threads)


def _run(model, n_users, batch_sizes, synthetic_items, dim, k, device, out, seed, n_items, n_queries, query_batch,
         n_clusters, cluster_sigma, nlist, nprobe, hnsw, hnsw_M, hnsw_ef_search, hnsw_ef_construction, hnsw_budget_s,
         warmup, min_iters, amp, numpy_threads, write, verbose) -> dict:
    t_start = time.perf_counter()
    dev = pick_device(device)
    config = {
        "n_users": n_users, "batch_sizes": list(batch_sizes), "synthetic_items": synthetic_items, "dim": dim, "k": k,
        "device": str(dev), "n_items": n_items, "n_queries": n_queries, "query_batch": query_batch,
        "n_clusters": n_clusters, "cluster_sigma": cluster_sigma, "nlist": nlist, "nprobe": nprobe, "hnsw": hnsw,
        "hnsw_M": hnsw_M, "hnsw_ef_search": hnsw_ef_search, "hnsw_ef_construction": hnsw_ef_construction,
        "hnsw_budget_s": hnsw_budget_s, "warmup": warmup, "min_iters": min_iters,
        "amp": (dev.type == "cuda") if amp is None else amp, "numpy_threads": numpy_threads,
        "torch_threads": torch.get_num_threads(), "model": type(model).__name__ if model is not None else None,
    }
    try:
        import faiss

        faiss_version = faiss.__version__
        faiss_threads = faiss.omp_get_max_threads()
    except ImportError:  # pragma: no cover - faiss is a dependency of part (b) only
        faiss_version, faiss_threads = None, None
    env = {
        "device": str(dev),
        "cpu_name": cpu_name(),
        "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else cpu_name(),
        "torch_version": torch.__version__,
        "faiss_version": faiss_version,
        "numpy_version": np.__version__,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "faiss_threads": faiss_threads,
        "loadavg_start": _loadavg(),
    }
    _log(f"device {env['device_name']} ({dev}), torch {torch.__version__}, faiss {faiss_version}, {os.cpu_count()} CPUs", verbose)

    cat, rows = _bench_catalogue(model, n_users, tuple(batch_sizes), dim, k, dev, seed, warmup, min_iters, n_items,
                                 amp, numpy_threads, verbose)
    syn = None
    if synthetic_items:
        if not faiss_version:  # e.g. a GPU machine without faiss-cpu: exact and served (exact index) parts only
            _log("faiss is not installed: the FAISS rows are skipped", verbose)
            hnsw = False
        nl = max(1, min(nlist, int(synthetic_items) // 39))
        syn, srows = _bench_synthetic(int(synthetic_items), dim, k, dev, seed, n_queries, query_batch, n_clusters,
                                      cluster_sigma, nl, nprobe, hnsw, hnsw_M, hnsw_ef_search, hnsw_ef_construction,
                                      hnsw_budget_s, amp, verbose)
        rows += srows
    elapsed = time.perf_counter() - t_start
    for r in rows:
        if "recall@k" in r:
            r[f"recall@{k}"] = r.pop("recall@k")
    columns = [c if c != "recall@k" else f"recall@{k}" for c in COLUMNS]
    rows = [{c: r[c] for c in columns if c in r} for r in rows]
    table = markdown_table(rows, columns, digits=3)

    meta = {**run_metadata(seed, config), **env, "loadavg_end": _loadavg(), "elapsed_s": round(elapsed, 2)}
    metrics = {"catalogue": cat, "synthetic": syn if syn is not None else {"skipped": True}}
    run_dir = None
    if write:
        run_dir = make_run_dir(out, "bench-rec")
        write_results(run_dir, metrics, meta, "Top-k recommendation benchmark", table_rows=rows, digits=3)
    if verbose:
        print(table, flush=True)
        _log(f"done in {elapsed:.1f} s" + (f"; results in {run_dir}" if run_dir else ""), verbose)
    return {"catalogue": cat, "synthetic": syn, "table": rows, "markdown": table, "meta": meta,
            "run_dir": str(run_dir) if run_dir else None, "elapsed_s": elapsed}
