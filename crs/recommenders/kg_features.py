"""Inputs of the KG recommender: linked entities per turn, entity text features, MovieLens item vectors."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from crs.data.movies import Catalog
from crs.data.redial import Dialogue
from crs.paths import cache_dir

POLARITY = {"neutral": 0, "liked": 1, "disliked": 2}
LINKER_SOURCES = ("kg.linker", "kg.message_context", "kg.titles", "kg.title_choice", "kg.title_lists", "kg.unknown",
                  "kg.mention_prior", "kg.people")


def linker_fingerprint() -> str:
    """A hash of the linker's source files: linked turns cached by one linker are not another's
    (a fresh machine and a warm one must feed the recommender the same entities)."""
    from importlib.util import find_spec

    h = hashlib.sha256()
    for module in LINKER_SOURCES:  # read, not imported: a cache hit must not need rapidfuzz
        h.update(Path(find_spec(module).origin).read_bytes())
    return h.hexdigest()[:12]


def link_turns(dialogues: list[Dialogue], name: str, progress: bool = True) -> dict[str, list[list[tuple[int, int]]]]:
    """Per dialogue, per turn: [(entity, polarity id)] from the entity linker; cached in $CRS_HOME/linked."""
    ids = "|".join(d.id + str(len(d.messages)) for d in dialogues)
    key = hashlib.sha256(f"{ids}|linker {linker_fingerprint()}".encode()).hexdigest()[:12]
    path = cache_dir("linked") / f"{name}-{key}.json"
    if path.exists():  # (a cache hit needs no linker: GPU machines carry these files, not rapidfuzz)
        return json.loads(path.read_text())
    from kg.linker import cached_linker

    linker = cached_linker()
    out = {}
    for d in tqdm(dialogues, desc=f"linking {name}", disable=not progress):
        # fuzzy=False: exact names only, fast and the same at training and inference time.
        out[d.id] = [[(m.entity, POLARITY[m.polarity]) for m in linker.link(t.text, fuzzy=False).mentions]
                     for t in d.messages]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(out))
    os.replace(tmp, path)
    return out


def entity_text_features(kg, catalog: Catalog) -> np.ndarray:
    """MiniLM embeddings [n_entities, 384]: a movie's description for movies, the name otherwise."""
    from crs.embeddings import cached_embeddings

    movies = cached_embeddings("movies", [m.text() for m in catalog.movies])
    feats = np.zeros((kg.n_entities, movies.shape[1]), dtype=np.float32)
    others = [e for e in range(kg.n_entities) if e not in catalog.by_entity]
    feats[others] = cached_embeddings("entity-names", [kg.name(e) for e in others])
    for m in catalog.movies:
        feats[m.entity] = movies[m.item]
    return feats


def movielens_item_vectors(catalog: Catalog, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Collaborative item vectors from MovieLens ratings (truncated SVD of the centred user x item
    matrix), joined to catalogue items through IMDb ids; items not in MovieLens get zeros."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import svds

    from crs.data.movielens import load_ratings, ml_to_items

    path = cache_dir("movielens") / f"item-vectors-{dim}-{seed}-{len(catalog)}.npy"
    if path.exists():
        return np.load(path)
    ratings = load_ratings()
    users = {u: i for i, u in enumerate(sorted({r.user for r in ratings}))}
    movies = {m: i for i, m in enumerate(sorted({r.movie for r in ratings}))}
    vals = np.array([r.rating for r in ratings], dtype=np.float32)
    vals -= vals.mean()
    mat = csr_matrix((vals, ([users[r.user] for r in ratings], [movies[r.movie] for r in ratings])),
                     shape=(len(users), len(movies)))
    rng = np.random.default_rng(seed)
    _, s, vt = svds(mat, k=dim, v0=rng.standard_normal(min(mat.shape)))
    item_f = (vt.T * np.sqrt(s)).astype(np.float32)
    item_f /= np.linalg.norm(item_f, axis=1, keepdims=True) + 1e-8
    out = np.zeros((len(catalog), dim), dtype=np.float32)
    for ml, item in ml_to_items(catalog).items():
        if ml in movies:
            out[item] = item_f[movies[ml]]
    np.save(path, out)
    return out
