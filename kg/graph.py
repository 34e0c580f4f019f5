"""TMDKG as a typed networkx.MultiDiGraph joined with the movie metadata."""

from __future__ import annotations

from functools import lru_cache

import networkx as nx

from crs.data.movies import Catalog, cached_catalog
from crs.data.tmdkg import TMDKG, cached_tmdkg
from crs.paths import data_dir

NODE_TYPES = ("movie", "person", "genre", "keyword", "company", "language")


def build_graph(kg: TMDKG, catalog: Catalog) -> nx.MultiDiGraph:
    """Nodes are entity ids with `type` and `name` (movies also title/year/plot/item); edges carry `relation`."""
    g = nx.MultiDiGraph()
    types = kg.node_types()
    for eid in kg.id2names:
        g.add_node(eid, type=types.get(eid, "other"), name=kg.name(eid))
    for m in catalog.movies:
        g.nodes[m.entity].update(name=m.display, title=m.title, year=m.year, plot=m.plot, item=m.item)
    rel = kg.relations
    g.add_edges_from((int(h), int(t), {"relation": rel[int(r)]}) for h, r, t in kg.triples)
    return g


def cached_graph() -> nx.MultiDiGraph:
    """The graph for the current data directory, built once per process."""
    return _cached_graph(str(data_dir()))


@lru_cache(maxsize=2)
def _cached_graph(_root: str) -> nx.MultiDiGraph:
    return build_graph(cached_tmdkg(), cached_catalog())


def neighbours(g: nx.MultiDiGraph, node: int, relations: tuple[str, ...] | None = None) -> dict[int, set[str]]:
    """Neighbour -> relation names, optionally restricted to some relations."""
    out: dict[int, set[str]] = {}
    for _, nb, data in g.out_edges(node, data=True):
        r = data["relation"]
        if relations is None or r in relations:
            out.setdefault(nb, set()).add(r)
    return out
