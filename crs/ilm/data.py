"""Inputs of the adapter: item vectors, phase-1 examples (items, texts, co-liked pairs) and phase-2
conversational examples from ReDial (context + recommended items -> the recommender's reply).

Held-out movies (phase-1 retrieval) and the ReDial validation split come from fixed seeds; the
official test split is only read by the evaluation.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from crs.ilm.config import ITEM_PLACEHOLDER, USER_PLACEHOLDER
from crs.paths import cache_dir

HELD_OUT_SEED, HELD_OUT_FRACTION = 13, 0.1
CONTEXT_CHARS = 360
CONV_SYSTEM = "You are a friendly movie recommender chatting with a user. Recommend the given movies."
ITEM_MODES = ("soft", "title+soft", "titles", "none")
FEATURES_NAME = "item_features.safetensors"
FEATURE_KEYS = ("kg", "cf", "text", "entities", "item_entities")


# ---------------------------------------------------------------------- item vectors
@dataclass
class ItemFeatures:
    """Per-item vectors (R-GCN entity, MovieLens, text) and the entity matrix E for BOE."""

    kg: torch.Tensor  # [n_items, kg_dim]
    cf: torch.Tensor  # [n_items, cf_dim]
    text: torch.Tensor  # [n_items, text_dim]
    entities: torch.Tensor  # [n_entities, kg_dim]
    item_entities: torch.Tensor  # [n_items]

    def take(self, items, device=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        idx = torch.as_tensor(items, dtype=torch.long)
        return tuple(x[idx].to(device) if device is not None else x[idx] for x in (self.kg, self.cf, self.text))

    def to(self, device) -> ItemFeatures:
        return ItemFeatures(*(x.to(device) for x in (self.kg, self.cf, self.text, self.entities, self.item_entities)))

    def save(self, folder: str | Path) -> None:
        """Write `item_features.safetensors` into an adapter folder: the adapter then reads exactly the
        vectors it was trained on, even after the KG recommender is retrained."""
        from safetensors.torch import save_file

        save_file({k: getattr(self, k).detach().cpu().contiguous() for k in FEATURE_KEYS},
                  str(Path(folder) / FEATURES_NAME))

    @classmethod
    def load(cls, folder: str | Path) -> ItemFeatures:
        from safetensors.torch import load_file

        return cls(**load_file(str(Path(folder) / FEATURES_NAME)))


def random_item_features(n_items: int, n_entities: int, kg_dim=128, cf_dim=64, text_dim=384, seed=0) -> ItemFeatures:
    """Random vectors of the right shapes (unit tests)."""
    g = torch.Generator().manual_seed(seed)
    ents = torch.randn(n_entities, kg_dim, generator=g)
    item_entities = torch.arange(n_items) % n_entities
    return ItemFeatures(ents[item_entities], torch.randn(n_items, cf_dim, generator=g),
                        torch.nn.functional.normalize(torch.randn(n_items, text_dim, generator=g), dim=-1),
                        ents, item_entities)


def load_item_features(catalog, recommender) -> ItemFeatures:
    """Vectors from a trained KGRecommender (frozen), cached in $CRS_HOME/ilm/ per checkpoint."""
    from crs.embeddings import cached_embeddings

    weights = Path(recommender.path) / "model.safetensors"
    key = hashlib.sha256(f"{weights.stat().st_mtime_ns}-{weights.stat().st_size}-{len(catalog)}".encode()).hexdigest()[:12]
    path = cache_dir("ilm") / f"features-{key}.pt"
    if path.exists():
        return ItemFeatures(**torch.load(path))
    with torch.no_grad():
        ents = recommender.model.entity_matrix(recommender.graph.adj, recommender.graph.text_feats).float().cpu()
    item_entities = recommender.graph.item_entities.cpu()
    cf = recommender.graph.cf.cpu() if recommender.graph.cf is not None else torch.zeros(len(catalog), 64)
    text = torch.as_tensor(cached_embeddings("movies", [m.text() for m in catalog.movies]))
    feats = dict(kg=ents[item_entities], cf=cf.float(), text=text.float(), entities=ents, item_entities=item_entities)
    torch.save(feats, path)
    return ItemFeatures(**feats)


def adapter_features(path: str | Path, catalog, recommender=None):
    """(item features, KG recommender or None) for a saved adapter.

    The vectors come from the adapter folder when it has them (adapters trained since they are stored
    there); older adapters rebuild them from their recorded source. The recommender, when its checkpoint
    still exists, gives the user vector u; without it u falls back to the mean of the context's entities.
    """
    import json

    from crs.ilm.model import CONFIG_NAME

    path = Path(path).expanduser()
    src = json.loads((path / CONFIG_NAME).read_text()).get("item_vectors", "svd")
    if src.startswith("$CRS_HOME/"):  # a released adapter names its KG recommender relative to $CRS_HOME
        from crs.paths import cache_dir

        src = str(cache_dir() / src[len("$CRS_HOME/"):])
    rec = None
    if src != "svd":
        if recommender is not None and Path(getattr(recommender, "path", "")) == Path(src):
            rec = recommender
        elif (Path(src) / "config.json").exists():
            from crs.recommenders.kg import KGRecommender

            rec = KGRecommender(catalog, src, device="cpu")
    if (path / FEATURES_NAME).exists():
        feats = ItemFeatures.load(path)
        if feats.kg.shape[0] != len(catalog):
            raise ValueError(f"{path / FEATURES_NAME} has {feats.kg.shape[0]} items, the catalogue {len(catalog)}")
    elif src == "svd":
        from crs.data.tmdkg import cached_tmdkg

        feats = graph_svd_features(catalog, cached_tmdkg())
    elif rec is not None:
        feats = load_item_features(catalog, rec)
    else:
        raise FileNotFoundError(f"adapter {path} reads items through the KG recommender {src}, which no longer "
                                f"exists, and has no {FEATURES_NAME}: retrain it or restore that checkpoint")
    return feats, rec


# ---------------------------------------------------------------------- phase 1
def split_items(n_items: int, fraction: float = HELD_OUT_FRACTION, seed: int = HELD_OUT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(train items, held-out items): held-out movies never appear in phase-1 training."""
    perm = np.random.default_rng(seed).permutation(n_items)
    n = int(round(n_items * fraction))
    return np.sort(perm[n:]), np.sort(perm[:n])


