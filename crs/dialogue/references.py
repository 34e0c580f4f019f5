"""Which movie a message points at: a card ("the second one", "why Get Out?") or a clarification answer."""

from __future__ import annotations

import re

from crs.data.movies import Catalog
from crs.dialogue import acts
from crs.dialogue.events import Card
from crs.dialogue.state import DialogueState
from kg.linker import LinkResult, Mention

_NEWER = re.compile(r"\b(new|newer|newest|recent|latest|remake|modern)\b", re.I)
_OLDER = re.compile(r"\b(old|older|oldest|original|classic)\b", re.I)
# A correction of a guessed film: "no, the older one", "I meant the other", "the 1988 one" (but "a newer one
# please" asks for recent films)
# "why did you pick the second one?", "who directed the first one?": a question about the cards shown,
# not an answer to the clarifying question
_ABOUT_CARDS = re.compile(r"\b(why|who|when|how|about|pick|picked|chose|directed|stars?|starring|plot)\b", re.I)
_CORRECTS = re.compile(r"\b(no|nope|not|meant|mean|actually|wrong|other|instead)\b|\b(19|20)\d\d (one|version)\b", re.I)


def referenced_card(state: DialogueState, message: str, link: LinkResult) -> Card | None:
    """The card the message is about: named, by position, else the first one not turned down."""
    cards = state.last_cards
    by_item = {c.item: c for c in cards}
    for m in link.of_type("movie"):
        if m.item in by_item:
            return by_item[m.item]
    pos = acts.ordinal(message)
    if pos is not None and cards and -len(cards) <= pos < len(cards):
        return cards[pos]
    topic = by_item.get(state.topic) if state.topic is not None else None
    if topic is not None and not state.turned_down(topic.item):
        return topic
    for c in cards:
        if not state.turned_down(c.item):
            return c
    return None


def clarification(catalog: Catalog, items: list[int]) -> str:
    names = [catalog[i].display for i in items[:3]]
    options = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"Did you mean {options}?"


def guessed(link: LinkResult) -> dict | None:
    """A pending correction for the first film a prior chose among several sharing its title."""
    m = next((m for m in link.of_type("movie") if m.alternatives), None)
    if m is None:
        return None
    return {"text": m.name, "items": [m.item, *m.alternatives], "polarity": m.polarity, "guess": m.item}


def answer_pending(state: DialogueState, message: str, link: LinkResult, catalog: Catalog, graph) -> LinkResult:
    """If the message answers the last clarifying question, add the chosen movie to `link`; if it
    corrects the film a prior guessed for a shared title ("no, the 1988 one"), swap the guess for it.

    The question is dropped either way: a user who talks about something else has moved on.
    """
    pending, state.pending = state.pending, None
    if not pending:
        return link
    guess = pending.get("guess")
    if guess is not None and not _CORRECTS.search(message):
        return link  # "something from 1988" after The Mask is a wish, not "no, the 1988 one"
    items = pending["items"]
    chosen = next((m.item for m in link.of_type("movie") if m.item in items), None)
    if chosen is None:
        by_year = [i for i in items if catalog[i].year in acts.years(message)]
        chosen = by_year[0] if len(by_year) == 1 else None
    # after a guess, "the first one" is a card
    pos = acts.ordinal(message) if guess is None and not _ABOUT_CARDS.search(message) else None
    if chosen is None and pos is not None and -len(items) <= pos < len(items):
        chosen = items[pos]
    if chosen is None:
        # "the Al Pacino one": a person, genre or keyword linked to exactly one candidate
        others = {m.entity for m in link.mentions if m.type != "movie"}
        fits = [i for i in items if others & set(graph.neighbors(catalog[i].entity))]
        chosen = fits[0] if len(fits) == 1 else None
    if chosen is None and (_NEWER.search(message) or _OLDER.search(message)):
        dated = sorted((i for i in items if catalog[i].year), key=lambda i: catalog[i].year)
        if dated:
            chosen = dated[-1] if _NEWER.search(message) else dated[0]
    if chosen is None or chosen == guess:
        return link
    if guess is not None:  # the prior guessed the other film: it was never the user's
        for kept in (state.liked_items, state.disliked_items, state.mentioned_items):
            if guess in kept:
                kept.remove(guess)
    m = catalog[chosen]
    kept = [x for x in link.mentions if not (x.type == "movie" and x.item in items)]
    return LinkResult([Mention(m.entity, "movie", m.display, (-1, -1), pending["polarity"], item=m.item)] + kept,
                      link.ambiguous)
