"""The answer to "why that one?": the knowledge-graph links between a recommendation and the user's taste."""

from __future__ import annotations

from collections.abc import Callable, Collection

import networkx as nx

from crs.dialogue.events import Card
from kg.explain import explain

# Two-hop paths: liked movie -> shared neighbour -> recommended movie.
SHARED = {
    "directing": "both were directed by {x}",
    "writing": "both were written by {x}",
    "cast": "{x} is in both",
    "keyword": "both are tagged \u201c{x}\u201d",
    "genre": "both are {x} films",
    "company": "both come from {x}",
}
# One-hop paths: the user named this person, genre or keyword themselves.
DIRECT = {
    "directing": "it was directed by {x}, whom you mentioned",
    "writing": "it was written by {x}, whom you mentioned",
    "cast": "it stars {x}, whom you mentioned",
    "keyword": "it is tagged \u201c{x}\u201d, which you asked about",
    "genre": "it is a {x} film, as you asked",
    "company": "it comes from {x}, which you mentioned",
    "language": "it is in {x}, as you asked",
}


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def explanation_text(g: nx.MultiDiGraph, card: Card, card_entity: int, sources: list[int],
                     with_plot: bool = False, people: list[str] | None = None, era: str | None = None,
                     directors: Callable[[int], Collection[str]] | None = None) -> str:
    """Name the KG links from `sources` (entities the user liked or asked about) to the card's movie;
    no link through a person when the KG credits none of `people` (who the catalogue credits to the
    card's movie): the two then describe different films, and "directed by" only for `directors`, see
    :func:`kg.explain.explain`. `era`: the
    years the user asked for, in words ("from 1980 to 1989"), said beside the card's year."""
    paths = explain(g, sources, card_entity, max_paths=3, people=people, directors=directors)
    name = lambda n: g.nodes[n]["name"]  # noqa: E731
    sentences = []
    by_source: dict[int, list[str]] = {}
    for e in paths:
        if e.via is None:
            x = name(e.source).lower() if e.relation == "genre" else name(e.source)
            text = DIRECT[e.relation].format(x=x)
            if e.relation == "genre" and x[:1] in "aeiou":
                text = text.replace(" a ", " an ", 1)  # "it is an animation film"
            by_source.setdefault(e.source, []).append(text)
        else:
            x = name(e.via).lower() if e.relation == "genre" else name(e.via)
            by_source.setdefault(e.source, []).append(SHARED[e.relation].format(x=x))
    direct = []  # the user's own people, genres and keywords: one sentence for all of them
    for src, parts in by_source.items():
        if g.nodes[src].get("type") == "movie":
            sentences.append(f"{card.display} is linked to {name(src)} in the knowledge graph: {_join(parts)}.")
        else:
            direct.extend(parts)
    if direct:
        # a serial comma: each part may end in its own clause ("..., which you asked about, and it is ...")
        sentences.append(f"I picked {card.display} because {', '.join(direct[:-1]) + ', and ' if direct[1:] else ''}"
                         f"{direct[-1]}.")
    if not sentences:
        kinds = " and ".join(card.genres[:2]).lower()
        what = f"{'an' if kinds[:1] in 'aeiou' else 'a'} {kinds} film" if kinds else "a film"
        by = f" directed by {card.directors[0]}" if card.directors else ""
        sentences.append(f"{card.display} is {what}{by}. I found no direct link in the knowledge graph between it "
                         "and what you told me: the recommender ranked it high from everything you said.")
    if era and card.year:
        sentences.append(f"It is from {card.year}: you asked for movies {era}.")
    if with_plot and card.plot:
        plot = card.plot.split(". ")[0].rstrip(".")
        sentences.append(f"The story: {plot}.")
    return " ".join(sentences)