def movie_attributes(kg, catalog, relations=("genre", "keyword", "directing", "writing")) -> list[dict[str, list[str]]]:
    """Per item: relation -> names of its TMDKG neighbours (sorted for determinism)."""
    rel = {r: n for r, n in kg.relations.items() if n in relations}
    by_entity = {m.entity: m.item for m in catalog.movies}
    out = [defaultdict(set) for _ in catalog.movies]
    for h, r, t in kg.triples:
        item = by_entity.get(int(h))
        if item is not None and int(r) in rel:
            out[item][rel[int(r)]].add(kg.name(int(t)))
    return [{k: sorted(v) for k, v in d.items()} for d in out]


def attribute_text(attrs: dict[str, list[str]], max_keywords: int = 10) -> str:
    """How a user might describe a movie without naming it: genres, keywords, director, writer.

    The query side of phase-1 retrieval; no title, year, cast or plot (those are in the item's own text).
    """
    parts = []
    if attrs.get("genre"):
        parts.append("Genres: " + ", ".join(attrs["genre"]))
    if attrs.get("keyword"):
        parts.append("Keywords: " + ", ".join(attrs["keyword"][:max_keywords]))
    if attrs.get("directing"):
        parts.append("Directed by " + ", ".join(attrs["directing"][:2]))
    if attrs.get("writing"):
        parts.append("Written by " + ", ".join(attrs["writing"][:2]))
    return ". ".join(parts) or "A movie."


