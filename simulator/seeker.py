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

Hints stay at the level ReDial seekers give (issue 13): genres (sometimes as a mood, "something
funny"), at most one person (a star or the director; only some seekers are fans of someone),
the decade, unwanted genres, and movies it liked that are not the target. It never uses the
target's keywords or writers, and it never gives a hint that, together with what it has already
said, would leave fewer than ``MIN_MATCHES`` catalogue movies: a person describes a kind of
movie, not one movie, so the hints alone never pin the target to one page of cards (20 = twice
the 10 cards a turn shows). The independent audit (eval/leak_audit.py) measures the result.
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
LIKE_MOVIE = ("Something more like {t}, maybe.", "I really enjoyed {t}, something along those lines.",
              "Have you got something similar to {t}?")
VAGUE = ("Something different, maybe.", "Not in the mood for that one.", "I've seen that one already.")
# How seekers phrase a genre as a mood (the linker reads these words as the genre: kg/linker.py).
MOODS = {"comedy": "something funny", "horror": "something scary", "romance": "something romantic",
         "animation": "an animated movie"}
MIN_MATCHES = 20  # hints never narrow the catalogue below this many movies (see the module docstring)


class HintIndex:
    """Catalogue movies per attribute (genre, star, director, decade), to keep hints unspecific."""

    def __init__(self, catalog):
        self.n = len(catalog)
        self.sets: dict[tuple[str, str], set[int]] = {}
        for m in catalog.movies:
            keys = [("genre", g.lower()) for g in m.genres] + [("star", x) for x in m.stars] + \
                   [("director", x) for x in m.directors] + ([("era", str(m.year // 10 * 10))] if m.year else [])
            for k in keys:
                self.sets.setdefault(k, set()).add(m.item)

    def count(self, hints: list[dict]) -> int:
        """Catalogue movies with every wanted attribute and no unwanted one (other kinds ignored)."""
        keep: set[int] | None = None
        for h in hints:
            if h["polarity"] > 0 and h["kind"] in ("genre", "star", "director", "era"):
                s = self.sets.get((h["kind"], h["value"]), set())
                keep = set(s) if keep is None else keep & s
        keep = set(range(self.n)) if keep is None else keep
        for h in hints:
            if h["polarity"] < 0:
                keep -= self.sets.get((h["kind"], h["value"]), set())
        return len(keep)


_INDEX: dict[int, HintIndex] = {}


def hint_index(catalog) -> HintIndex:
    if id(catalog) not in _INDEX:
        _INDEX[id(catalog)] = HintIndex(catalog)
    return _INDEX[id(catalog)]


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
                 paraphrase=None, min_matches: int = MIN_MATCHES):
        """``paraphrase(text) -> text`` (e.g. an LLM) rewords each message; a rewording that names the
        target (or is empty) is dropped and the template text is sent instead. ``min_matches``: the
        fewest catalogue movies the hints may leave (0: no limit, the earlier seeker)."""
        self.p, self.catalog, self.paraphrase = profile, catalog, paraphrase
        self.rng = random.Random(f"{seed}-{profile.dialogue_id}")
        self.checker = checker or checker_for(profile.target, catalog)
        self.index, self.min_matches = hint_index(catalog), min_matches
        self.no_cards = 0
        self.said: set[str] = set()  # hints already given (or withheld)
        self.status = CONTINUE
        self.redraws = 0  # candidate messages dropped because they would have leaked
        self.withheld = 0  # hints not given because they would have narrowed the catalogue too far
        self.given: list[dict] = []  # every hint given: {"kind", "value", "polarity"} (+1 wants, -1 does not)
        self.actions: list[str] = []  # the behaviour of each reaction
        self.utterances = list(profile.utterances)
        self.liked = list(profile.liked)  # liked movies not yet named
        # The seeded persona: how many recommendation turns it tolerates, how often it asks why or
        # comments on a card, how often it uses its own (real) words rather than a KG hint, and
        # whether it is a fan of someone (a person hint at all) and cares about the decade.
        self.patience = self.rng.choice([3, 4, 5])
        self.p_why, self.p_card, self.p_own = self.rng.choice([0.0, 0.1, 0.2]), self.rng.choice([0.1, 0.25]), 0.5
        self.fan = self.rng.random() < 0.5
        self.era_minded = self.rng.random() < 0.5
        self.misses = 0

    # ------------------------------------------------------------------ hints
    def _allowed(self, key: str, polarity: int = 1) -> bool:
        """Would this hint, with those already given, still leave at least ``min_matches`` movies?"""
        if not self.min_matches:
            return True
        return self.index.count(self.given + [self._hint(key, polarity)]) >= self.min_matches

    def _hint(self, key: str, polarity: int = 1) -> dict:
        kind, _, value = key.partition(":")
        if kind == "era":
            value = str(self.p.year // 10 * 10) if self.p.year else ""
        return {"kind": kind, "value": value, "polarity": polarity}

    def _hints(self) -> list[tuple[str, str]]:
        """(key, phrase) hints about the target, in the order a person would give them."""
        p, r = self.p, self.rng
        hints = []
        for g in p.genres[:2]:
            phrases = [f"I'm in the mood for {g}.", f"I'd like {_a(g)} {g} movie.", f"Something in the {g} genre would be great."]
            if g in MOODS:
                phrases.append(f"I'm in the mood for {MOODS[g]}.")
            hints.append((f"genre:{g}", r.choice(phrases)))
        if self.fan:
            people = [("star", s) for s in p.stars[:2]] + [("director", d) for d in p.directors[:1]]
            if people:
                kind, who = people[r.randrange(len(people))]
                hints.append((f"{kind}:{who}", r.choice(
                    [f"Do you have anything with {who}?", f"I'd love something starring {who}.", f"I like movies with {who}."]
                    if kind == "star" else [f"I'd prefer something directed by {who}.", f"I really like {who}'s films."])))
        if p.year and self.era_minded:
            hints.append(("era", r.choice([f"Maybe something from the {_decade(p.year)}?",
                                           f"I'd like a movie from the {_decade(p.year)}."])))
        return hints

    def _next_hint(self, prefer: str | None = None) -> str | None:
        hints = [h for h in self._hints() if h[0] not in self.said]
        if prefer:
            hints.sort(key=lambda h: not h[0].startswith(prefer))
        for key, text in hints:
            self.said.add(key)
            if not self._allowed(key):
                self.withheld += 1
                continue
            if not self.checker.leaks(text):
                self._give(key)
                return text
            self.redraws += 1
        return None

    def _give(self, key: str, polarity: int = 1) -> None:
        self.given.append(self._hint(key, polarity))

    def _liked_movie(self) -> str | None:
        """A movie the seeker liked (not the target), named once."""
        while self.liked:
            title = self.catalog[self.liked.pop(0)].display
            text = self.rng.choice(LIKE_MOVIE).format(t=title)
            if not self.checker.leaks(text):
                self.given.append({"kind": "movie", "value": title, "polarity": 1})
                return text
            self.redraws += 1
        return None

    def _own_words(self) -> str | None:
        """The real seeker's next utterance (target masked), once each."""
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
        """The first message: the real seeker's first utterance (target masked, other movies named), half
        the time with a genre hint; without own words, a greeting, liked movies and a genre hint."""
        r = self.rng
        own = self._own_words()
        if own:
            self.actions.append("open-own-words")
            extra = self._next_hint("genre") if r.random() < 0.5 else None
            parts = [own, extra or ""] + ([] if own.rstrip().endswith("?") else [r.choice(ASKS)])
            return self._safe([" ".join(x for x in parts if x), own])
        self.actions.append("open-template")
        greet = r.choice(GREETINGS)
        liked = [self.catalog[i].display for i in self.liked[:2]]
        likes = ""
        if liked:
            verb = r.choice(["I loved", "I really enjoyed", "I liked"])
            likes = f"{verb} {' and '.join(liked)}."
        hint = self._next_hint("genre") or ""
        ask = r.choice(ASKS)
        text = self._safe([" ".join(x for x in (greet, likes, hint, ask) if x), " ".join(x for x in (greet, hint, ask) if x)])
        if likes and likes in text:
            for i in self.liked[:2]:
                self.given.append({"kind": "movie", "value": self.catalog[i].display, "polarity": 1})
            self.liked = self.liked[2:]
        return text

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
            hint = hint or self._next_hint() or self._liked_movie()
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
            keys = self._shared(top)
            allowed = [k for k in keys if self._allowed(k)]
            if allowed:
                self.actions.append("like-card")
                self._give(allowed[0])
                return self._safe([r.choice(LIKE_CARD).format(t=top.display)]), CONTINUE
            if not keys:  # a card that shares nothing with the target is disliked; else a plain reject
                self.actions.append("dislike-card")
                return self._safe([r.choice(DISLIKE_CARD).format(t=top.display) + " " + r.choice(MORE)]), CONTINUE
        self.actions.append("reject")
        own = self._own_words() if r.random() < self.p_own * 0.6 else None
        reason = own or self._reason(cards[0])
        more = r.choice(MORE)
        prefix = r.choice(PREFIXES)
        return self._safe([f"{prefix} {reason} {more}".replace("  ", " "), f"{prefix} {more}"]), CONTINUE

    def _shared(self, movie) -> list[str]:
        """The KG attributes the card shares with the target (what liking the card tells the system)."""
        keys = [f"genre:{g.lower()}" for g in movie.genres if g.lower() in self.p.genres]
        keys += [f"star:{s}" for s in movie.stars if s in self.p.stars]
        return keys + [f"director:{d}" for d in movie.directors if d in self.p.directors]

    def _reason(self, card) -> str:
        """A reason from a KG difference between the top card and the target, or a liked movie."""
        p, movie = self.p, self.catalog[card.item]
        avoided = {h["value"] for h in self.given if h["polarity"] < 0}
        extra = [g.lower() for g in movie.genres if g.lower() not in p.genres and g.lower() not in avoided
                 and self._allowed(f"genre:{g.lower()}", -1)]
        reasons: list[str] = []
        if extra:
            g = extra[0]
            reasons.append(self.rng.choice([f"No {g}, please.", f"I don't want {g}."]))
            self._give(f"genre:{g}", -1)
        if (p.year and movie.year and abs(movie.year - p.year) >= 10 and self.era_minded and "era" not in self.said
                and self._allowed("era")):
            self.said.add("era")
            self._give("era")
            reasons.append(f"Something {'older' if movie.year > p.year else 'more recent'}, "
                           f"maybe from the {_decade(p.year)}.")
        if not reasons or self.rng.random() < 0.5:
            hint = self._next_hint() or (self._liked_movie() if self.rng.random() < 0.5 else None)
            if hint:
                reasons.append(hint)
        if not reasons:
            reasons.append(self._liked_movie() or self.rng.choice(VAGUE))
        return " ".join(r for r in reasons if not self.checker.leaks(r))
