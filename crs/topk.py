"""Top-k retrieval over item embeddings: ``scores = U @ I.T + b``, then the k best items.

Three ways to do it, all returning ``(scores [B, k], indices [B, k])`` best first:

- :func:`exact_topk`: torch, on whatever device the tensors live on (CPU or CUDA). Batched
  matmul + ``torch.topk``; long catalogues are processed in item chunks so the score
  block stays bounded; optional mixed precision on CUDA with an exact fp32 re-score of the
  candidates, so AMP does not change the ranking (see the function's docstring).
- :func:`numpy_topk`: the plain NumPy brute-force baseline (matmul + argpartition + argsort).
- :class:`FaissIndex`: an approximate (IVF / HNSW) or exact (flat) FAISS inner-product index,
  built on the CPU with faiss-cpu. FAISS is imported lazily, only when an index is built.

Ties: all three order results by score descending, then item index ascending, so a fixed
input with distinct scores gives the same ranking on CPU and CUDA. (Exactly tied scores
that straddle the k-th place may still pick different items on different devices.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["pick_device", "exact_topk", "numpy_topk", "FaissIndex", "BuildTimeout", "DenseScores", "VectorScores",
           "ItemIndex", "RankPolicy", "rank_topk", "ANN_THRESHOLD"]

# Largest score block (batch x item chunk) exact_topk materialises at once: 2**26 floats = 256 MiB.
MAX_BLOCK_ELEMENTS = 1 << 26


def pick_device(pref: str | torch.device | None = "auto") -> torch.device:
    """``"auto"``/None: CUDA when available, else CPU. Anything else is passed to ``torch.device``.

    Asking for ``"cuda"`` explicitly when CUDA is unavailable raises ``RuntimeError`` instead of
    silently running on the CPU.
    """
    if pref is None or (isinstance(pref, str) and pref.lower() == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(pref)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {pref!r} requested but CUDA is not available")
    return dev


def _stable_order(scores: torch.Tensor, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Reorder each row by (score descending, index ascending)."""
    idx_sorted, perm = torch.sort(indices, dim=1)
    sc = torch.gather(scores, 1, perm)
    sc_sorted, perm2 = torch.sort(sc, dim=1, descending=True, stable=True)
    return sc_sorted, torch.gather(idx_sorted, 1, perm2)


def _exclude_pairs(exclude: Sequence[Sequence[int]] | None, batch: int, n_items: int, device) -> tuple[torch.Tensor, torch.Tensor] | None:
    if exclude is None:
        return None
    if len(exclude) != batch:
        raise ValueError(f"exclude has {len(exclude)} rows, user batch has {batch}")
    rows, cols = [], []
    for r, items in enumerate(exclude):
        for c in items:
            c = int(c)
            if not 0 <= c < n_items:
                raise IndexError(f"excluded item {c} out of range for {n_items} items")
            rows.append(r)
            cols.append(c)
    if not rows:
        return None
    return (torch.tensor(rows, dtype=torch.long, device=device), torch.tensor(cols, dtype=torch.long, device=device))


