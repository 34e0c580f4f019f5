"""Which film a typed title means when several share it: the version a modifier picks ("the new
Jumanji"), the conversation, the message's people and genres, then priors (ReDial train mentions,
MovieLens ratings)."""

from __future__ import annotations

from kg.titles import DOMINANCE, MIN_PRIOR, MIN_RATINGS, MODIFIERS_NEW, MODIFIERS_OLD, RATED_DOMINANCE, TitleIndex


def _per_film(index: TitleIndex, items: list[int], counts: dict[int, int]) -> dict[int, int]:
    """canonical item -> the counts of all its duplicate ids (`TitleIndex.same_film`), in the order of `items`."""
    films: dict[int, int] = {}
    for i in items:
        head = index.same_film.get(i, i)
        films[head] = films.get(head, 0) + counts.get(i, 0)
    return films


def _dominant(films: dict[int, int], ratio: float, minimum: int) -> int | None:
    """The film counted `ratio` times as often as any other, and at least `minimum` times."""
    ranked = sorted(films, key=lambda i: -films[i])
    if len(ranked) > 1 and films[ranked[0]] >= max(ratio * max(films[ranked[1]], 1), minimum):
        return ranked[0]
    return None


def talked_of(index: TitleIndex, items: list[int], share: float = 0.1) -> list[int]:
    """The items ReDial's train seekers name at least `share` as often as the most named of them: films
    that only share a title and nobody talks about ("the older It" is not a 1966 short, "the first
    Scream" not a 1981 film) drop out."""
    top = max((index.mentions.get(i, 0) for i in items), default=0)
    return [i for i in items if index.mentions.get(i, 0) >= share * top]


def modifier_choice(index: TitleIndex, key: str, word: str | None) -> int | None:
    """The newest or the oldest of a shared title's movies for "the new X" / "the original X"."""
    items = [i for i, k in index.forms[key] if k in ("exact", "no_article")]
    dated = [i for i in talked_of(index, items) if index.years.get(i)]
    if len(dated) < 2 or word not in MODIFIERS_NEW | MODIFIERS_OLD | {"old"}:
        return None
    pick = max if word in MODIFIERS_NEW else min
    return pick(dated, key=lambda i: index.years[i])


def resolve(index: TitleIndex, key: str, year: int | None, context: set[int], neighbours,
            conversation: frozenset | set = frozenset()) -> tuple[int | None, list[int]]:
    """(chosen item, candidates) for a form; chosen is None when the user should be asked.

    `context`: entities (people, genres...) named in the same message; `neighbours(item)` gives an
    item's KG neighbours. `conversation`: catalogue items recommended or named earlier in the
    conversation ("It" after the system suggested It (2017) is that one). Duplicates of one film
    (`TitleIndex.same_film`) count as one film for the prior and are offered once in a question.
    """
    items = index.items(key)
    if len(items) == 1 and year is None:
        return items[0], items
    if year is not None:
        # Release years differ by one between sources; no candidate near it means another film.
        dated = sorted((i for i in items if index.years[i] and abs(index.years[i] - year) <= 1),
                       key=lambda i: abs(index.years[i] - year))
        return (dated[0], items) if dated else (None, [])
    if context:
        fits = [i for i in items if context & neighbours(i)]
        if len(fits) == 1:
            return fits[0], items
    said = [i for i in items if i in conversation]
    if said and len({index.same_film.get(i, i) for i in said}) == 1:
        return said[0], items
    films = _per_film(index, items, index.mentions)  # canonical item -> mentions of the film, in prior order
    ranked = sorted(films, key=lambda i: -films[i])
    if len(ranked) == 1:
        return ranked[0], items
    chosen = _dominant(films, DOMINANCE, MIN_PRIOR)
    if chosen is None and len(said) < 2:  # both said earlier: the user must say which
        # Too few ReDial mentions: the film far more people rated ("Twister" is the 1996 one).
        chosen = _dominant(_per_film(index, items, index.ratings), RATED_DOMINANCE, MIN_RATINGS)
    if chosen is not None:
        return chosen, items
    # No prior decides, so the question lists the films newest first ("the first one" is then the newer).
    return None, sorted(ranked, key=lambda i: -(index.years.get(i) or 0))
