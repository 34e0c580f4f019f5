"""DialogueManager.respond(state, message): link, update state, decide, rank, explain, phrase, post-check."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from crs.config_utils import StrictConfig
from crs.data.movies import Catalog
from crs.dialogue import acts, policy
from crs.dialogue.era import describe, era, within
from crs.dialogue.events import Card, Event, Notice, Recommendations, TextDelta, TurnDone
from crs.dialogue.explanation import explanation_text
from crs.dialogue.facts import answer, fact_question, wants_verdict, which
from crs.dialogue.language import detect_non_english
from crs.dialogue.postcheck import GroundingCheck
from crs.dialogue.prompt import build_messages, fallback_reply, lead_sentence
from crs.dialogue.questions import compare
from crs.dialogue.references import answer_pending, clarification, guessed, referenced_card
from crs.dialogue.sequels import later_in_series, rules_out_sequels, sequels
from crs.dialogue.state import DialogueState
from crs.llm.base import GenerationError, LLMBackend
from crs.recommenders.base import RecContext, Recommender
from kg.explain import explain, reason
from kg.linker import EntityLinker, Mention, normalise, polarity_of
from kg.moods import with_moods

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000


PHRASINGS = ("llm", "template")


@dataclass
class ManagerConfig(StrictConfig):
    n_cards: int = 3
    entity_bonus: float = 0.75  # in standard deviations, per liked person/genre/keyword linked
    max_new_tokens: int = 80
    temperature: float = 0.0
    adapter: str | None = "auto"  # item-language adapter: "auto" ($CRS_HOME/ilm/cpu-stage2 if trained), "none", or a folder
    boe_weight: float = 0.1  # BOE-guided decoding weight when the adapter is used (KECRS: 0.1)
    max_llm_sentences: int = 2  # checked LLM sentences after the grounded lead sentence
    # Stop generating after this many LLM sentences in a row failed the post-check (None: read to
    # max_new_tokens). Measured on the scripted conversations with SmolLM2 (docs/dialogue.md).
    max_dropped_sentences: int | None = 3
    # "template": grounded template sentences only, the LLM is never called (simulator runs, no-LLM serving)
    phrasing: str = "llm"

    def __post_init__(self):
        if self.phrasing not in PHRASINGS:
            raise ValueError(f"phrasing must be one of {PHRASINGS}, got {self.phrasing!r}")
        if self.max_dropped_sentences is not None and self.max_dropped_sentences < 1:
            raise ValueError(f"max_dropped_sentences must be >= 1 or null, got {self.max_dropped_sentences}")


class DialogueManager:
    """One manager serves many sessions; all per-user data lives in DialogueState."""

    def __init__(self, llm: LLMBackend | None, recommender: Recommender, linker: EntityLinker, graph,
                 catalog: Catalog, config: ManagerConfig | None = None, ilm=None):
        self.llm, self.rec, self.linker, self.graph, self.catalog = llm, recommender, linker, graph, catalog
        self.config = config or ManagerConfig()
        self.ilm = ilm  # crs.ilm.dialogue.DialogueILM: soft item tokens + BOE-guided decoding for recommendations
        self._latest = max((m.year for m in catalog.movies if m.year), default=2018)  # "recent" counts back from it
        self._by_title: dict[str, list[int]] = {}
        self._sequels: set[int] | None = None  # built on the first "no sequels"
        for m in catalog.movies:
            self._by_title.setdefault(m.title.lower(), []).append(m.item)

    # ------------------------------------------------------------------ public
    def respond(self, state: DialogueState, message: str) -> Iterator[Event]:
        """Yield events for one user message; bad input yields a Notice and a TurnDone, never raises."""
        message = (message or "").strip()
        if not message:
            yield Notice("Please type a message: a movie you liked, a genre, or an actor.", "warning")
            yield TurnDone("error", "")
            return
        if len(message) > MAX_MESSAGE_CHARS:
            yield Notice(f"Your message is {len(message):,} characters long; I read the first "
                         f"{MAX_MESSAGE_CHARS:,}.", "warning")
            message = message[:MAX_MESSAGE_CHARS]
        # Linked once per turn; "It" after the system suggested It (2017) is that one.
        link = self.linker.link(message, conversation=_said_before(state))
        if link.unknown:
            yield Notice(f"I couldn't find {link.unknown!r} in my catalogue of {len(self.catalog):,} movies.", "warning")
            link = link.outside_unknown()  # words of an unknown title ("Quest") must not become preferences
        link = with_moods(link, message, self.linker.genre_by_name, self.linker.names)  # "something sad"
        language = detect_non_english(message, ignore=_name_words(link))
        if language:
            yield Notice(f"Sorry, I only understand English, and this looks like {language}. "
                         + ("I'll go by the titles and names I recognised." if link.mentions
                            else "Could you say it in English?"), "warning")
        link = answer_pending(state, message, link, self.catalog, self.graph)
        link = self._person_named_before(link, state, message)  # "what else did he direct?"
        link = self._decided_by_taste(link, state, message)
        if language and not link.mentions:
            action = policy.FOREIGN
        elif link.ambiguous:
            action = policy.CLARIFY
            amb = link.ambiguous[0]
            state.pending = {"text": amb.text, "items": amb.items, "polarity": polarity_of(message)}
            state.update(link)  # the other names in the message still count
        elif (early := policy.decide(state, message, link)) in (policy.EXPLAIN, policy.ANSWER):
            action = early  # "how is it like Heat?", "who directed Heat?" name a movie, not a new taste
        else:
            link = self._cards_pointed_at(link, state, message)  # "more like the second one"
            state.update(link)  # first, so that "I loved Alien" is a preference this very turn
            asked_era = era(message, self._latest)
            state.era = asked_era or state.era  # "from the 90s" holds until another era
            state.no_sequels = state.no_sequels or rules_out_sequels(message)
            action = policy.decide(state, message, link)
            if asked_era and action == policy.ASK:
                action = policy.RECOMMEND  # "what are some good movies from 2019?" asks for movies
        follow = None  # "who's in the first one?" ... "and the second?": the same question about that card
        if action == policy.EXPLAIN and state.last_fact and acts.points_at_card(message):
            action, follow = policy.ANSWER, state.last_fact
        if action != policy.ANSWER:
            state.last_fact = None
        if action != policy.CLARIFY:
            state.pending = guessed(link)  # "The Mask" is taken as the 1994 film until "no, the 1988 one"
        state.history.append(("user", message))
        cards: list[Card] = []
        text, record = "", {"kept": [], "dropped": []}
        if action == policy.RECOMMEND:
            if state.last_cards and acts.rejects(message):
                self._turn_down(state, message, link)
            if not state.focus and (not _asks_for_anything(link) or self._fit_focus(link, state.last_focus)):
                # "more", "not musicals please", "something older" refine "something with Meryl Streep", and
                # "he has seen Unforgiven" (a western with Clint Eastwood) refines "westerns with Clint Eastwood"
                state.focus = list(state.last_focus)
            cards = self.recommend(state, acts.count(message))  # "give me 5 horror movies"
            if not cards:
                action = policy.ASK
        if cards:
            yield Recommendations(cards)
        if action in (policy.RECOMMEND, policy.ASK):
            for delta in self._phrase(action, state, cards, message, record):
                text += delta
                yield TextDelta(delta)
        else:
            text = self._direct_reply(action, state, message, link, follow)
            yield TextDelta(text)
        state.history.append(("assistant", text))
        yield TurnDone(action, text, record["kept"], record["dropped"])

    def _direct_reply(self, action: str, state: DialogueState, message: str, link, kind: str | None = None) -> str:
        """Replies built from the KG and fixed phrases, no LLM: explanations, questions back, small talk."""
        if action == policy.EXPLAIN:
            return self.explain(state, message, link)
        if action == policy.ANSWER:
            return self.answer(state, message, link, kind)
        if action == policy.CLARIFY:
            return clarification(self.catalog, state.pending["items"])
        if action == policy.FOREIGN:
            return "I can only chat in English for now. Tell me a movie you loved, a genre or an actor."
        if state.last_cards and acts.accepts(message):
            card = referenced_card(state, message, link)
            if card is not None:
                state.topic = card.item  # "I'll watch it tonight" then means this one
                return (f"Great choice: enjoy {card.display}! Come back and tell me how you liked it, "
                        "or ask me for more.")
        kind = acts.social(message)
        if kind:
            return acts.social_reply(kind, len(state.history))
        return ("Great! Ask me for more whenever you like, or tell me what you'd change."
                if state.last_cards else "Happy to help! What kind of movie are you in the mood for?")

    def explain(self, state: DialogueState, message: str, link) -> str:
        """Why the last recommendation (or the one named) fits, through KG paths; no new picks."""
        pos = acts.ordinal(message)
        if pos is not None and not -len(state.last_cards) <= pos < len(state.last_cards) \
                and not any(m.item in {c.item for c in state.last_cards} for m in link.of_type("movie")):
            return f"I only suggested {len(state.last_cards)} just now. Which one do you mean?"
        card = referenced_card(state, message, link)
        if card is None:
            return "You turned those down. Shall I suggest something else?"
        state.topic = card.item
        compare = [m.entity for m in link.of_type("movie") if m.item != card.item]
        liked = ([self.catalog[i].entity for i in reversed(state.liked_items)]
                 + list(reversed(state.liked_entities)))
        about = bool(re.search(r"\babout\b", message, re.I)) or acts.points_at_card(message)  # "the second one"
        return explanation_text(self.graph, card, self.catalog[card.item].entity, compare or liked, with_plot=about,
                                people=self._credits(card.item), directors=self._directors,
                                era=describe(state.era) if state.era else None)

    def answer(self, state: DialogueState, message: str, link, kind: str | None = None) -> str:
        """A fact about the movie named, or the card the message points at, from the catalogue and the KG
        (`kind`: the question, when the message only points at a card after one)."""
        kind = kind or fact_question(message, link)
        state.last_fact = kind if kind not in ("which", "compare") else None
        if kind == "which":  # "which one is the scariest?": about all the cards
            cards = [self.catalog[c.item] for c in state.last_cards] or [self.catalog[m.item] for m in link.of_type("movie")]
            return which(cards, self.graph, link, message) if cards else "Which movies do you mean? Name them and I'll tell you."
        if kind == "compare":  # "what's the difference between the first and second one?"
            return self._compare(state, message, link)
        named = next((m.item for m in link.of_type("movie") if m.item is not None), None)
        shown = {c.item for c in state.last_cards}
        if named is None and state.topic is not None and state.topic not in shown and acts.ordinal(message) is None:
            named = state.topic  # "what do you think of Avatar?", then "is it worth watching?": still Avatar
        card = None if named is not None else referenced_card(state, message, link)
        if named is None and card is None:
            return "Which movie do you mean? Name it and I'll tell you."
        item = named if named is not None else card.item
        state.topic = item  # "and who's in it?" next asks about the same film
        if item not in state.asked_items and item not in state.recommended:
            state.asked_items.append(item)  # "who's in Titanic?": no card of it later, yet no taste either
        text = answer(kind, self.catalog[item], self.graph, link, message, self.catalog)
        credited = {"director": "directors", "writer": "writers", "cast": "stars"}.get(kind)
        state.topic_people = [(credited, p) for p in getattr(self.catalog[item], credited)[:1]] if credited else []
        if kind == "opinion":  # "should I watch it?": what the KG says about the user's own taste
            liked = [self.catalog[i].entity for i in reversed(state.liked_items) if i != item] + state.liked_entities
            entity, credits = self.catalog[item].entity, self._credits(item)
            if liked and explain(self.graph, liked, entity, people=credits, directors=self._directors):
                why = reason(self.graph, liked, entity, credits, self._directors)
                text += f" How it fits what you told me: {why[0].lower()}{why[1:]}."
            elif not liked:
                text += " Tell me a movie you loved and I'll say how it fits your taste."
        return text

    def _compare(self, state: DialogueState, message: str, link) -> str:
        """Two movies side by side: those named, the cards pointed at, else the two cards shown."""
        cards = state.last_cards
        items = [m.item for m in link.of_type("movie") if m.item is not None]
        for pos in acts.ordinals(message):
            if not -len(cards) <= pos < len(cards):
                return f"I only suggested {len(cards)} just now. Which two do you mean?"
            items.append(cards[pos].item)
        if len(items) < 2 and len(cards) == 2:
            items = [c.item for c in cards]
        items = list(dict.fromkeys(items))
        if len(items) < 2:
            return "Which two do you mean? Say \"the first and the second\" or name them."
        state.topic = None
        a, b = (self.catalog[i] for i in items[:2])
        return compare(a, b, self.graph, better=wants_verdict(message))

    def _turn_down(self, state: DialogueState, message: str, link) -> None:
        """"seen it" / "not that one" / "I didn't like it": that card (or, for "seen all of those", every
        card shown) is never suggested again."""
        card = referenced_card(state, message, link)
        cards = list(state.last_cards) if acts.about_all(message) else [card] if card is not None else []
        disliked = polarity_of(message) == "disliked"
        target, other = (state.disliked_items, state.rejected_items) if disliked else (state.rejected_items,
                                                                                      state.disliked_items)
        for c in cards:
            if c.item in state.liked_items:
                state.liked_items.remove(c.item)
            if c.item not in target and c.item not in other:
                target.append(c.item)

    def recommend(self, state: DialogueState, n: int | None = None) -> list[Card]:
        """Top cards (`n`, else the configured number): recommender scores, then KG constraints (what was
        asked for, what is unwanted)."""
        from crs.recommenders.ranking import rank_for_dialogue

        n = n or self.config.n_cards

        # One device top-k (crs/topk.py): z-scored recommender scores, KG filters and bonus, exclusions.
        exclude = state.excluded()
        # Another film of a title the user named reads as that film shown back ("I liked The Notebook": not
        # The Notebook (2013), a different film), and two films of one title look like one shown twice
        exclude |= {i for j in {*state.mentioned_items, *state.recommended}
                    for i in self._by_title.get(self.catalog[j].title.lower(), ())}
        if state.credit and state.credit[2] in state.focus:  # "what else did he direct?": credited so on the card
            field, name, _ = state.credit
            other = {m.item for m in self.catalog.movies if name not in getattr(m, field)}
            if len(self.catalog) - len(other | exclude) >= n:
                exclude |= other
        elif state.credit:
            state.credit = None  # the conversation moved on to another request
        for i in state.disliked_items:  # "not John Wick": nor John Wick: Chapter 2
            exclude.update(later_in_series(self.catalog, self.catalog[i]))
        if state.no_sequels:
            if self._sequels is None:
                self._sequels = sequels(self.catalog, self.graph)
            exclude |= self._sequels
        if state.era is not None:  # "from the 90s": other years are out, unless nothing is left
            outside = {m.item for m in self.catalog.movies if not within(m.year, state.era)}
            if len(self.catalog) - len(outside | exclude) >= n:
                exclude |= outside
        order = rank_for_dialogue(self.rec, self.context(state), self.graph, self.catalog, k=n,
                                  exclude=exclude, disliked_entities=state.disliked_entities,
                                  liked_entities=state.liked_entities, focus=state.focus,
                                  entity_bonus=self.config.entity_bonus)
        cards = [self.card(int(i), state) for i in order]
        state.recommended.extend(c.item for c in cards)
        state.last_cards, state.last_focus, state.topic = cards, list(state.focus), None
        return cards

    def context(self, state: DialogueState) -> RecContext:
        user_text = "\n".join(f"User: {t}" for r, t in state.history if r == "user")
        ent = lambda items: [self.catalog[i].entity for i in items]  # noqa: E731
        entities = ([(e, "liked") for e in ent(state.liked_items) + state.liked_entities]
                    + [(e, "disliked") for e in ent(state.disliked_items) + state.disliked_entities])
        return RecContext(
            text=f"{self.preferences(state)}\n{user_text}".strip(),
            liked=list(state.liked_items), disliked=list(state.disliked_items),
            mentioned=list(state.mentioned_items), entities=entities,
        )

    def preferences(self, state: DialogueState) -> str:
        """The state in words, for the recommender's text and the prompt."""
        name = lambda e: self.graph.nodes[e]["name"]  # noqa: E731
        parts = []
        if state.liked_items:
            parts.append("likes " + ", ".join(self.catalog[i].display for i in state.liked_items[-5:]))
        if state.liked_entities:
            parts.append("enjoys " + ", ".join(name(e) for e in state.liked_entities[-6:]))
        if state.era is not None:
            parts.append("wants movies " + describe(state.era))
        if state.disliked_items or state.disliked_entities:
            bad = [self.catalog[i].display for i in state.disliked_items[-3:]] + [name(e) for e in state.disliked_entities[-4:]]
            parts.append("does not want " + ", ".join(bad))
        return ("The user " + "; ".join(parts) + ".") if parts else ""

    def card(self, item: int, state: DialogueState) -> Card:
        m = self.catalog[item]
        liked = [self.catalog[i].entity for i in reversed(state.liked_items)] + list(reversed(state.liked_entities))
        return Card(item, m.title, m.year, m.genres, m.plot, reason(self.graph, liked, m.entity, self._credits(item), self._directors),
                    m.directors, m.stars)

    def _credits(self, item: int) -> list[str]:
        """Who the catalogue credits to a movie (its card shows them), for reasons that agree with the card."""
        m = self.catalog[item]
        return [*m.directors, *m.writers, *m.stars]

    def _decided_by_taste(self, link, state: DialogueState, message: str):
        """A shared title ("True Grit") is the film that links to more of what the user already likes
        (John Wayne and westerns: the 1969 one, not the 2010 western): no clarifying question."""
        if not link.ambiguous or not state.liked_entities:
            return link
        liked, kept, found = set(state.liked_entities), [], []
        for amb in link.ambiguous:
            fits = sorted(((len(liked & set(self.graph.neighbors(self.catalog[i].entity))), i) for i in amb.items),
                          reverse=True)
            if fits[0][0] == 0 or len(fits) > 1 and fits[1][0] == fits[0][0]:
                kept.append(amb)
                continue
            m = self.catalog[fits[0][1]]
            found.append(Mention(m.entity, "movie", m.display, amb.span, polarity_of(message), item=m.item))
        return replace(link, mentions=link.mentions + found, ambiguous=kept) if found else link

    def _person_named_before(self, link, state: DialogueState, message: str):
        """"What else did he direct?" after "Jaws was directed by Steven Spielberg.": that person, liked."""
        if link.of_type("person") or not _ABOUT_THEM.search(message):
            return link
        verb = re.search(r"\b(direct|star|been in|act|play|write|wrote)", message, re.I)
        people = state.topic_people
        film = state.topic if state.topic is not None else (state.mentioned_items or [None])[-1]
        if not people and film is not None and verb and verb.group(1).lower() in ("direct", "write", "wrote"):
            # "I loved Jaws. What else did he direct?": the film's director (a film has one, unlike its cast)
            field = "directors" if verb.group(1).lower() == "direct" else "writers"
            people = [(field, p) for p in getattr(self.catalog[film], field)[:1]]
        if not people:
            return link
        answered, name = people[0]
        entity = next((e for e, t in self.linker.names.get(" ".join(normalise(name)), ()) if t == "person"), None)
        if entity is None:
            return link
        # "what else did he direct?": directed, not written; "any other films by him?": as the answer credited him
        field = {"direct": "directors", "write": "writers", "wrote": "writers"}.get(verb.group(1).lower(), "stars") \
            if verb else answered
        state.credit = (field, name, entity)
        return replace(link, mentions=[*link.mentions, Mention(entity, "person", name, (-1, -1), "liked")])

    def _cards_pointed_at(self, link, state: DialogueState, message: str):
        """"more like the second one", "I liked the last one", "I hated the first one", "what else is like
        it?" (after a pick was taken): the card pointed at, with the message's stance, as if named."""
        if link.of_type("movie"):
            return link
        positions = acts.ordinals(message) if state.last_cards else []
        n = len(state.last_cards)
        items = [state.last_cards[p].item for p in positions if -n <= p < n] if len(positions) == 1 else []
        if not positions and state.topic is not None and _LIKE_IT.search(message):
            items = [state.topic]
        stance = polarity_of(message)
        if _LIKE_IT.search(message) or re.search(r"\b(?:more|something|anything) like\b", message, re.I):
            stance = "liked"  # "more like the second one": "like" compares, and the card is the reference
        if not items or stance == "neutral":
            return link
        m = self.catalog[items[0]]
        return replace(link, mentions=[*link.mentions, Mention(m.entity, "movie", m.display, (-1, -1), stance, item=m.item)])

    def _fit_focus(self, link, focus: list[int]) -> bool:
        """Whether the message names only movies, each linked to some entity of `focus`."""
        movies = [m.entity for m in link.mentions if m.type == "movie"]
        return bool(focus) and len(movies) == len(link.mentions) > 0 and all(
            set(focus) & set(self.graph.neighbors(e)) for e in movies)  # "has he seen Gran Torino?" (Eastwood, no war)

    def _directors(self, entity: int) -> list[str]:
        """The directors the catalogue credits to a movie entity: the only ones a reason says "directed by"."""
        m = self.catalog.by_entity.get(entity)
        return m.directors if m is not None else []

    # ------------------------------------------------------------------ helpers
    def _phrase(self, action: str, state: DialogueState, cards: list[Card], message: str,
                record: dict | None = None) -> Iterator[str]:
        """The reply text; `record` receives the LLM sentences the post-check kept and dropped."""
        record = record if record is not None else {"kept": [], "dropped": []}
        msgs = build_messages(action, state, cards, self.preferences(state))
        allowed_text = " ".join(m["content"] for m in msgs) + " " + " ".join(t for _, t in state.history)
        allowed_items = {c.item for c in cards} | set(state.mentioned_items)
        credits = {"directed": {n for c in cards for n in c.directors},
                   "written": {n for i in allowed_items for n in self.catalog[i].writers},
                   "starring": {n for c in cards for n in c.stars}}
        check = GroundingCheck(self.linker, allowed_items, allowed_text, credits,
                               facts=[*cards, *(self.catalog[i] for i in [c.item for c in cards] + state.mentioned_items)])
        produced = 0
        if cards and action == "recommend":
            # A small LLM rarely names the right movie first: the reply opens with the top card and
            # its KG reason, and the LLM adds at most `max_llm_sentences` checked sentences.
            lead = lead_sentence(cards[0], variant=len(state.history))
            check.emitted.add(" ".join(lead.lower().split()))
            yield lead + " "
        stream = iter(())  # "template" phrasing: no LLM sentences
        try:
            if self.config.phrasing != "template":
                stream = (self.ilm.stream(state.history, [c.item for c in cards], self.context(state),
                                          self.config.max_new_tokens, self.config.temperature)
                          if self.ilm is not None and cards else
                          self.llm.stream(msgs, max_new_tokens=self.config.max_new_tokens,
                                          temperature=self.config.temperature))
            for piece in check.stream(stream, give_up_after=self.config.max_dropped_sentences):
                produced += 1
                record["kept"].append(piece.strip())
                yield piece
                if produced >= self.config.max_llm_sentences:
                    break
        except GenerationError as e:  # the fallback below still gives a correct, grounded reply
            log.warning("LLM phrasing failed (%s); the grounded template reply is used", e)
        finally:
            close = getattr(stream, "close", None)  # stop the generation now, not when collected
            if close is not None:
                close()
        record["dropped"].extend(check.removed)
        if not produced:
            yield fallback_reply(action, cards, lead_given=bool(cards and action == "recommend"),
                                 variant=len(state.history))


