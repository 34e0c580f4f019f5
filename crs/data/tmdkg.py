"""TMDKG files: entity ids, relation names, triples and linked utterances."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from crs.data.errors import DataError, SkipLog
from crs.data.jsonl import load_json, read_jsonl
from crs.paths import data_dir, data_file

# KECRS's one-hop neighbourhood relations for Bag-of-Entity targets.
BOE_RELATIONS = ("genre", "cast", "directing", "writing", "keyword", "company")
# Which node type a relation's tail has when the head is a movie.
RELATION_NODE_TYPE = {"genre": "genre", "keyword": "keyword", "company": "company", "language": "language"}


@dataclass
class TMDKG:
    """Raw TMDKG: names per entity id, relation names, triples as an int array [n, 3]."""

    entity2id: dict[str, int]
    id2names: dict[int, list[str]]
    relations: dict[int, str]
    triples: np.ndarray
    movie_entities: set[int]

    @property
    def n_entities(self) -> int:
        return max(self.id2names) + 1

    def name(self, eid: int) -> str:
        names = [n for n in self.id2names.get(eid, []) if not n.isdigit()]
        return names[0] if names else (self.id2names.get(eid) or [str(eid)])[0]

    def node_types(self) -> dict[int, str]:
        """Node type per entity: movie, genre, keyword, company, language or person."""
        types = {e: "movie" for e in self.movie_entities}
        for h, r, t in self.triples:
            if h in self.movie_entities and t not in types:
                types[int(t)] = RELATION_NODE_TYPE.get(self.relations[int(r)], "person")
        for e in self.id2names:
            types.setdefault(e, "other")
        return types


def load_triples(path: Path, relations: dict[int, str], n_entities: int, log: SkipLog) -> np.ndarray:
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            parts = line.rstrip("\n").split("\t")
            if n == 1 and parts[0] == "head":
                continue
            if len(parts) != 3:
                log.skip(path, n, f"malformed triple: expected 3 tab-separated fields, got {len(parts)}")
                continue
            try:
                h, r, t = (int(p) for p in parts)
            except ValueError:
                log.skip(path, n, f"malformed triple: non-integer field in {line.strip()!r}")
                continue
            if r not in relations:
                log.skip(path, n, f"unknown relation id: {r}")
                continue
            if not (0 <= h < n_entities and 0 <= t < n_entities):
                log.skip(path, n, f"unknown entity id: {h if not 0 <= h < n_entities else t}")
                continue
            rows.append((h, r, t))
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def load_tmdkg(log: SkipLog | None = None) -> TMDKG:
    """Load TMDKG from $CRS_DATA/tmdkg."""
    log = log if log is not None else SkipLog()
    e2i_path = data_file("tmdkg", "entity2id.json")
    entity2id = load_json(e2i_path)
    if not isinstance(entity2id, dict):
        raise DataError(e2i_path, None, "expected a JSON object name -> id")
    id2names: dict[int, list[str]] = defaultdict(list)
    for name, eid in entity2id.items():
        id2names[int(eid)].append(name)
    rel_path = data_file("tmdkg", "relations.json")
    relations = {int(k): v for k, v in load_json(rel_path).items()}
    triples = load_triples(data_file("tmdkg", "triples.tsv"), relations, max(id2names) + 1, log)
    movies = {eid for name, eid in entity2id.items() if name.isdigit()}
    return TMDKG(dict(entity2id), dict(id2names), relations, triples, movies)


def cached_tmdkg() -> TMDKG:
    """Load once per data directory (tests switch $CRS_DATA)."""
    return _cached_tmdkg(str(data_dir()))


@lru_cache(maxsize=2)
def _cached_tmdkg(_root: str) -> TMDKG:
    return load_tmdkg()


def load_utterance_entities(log: SkipLog | None = None) -> list[dict]:
    """KECRS's linked utterances: [{"text": str, "entities": [int]}]."""
    path = data_file("tmdkg", "utterance_entities.jsonl")
    return [obj for _, obj in read_jsonl(path, ("text", "entities"), log)]