def coliked_pairs(catalog, allowed: np.ndarray, min_count: int = 3, per_item: int = 5, redial_split: str = "train") -> np.ndarray:
    """[P, 2] item pairs co-liked by MovieLens users (rating >= 4; top `per_item` per item with at least
    `min_count` users) and by ReDial seekers (liked in the same training dialogue)."""
    from scipy.sparse import csr_matrix

    from crs.data.movielens import load_ratings, ml_to_items
    from crs.data.redial import load_redial

    ok = np.zeros(len(catalog), dtype=bool)
    ok[allowed] = True
    ml = ml_to_items(catalog)
    liked = [(r.user, ml[r.movie]) for r in load_ratings() if r.rating >= 4.0 and r.movie in ml and ok[ml[r.movie]]]
    pairs = set()
    if liked:
        users = {u: i for i, u in enumerate(sorted({u for u, _ in liked}))}
        x = csr_matrix((np.ones(len(liked), dtype=np.float32), ([users[u] for u, _ in liked], [i for _, i in liked])),
                       shape=(len(users), len(catalog)))
        x.data[:] = 1.0
        co = (x.T @ x).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        for i in range(co.shape[0]):
            row = co.getrow(i)
            if row.nnz:
                top = row.indices[np.argsort(-row.data, kind="stable")][:per_item]
                pairs.update((i, int(j)) for j in top if co[i, j] >= min_count)
    for d in load_redial(redial_split):
        items = sorted({catalog.item_of(r) for r in d.answers if d.liked(r) and catalog.item_of(r) is not None})
        items = [i for i in items if ok[i]]
        pairs.update((a, b) for a in items for b in items if a < b)
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def describe_prompt(tokenizer) -> str:
    """Phase-1 item-grounded generation: the frozen LLM writes the item's description from its soft tokens."""
    from crs.ilm.prompt import render_chat

    return render_chat(tokenizer, [{"role": "user", "content": f"Movie: {ITEM_PLACEHOLDER}\nDescribe this movie."}])


# ---------------------------------------------------------------------- phase 2
@dataclass
class ConvExample:
    dialogue: str
    turn: int
    context: str  # the dialogue so far, titles rendered, last CONTEXT_CHARS characters
    items: list[int]  # movies the recommender mentions in the gold reply
    reply: str  # the gold reply, titles rendered
    entities: list[int] = field(default_factory=list)  # TMDKG entities linked in the context
    rec_context: object = None  # RecContext for the KG recommender's user vector


def conv_examples(split: str, catalog, limit: int | None = None, seed: int = 0, progress: bool = False) -> list[ConvExample]:
    """One example per recommender turn that mentions a movie (CRSLab's ReDial protocol).

    `limit`: a fixed random subset (seeded) of that many examples, in their original order.
    """
    from crs.data.redial import load_redial
    from crs.recommenders.kg_features import link_turns
    from crs.recommenders.samples import rec_samples, render

    dialogues = load_redial(split)
    links = link_turns(dialogues, f"redial-{split}", progress)
    samples = rec_samples(dialogues, catalog, "crslab", links)
    if limit is not None and limit < len(samples):
        keep = np.sort(np.random.default_rng(seed).choice(len(samples), limit, replace=False))
        samples = [samples[i] for i in keep]
    by_id = {d.id: d for d in dialogues}
    out = []
    for s in samples:
        reply = render(by_id[s.dialogue].messages[s.turn].text, catalog)
        out.append(ConvExample(s.dialogue, s.turn, s.context.text[-CONTEXT_CHARS:], list(s.targets), reply,
                               sorted({int(e) for e, _ in s.context.entities}), s.context))
    return out


def conv_messages(context: str, items: list[int], titles, mode: str = "soft", user_token: bool = False) -> list[dict]:
    """Phase-2 prompt; `mode`: soft (item soft tokens only), title+soft, titles (titles as text), none.

    `titles[i]` is item i's display title ("Title (Year)").
    """
    if mode not in ITEM_MODES:
        raise ValueError(f"mode must be one of {ITEM_MODES}")
    shown = {"soft": lambda i: ITEM_PLACEHOLDER, "title+soft": lambda i: f"{titles[i]} {ITEM_PLACEHOLDER}",
             "titles": lambda i: titles[i]}.get(mode)
    rec = f"Movies to recommend: {', '.join(shown(i) for i in items)}\n" if shown and items else ""
    user = USER_PLACEHOLDER if user_token else ""
    content = f"{user}Conversation so far:\n{context}\n\n{rec}Write the recommender's next message."
    return [{"role": "system", "content": CONV_SYSTEM}, {"role": "user", "content": content}]


