"""How often each catalogue movie is mentioned in the ReDial TRAIN partition: the prior that picks
among movies sharing a title when nothing in the conversation decides.

`movies_with_mentions.csv` counts mentions over all of ReDial, test conversations included, so
the linker does not use it for this choice; it counts `@id`s in the project's train partition
(`crs.data.redial.load_redial("train")`), never the valid or test conversations.
"""

from __future__ import annotations

from collections import Counter

from crs.data.errors import DataError
from crs.data.movies import Catalog


def train_mentions(catalog: Catalog) -> dict[int, int] | None:
    """item -> number of `@id` occurrences in ReDial train-partition messages (None when the ReDial
    dialogues are not available, e.g. in a catalogue-only data directory)."""
    from crs.data.redial import load_redial

    try:
        dialogues = load_redial("train")
    except (FileNotFoundError, DataError):
        return None
    counts: Counter = Counter()
    for d in dialogues:
        for msg in d.messages:
            for rid in msg.movies:
                m = catalog.by_redial.get(rid)
                if m is not None:
                    counts[m.item] += 1
    return {m.item: counts.get(m.item, 0) for m in catalog.movies}


def rating_counts(catalog: Catalog) -> dict[int, int] | None:
    """item -> number of MovieLens ratings of its IMDb record (None when MovieLens is not available).

    A prior from outside ReDial: how many people rated the film. It only decides between films that
    share a title when ReDial's train mentions are too few to (see `kg.titles.resolve`)."""
    from crs.data.movielens import imdb_number, load_links, load_ratings

    try:
        links, ratings = load_links(), load_ratings()
    except (FileNotFoundError, DataError):
        return None
    per_imdb: Counter = Counter()
    for r in ratings:
        if r.movie in links:
            per_imdb[imdb_number(links[r.movie])] += 1
    return {m.item: per_imdb.get(imdb_number(m.imdb_id), 0) if m.imdb_id else 0 for m in catalog.movies}
