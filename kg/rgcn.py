"""R-GCN with basis decomposition (Schlichtkrull et al., 2018), written plainly for speed on CPU and CUDA.

For each relation r, the mean over r-neighbours Z_r = A_r X is one sparse product; the layer
is then X W_self + sum_r Z_r W_r with W_r = sum_b a_rb V_b, computed as a single dense matmul
of [Z_1 .. Z_R] against the stacked W_r. This is the same function as PyG's RGCNConv with
mean aggregation, without its per-relation Python loop over edge subsets.

Precision: the sparse products always run in fp32 (:func:`sparse_mean`); the dense ones follow
the caller's autocast (bf16 on GPUs in training), so the same code trains and serves on CPU and CUDA.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def relation_adjacency(heads: torch.Tensor, rels: torch.Tensor, tails: torch.Tensor, n_nodes: int,
                       n_rels: int) -> torch.Tensor:
    """A sparse [R*N, N] matrix: row r*N + t averages the r-neighbours h of node t (edges h -> t)."""
    rows = rels * n_nodes + tails
    deg = torch.zeros(n_rels * n_nodes).index_add_(0, rows, torch.ones_like(rows, dtype=torch.float))
    vals = 1.0 / deg[rows]
    return torch.sparse_coo_tensor(torch.stack([rows, heads]), vals, (n_rels * n_nodes, n_nodes),
                                   check_invariants=False).coalesce()


def sparse_mean(adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``adj @ x`` in fp32, also under a bf16/fp16 autocast region.

    CUDA has no bf16 sparse-dense product (``addmm_sparse_cuda`` is not implemented for BFloat16)
    and averaging over thousands of neighbours in bf16 would lose precision anyway, so autocast is
    switched off here and the dense operand is promoted to fp32. The result is fp32; the dense
    matmuls around it may still run in low precision under the caller's autocast.
    """
    with torch.autocast(device_type=x.device.type, enabled=False):
        return torch.sparse.mm(adj.float() if adj.dtype != torch.float32 else adj, x.float())


class RGCNLayer(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, n_rels: int, n_bases: int):
        super().__init__()
        self.n_rels, self.out_dim = n_rels, out_dim
        self.bases = nn.Parameter(torch.empty(n_bases, in_dim, out_dim))
        self.comp = nn.Parameter(torch.empty(n_rels, n_bases))
        self.self_loop = nn.Linear(in_dim, out_dim)
        nn.init.xavier_uniform_(self.bases.view(n_bases * in_dim, out_dim), gain=1 / math.sqrt(n_bases))
        nn.init.xavier_uniform_(self.comp)

    def relation_weights(self) -> torch.Tensor:
        """W_r for every relation: [R, in, out]."""
        return torch.einsum("rb,bio->rio", self.comp, self.bases)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        z = sparse_mean(adj, x).view(self.n_rels, n, -1)  # [R, N, in], fp32
        w = self.relation_weights()  # [R, in, out]
        # The dense product may run in bf16 under autocast (it is the large one: N x R*in x out).
        agg = z.permute(1, 0, 2).reshape(n, -1) @ w.reshape(-1, self.out_dim)
        return self.self_loop(x) + agg


class RGCNEncoder(nn.Module):
    """Entity embeddings: learned ids (plus projected text features when given) through R-GCN layers."""

    def __init__(self, n_entities: int, n_rels: int, dim: int = 128, n_bases: int = 8, n_layers: int = 1,
                 text_dim: int = 0, dropout: float = 0.1):
        super().__init__()
        self.embed = nn.Embedding(n_entities, dim)
        nn.init.normal_(self.embed.weight, std=dim ** -0.5)
        self.text_proj = nn.Linear(text_dim, dim, bias=False) if text_dim else None
        self.layers = nn.ModuleList(RGCNLayer(dim, dim, n_rels, n_bases) for _ in range(n_layers))
        self.dropout = nn.Dropout(dropout)

    def forward(self, adj: torch.Tensor, text_features: torch.Tensor | None = None) -> torch.Tensor:
        x = self.embed.weight
        if self.text_proj is not None and text_features is not None:
            x = x + self.text_proj(text_features)
        for i, layer in enumerate(self.layers):
            x = layer(self.dropout(x), adj)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x
