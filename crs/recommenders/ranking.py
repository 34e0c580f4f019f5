"""How the dialogue ranks: recommender scores, the conversation's KG constraints, one device top-k.

The dialogue manager (and so the app and `crs chat`) and the simulator call :func:`rank_for_dialogue`;
`crs eval rec` and `Recommender.rank` call :func:`crs.topk.rank_topk` directly. All of them rank
through ``rank_topk``: exclusions, filters and bonus are applied on the recommender's device, the
candidates are re-scored exactly in fp32, and only the k winners come back.

The constraints (what the user asked for or ruled out, as KG entities):
- disliked entities: a movie linked to one is never recommended ("no horror") — in the simulator's
  full ranking (``strict=False``) such movies follow the others instead of being dropped;
- focus entities ("something with Jack Nicholson"): movies linked to the most of them come first
  (``strict``: only those), when any movie is;
- liked entities: ``entity_bonus`` per linked one, added to the z-scored recommender score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from crs.topk import RankPolicy, rank_topk


class EntityIncidence:
    """Which KG entities each catalogue item is linked to, as index tensors per device."""

    def __init__(self, item_entities: Sequence[Iterable[int]]):
        rows, cols = [], []
        for i, ents in enumerate(item_entities):
            for e in ents:
                rows.append(i)
                cols.append(int(e))
        self.n_items = len(item_entities)
        self.n_entities = max(cols, default=-1) + 1
        self._rows, self._cols = torch.tensor(rows, dtype=torch.long), torch.tensor(cols, dtype=torch.long)
        self._on: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def counts(self, entities: Iterable[int], device: torch.device) -> torch.Tensor:
        """[n_items] float: how many of `entities` each item is linked to."""
        key = str(device)
        if key not in self._on:
            self._on[key] = (self._rows.to(device), self._cols.to(device))
        rows, cols = self._on[key]
        ind = torch.zeros(self.n_entities + 1, device=device)
        ents = [int(e) for e in entities if 0 <= int(e) < self.n_entities]
        if ents:
            ind[torch.tensor(ents, device=device)] = 1.0
        return torch.zeros(self.n_items, device=device).index_add_(0, rows, ind[cols])


# What "something by Christopher Nolan" or "no Tom Hardy" means: who made or stars in a movie, not its
# producers and crew (Nolan produced Justice League; a sound mixer is in hundreds of films)
CONSTRAINT_RELATIONS = ("directing", "writing", "cast", "genre", "keyword", "company", "language")
_INCIDENCE: dict[tuple[int, int], tuple[object, EntityIncidence]] = {}


def item_entities(graph, catalog) -> EntityIncidence:
    """The KG neighbours of every catalogue movie through `CONSTRAINT_RELATIONS`, plus the KG genres
    its catalogue labels name, built once per (graph, catalogue)."""
    from kg.graph import neighbours

    key = (id(graph), id(catalog))
    hit = _INCIDENCE.get(key)
    if hit is None or hit[0] is not graph:
        genre = label_genres(graph)
        hit = (graph, EntityIncidence([set(neighbours(graph, m.entity, CONSTRAINT_RELATIONS))
                                       | {genre[g] for g in m.genres if g in genre} for m in catalog.movies]))
        _INCIDENCE[key] = hit
    return hit[1]


def label_genres(graph) -> dict[str, int]:
    """Catalogue genre label -> KG genre entity ("sci-fi" -> science fiction, "musical" -> music).

    A card shows the catalogue's labels, and the KG misses some of them (The Greatest Showman is
    "musical" on its card, only "drama" in the KG): "no musicals" must rule out what the card calls
    a musical, so the labels count as genre links for the conversation's constraints."""
    from kg.linker import GENRE_SYNONYMS

    by_name = {d["name"]: n for n, d in graph.nodes(data=True) if d.get("type") == "genre"}
    out = dict(by_name)
    for word, name in GENRE_SYNONYMS.items():
        if name in by_name:  # "musicals" -> music gives "musical"; "sci fi" gives "sci-fi"
            for label in {word, word.replace(" ", "-"), word[:-1] if word.endswith("s") else word}:
                out.setdefault(label, by_name[name])
    return out


def dialogue_policy(incidence: EntityIncidence, device: torch.device, exclude: Iterable[int] = (),
                    disliked_entities: Iterable[int] = (), liked_entities: Iterable[int] = (),
                    focus: Iterable[int] = (), entity_bonus: float = 0.75, strict: bool = True) -> RankPolicy:
    """The conversation's constraints as a :class:`crs.topk.RankPolicy` on `device`."""
    disliked, liked, focus = set(disliked_entities), set(liked_entities), set(focus)
    policy = RankPolicy(standardize=True, best_tier_only=strict)
    disl = incidence.counts(disliked, device) > 0 if disliked else None
    if liked:
        policy.bonus = incidence.counts(liked, device) * float(entity_bonus)
    tier = torch.zeros(incidence.n_items, dtype=torch.long, device=device)
    if focus:
        hits = incidence.counts(focus, device).long()
        if strict:
            tier = hits
        else:
            allowed = torch.ones(incidence.n_items, dtype=torch.bool, device=device)
            ex = sorted(set(int(i) for i in exclude))
            if ex:
                allowed[torch.tensor(ex, device=device)] = False
            if disl is not None:
                allowed &= ~disl
            top = hits[allowed].max() if bool(allowed.any()) else hits.new_tensor(0)
            tier = tier - (hits < top).long()
    if disl is not None:
        if strict:
            policy.drop = disl
        else:
            tier = tier - 2 * disl.long()
    policy.tier = tier if (focus or (disl is not None and not strict)) else None
    return policy


def rank_for_dialogue(rec, context, graph, catalog, *, k: int, exclude: Iterable[int] = (),
                      disliked_entities: Iterable[int] = (), liked_entities: Iterable[int] = (),
                      focus: Iterable[int] = (), entity_bonus: float = 0.75, strict: bool = True) -> list[int]:
    """The items the dialogue shows for `context`, best first (at most k).

    `strict=False`: the simulator's full ranking, where filtered movies follow the others.
    """
    source = rec.score_source([context])
    exclude = sorted({int(i) for i in exclude})
    policy = dialogue_policy(item_entities(graph, catalog), source.device, exclude, disliked_entities,
                             liked_entities, focus, entity_bonus, strict)
    items, _ = rank_topk(source, k, exclude=[exclude], policy=policy)[0]
    return [int(i) for i in items]
