"""Dialogue state: what the user liked and disliked, constraints, and what was already recommended."""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.linker import LinkResult

# Keywords that TMDKG holds but that are everyday words, not preferences ("love", "time").
KEYWORD_STOPLIST = frozenset(
    "love time hope friends friend family movie movies film films good great fun people life man woman "
    "story world night day home school show series kids husband wife daughter son actor actress watch "
    "party hate class king spirit vein mood".split()
)


@dataclass
class DialogueState:
    """Per-session state; one instance per user session (the app keeps one per browser tab)."""

    history: list[tuple[str, str]] = field(default_factory=list)  # (role, text)
    liked_items: list[int] = field(default_factory=list)
    disliked_items: list[int] = field(default_factory=list)
    liked_entities: list[int] = field(default_factory=list)  # people, genres, keywords
    disliked_entities: list[int] = field(default_factory=list)
    mentioned_items: list[int] = field(default_factory=list)
    recommended: list[int] = field(default_factory=list)
    last_cards: list = field(default_factory=list)
    focus: list[int] = field(default_factory=list)  # entities the latest message asked for
    last_focus: list[int] = field(default_factory=list)  # the focus of the last recommendation ("more" keeps it)
    rejected_items: list[int] = field(default_factory=list)  # turned down ("seen it"), not a dislike of its kind
    topic: int | None = None  # the card last explained: "tell me more about it" means that one
    pending: dict | None = None  # a clarifying question awaiting its answer: {"text", "items", "polarity"}
    era: tuple | None = None  # (first year, last year) asked for ("from the 90s"), either end None
    no_sequels: bool = False  # "not a sequel": holds for the conversation
    topic_people: list[tuple[str, str]] = field(default_factory=list)  # (catalogue field, name) the last answer
    # named: "what else did he direct?" after "Jaws was directed by Steven Spielberg."
    last_fact: str | None = None  # the kind of the last question answered ("cast"): "and the second?" asks it again
    asked_items: list[int] = field(default_factory=list)  # movies asked about ("who's in Titanic?"): never a card
    credit: tuple | None = None  # (catalogue field, name, entity): "what else did he direct?" wants his directing

    def update(self, link: LinkResult) -> None:
        """Fold one user message's linked mentions into the state (latest stance wins)."""
        self.focus = []
        for m in link.mentions:
            if m.type == "keyword" and m.name.lower() in KEYWORD_STOPLIST:
                continue
            if m.type == "movie" and m.item is not None:
                _add(self.mentioned_items, m.item)
                if m.polarity == "disliked":
                    _move(m.item, self.disliked_items, self.liked_items)
                else:  # a movie named without a stance is taken as a reference point the user likes
                    _move(m.item, self.liked_items, self.disliked_items)
            elif m.type in ("person", "genre", "keyword", "company", "language"):
                if m.polarity == "disliked":
                    _move(m.entity, self.disliked_entities, self.liked_entities)
                else:
                    _move(m.entity, self.liked_entities, self.disliked_entities)
                    if m.type != "keyword" or m.topic:  # keywords in passing are too loose to rank on
                        _add(self.focus, m.entity)  # ("a movie about dogs" asks for dogs)

    @property
    def has_preferences(self) -> bool:
        return bool(self.liked_items or self.liked_entities or self.disliked_entities or self.disliked_items)

    def excluded(self) -> set[int]:
        return set(self.mentioned_items) | set(self.recommended) | set(self.disliked_items) | set(self.rejected_items) \
            | set(self.asked_items)

    def turned_down(self, item: int) -> bool:
        return item in self.disliked_items or item in self.rejected_items


def _add(xs: list, x) -> None:
    if x not in xs:
        xs.append(x)


def _move(x, to: list, away: list) -> None:
    if x in away:
        away.remove(x)
    _add(to, x)
