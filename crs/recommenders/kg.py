"""The KG recommender behind the Recommender protocol: RecContext in, scores for every movie out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from crs.data.movies import Catalog
from crs.paths import cache_dir
from crs.recommenders.base import RecContext, Recommender
from crs.recommenders.kg_features import POLARITY
from crs.recommenders.kg_model import KGRecConfig, KGRecModel

DEFAULT_CHECKPOINT = "rec/kg-default"
MAX_TEXT_CHARS = 1000


def default_checkpoint() -> Path:
    return cache_dir() / DEFAULT_CHECKPOINT


class GraphInputs:
    """Fixed inputs derived from the data: relation adjacency, entity text features, item vectors."""

    def __init__(self, catalog: Catalog, config: KGRecConfig, device: torch.device | str = "cpu"):
        from crs.data.tmdkg import cached_tmdkg
        from crs.recommenders.kg_features import entity_text_features, movielens_item_vectors
        from kg.rgcn import relation_adjacency

        kg = cached_tmdkg()
        if kg.n_entities != config.n_entities or len(catalog) != config.n_items:
            raise ValueError(f"the model was built for {config.n_entities} entities / {config.n_items} items, "
                             f"the data has {kg.n_entities} / {len(catalog)}")
        rel_index = {r: i for i, r in enumerate(sorted(kg.relations))}
        t = torch.as_tensor(kg.triples)
        rels = torch.as_tensor([rel_index[int(r)] for r in kg.triples[:, 1]])
        self.device = torch.device(device)
        self.adj = relation_adjacency(t[:, 0], rels, t[:, 2], kg.n_entities, len(rel_index)).to(self.device)
        self.text_feats = (torch.as_tensor(entity_text_features(kg, catalog)).to(self.device)
                           if config.entity_text else None)
        self.item_entities = torch.as_tensor([m.entity for m in catalog.movies], device=self.device)
        self.cf = (torch.as_tensor(movielens_item_vectors(catalog, config.cf_dim)).to(self.device)
                   if config.use_movielens else None)
        self.entity_to_item = {m.entity: m.item for m in catalog.movies}

    def as_dict(self) -> dict:
        return {"adj": self.adj, "text_feats": self.text_feats, "item_entities": self.item_entities}


def make_batch(contexts: list[RecContext], config: KGRecConfig, graph: GraphInputs,
               text_emb: np.ndarray | None = None) -> dict:
    """Tensors for a batch of contexts: the most recent `max_entities` entities with polarity ids."""
    L = config.max_entities
    ent = torch.full((len(contexts), L), -1, dtype=torch.long)
    pol = torch.zeros((len(contexts), L), dtype=torch.long)
    for b, c in enumerate(contexts):
        recent = c.entities[-L:]
        for j, (e, p) in enumerate(recent):
            ent[b, j], pol[b, j] = int(e), POLARITY.get(p, 0) if isinstance(p, str) else int(p)
    batch = {"ent": ent, "pol": pol, "mask": ent >= 0}
    if config.use_text:
        if text_emb is None and all(c.text_embedding is not None for c in contexts):
            text_emb = np.stack([c.text_embedding for c in contexts])
        if text_emb is None:
            from crs.embeddings import encode

            text_emb = encode([c.text[-MAX_TEXT_CHARS:] or " " for c in contexts])
        batch["text"] = torch.as_tensor(text_emb, dtype=torch.float32)
    if config.use_movielens and graph.cf is not None:
        cf = torch.zeros((len(contexts), config.cf_dim))
        for b, c in enumerate(contexts):
            disliked = set(c.disliked)
            items = [i for i in c.mentioned if i not in disliked]
            if items:
                cf[b] = graph.cf[items].mean(0).cpu()
        batch["cf"] = cf
    return {k: v.to(graph.device) for k, v in batch.items()}


class KGRecommender(Recommender):
    """Loads a trained checkpoint and serves it on CUDA when present, else CPU.

    One path on both: the R-GCN entity matrix once, in fp32 (its sparse products always are);
    user vectors in fp32; candidates from the full-row product (bf16 on CUDA, `amp`), re-scored
    exactly in fp32 by `crs.topk.rank_topk`. Catalogues above `ann_threshold` items take their
    candidates from an `ItemIndex` (exact device top-k on CUDA, FAISS IVF on the CPU).
    """

    name = "kg"

    def __init__(self, catalog: Catalog, path: str | Path | None = None, device: str = "auto", fusion: bool = True,
                 amp: bool | None = None, ann_threshold: int | None = None):
        from crs.recommenders.fusion import FusionConfig, co_mention_matrix
        from crs.topk import ANN_THRESHOLD, pick_device

        path = Path(path) if path else default_checkpoint()
        self.path = path
        dev = pick_device(device)
        self.model = KGRecModel.from_pretrained(path).to(dev).eval()
        self.graph = GraphInputs(catalog, self.model.config, dev)
        self.device = dev
        self.amp = amp
        self.ann_threshold = ANN_THRESHOLD if ann_threshold is None else int(ann_threshold)
        # Validation-fitted fusion (fusion.json), when training wrote one; fusion=False: the model alone.
        self.fusion = FusionConfig.from_pretrained(path) if fusion else None
        self.cooc = co_mention_matrix(catalog) if self.fusion is not None and self.fusion.cooc_weight else None
        self._items: tuple | None = None
        self._cooc_t = None
        self.index = None

    def _item_side(self):
        """(entity matrix, item matrix, item bias), fp32 on the device, computed once."""
        if self._items is None:
            from crs.topk import ItemIndex

            with torch.no_grad(), torch.autocast(device_type=self.device.type, enabled=False):
                e = self.model.entity_matrix(self.graph.adj, self.graph.text_feats).float()
            items, bias = e[self.graph.item_entities].contiguous(), self.model.item_bias.detach().float()
            self._items = (e, items, bias)
            if len(items) > self.ann_threshold:
                self.index = ItemIndex(items, bias)
        return self._items

    @torch.no_grad()
    def score_source(self, contexts: list[RecContext]):
        from crs.recommenders.fusion import cooc_tensor, fusion_rows
        from crs.topk import VectorScores

        e, items, bias = self._item_side()
        batch = make_batch(contexts, self.model.config, self.graph)
        with torch.autocast(device_type=self.device.type, enabled=False):  # user vectors in fp32: cheap, exact
            u = self.model.user_vectors(batch["ent"], batch["pol"], batch["mask"], e, batch.get("text"), batch.get("cf"))
        if self.cooc is not None and self._cooc_t is None:
            self._cooc_t = cooc_tensor(self.cooc, self.device)
        extra = fusion_rows(contexts, self.fusion, self._cooc_t, len(items), self.device)
        return VectorScores(u, items, bias, extra, amp=self.amp, index=self.index)

    @torch.no_grad()
    def score(self, contexts: list[RecContext]) -> np.ndarray:
        """Full fp32 score rows (model + fusion), for fitting and analysis; serving uses `score_source`."""
        src = self.score_source(contexts)
        src.amp = False
        return src.approx().cpu().numpy()

    @torch.no_grad()
    def item_matrix(self) -> torch.Tensor:
        return self._item_side()[1]

    def item_bias(self) -> torch.Tensor:
        return self._item_side()[2]

    @torch.no_grad()
    def user_vectors(self, contexts: list[RecContext]) -> torch.Tensor:
        return self.score_source(contexts).user
