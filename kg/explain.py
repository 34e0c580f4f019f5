"""Explanation paths: short KG paths from what the user liked to a recommended movie."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import networkx as nx

from kg.graph import neighbours

# Which shared neighbours make the most convincing reason, best first.
PRIORITY = ("directing", "writing", "cast", "keyword", "genre", "company", "language")
PHRASES = {
    "directing": "also directed by {x}",
    "writing": "also written by {x}",
    "cast": "also starring {x}",
    "keyword": "also tagged \u201c{x}\u201d",
    "genre": "also a {x} film",
    "company": "also from {x}",
    "language": "also in {x}",  # only for a language the user asked for: two English films share nothing
}


@dataclass
class Explanation:
    source: int | None  # the liked entity the path starts from
    via: int | None  # the shared neighbour
    relation: str
    text: str

    def path(self) -> list[int]:
        return [n for n in (self.source, self.via) if n is not None]


PEOPLE = frozenset(("directing", "writing", "cast"))


def explain(g: nx.MultiDiGraph, liked: list[int], target: int, max_paths: int = 2,
            people: Collection[str] | None = None,
            directors: Callable[[int], Collection[str]] | None = None) -> list[Explanation]:
    """Up to `max_paths` reasons why `target` (a movie entity) fits the `liked` entities.

    A liked movie gives a two-hop path liked → shared person/genre/keyword → target; a liked
    person, genre or keyword that the target links to directly gives a one-hop path.
    `people`: the names the catalogue credits to the target (its card shows them). When the KG
    credits none of them, the two describe different films under one id ("Godfather (1991)": the
    catalogue's Malayalam film, the KG's Godfather Part III), and no reason goes through a person,
    so that a card never contradicts itself. When they share someone, the catalogue's short cast
    list is only partial and every KG person may be named.
    `directors`: a movie entity's directors as the catalogue credits them. TMDKG's "directing" is the
    whole directing department (script supervisors, assistant directors), so "directed by" names, on
    both ends of a path, only a director the catalogue credits (Ocean's Twelve: Steven Soderbergh, not
    the script supervisor Annie Welles; The Lion King and Frozen: not Rick Moore). A movie without
    catalogue directors gives no "directed by".
    """
    target_nb = _credited_directing(g, target, neighbours(g, target, PRIORITY), directors)
    if other_films_people(g, target, people or ()):
        target_nb = {nb: rels - PEOPLE for nb, rels in target_nb.items()}
    target_nb = {nb: rels for nb, rels in target_nb.items() if rels}
    found: list[tuple[int, int, Explanation]] = []
    for rank_liked, src in enumerate(liked):
        if src == target or src not in g:
            continue
        if src in target_nb:  # one hop: the user liked this person/genre/keyword itself
            rel = min(target_nb[src], key=PRIORITY.index)
            text = _phrase(rel, g.nodes[src]["name"]).replace("also ", "", 1)
            found.append((PRIORITY.index(rel), rank_liked, Explanation(src, None, rel, text)))
            continue
        if g.nodes[src].get("type") != "movie":
            continue
        for nb, rels in _credited_directing(g, src, neighbours(g, src, PRIORITY), directors).items():
            shared = rels & target_nb.get(nb, set()) - {"language"}
            if shared:
                rel = min(shared, key=PRIORITY.index)
                text = _phrase(rel, g.nodes[nb]["name"])
                found.append((PRIORITY.index(rel), rank_liked, Explanation(src, nb, rel, text)))
    found.sort(key=lambda x: (x[0], x[1]))
    out, seen_rel = [], set()
    for _, _, e in found:
        # One reason per relation reads better than three cast members.
        if e.relation in seen_rel:
            continue
        seen_rel.add(e.relation)
        out.append(e)
        if len(out) == max_paths:
            break
    return out


def _credited_directing(g: nx.MultiDiGraph, movie: int, nb: dict[int, set[str]],
                        directors: Callable[[int], Collection[str]] | None) -> dict[int, set[str]]:
    """`nb` with "directing" kept only for the directors the catalogue credits to `movie`."""
    if directors is None:
        return nb
    credited = {n.lower() for n in directors(movie)}
    return {x: rels - {"directing"} if g.nodes[x]["name"].lower() not in credited else rels for x, rels in nb.items()}


def other_films_people(g: nx.MultiDiGraph, target: int, people: Collection[str]) -> list[str]:
    """The KG's people of `target` when they share no one with `people` (who the catalogue credits):
    the two then describe different films under one id; [] when they agree or either lists nobody."""
    kg = [g.nodes[nb]["name"] for nb, rels in neighbours(g, target, tuple(PEOPLE)).items()] if target in g else []
    credited = {n.lower() for n in people}
    return kg if kg and credited and not credited & {n.lower() for n in kg} else []


def reason(g: nx.MultiDiGraph, liked: list[int], target: int, people: Collection[str] | None = None,
           directors: Callable[[int], Collection[str]] | None = None) -> str:
    """One sentence of KG reasons, or a description from the movie's own genres when no path exists
    (`people`, `directors`: see :func:`explain`)."""
    paths = explain(g, liked, target, people=people, directors=directors)
    if paths:
        by_source: dict[int, list[str]] = {}
        for e in paths:
            by_source.setdefault(e.source, []).append(e.text)
        parts = []
        for src, texts in by_source.items():
            prefix = f"Like {g.nodes[src]['name']}: " if g.nodes[src].get("type") == "movie" else ""
            parts.append(prefix + "; ".join(texts))
        return ". ".join(p[0].upper() + p[1:] for p in parts)  # "Tagged “western”. A comedy film"
    genres = [g.nodes[n]["name"] for n in neighbours(g, target, ("genre",))]
    if not genres:
        return "A popular pick in the catalogue"
    desc = " and ".join(genres[:2])
    return f"{'An' if desc[0] in 'aeiou' else 'A'} {desc} film"


def _phrase(rel: str, name: str) -> str:
    text = PHRASES[rel].format(x=name)
    return text.replace(" a ", " an ", 1) if rel == "genre" and name[:1].lower() in "aeiou" else text
