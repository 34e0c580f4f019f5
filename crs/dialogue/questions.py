"""Questions a person asks about a card beyond its credits and plot: is it for kids, where does it
stream, is it based on a book, what language, is there a sequel, how do two cards differ, and any
other yes/no question. The answers come from the catalogue and the KG, and say plainly what they
do not know; none of them recommends again or turns the question into a taste."""

from __future__ import annotations

import re

from crs.data.movies import Catalog, Movie
from crs.dialogue.sequels import series_of
from kg.graph import neighbours

# Genres that mark a film made for children, and those that mark one that is not.
_FOR_KIDS = frozenset({"family", "animation"})
_NOT_FOR_KIDS = frozenset({"horror", "war", "crime", "thriller"})


def _join(xs: list[str], word: str = "and") -> str:
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + f" {word} " + xs[-1]


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def kind_of(movie: Movie, graph=None) -> str:
    """"a horror and mystery film" from the catalogue's labels (else the KG's genres)."""
    genres = [g.lower() for g in movie.genres] or _kg_genres(movie, graph)
    kinds = " and ".join(genres[:2])
    return f"{_a(kinds)} {kinds} film" if kinds else "a film"


def _kg_genres(movie: Movie, graph) -> list[str]:
    if graph is None or movie.entity not in graph:
        return []
    return [graph.nodes[n]["name"].lower() for n in neighbours(graph, movie.entity, ("genre",))]


def _all_genres(movie: Movie, graph) -> list[str]:
    """The card's labels and the KG's genres, one name each ("sci-fi" and "science fiction" are one)."""
    from kg.linker import GENRE_SYNONYMS

    names = [GENRE_SYNONYMS.get(g.lower().replace("-", " "), g.lower()) for g in movie.genres]
    return list(dict.fromkeys(names + _kg_genres(movie, graph)))


def _tags(movie: Movie, graph) -> list[str]:
    if graph is None or movie.entity not in graph:
        return []
    return [graph.nodes[n]["name"] for n in neighbours(graph, movie.entity, ("keyword",))]


def _summary(movie: Movie, graph) -> str:
    """"a horror and mystery film directed by John Carpenter, from 1982"."""
    out = kind_of(movie, graph)
    if movie.directors:
        out += f" directed by {_join(movie.directors)}"
    return out + (f", from {movie.year}" if movie.year else "")


def kids(movie: Movie, graph) -> str:
    """"Is it OK for kids?": no age ratings in the catalogue, so the genres are the only evidence."""
    genres = set(_all_genres(movie, graph))
    name = movie.display
    if genres & _FOR_KIDS and not genres & _NOT_FOR_KIDS:
        return (f"Most likely: {name} is {kind_of(movie, graph)}, made with families in mind. My catalogue has "
                "no age ratings, so check its rating for very young children.")
    if genres & _NOT_FOR_KIDS:
        bad = sorted(genres & _NOT_FOR_KIDS)
        return (f"Probably not for young children: {name} is {_a(bad[0])} {_join(bad)} film. My catalogue has no "
                "age ratings, so check its rating before watching it with kids.")
    return (f"I can't say for sure: my catalogue has no age ratings, and {name} is {kind_of(movie, graph)}, "
            "not a family film. Check its rating before watching it with kids.")


def streaming(movie: Movie) -> str:
    return (f"I don't know where {movie.display} is streaming: my catalogue has no availability data, and what "
            "each service carries changes by country and month. A streaming guide or the services' own search "
            "will tell you.")


# "Is it based on a book?" -> the KG tags that answer it.
_SOURCES = (("true", "based on a true story"), ("memoir", "based on memoir or autobiography"),
            ("comic", "based on comic"), ("graphic novel", "based on graphic novel"), ("manga", "based on manga"),
            ("play", "based on play or musical"), ("musical", "based on play or musical"),
            ("video game", "based on video game"), ("game", "based on video game"),
            ("short story", "based on short story"), ("fairy tale", "based on fairy tale"),
            ("book", "based on"), ("novel", "based on"), ("remake", "remake"))


