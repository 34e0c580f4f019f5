""""No sequels please": which catalogue movies are sequels, whether a message rules them out, and a film's series."""

from __future__ import annotations

import re

from crs.data.movies import Catalog, Movie

# "Toy Story 4", "Rocky II", "Alien 3: ...": a number after a title the catalogue also holds (so not
# "District 9" or "Apollo 13"); "Part II", "Chapter 2" always.
_NUMBERED = re.compile(r"^(?P<base>.+?)\s+(?:[2-9]|1[0-2]|II|III|IV|V|VI|VII|VIII|IX|X)(?:\s*[:\-–].*)?$")
_PART = re.compile(r"\b(?:Part|Chapter)\s+(?:[2-9]|II|III|IV|V|VI|Two|Three|Four|Five)\b", re.I)
# a negation shortly before "sequel": "no sequels", "not a sequel", "nothing that's a sequel", "skip the sequels"
_NO_SEQUELS = re.compile(r"\b(?:no|not|isn'?t|without|nothing|avoid|skip|hate)\b[^.?!]{0,20}?\bsequels?\b", re.I)


def rules_out_sequels(message: str) -> bool:
    """"not a sequel", "no sequels please", "nothing that's a sequel"."""
    return _NO_SEQUELS.search(message) is not None


def sequels(catalog: Catalog, graph=None) -> set[int]:
    """Catalogue items that are sequels: by title, or tagged "sequel" in the KG."""
    titles = {m.title.lower() for m in catalog.movies}
    out = set()
    for m in catalog.movies:
        numbered = _NUMBERED.match(m.title)
        if numbered and numbered.group("base").lower() in titles or _PART.search(m.title):
            out.add(m.item)
    if graph is not None:
        tag = next((n for n, d in graph.nodes(data=True) if d.get("type") == "keyword" and d.get("name") == "sequel"), None)
        if tag is not None:
            by_entity = {m.entity: m.item for m in catalog.movies}
            out |= {by_entity[n] for n in graph.predecessors(tag) if n in by_entity}
            out |= {by_entity[n] for n in graph.successors(tag) if n in by_entity}
    return out


# "Alien 3", "Alien: Resurrection", "Kill Bill: Volume 2": a film of the same series by its title.
_TAIL = re.compile(r"^(?:\s+(?:[2-9]|1[0-2]|ii|iii|iv|v|vi|vii|viii|ix|x|part \w+|chapter \w+)\b|\s*[:\-–]\s*\S)", re.I)
_BASE = re.compile(r"^(?P<base>.+?)(?:\s+(?:[2-9]|1[0-2]|II|III|IV|V|VI|VII|VIII|IX|X)\b.*|\s*[:\-–]\s.*)$")


def series_of(catalog: Catalog, movie: Movie) -> list[Movie]:
    """Other catalogue films of the movie's series, by title ("Alien" -> "Alien 3", "Alien: Covenant"), oldest
    first; films that only share the whole title (remakes) are not a series."""
    m = _BASE.match(movie.title)
    base = (m.group("base") if m else movie.title).lower()
    out = [x for x in catalog.movies if x.item != movie.item and x.title.lower() != movie.title.lower()
           and (x.title.lower() == base or x.title.lower().startswith(base) and _TAIL.match(x.title[len(base):]))]
    if not out and base.endswith("s"):  # "Aliens", "Predators": the plural of an older title continues it
        first = [x for x in catalog.movies if x.title.lower() == base[:-1] and x.year and movie.year and x.year < movie.year]
        if first:
            return sorted({x.item: x for f in first for x in [f, *series_of(catalog, f)] if x.item != movie.item}.values(),
                          key=lambda x: (x.year or 0, x.title))
    return sorted(out, key=lambda x: (x.year or 0, x.title))


def later_in_series(catalog: Catalog, movie: Movie) -> list[int]:
    """Items of the movie's series released after it: "not John Wick" rules out John Wick: Chapter 2 too."""
    return [x.item for x in series_of(catalog, movie) if x.year and movie.year and x.year > movie.year]
