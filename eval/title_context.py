"""The title benchmark in conversation, and scoring that treats duplicate catalogue ids as one film.

**In conversation.** At run time the system knows what was said before a message: the movies it
recommended and the movies the linker found in the user's earlier messages. The benchmark
replays each ReDial dialogue in order and gives the linker, for every seeker message, the catalogue
items of the earlier *recommender* messages' ``@id``s (the system said those) and the linker's OWN
output on the earlier seeker messages (rendered positives and negatives). The seeker's gold
``@id``s are never given. Seeker messages that are not in the benchmark (an ``@id`` outside the
catalogue, or a negative excluded for naming a title) add nothing.

**Movie-free, own titles excluded.** A seeker message without ``@`` may still type a movie of its
own dialogue ("Gravity was nice" after the recommender suggested ``@Gravity``): the raw negative
set keeps it, and linking it counts as a false link. Beside the raw rate the benchmark reports the
rate on the negatives that do NOT contain, as whole words after normalisation
(:func:`eval.title_render.norm`), the title (year dropped, with or without a leading article) of a
movie that any message of the same dialogue names by ``@id``. Titles that are English pronouns or
particles ("It", "Her", "Up") are not used: such a word is nearly always the word. The rule reads
only the ReDial data, never the linker.

**Same film.** ReDial has several ids for one film ("The Fast and the Furious" with and without a
year). Here two catalogue items are one film when their titles normalise alike
(:func:`eval.title_render.norm`, a leading article dropped: "Conjuring", "The Conjuring") and they
carry the same IMDb id. This definition is the
benchmark's own (it shares no code with ``kg/titles.py``); duplicate-aware scores map every gold
and predicted item to one representative of its film and score again. They are reported beside the
strict scores, never instead of them.

**Same title.** The rendering drops the year, so "titanic" cannot say whether the seeker meant the
1997 film or the 2012 series their ``@id`` names, and ReDial's autocomplete gave many seekers the
wrong remake ("Click (2010)" for the Adam Sandler comedy). The title-level score maps every
catalogue movie to one representative of all movies whose titles normalise alike (years and IMDb
ids ignored): it measures whether the typed title was *recognised*; which of its films was meant is
the strict score's question. Reported beside the strict score, never instead of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from tqdm.auto import tqdm

from crs.data.movies import Catalog
from eval.title_render import ARTICLE, MENTION, norm

# Titles that are everyday function words: in a dialogue about "It", "I liked it" is the pronoun.
PRONOUN_TITLES = frozenset("it her him us me you them they he she we this that these those up one there here "
                           "so no yes now then what why how who when where".split())


def dialogue_titles(split: str, catalog: Catalog, messages) -> dict[str, set[str]]:
    """dialogue -> normalised titles (with and without a leading article) of every catalogue movie
    that a message of the dialogue (seeker's or recommender's) names by ``@id``."""
    out: dict[str, set[str]] = defaultdict(set)
    for dialogue, _, text, _ in messages(split):
        for r in MENTION.findall(text):
            m = catalog.by_redial.get(r)
            if m is not None:
                for t in (norm(m.title), norm(ARTICLE.sub("", m.title))):
                    if t and t not in PRONOUN_TITLES:
                        out[dialogue].add(t)
    return out


def names_own_movie(text: str, titles: set[str]) -> bool:
    """Whether `text` contains one of `titles` as whole normalised words."""
    padded = f" {norm(text)} "
    return any(f" {t} " in padded for t in titles)


def recommender_items(split: str, catalog: Catalog, messages) -> dict[str, list[tuple[int, list[int]]]]:
    """dialogue -> [(message index, catalogue items of its @ids)] for the recommender's messages.

    `messages(split)` yields (dialogue, index, text, is_seeker)."""
    out: dict[str, list[tuple[int, list[int]]]] = defaultdict(list)
    for dialogue, i, text, is_seeker in messages(split):
        if not is_seeker:
            items = [catalog.by_redial[r].item for r in MENTION.findall(text) if r in catalog.by_redial]
            if items:
                out[dialogue].append((i, items))
    return out


def predict_in_conversation(predict: Callable, linker, positives, negatives, said_by_system, progress=True,
                            desc="in conversation"):
    """(positive predictions, negative predictions), each message linked with what came before it."""
    events = defaultdict(list)  # dialogue -> [(index, kind, position)]
    for k, u in enumerate(positives):
        events[u.dialogue].append((u.index, "pos", k))
    for k, n in enumerate(negatives):
        events[n.dialogue].append((n.index, "neg", k))
    for dialogue, said in said_by_system.items():
        if dialogue in events:
            events[dialogue].extend((i, "sys", items) for i, items in said)
    pos_preds, neg_preds = [None] * len(positives), [None] * len(negatives)
    bar = tqdm(total=len(positives) + len(negatives), desc=desc, disable=not progress)
    for dialogue in events:
        known: list[int] = []
        for _, kind, what in sorted(events[dialogue], key=lambda e: (e[0], e[1] != "sys")):
            if kind == "sys":
                known.extend(what)
                continue
            text = positives[what].text if kind == "pos" else negatives[what].text
            p = predict(linker, text, conversation=frozenset(known))
            (pos_preds if kind == "pos" else neg_preds)[what] = p
            known.extend(p.items)  # the linker's own reading, never the gold
            bar.update(1)
    bar.close()
    return pos_preds, neg_preds


def _representatives(catalog: Catalog, key) -> dict[int, int]:
    """item -> the lowest item id of its group, for items whose `key(movie)` is shared (None: no group)."""
    groups: dict = defaultdict(list)
    for m in catalog.movies:
        k = key(m)
        if k is not None:
            groups[k].append(m.item)
    return {i: min(g) for g in groups.values() if len(g) > 1 for i in g}


def _title_key(m) -> str:
    return norm(ARTICLE.sub("", m.title))


def same_film(catalog: Catalog) -> dict[int, int]:
    """item -> representative item of its film, for duplicates only: the same title without a leading
    article and the same IMDb id."""
    return _representatives(catalog, lambda m: (_title_key(m), m.imdb_id) if m.imdb_id else None)


def same_title(catalog: Catalog) -> dict[int, int]:
    """item -> representative item of every catalogue movie with the same title (without a leading article,
    folded), for titles several movies share: "title-level" scoring counts the typed title as recognised
    whichever of its films was linked (the rendering drops the year, and ReDial's @ids of remakes are noisy)."""
    return _representatives(catalog, _title_key)


def as_films(positives, pos_preds, neg_preds, rep: dict[int, int]):
    """Positives and predictions with every item replaced by its film's representative."""
    def one(i):
        return rep.get(i, i)

    def pred(p):
        items = list(dict.fromkeys(one(i) for i in p.items))
        return replace(p, items=items, asks=[list(dict.fromkeys(one(i) for i in a)) for a in p.asks])

    pos = [replace(u, gold=[one(i) for i in u.gold]) for u in positives]
    return pos, [pred(p) for p in pos_preds], [pred(p) for p in neg_preds]
