"""A simulated seeker built from a ReDial test dialogue.

The seeker wants one **target** movie: a movie the recommender suggested in the real dialogue
and the seeker said they liked. It talks like the real seeker: its opening and some of its
hints are the real seeker's own utterances from before the target was first mentioned, with
every movie masked (simulator/utterances.py). It also knows the target's KG attributes
(genres, directors, stars, writers, keywords, decade) and the other movies it said it liked.
It never writes the target's title or any alias: every candidate message goes through
simulator/leak.py and is re-drawn if it would leak.

Each turn it reacts to the system's reply with one behaviour from a seeded mix: it accepts the
target when it is among the cards; otherwise it rejects the top card with a reason drawn from
a KG difference ("No horror, please", "I'd love something starring ..."), asks why a card was
suggested, says it liked a card that shares something with the target (and has seen it) or
disliked one that shares nothing, or loses patience after its own number of misses (3-5 turns,
drawn per seeker). It gives up after two replies without any recommendation. Every hint it
gives is recorded in ``given`` (kind, value, polarity) for the identifiability audit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from crs.dialogue.state import KEYWORD_STOPLIST
from simulator.leak import LeakChecker, checker_for

CONTINUE, SUCCESS, GIVE_UP = "continue", "success", "give-up"

# Fixed phrases (tests check that none of them links to a movie, person or genre by accident).
GREETINGS = ("Hi!", "Hello!", "Hey there.", "Hi, can you help me find a movie?")
ASKS = ("Can you recommend something?", "Any suggestions?", "What should I watch?")
ACCEPTS = ("Yes! That one sounds perfect, I'll watch it tonight. Thanks!",
           "Oh, that's exactly what I was looking for. Thank you!", "Great, I'll go with that one. Thanks!")
MORE = ("Any other ideas?", "What else do you have?", "Can you suggest another one?", "Do you have more options?")
PREFIXES = ("Hmm, not quite.", "I don't think that's for me.", "Not really what I want.", "Close, but no.")
GIVE_UPS = ("Never mind, thanks anyway.", "I'll look elsewhere, thanks.")
IMPATIENT = ("This is taking too long, I'll find something myself. Bye.", "None of these are right. I give up, thanks.",
             "I think I'll stop here, thanks anyway.")
WHYS = ("Why would I like {t}?", "What makes you think {t} is for me?", "Why {t}? What is it like?")
LIKE_CARD = ("I liked {t}, but I've already seen it. Something like it?", "Oh, {t} was good! I've seen it though. More like that?")
DISLIKE_CARD = ("I didn't like {t}.", "I saw {t} and didn't enjoy it.")


@dataclass
class SeekerProfile:
    dialogue_id: str
    target: int  # catalogue item
    liked: list[int] = field(default_factory=list)  # other catalogue items the seeker liked
    genres: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)
    stars: list[str] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    year: int | None = None
    utterances: list[str] = field(default_factory=list)  # the real seeker's words before the target, movies masked

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def build_profile(dialogue, catalog, graph, checker: LeakChecker | None = None) -> SeekerProfile | None:
    """The seeker for one ReDial dialogue, or None when no suggested movie was liked by the seeker."""
    from kg.graph import neighbours
    from simulator.utterances import seeker_utterances

    order = [rid for m in dialogue.messages for rid in m.movies]
    order += [rid for rid in dialogue.answers if rid not in order]
    targets = [rid for rid in dict.fromkeys(order) if dialogue.suggested(rid) and dialogue.liked(rid)
               and catalog.item_of(rid) is not None]
    if not targets:
        return None
    target = catalog.get(targets[0])
    checker = checker or checker_for(target.item, catalog)
    liked = []
    for rid in dict.fromkeys(order):
        item = catalog.item_of(rid)
        if (item is not None and item != target.item and dialogue.liked(rid) and not dialogue.suggested(rid)
                and not checker.leaks(catalog[item].display) and item not in liked):
            liked.append(item)
    nb = neighbours(graph, target.entity)
    keywords = [graph.nodes[e]["name"] for e, rels in nb.items() if "keyword" in rels]
    keywords = [k for k in keywords if k.lower() not in KEYWORD_STOPLIST and len(k) > 3 and "stinger" not in k]
    safe = lambda xs: [x for x in xs if x and not checker.leaks(x)]  # noqa: E731
    target_rids = {rid for rid in dialogue.mentions if catalog.item_of(rid) == target.item} | set(target.redial_ids)
    return SeekerProfile(dialogue.id, target.item, liked, safe([g.lower() for g in target.genres]),
                         safe(target.directors), safe(target.stars[:3]), safe(target.writers[:2]),
                         safe(sorted(keywords)[:8]), target.year,
                         seeker_utterances(dialogue, target_rids, checker))


def build_profiles(dialogues, catalog, graph, n: int, seed: int = 0) -> list[SeekerProfile]:
    """The first ``n`` usable seekers after a seeded shuffle of the dialogues (the same for every system)."""
    order = sorted(dialogues, key=lambda d: d.id)
    random.Random(seed).shuffle(order)
    out = []
    for d in order:
        p = build_profile(d, catalog, graph)
        if p is not None:
            out.append(p)
            if len(out) >= n:
                break
    return out


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _decade(year: int) -> str:
    return f"{year // 10 * 10 % 100:02d}s" if year < 2000 else f"{year // 10 * 10}s"


class Seeker:
    """Talks for one profile; ``opening()`` first, then ``react(cards, reply)`` after each system turn."""

    def __init__(self, profile: SeekerProfile, catalog, seed: int = 0, checker: LeakChecker | None = None,
                 paraphrase=None):
        """``paraphrase(text) -> text`` (e.g. an LLM) rewords each message; a rewording that names the
        target (or is empty) is dropped and the template text is sent instead."""
        self.p, self.catalog, self.paraphrase = profile, catalog, paraphrase
        self.rng = random.Random(f"{seed}-{profile.dialogue_id}")
        self.checker = checker or checker_for(profile.target, catalog)
        self.no_cards = 0
        self.said: set[str] = set()  # hints already given
        self.status = CONTINUE
        self.redraws = 0  # candidate messages dropped because they would have leaked
        self.given: list[dict] = []  # every hint given: {"kind", "value", "polarity"} (+1 wants, -1 does not)
        self.actions: list[str] = []  # the behaviour of each reaction
        self.utterances = list(profile.utterances)
        # The seeded persona: how many recommendation turns it tolerates, how often it asks why or
        # comments on a card, how often it uses its own (real) words rather than a KG hint.
        self.patience = self.rng.choice([3, 4, 5])
        self.p_why, self.p_card, self.p_own = self.rng.choice([0.0, 0.1, 0.2]), self.rng.choice([0.1, 0.25]), 0.5
        self.misses = 0

    # ------------------------------------------------------------------ hints
    def _hints(self) -> list[tuple[str, str]]:
        """(key, phrase) hints about the target, in the order a person would give them."""
        p, r = self.p, self.rng
        hints = []
        for g in p.genres[:2]:
            hints.append((f"genre:{g}", r.choice([f"I'm in the mood for {g}.", f"I'd like {_a(g)} {g} movie.",
                                                  f"Something in the {g} genre would be great."])))
        for s in p.stars[:2]:
            hints.append((f"star:{s}", r.choice([f"Do you have anything with {s}?", f"I'd love something starring {s}.",
                                                 f"I like movies with {s}."])))
        for d in p.directors[:1]:
            hints.append((f"director:{d}", r.choice([f"I'd prefer something directed by {d}.",
                                                     f"I really like {d}'s films."])))
        for k in p.keywords[:3]:
            hints.append((f"keyword:{k}", r.choice([f"Ideally the story involves {k}.", f"I'm curious about a story with {k}."])))
        if p.year:
            hints.append(("era", r.choice([f"Maybe something from the {_decade(p.year)}?",
                                           f"I'd like a movie from the {_decade(p.year)}."])))
        for w in p.writers[:1]:
            hints.append((f"writer:{w}", f"I like stories written by {w}."))
        return hints

    def _next_hint(self, prefer: str | None = None) -> str | None:
        hints = [h for h in self._hints() if h[0] not in self.said]
        if prefer:
            hints.sort(key=lambda h: not h[0].startswith(prefer))
        for key, text in hints:
            if not self.checker.leaks(text):
                self.said.add(key)
                self._give(key)
                return text
            self.said.add(key)
            self.redraws += 1
        return None

    def _give(self, key: str, polarity: int = 1) -> None:
        kind, _, value = key.partition(":")
        if kind == "era":
            value = str(self.p.year // 10 * 10) if self.p.year else ""
        self.given.append({"kind": kind, "value": value, "polarity": polarity})

    def _own_words(self) -> str | None:
        """The real seeker's next utterance (movies masked), once each."""
        while self.utterances:
            text = self.utterances.pop(0)
            if not self.checker.leaks(text):
                return text
            self.redraws += 1
        return None

    def _safe(self, candidates: list[str], fallback: str = "Any other suggestions?") -> str:
        """The first candidate that names none of the target's names (the leak filter)."""
        for text in candidates:
            if text and not self.checker.leaks(text):
                if self.paraphrase is not None:
                    reworded = (self.paraphrase(text) or "").strip()
                    if reworded and not self.checker.leaks(reworded):
                        return reworded
                    self.redraws += 1
                return text
            self.redraws += 1
        return fallback if not self.checker.leaks(fallback) else "Hmm, what else?"

    # ------------------------------------------------------------------ turns
    def opening(self) -> str:
        """The first message: the real seeker's first utterance (movies masked) with one or two liked
        movies and a KG genre hint when it has no own words; else a greeting, liked movies and the hint."""
        r = self.rng
        own = self._own_words()
        if own:
            self.actions.append("open-own-words")
            extra = self._next_hint("genre") if r.random() < 0.5 else None
            parts = [own, extra or ""] + ([] if own.rstrip().endswith("?") else [r.choice(ASKS)])
            return self._safe([" ".join(x for x in parts if x), own])
        self.actions.append("open-template")
        greet = r.choice(GREETINGS)
        liked = [self.catalog[i].display for i in self.p.liked[:2]]
        likes = ""
        if liked:
            verb = r.choice(["I loved", "I really enjoyed", "I liked"])
            likes = f"{verb} {' and '.join(liked)}."
        hint = self._next_hint("genre") or ""
        ask = r.choice(ASKS)
        parts = [greet, likes, hint, ask]
        return self._safe([" ".join(x for x in parts if x), " ".join(x for x in (greet, hint, ask) if x)])

    def react(self, cards: list, reply: str = "") -> tuple[str, str]:
        """(message, status) after a system turn: accept the target, or give a reason and ask for more."""
        items = [c.item for c in cards]
        r = self.rng
        if self.p.target in items:
            self.status = SUCCESS
            self.actions.append("accept")
            return self._safe([r.choice(ACCEPTS)], "Thanks!"), SUCCESS
        if not cards:
            self.no_cards += 1
            if self.no_cards >= 2:
                self.status = GIVE_UP
                self.actions.append("give-up")
                return self._safe(list(GIVE_UPS), "Bye."), GIVE_UP
            self.actions.append("hint")
            hint = self._own_words() if r.random() < self.p_own else None
            hint = hint or self._next_hint()
            return self._safe([f"{hint} Any suggestions?" if hint else "Can you just suggest something?"]), CONTINUE
        self.no_cards = 0
        self.misses += 1
        if self.misses >= self.patience:
            self.status = GIVE_UP
            self.actions.append("lose-patience")
            return self._safe(list(IMPATIENT), "Bye."), GIVE_UP
        top = self.catalog[cards[0].item]
        u = r.random()
        if u < self.p_why:
            self.actions.append("ask-why")
            return self._safe([r.choice(WHYS).format(t=top.display)]), CONTINUE
        if u < self.p_why + self.p_card:
            shared = self._shared(top)
            if shared:
                self.actions.append("like-card")
                self._give(shared)
                return self._safe([r.choice(LIKE_CARD).format(t=top.display)]), CONTINUE
            self.actions.append("dislike-card")
            return self._safe([r.choice(DISLIKE_CARD).format(t=top.display) + " " + r.choice(MORE)]), CONTINUE
        self.actions.append("reject")
        own = self._own_words() if r.random() < self.p_own * 0.6 else None
        reason = own or self._reason(cards[0])
        more = r.choice(MORE)
        prefix = r.choice(PREFIXES)
        return self._safe([f"{prefix} {reason} {more}".replace("  ", " "), f"{prefix} {more}"]), CONTINUE

    def _shared(self, movie) -> str | None:
        """A KG attribute the card shares with the target (what liking the card tells the system)."""
        for g in movie.genres:
            if g.lower() in self.p.genres:
                return f"genre:{g.lower()}"
        for s in movie.stars:
            if s in self.p.stars:
                return f"star:{s}"
        for d in movie.directors:
            if d in self.p.directors:
                return f"director:{d}"
        return None

    def _reason(self, card) -> str:
        """A reason from a KG difference between the top card and the target."""
        p, movie = self.p, self.catalog[card.item]
        extra = [g.lower() for g in movie.genres if g.lower() not in p.genres]
        reasons: list[str] = []
        if extra:
            g = extra[0]
            reasons.append(self.rng.choice([f"No {g}, please.", f"I don't want {g}."]))
            self._give(f"genre:{g}", -1)
        missing_star = [s for s in p.stars[:2] if s not in movie.stars and f"star:{s}" not in self.said]
        if missing_star and self.rng.random() < 0.6:
            self.said.add(f"star:{missing_star[0]}")
            self._give(f"star:{missing_star[0]}")
            reasons.append(f"I'd love something starring {missing_star[0]}.")
        elif p.year and movie.year and abs(movie.year - p.year) >= 10 and "era" not in self.said:
            self.said.add("era")
            self._give("era")
            reasons.append(f"Something {'older' if movie.year > p.year else 'more recent'}, "
                           f"maybe from the {_decade(p.year)}.")
        if not reasons or self.rng.random() < 0.5:
            hint = self._next_hint()
            if hint:
                reasons.append(hint)
        return " ".join(r for r in reasons if not self.checker.leaks(r))