# "what else did he direct?", "other movies with her", "has she been in anything else?", "more by him"
_ABOUT_THEM = re.compile(
    r"\b(?:he|she|they)\b[^.?!]{0,20}\b(?:direct|directed|make|made|star|starred|been in|act|acted|play|played|"
    r"write|wrote|done|do)\b|\b(?:by|with|from|starring|of) (?:him|her|them)\b|\bhis (?:other )?(?:movies|films|work)\b|"
    r"\bher (?:other )?(?:movies|films|work)\b", re.I)


_LIKE_IT = re.compile(r"\b(?:like|similar to) (?:it|that one|this one|the (?:first|second|third|fourth|fifth|last) one)\b|"
                      r"\b(?:anything|something|any|more|others?) similar\b|\bsimilar (?:ones|movies|films)\b", re.I)


def _asks_for_anything(link) -> bool:
    """Whether the message names something it wants; one that only rules out ("no musicals") or
    names nothing ("more", "something older") refines the last request."""
    return any(m.polarity != "disliked" for m in link.mentions)


def _said_before(state: DialogueState) -> frozenset:
    """Movies the conversation has named so far: cards shown and movies the user mentioned."""
    return frozenset(state.recommended) | frozenset(state.mentioned_items)


def _name_words(link) -> set[str]:
    """Words of the names the linker found: a French title is no sign of a French message."""
    words = set()
    for m in link.mentions:
        words.update(w.strip(".,:;!?()\"'").lower() for w in m.name.split())
    return words
