"""A simulated seeker built from a ReDial test dialogue.

The seeker wants one **target** movie: a movie the recommender suggested in the real dialogue
and the seeker said they liked. It knows the target's KG attributes (genres, directors, stars,
writers, keywords, decade) and the other movies it said it liked, and it talks from those; it
never writes the target's title or any alias (every candidate message goes through
simulator/leak.py and is re-drawn if it would leak). Nothing from the real dialogue's text
reaches the system: only the seeker's own liked movies and the target's attributes.

Each turn it reacts to the system's reply: it accepts the target when it is among the cards;
otherwise it rejects with a reason drawn from a KG difference between the top card and the
target (a genre the card has and the target lacks -> "No horror, please"; a person or keyword
the target has and the card lacks -> asks for it; a different decade -> asks for that era)
and asks for more; it gives up after two replies without any recommendation. Variation comes
from templates drawn with a per-dialogue seeded RNG.
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

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def build_profile(dialogue, catalog, graph, checker: LeakChecker | None = None) -> SeekerProfile | None:
    """The seeker for one ReDial dialogue, or None when no suggested movie was liked by the seeker."""
    from kg.graph import neighbours

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
    return SeekerProfile(dialogue.id, target.item, liked, safe([g.lower() for g in target.genres]),
                         safe(target.directors), safe(target.stars[:3]), safe(target.writers[:2]),
                         safe(sorted(keywords)[:8]), target.year)


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
                return text
            self.said.add(key)
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
        """The first message: a greeting, one or two liked movies, and the first hint."""
        r = self.rng
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
            return self._safe([r.choice(ACCEPTS)], "Thanks!"), SUCCESS
        if not cards:
            self.no_cards += 1
            if self.no_cards >= 2:
                self.status = GIVE_UP
                return self._safe(list(GIVE_UPS), "Bye."), GIVE_UP
            hint = self._next_hint()
            return self._safe([f"{hint} Any suggestions?" if hint else "Can you just suggest something?"]), CONTINUE
        self.no_cards = 0
        reason = self._reason(cards[0])
        more = r.choice(MORE)
        prefix = r.choice(PREFIXES)
        return self._safe([f"{prefix} {reason} {more}".replace("  ", " "), f"{prefix} {more}"]), CONTINUE

    def _reason(self, card) -> str:
        """A reason from a KG difference between the top card and the target."""
        p, movie = self.p, self.catalog[card.item]
        extra = [g.lower() for g in movie.genres if g.lower() not in p.genres]
        reasons: list[str] = []
        if extra:
            g = extra[0]
            reasons.append(self.rng.choice([f"No {g}, please.", f"I don't want {g}."]))
        missing_star = [s for s in p.stars[:2] if s not in movie.stars and f"star:{s}" not in self.said]
        if missing_star and self.rng.random() < 0.6:
            self.said.add(f"star:{missing_star[0]}")
            reasons.append(f"I'd love something starring {missing_star[0]}.")
        elif p.year and movie.year and abs(movie.year - p.year) >= 10 and "era" not in self.said:
            self.said.add("era")
            reasons.append(f"Something {'older' if movie.year > p.year else 'more recent'}, "
                           f"maybe from the {_decade(p.year)}.")
        if not reasons or self.rng.random() < 0.5:
            hint = self._next_hint()
            if hint:
                reasons.append(hint)
        return " ".join(r for r in reasons if not self.checker.leaks(r))