def source(movie: Movie, graph, message: str) -> str:
    """"Is it based on a book / a true story / a remake?" from the KG's "based on ..." and "remake" tags."""
    tags = [t for t in _tags(movie, graph) if t.startswith("based on") or t in ("remake", "live action remake")]
    text = message.lower()
    asked = next((tag for word, tag in _SOURCES if re.search(rf"\b{word}s?\b", text)), None)
    name = movie.display
    if asked is None:  # "what is it based on?"
        if tags:
            return f"My knowledge graph tags {name} “{_join(tags)}”."
        return f"My knowledge graph has no source tag for {name} (no book, true story or remake); tags can be missing."
    hits = [t for t in tags if t.startswith(asked) or asked == "remake" and "remake" in t]
    if asked == "based on":  # a book or a novel: any written source
        hits = [t for t in tags if any(w in t for w in ("novel", "book", "short story", "memoir"))]
    if hits:
        return f"Yes: my knowledge graph tags {name} “{_join(hits)}”."
    other = f" It is tagged “{_join(tags)}”." if tags else ""
    return f"Not as far as I know: my knowledge graph has no such tag for {name}; tags can be missing.{other}"


def language(movie: Movie, graph, asked: list[str]) -> str:
    """"Is it in English?", "what language is it in?" from the KG's language links."""
    spoken = [graph.nodes[n]["name"] for n in neighbours(graph, movie.entity, ("language",))] \
        if graph is not None and movie.entity in graph else []
    name = movie.display
    if not spoken:
        return f"My knowledge graph has no language for {name}."
    if not asked:
        return f"{name} is in {_join(spoken)}."
    yes = [a for a in asked if a.lower() in {s.lower() for s in spoken}]
    if yes:
        return f"Yes: {name} is in {_join(spoken)}."
    return f"No: {name} is in {_join(spoken)}, not {_join(asked, 'or')}."


def sequel(catalog: Catalog, movie: Movie, graph, is_it: bool = False) -> str:
    """"Is there a sequel?" (or, `is_it`, "is it a sequel?"): the catalogue's films of the same series, and
    the KG's "sequel" tag."""
    series = series_of(catalog, movie)
    name = movie.display
    tagged = "sequel" in _tags(movie, graph)
    if is_it:
        before = [x.display for x in series if x.year and movie.year and x.year < movie.year]
        if before:
            return f"Yes: {name} follows {_join(before[:4])} in my catalogue."
        if tagged:
            return f"Yes: my knowledge graph tags {name} a sequel, though my catalogue has no earlier film of it."
        later = [x.display for x in series if x.year and movie.year and x.year > movie.year]
        if later:
            return f"No: {name} is the first of its series in my catalogue; {_join(later[:3])} came after it."
        return f"Not as far as I know: my catalogue has no earlier film of {movie.title}, and it is not tagged a sequel."
    own = f" {name} itself is tagged a sequel in my knowledge graph." if tagged else ""
    after = [x.display for x in series if not (x.year and movie.year and x.year < movie.year)]
    before = [x.display for x in series if x.display not in after]
    if after:
        more = f" and {len(after) - 4} more" if len(after) > 4 else ""
        follows = f" ({name} itself follows {_join(before[:3])}.)" if before else own
        return f"Yes: {_join(after[:4])}{more} continue the series in my catalogue.{follows}"
    if before:
        return f"Not in my catalogue: {name} is the latest of its series there, after {_join(before[:4])}."
    return f"Not that I know of: my catalogue has no sequel or earlier film of {name}.{own}"


def compare(a: Movie, b: Movie, graph, better: bool) -> str:
    """How two movies differ and what they share (genres, people, tags); no verdict on which is better."""
    lead = "I have no critics' scores to say which is better, but here is how they differ. " if better else ""
    text = f"{lead}{a.display} is {_summary(a, graph)}; {b.display} is {_summary(b, graph)}."
    shared = _shared(a, b, graph)
    if shared:
        text += " Both " + "; both ".join(shared) + "."
    else:
        text += " My knowledge graph links them by nothing in particular."
    return text


def _shared(a: Movie, b: Movie, graph) -> list[str]:
    """What two movies share, in words: "are horror films", "star Kurt Russell", "are tagged “alien”"."""
    out = []
    common = [g for g in _all_genres(a, graph) if g in set(_all_genres(b, graph))]
    if common:
        out.append(f"are {_join(common[:3])} films")
    for field, verb in (("directors", "were directed by"), ("stars", "star"), ("writers", "were written by")):
        people = [p for p in getattr(a, field) if p in getattr(b, field)]
        if people:
            out.append(f"{verb} {_join(people[:2])}")
    tags = [t for t in _tags(a, graph) if t in set(_tags(b, graph))][:2]
    if tags:
        out.append("are tagged " + _join([f"“{t}”" for t in tags]))
    return out


def unknown(movie: Movie, graph) -> str:
    """A yes/no question the catalogue and the KG cannot answer ("does it have a happy ending?")."""
    return (f"I can't tell that from what I know about {movie.display}: it is {_summary(movie, graph)}. "
            "I can tell you who's in it, what it's about, or find more like it.")