def user_vectors(examples: list[ConvExample], recommender, name: str) -> torch.Tensor:
    """The frozen KG recommender's user vector u for each example's context, cached in $CRS_HOME/ilm/."""
    from crs.embeddings import cached_embeddings
    from crs.recommenders.kg import MAX_TEXT_CHARS, make_batch
    from crs.recommenders.kg_features import linker_fingerprint

    weights = Path(recommender.path) / "model.safetensors"
    # the contexts' entities come from the linker: a changed linker gives other user vectors
    key = hashlib.sha256((f"{weights.stat().st_mtime_ns}|{linker_fingerprint()}|"
                          + "|".join(f"{e.dialogue}:{e.turn}" for e in examples)).encode()).hexdigest()[:12]
    path = cache_dir("ilm") / f"users-{name}-{key}.pt"
    if path.exists():
        return torch.load(path)
    cfg = recommender.model.config
    text = (cached_embeddings(f"ctx-ilm-{name}", [e.rec_context.text[-MAX_TEXT_CHARS:] or " " for e in examples])
            if cfg.use_text else None)
    out = []
    with torch.no_grad():
        ents = recommender.model.entity_matrix(recommender.graph.adj, recommender.graph.text_feats)
        for s in range(0, len(examples), 256):
            chunk = examples[s:s + 256]
            batch = make_batch([e.rec_context for e in chunk], cfg, recommender.graph,
                               text[s:s + 256] if text is not None else None)
            out.append(recommender.model.user_vectors(batch["ent"], batch["pol"], batch["mask"], ents,
                                                      batch.get("text"), batch.get("cf")).float().cpu())
    u = torch.cat(out) if out else torch.zeros(0, cfg.dim)
    torch.save(u, path)
    return u


# ---------------------------------------------------------------------- without a trained KG recommender
def graph_svd_features(catalog, kg, dim: int = 128, cf_dim: int = 64, seed: int = 0) -> ItemFeatures:
    """Fallback entity vectors when no trained KG recommender exists: a truncated SVD of the TMDKG
    adjacency (spectral embedding, no training), cached in $CRS_HOME/ilm/."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import svds

    from crs.embeddings import cached_embeddings
    from crs.recommenders.kg_features import movielens_item_vectors

    path = cache_dir("ilm") / f"features-svd-{dim}-{cf_dim}-{seed}-{len(catalog)}-{len(kg.triples)}.pt"
    if path.exists():
        return ItemFeatures(**torch.load(path))
    n = kg.n_entities
    adj = csr_matrix((np.ones(len(kg.triples), dtype=np.float32), (kg.triples[:, 0], kg.triples[:, 2])), shape=(n, n))
    adj.data[:] = 1.0
    deg = np.asarray(adj.sum(1)).ravel() + 1.0
    norm = csr_matrix(adj.multiply(1.0 / np.sqrt(deg)[:, None]).multiply(1.0 / np.sqrt(deg)[None, :]))
    u, s, _ = svds(norm, k=dim, v0=np.random.default_rng(seed).standard_normal(n))
    ents = torch.nn.functional.normalize(torch.as_tensor((u * np.sqrt(s)).astype(np.float32)), dim=-1)
    item_entities = torch.as_tensor([m.entity for m in catalog.movies])
    feats = dict(kg=ents[item_entities], cf=torch.as_tensor(movielens_item_vectors(catalog, cf_dim)),
                 text=torch.as_tensor(cached_embeddings("movies", [m.text() for m in catalog.movies])).float(),
                 entities=ents, item_entities=item_entities)
    torch.save(feats, path)
    return ItemFeatures(**feats)


def mean_entity_users(contexts, entities: torch.Tensor, recent: int = 32) -> torch.Tensor:
    """Fallback user vectors: the mean of the last `recent` context entities (disliked ones subtracted)."""
    out = torch.zeros(len(contexts), entities.shape[1])
    for b, c in enumerate(contexts):
        ents = c.entities[-recent:]
        if ents:
            sign = torch.tensor([-1.0 if p in ("disliked", 2) else 1.0 for _, p in ents])
            out[b] = (entities[torch.as_tensor([int(e) for e, _ in ents])] * sign[:, None]).mean(0)
    return out