@torch.no_grad()
def exact_topk(
    user: torch.Tensor,
    items: torch.Tensor,
    k: int,
    bias: torch.Tensor | None = None,
    exclude: Sequence[Sequence[int]] | None = None,
    amp: bool | None = None,
    amp_dtype: torch.dtype = torch.bfloat16,
    item_chunk: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact top-k of ``user @ items.T + bias`` on the tensors' device.

    Args:
        user: [B, d] (or [d], treated as B=1) user vectors.
        items: [N, d] item vectors, on the same device as ``user``.
        k: how many items per user; clamped to N.
        bias: optional [N] item bias added to every user's scores.
        exclude: optional per-user lists of item indices that must not be returned (their
            score is set to -inf before top-k). If fewer than k items remain, the tail of the
            row has score -inf (with arbitrary excluded indices).
        amp: compute the big matmul under ``torch.autocast(amp_dtype)``. Default: True on CUDA,
            False elsewhere. With AMP, ``min(N, 2k+16)`` candidates are taken from the
            low-precision scores and re-scored exactly in fp32 (elementwise product + sum, so
            TF32 settings do not matter either); returned scores are therefore fp32-exact and
            the ranking equals the fp32 one unless an item's low-precision error pushes it
            out of the candidate set.
        amp_dtype: ``torch.bfloat16`` (default, no overflow risk) or ``torch.float16``.
        item_chunk: score at most this many items per step (default: chosen so one score block
            holds at most 2**26 floats). Chunks are merged with a running top-k.

    Returns:
        (scores [B, k] float32, indices [B, k] int64), best first; ties ordered by index.
    """
    squeeze = user.dim() == 1
    if squeeze:
        user = user.unsqueeze(0)
    if user.dim() != 2 or items.dim() != 2 or user.shape[1] != items.shape[1]:
        raise ValueError(f"shape mismatch: user {tuple(user.shape)}, items {tuple(items.shape)}")
    if bias is not None and bias.shape != (items.shape[0],):
        raise ValueError(f"bias has shape {tuple(bias.shape)}, expected ({items.shape[0]},)")
    B, N = user.shape[0], items.shape[0]
    device = user.device
    k = min(int(k), N)
    if k <= 0 or B == 0:
        empty = torch.empty(B, max(k, 0), device=device)
        out = (empty, empty.long())
        return (out[0][0], out[1][0]) if squeeze else out
    if amp is None:
        amp = device.type == "cuda"
    user = user.float() if not user.is_floating_point() else user
    cand = min(N, 2 * k + 16) if amp else k
    if item_chunk is None:
        item_chunk = max(cand, MAX_BLOCK_ELEMENTS // max(B, 1))
    item_chunk = max(int(item_chunk), cand)
    excl = _exclude_pairs(exclude, B, N, device)

    best_s: torch.Tensor | None = None
    best_i: torch.Tensor | None = None
    for start in range(0, N, item_chunk):
        stop = min(N, start + item_chunk)
        block = items[start:stop]
        if amp:
            with torch.autocast(device_type=device.type, dtype=amp_dtype):
                s = user @ block.T
            s = s.float()
        else:
            s = user @ block.T.to(user.dtype)
        if bias is not None:
            s = s + bias[start:stop].to(s.dtype)
        if excl is not None:
            sel = (excl[1] >= start) & (excl[1] < stop)
            if bool(sel.any()):
                s[excl[0][sel], excl[1][sel] - start] = float("-inf")
        kk = min(cand, stop - start)
        cs, ci = torch.topk(s, kk, dim=1, sorted=False)
        ci = ci + start
        if best_s is None:
            best_s, best_i = cs, ci
        else:
            ms = torch.cat([best_s, cs], dim=1)
            mi = torch.cat([best_i, ci], dim=1)
            ts, tp = torch.topk(ms, min(cand, ms.shape[1]), dim=1, sorted=False)
            best_s, best_i = ts, torch.gather(mi, 1, tp)
    assert best_s is not None and best_i is not None

    if amp:
        # Re-score the candidates exactly in fp32; keep excluded ones at -inf.
        vecs = items[best_i].float()  # [B, cand, d]
        exact = (user.float().unsqueeze(1) * vecs).sum(-1)
        if bias is not None:
            exact = exact + bias[best_i].float()
        best_s = torch.where(torch.isneginf(best_s), best_s, exact)
    best_s, best_i = _stable_order(best_s.float(), best_i)
    best_s, best_i = best_s[:, :k], best_i[:, :k]
    if squeeze:
        return best_s[0], best_i[0]
    return best_s, best_i


def numpy_topk(user: np.ndarray, items: np.ndarray, k: int, bias: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """NumPy brute-force baseline: ``user @ items.T + bias``, argpartition, then sort the k.

    ``user`` is [B, d] (or [d]); returns (scores [B, k], indices [B, k] int64), best first, ties
    by index ascending.
    """
    squeeze = user.ndim == 1
    u = np.atleast_2d(user)
    scores = u @ items.T
    if bias is not None:
        scores = scores + bias
    n = scores.shape[1]
    k = min(int(k), n)
    if k < n:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(n), scores.shape).copy()
    top = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -top), axis=1)
    idx = np.take_along_axis(part, order, axis=1).astype(np.int64)
    sc = np.take_along_axis(top, order, axis=1)
    return (sc[0], idx[0]) if squeeze else (sc, idx)


class BuildTimeout(RuntimeError):
    """Raised by :class:`FaissIndex` when a ``build_budget_s`` is exceeded."""

    def __init__(self, message: str, added: int, total: int, elapsed_s: float) -> None:
        super().__init__(message)
        self.added = added
        self.total = total
        self.elapsed_s = elapsed_s

    @property
    def estimated_total_s(self) -> float:
        """Linear extrapolation of the full build time (HNSW grows ~N log N, so a slight underestimate)."""
        return self.elapsed_s * self.total / max(self.added, 1)


class FaissIndex:
    """Inner-product FAISS index over item vectors, built on the CPU (faiss-cpu).

    ``kind``:
        - ``"flat"``: exact ``IndexFlatIP`` (wrapped in ``IndexIDMap``).
        - ``"ivf"``: ``IndexIVFFlat`` with an ``IndexFlatIP`` coarse quantizer, ``nlist`` cells
          (default ``min(1024, max(1, N // 64))``), searching ``nprobe`` cells (default 16).
        - ``"hnsw"``: ``IndexHNSWFlat(M)`` with inner product (wrapped in ``IndexIDMap``);
          ``efConstruction`` at build time, ``efSearch`` at query time (FAISS uses at least k).

    Bias: with ``bias`` [N], each item gets its bias as an extra last dimension and each query
    an extra 1, so ``[u, 1] . [i, b_i] = u . i + b_i`` and the index ranks by the biased score.
    (For IVF/HNSW the extra column also takes part in clustering / graph building.)

    ``ids`` (default ``arange(N)``) are stored with ``add_with_ids``; ``search`` returns them.
    ``build_budget_s``: add items in batches and raise :class:`BuildTimeout` once the build has
    taken longer (checked between batches of ``add_batch`` items). ``build_s`` holds the time
    spent training and adding.
    """

    def __init__(
        self,
        items: np.ndarray,
        kind: str = "ivf",
        nlist: int | None = None,
        nprobe: int = 16,
        M: int = 32,
        efSearch: int = 128,
        efConstruction: int = 40,
        bias: np.ndarray | None = None,
        ids: np.ndarray | None = None,
        seed: int = 0,
        build_budget_s: float | None = None,
        add_batch: int = 50_000,
    ) -> None:
        import faiss

        self._faiss = faiss
        x = np.ascontiguousarray(items, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"items must be [N, d], got shape {x.shape}")
        n, d = x.shape
        self.has_bias = bias is not None
        if bias is not None:
            b = np.asarray(bias, dtype=np.float32).reshape(-1, 1)
            if b.shape[0] != n:
                raise ValueError(f"bias has {b.shape[0]} entries, items {n}")
            x = np.ascontiguousarray(np.hstack([x, b]))
        ids = np.arange(n, dtype=np.int64) if ids is None else np.ascontiguousarray(ids, dtype=np.int64)
        if ids.shape != (n,):
            raise ValueError(f"ids has shape {ids.shape}, expected ({n},)")
        self.kind = kind
        self.dim = d
        self.ntotal_expected = n
        dd = x.shape[1]
        ip = faiss.METRIC_INNER_PRODUCT
        t0 = time.perf_counter()
        if kind == "flat":
            index = faiss.IndexIDMap(faiss.IndexFlatIP(dd))
        elif kind == "ivf":
            self.nlist = int(nlist) if nlist else min(1024, max(1, n // 64))
            self.quantizer = faiss.IndexFlatIP(dd)  # keep a Python reference alive
            index = faiss.IndexIVFFlat(self.quantizer, dd, self.nlist, ip)
            index.cp.seed = seed
            index.train(x)
            index.nprobe = min(int(nprobe), self.nlist)
        elif kind == "hnsw":
            base = faiss.IndexHNSWFlat(dd, int(M), ip)
            base.hnsw.efConstruction = int(efConstruction)
            base.hnsw.efSearch = int(efSearch)
            self.base = base
            index = faiss.IndexIDMap(base)
        else:
            raise ValueError(f"unknown index kind {kind!r}; expected 'ivf', 'hnsw' or 'flat'")
        step = n if build_budget_s is None else max(1, int(add_batch))
        for start in range(0, n, step):
            index.add_with_ids(x[start:start + step], ids[start:start + step])
            elapsed = time.perf_counter() - t0
            if build_budget_s is not None and elapsed > build_budget_s and start + step < n:
                raise BuildTimeout(
                    f"{kind} build exceeded {build_budget_s:.0f} s after {start + step}/{n} items ({elapsed:.1f} s)",
                    added=start + step, total=n, elapsed_s=elapsed)
        self.build_s = time.perf_counter() - t0
        self.index = index

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def search(self, user: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores [B, k] float32, ids [B, k] int64) for user vectors [B, d] (or [d]).

        Missing results (fewer than k reachable items) have id -1. Scores include the bias
        when the index was built with one.
        """
        squeeze = np.ndim(user) == 1
        q = np.ascontiguousarray(np.atleast_2d(user), dtype=np.float32)
        if q.shape[1] != self.dim:
            raise ValueError(f"user vectors have dim {q.shape[1]}, index {self.dim}")
        if self.has_bias:
            q = np.ascontiguousarray(np.hstack([q, np.ones((q.shape[0], 1), dtype=np.float32)]))
        scores, ids = self.index.search(q, int(k))
        return (scores[0], ids[0]) if squeeze else (scores, ids)


# ---------------------------------------------------------------------------------------------
# Serving: the one ranking function every caller uses (dialogue manager, `crs eval rec`, the
# simulator, the app through the manager, `crs bench rec`). A recommender hands over a *score
# source* that lives on its device; `rank_topk` applies exclusions and the dialogue policy there,
# picks candidates from the (possibly low-precision) scores, re-scores them exactly in fp32, and
# only the k winners per row leave the device.

ANN_THRESHOLD = 200_000  # catalogues larger than this take candidates from an ItemIndex


class DenseScores:
    """Full score rows a recommender computed exactly (fp32), e.g. popularity or text similarity."""

    index = None

    def __init__(self, scores, device: torch.device | str | None = None) -> None:
        s = scores if isinstance(scores, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(scores, dtype=np.float32))
        self.scores = s.to(device or s.device, torch.float32)
        if self.scores.dim() != 2:
            raise ValueError(f"scores must be [batch, n_items], got {tuple(self.scores.shape)}")
        self.device = self.scores.device
        self.batch, self.n_items = self.scores.shape

    def approx(self) -> torch.Tensor:
        return self.scores

    def exact(self, idx: torch.Tensor) -> torch.Tensor:
        return torch.gather(self.scores, 1, idx)


class ItemIndex:
    """Candidate generation for catalogues too large to score in full per request.

    ``kind``: ``"exact"`` (chunked device top-k, bf16 on CUDA: the faster choice on a GPU),
    ``"ivf"`` (FAISS IVF on the CPU, approximate), or ``"auto"`` (exact on CUDA, IVF on the CPU,
    exact when FAISS is missing). Also holds the mean and covariance of ``[item, bias]``, so the
    mean and spread of a user's scores over the whole catalogue come in closed form.
    """

    def __init__(self, items: torch.Tensor, bias: torch.Tensor | None = None, kind: str = "auto",
                 nlist: int | None = None, nprobe: int = 32, seed: int = 0) -> None:
        if kind == "auto":
            kind = "exact"
            if items.device.type == "cpu":
                try:
                    import faiss  # noqa: F401
                    kind = "ivf"
                except ImportError:
                    pass
        if kind not in ("exact", "ivf"):
            raise ValueError(f"unknown index kind {kind!r}; expected 'auto', 'exact' or 'ivf'")
        self.kind, self.items, self.bias = kind, items, bias
        self.faiss = None
        if kind == "ivf":
            self.faiss = FaissIndex(items.float().cpu().numpy(), kind="ivf", nlist=nlist, nprobe=nprobe,
                                    bias=None if bias is None else bias.float().cpu().numpy(), seed=seed)
        n, d = items.shape
        s1 = torch.zeros(d + 1, dtype=torch.float64, device=items.device)
        s2 = torch.zeros(d + 1, d + 1, dtype=torch.float64, device=items.device)
        for start in range(0, n, 262_144):  # moments of [item, bias] in float64, chunked
            a = items[start:start + 262_144].double()
            b = (bias[start:start + 262_144].double() if bias is not None else torch.zeros(len(a), device=a.device,
                                                                                          dtype=torch.float64))
            a = torch.cat([a, b[:, None]], 1)
            s1 += a.sum(0)
            s2 += a.T @ a
        self.mean = s1 / n
        self.cov = s2 / n - torch.outer(self.mean, self.mean)

    def search(self, user: torch.Tensor, c: int) -> torch.Tensor:
        """Candidate item indices [B, c] on the user's device (-1 where the index found fewer)."""
        if self.faiss is not None:
            _, ids = self.faiss.search(user.float().cpu().numpy(), c)
            return torch.from_numpy(ids).to(user.device)
        return exact_topk(user, self.items, c, self.bias)[1]

    def row_stats(self, user: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and standard deviation of ``user @ items.T + bias`` over all items, per row."""
        a = torch.cat([user.double(), torch.ones(len(user), 1, dtype=torch.float64, device=user.device)], 1)
        mean = a @ self.mean
        var = ((a @ self.cov) * a).sum(1).clamp(min=0)
        return mean.float(), var.sqrt().float()


class VectorScores:
    """``user @ items.T + bias + extra`` for a batch of user vectors, on the tensors' device.

    ``extra`` [B, N] is an optional per-row additive term (the KG recommender's fusion). With
    ``amp`` (default: on CUDA) the full-row product runs in bf16 for candidate selection;
    :meth:`exact` always recomputes in fp32 (elementwise product and sum, so TF32 cannot creep in).
    With an ``index`` the full row is never formed: candidates come from the index.
    """

    def __init__(self, user: torch.Tensor, items: torch.Tensor, bias: torch.Tensor | None = None,
                 extra: torch.Tensor | None = None, amp: bool | None = None, index: ItemIndex | None = None) -> None:
        self.user, self.items, self.bias, self.extra, self.index = user.float(), items, bias, extra, index
        self.device = user.device
        self.batch, self.n_items = user.shape[0], items.shape[0]
        self.amp = (self.device.type == "cuda") if amp is None else bool(amp)

    def approx(self) -> torch.Tensor:
        if self.amp:
            with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16):
                s = (self.user @ self.items.T).float()
        else:
            with torch.autocast(device_type=self.device.type, enabled=False):
                s = self.user @ self.items.float().T
        if self.bias is not None:
            s = s + self.bias.float()
        return s + self.extra if self.extra is not None else s

    def exact(self, idx: torch.Tensor) -> torch.Tensor:
        out = (self.user.unsqueeze(1) * self.items[idx].float()).sum(-1)
        if self.bias is not None:
            out = out + self.bias.float()[idx]
        return out + torch.gather(self.extra, 1, idx) if self.extra is not None else out

    def candidates(self, c: int) -> torch.Tensor:
        idx = self.index.search(self.user, min(c, self.n_items))
        if self.extra is not None:  # items the per-row term lifts must be candidates too
            idx = torch.cat([idx, torch.topk(self.extra, min(c, self.n_items), dim=1).indices], 1)
        return idx

    def row_stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.index.row_stats(self.user)


class RankPolicy:
    """What the dialogue adds to the scores, as tensors on the source's device ([N] or [B, N]).

    - ``drop``: bool, items never returned (a hard filter, e.g. "no horror");
    - ``tier``: ints, higher first: the ranking is by tier, then by score (e.g. movies with the
      requested actor before the others); ``best_tier_only`` keeps only each row's best tier present;
    - ``bonus``: added to the score after ``standardize`` (z-score over the non-excluded items), so
      a bonus means the same for every recommender's score scale.
    """

    def __init__(self, drop=None, tier=None, bonus=None, standardize: bool = False, best_tier_only: bool = False):
        self.drop, self.tier, self.bonus = drop, tier, bonus
        self.standardize, self.best_tier_only = standardize, best_tier_only


def _rows(x: torch.Tensor | None, batch: int, n: int) -> torch.Tensor | None:
    return None if x is None else (x if x.dim() == 2 else x.unsqueeze(0)).expand(batch, n)


@torch.no_grad()
def rank_topk(source, k: int, exclude: Sequence[Sequence[int]] | None = None, policy: RankPolicy | None = None,
              oversample: int = 2, extra: int = 16) -> list[tuple[np.ndarray, np.ndarray]]:
    """The k best items of every row of ``source`` (:class:`DenseScores`, :class:`VectorScores`).

    Exclusions and the ``policy`` are applied on the device; ``min(N, oversample*k + extra)``
    candidates per tier are taken from the source's possibly low-precision scores and re-scored
    exactly in fp32; they are ordered by (tier, score, item index). Returns, per row, (items int64,
    final scores float32) as NumPy arrays, best first, fewer than k where filters leave fewer.
    """
    policy = policy or RankPolicy()
    B, N, dev = source.batch, source.n_items, source.device
    k = min(int(k), N)
    if B == 0 or k <= 0:
        return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in range(B)]
    excl = _exclude_pairs(exclude, B, N, dev)
    c = min(N, oversample * k + extra)
    drop, tier, bonus = (_rows(policy.drop, B, N), _rows(policy.tier, B, N), _rows(policy.bonus, B, N))
    if source.index is not None:  # large catalogue: never form the full row
        n_ex = max((len(e) for e in exclude), default=0) if exclude is not None else 0
        cand = source.candidates(c + n_ex)
        ok = cand >= 0
        cand = cand.clamp(min=0)
        if excl is not None:
            ok &= ~torch.isin(torch.arange(B, device=dev)[:, None] * N + cand, excl[0] * N + excl[1])
        if policy.standardize:
            mean, std = source.row_stats()
    else:
        s = source.approx()
        ok_full = torch.ones(B, N, dtype=torch.bool, device=dev)
        if excl is not None:
            ok_full[excl[0], excl[1]] = False
        if policy.standardize:
            cnt = ok_full.sum(1).clamp(min=1)
            sz = torch.where(ok_full, s, torch.zeros_like(s))
            mean = sz.sum(1) / cnt
            std = (torch.where(ok_full, (s - mean[:, None]) ** 2, torch.zeros_like(s)).sum(1) / cnt).sqrt()
            s = (s - mean[:, None]) / (std[:, None] + 1e-9)
        if bonus is not None:
            s = s + bonus
        if drop is not None:
            ok_full &= ~drop
        t = tier if tier is not None else torch.zeros(B, N, dtype=torch.long, device=dev)
        if policy.best_tier_only and tier is not None:
            best = torch.where(ok_full, t, torch.full_like(t, torch.iinfo(t.dtype).min)).max(1).values
            ok_full &= t == best[:, None]
        key = torch.where(ok_full, s, torch.full_like(s, float("-inf")))
        levels = torch.unique(t[ok_full]).flip(0).tolist() if tier is not None else [0]
        picks = [torch.topk(torch.where(t == lv, key, torch.full_like(key, float("-inf"))), c, dim=1) for lv in levels]
        cand = torch.cat([p.indices for p in picks], 1) if picks else torch.zeros(B, 0, dtype=torch.long, device=dev)
        ok = torch.cat([torch.isfinite(p.values) for p in picks], 1) if picks else torch.zeros_like(cand, dtype=torch.bool)
    # Exact fp32 re-score of the candidates, the same transform, then (tier, score, index) order.
    sc = source.exact(cand)
    if policy.standardize:
        sc = (sc - mean[:, None]) / (std[:, None] + 1e-9)
    if bonus is not None:
        sc = sc + torch.gather(bonus, 1, cand)
    if source.index is not None:
        if drop is not None:
            ok &= ~torch.gather(drop, 1, cand)
        if policy.best_tier_only and tier is not None:
            tc = torch.gather(tier, 1, cand)
            best = torch.where(ok, tc, torch.full_like(tc, torch.iinfo(tc.dtype).min)).max(1).values
            ok &= tc == best[:, None]
    sc = torch.where(ok, sc, torch.full_like(sc, float("-inf")))
    tc = torch.gather(tier, 1, cand) if tier is not None else torch.zeros_like(cand)
    _, perm = torch.sort(cand * 2 + torch.isneginf(sc).long(), dim=1)  # by item, a valid copy first
    cand, sc, tc = torch.gather(cand, 1, perm), torch.gather(sc, 1, perm), torch.gather(tc, 1, perm)
    if cand.shape[1] > 1:  # an item proposed twice (index and per-row term) counts once
        dup = torch.zeros_like(cand, dtype=torch.bool)
        dup[:, 1:] = cand[:, 1:] == cand[:, :-1]
        sc = torch.where(dup, torch.full_like(sc, float("-inf")), sc)
    sc, perm = torch.sort(sc, dim=1, descending=True, stable=True)
    cand, tc = torch.gather(cand, 1, perm), torch.gather(tc, 1, perm)
    tc = torch.where(torch.isneginf(sc), torch.full_like(tc, torch.iinfo(tc.dtype).min), tc)
    tc, perm = torch.sort(tc, dim=1, descending=True, stable=True)
    cand, sc = torch.gather(cand, 1, perm)[:, :k], torch.gather(sc, 1, perm)[:, :k]
    n_ok = torch.isfinite(sc).sum(1)
    cand, sc, n_ok = cand.cpu().numpy(), sc.float().cpu().numpy(), n_ok.cpu().numpy()  # only the winners leave
    return [(cand[b, :n_ok[b]].astype(np.int64), sc[b, :n_ok[b]]) for b in range(B)]
