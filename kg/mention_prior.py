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
