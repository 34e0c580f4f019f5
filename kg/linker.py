"""Entity linking: @id mentions, movie titles (typo-tolerant), people, genres, keywords, with polarity."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from crs.data.movies import Catalog, cached_catalog
from crs.data.tmdkg import TMDKG, cached_tmdkg
from crs.paths import data_dir
from kg import title_choice as C
from kg import title_lists as L
from kg import titles as T
from kg.mention_prior import rating_counts, train_mentions
from kg.message_context import MessageContext
from kg.people import people_by_surname, surname_person
from kg.unknown import unknown_title

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
MAX_NGRAM = 12
ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "sixth": 5, "original": 0}
MAX_CHARS = 4000  # linking looks at the most recent text only; longer input is cut, not rejected
ARTICLE_WEIGHT = 5  # a typed article is evidence: "the Drakest Hour" stays The Darkest Hour unless the other is 5x as talked of

# Everyday words users write that are also genre names in other forms.
GENRE_SYNONYMS = {
    "scary": "horror", "horrors": "horror", "comedies": "comedy", "funny": "comedy", "romantic": "romance",
    "romcom": "romance", "animated": "animation", "cartoon": "animation", "cartoons": "animation",
    "scifi": "science fiction", "sci fi": "science fiction", "thrillers": "thriller", "documentaries": "documentary",
    "dramas": "drama", "westerns": "western", "musicals": "music", "action movies": "action",
    "funnier": "comedy", "funniest": "comedy", "scarier": "horror", "scariest": "horror",  # "something funnier"
}
LIKE_CUES = ("love", "loved", "like", "liked", "enjoy", "enjoyed", "favorite", "favourite", "great", "awesome",
             "amazing", "fan of", "into", "adore", "best", "good", "recommend", "fantastic", "want")
DISLIKE_CUES = ("hate", "hated", "dislike", "disliked", "boring", "awful", "terrible", "worst", "bad", "avoid",
                "without", "not into", "no more", "not really", "not my", "not a", "nothing", "except",
                "can't stand", "cant stand", "cannot stand", "can't bear", "sick of", "tired of", "detest", "loathe",
                "overrated", "meh", "too much", "too violent", "too graphic", "too gory", "too slow", "too long", "too dark")
NEGATIONS = ("not", "never", "no", "dont", "didnt", "doesnt", "cant", "wont", "isnt", "wasnt", "arent", "werent",
             "isn't", "wasn't", "aren't", "weren't", "nothing")  # "movies that aren't John Wick"
_NOT = frozenset(NEGATIONS)
# ", nothing too gory" / ", not Casino" start a clause of their own: "some horror films, nothing gory" likes horror
_CLAUSE = re.compile(r"([.!?;]+|\bbut\b|\bhowever\b|\bexcept\b|\bthough\b|\bwhile\b|,\s*(?=(?:no|not|nothing|none|without)\b))")


@dataclass
class Mention:
    entity: int
    type: str  # movie, person, genre, keyword, company, language
    name: str
    span: tuple[int, int]  # token span in the normalised text
    polarity: str = "neutral"  # liked, disliked or neutral
    item: int | None = None  # catalogue item for movies
    score: float = 100.0
    alternatives: tuple[int, ...] = ()  # other films of a shared title a prior decided against ("the 1988 one")
    topic: bool = False  # a keyword asked for as the subject ("a movie about dogs"), not a word in passing


@dataclass
class Ambiguity:
    """A typed title that fits several catalogue movies equally well ("Heat": 1995 or The Heat, 2013)."""

    text: str  # the words as the user typed them
    items: list[int]  # candidate catalogue items, most likely first
    span: tuple[int, int] = (0, 0)  # token span in the normalised text


@dataclass
class LinkResult:
    mentions: list[Mention] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)
    unknown: str | None = None  # a typed title the catalogue lacks ("Das Boot"), see kg.unknown
    unknown_span: tuple[int, int] = (0, 0)

    def outside_unknown(self) -> LinkResult:
        """The result without the mentions inside the unknown title ("Quest" in "Blorgon Quest 3")."""
        a, b = self.unknown_span
        keep = [m for m in self.mentions if m.span[0] < 0 or m.span[1] <= a or m.span[0] >= b]
        return LinkResult(keep, [x for x in self.ambiguous if x.span[1] <= a or x.span[0] >= b])

    def of_type(self, *types: str) -> list[Mention]:
        return [m for m in self.mentions if m.type in types]

    @property
    def entities(self) -> list[int]:
        return [m.entity for m in self.mentions]


def _prepare(text: str) -> str:
    """Accents stripped (a typed "Amelie" is "Amélie"), hyphens as spaces, '&' as 'and'; case kept."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("-", " ").replace("&", " and "))
    return "".join(c for c in text if not unicodedata.combining(c))


_RAW_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")


def normalise(text: str) -> list[str]:
    return _WORD.findall(_prepare(text).lower())


def _cue(tokens: list[str], k: int) -> str | None:
    """The polarity a cue word at position k expresses, with negation ("don't like") flipping likes."""
    w = tokens[k]
    two = " ".join(tokens[k:k + 2])
    if w in DISLIKE_CUES or two in DISLIKE_CUES:
        return "disliked"
    if w in LIKE_CUES or two in LIKE_CUES:
        window = tokens[max(0, k - 3):k]
        negated = any(x in NEGATIONS or x.endswith("n't") for x in window)
        return "disliked" if negated else "liked"
    return None


def polarity_at(tokens: list[str], pos: int) -> str:
    """Polarity for a mention at token `pos` of a clause: the nearest cue before it, else after it."""
    if any(t in NEGATIONS for t in tokens[max(0, pos - 2):pos]):  # "no horror", "not Tom Cruise"
        return "disliked"
    for k in range(min(pos, len(tokens)) - 1, -1, -1):
        pol = _cue(tokens, k)
        if pol:
            return pol
    for k in range(pos, len(tokens)):
        pol = _cue(tokens, k)
        if pol:
            return pol
    return "neutral"


def polarity_of(clause: str) -> str:
    """liked / disliked / neutral for a whole clause (its first cue decides)."""
    return polarity_at(normalise(clause), 0)


class EntityLinker:
    """Links text to TMDKG entities; movies carry their catalogue item."""

    def __init__(self, kg: TMDKG, catalog: Catalog, fuzzy_threshold: float = 90.0):
        self.catalog, self.fuzzy_threshold = catalog, fuzzy_threshold
        types = kg.node_types()
        self.display = {eid: kg.name(eid) for eid in kg.id2names}
        self.names: dict[str, list[tuple[int, str]]] = {}  # normalised name -> [(entity, type)]
        for name, eid in kg.entity2id.items():
            if name.isdigit():
                continue
            key = " ".join(normalise(name))
            if key:
                self.names.setdefault(key, []).append((eid, types.get(eid, "keyword")))
        self.genre_by_name = {k: v for k, vs in self.names.items() for v in vs if v[1] == "genre"}
        # The prior among movies sharing a title: mentions in ReDial's train partition only.
        self.titles = T.TitleIndex.build(catalog, train_mentions(catalog), rating_counts(catalog))
        self._kg, self._nb, self._item_forms = kg, None, None
        self.people = [k for k, vs in self.names.items() if any(t == "person" for _, t in vs) and " " in k]
        # "the Hitchcock one" is the director: a title that is someone's surname needs a cue ("I loved Hitchcock").
        self.titles.surnames = frozenset(k.rsplit(" ", 1)[1] for k in self.people)
        self._by_surname = people_by_surname(self.people, self.names, kg)
        self._given_names = frozenset(k.split(" ", 1)[0] for k in self.people)  # all, even "john"
        self.titles.genres = frozenset(self.genre_by_name) | frozenset(GENRE_SYNONYMS)
        # "Kevin Hart" is the comedian, not the start of "Kevin Hart: Laugh at My Pain"; "Emma Stone" the
        # actress, not a film of that name no train seeker named.
        for name in self.people:
            if name in self.titles.forms and all(k in ("part", "prefix") or not self.titles.mentions.get(i, 0)
                                                 for i, k in self.titles.forms[name]):
                del self.titles.forms[name]
        # First names of the KG's people that are not everyday words ("Nick", not "Will").
        self._first_names = frozenset(f for f in (k.split(" ", 1)[0] for k in self.people) if T.zipf(f) < 5.0)
        self._named_titles = frozenset(k for k, v in self.titles.forms.items()
                                       if " " not in k and any(self.titles.mentions.get(i, 0) for i, _ in v))
        self.titles_by_words: dict[int, list[str]] = {}  # candidates for typo matching, by word count
        for t, v in self.titles.forms.items():
            if len(t) >= 4 and v[0][1] != "part":
                self.titles_by_words.setdefault(t.count(" ") + 1, []).append(t)

    def link(self, text: str, movies: bool = True, fuzzy: bool = True, conversation=()) -> LinkResult:
        """All mentions in `text`, longest match first, non-overlapping.

        `conversation`: catalogue items recommended or named earlier in the same conversation; they
        pick among movies that share a typed title."""
        text = text[-MAX_CHARS:]
        out: list[Mention] = []
        if movies:
            for match in re.finditer(r"@(\d+)", text):
                m = self.catalog.by_redial.get(match.group(1))
                if m is not None:
                    pol = _clause_polarity(text, match.start())
                    out.append(Mention(m.entity, "movie", m.display, (-1, -1), pol, item=m.item))
        clean = _prepare(re.sub(r"@\d+", " ", text))
        words = list(_RAW_WORD.finditer(clean))
        tokens = [w.group().lower() for w in words]
        raw_tokens = [w.group() for w in words]
        if _shouting(raw_tokens):
            raw_tokens = tokens  # capitals in an all-caps message say nothing about titles
        ctx = MessageContext(clean, words, len(tokens), frozenset(conversation),  # per call: one linker serves every session
                       self._named_titles, self._first_names, self.titles.forms, self.titles.genres)
        taken = [False] * len(tokens)
        titles: list[tuple[str, int, int, float]] = []  # (key, start, end, score) decided after the loop
        for n in range(min(MAX_NGRAM, len(tokens)), 0, -1):
            for i in range(len(tokens) - n + 1):
                if any(taken[i:i + n]):
                    continue
                gram = " ".join(tokens[i:i + n])
                if movies and T.names_series(tokens[max(0, i - 2):i], tokens[i + n:i + n + 1]) \
                        and " ".join(T._SPLIT.findall(gram)) in self.titles and not ctx.quoted(i, n):
                    taken[i:i + n] = [True] * n  # the series, so no shorter title inside it either ("Star")
                    continue
                title = self._title(ctx, gram, n, i, tokens, raw_tokens, movies, fuzzy)
                if title and tokens[i] in T.ARTICLES and i + n < len(tokens) and not any(taken[i + 1:i + n + 1]) \
                        and " ".join(tokens[i + 1:i + n + 1]) in self.titles:
                    title = None  # "all the star wars" is Star Wars, not The Star
                if title and tokens[i] == "the" and i > 0 and tokens[i - 1] in ("all", "both") and n > 1 \
                        and " ".join(tokens[i + 1:i + n]) in self.titles:
                    title = None  # "seen all the Scream" are the Scream films, not The Scream
                found = [] if title else self._match(gram, n, i, tokens, raw_tokens, fuzzy, ctx)
                if title:
                    titles.append((title[0], i, i + n, title[1]))
                for f in found:
                    f.span = (i, i + n)
                out.extend(found)
                if title or found:
                    taken[i:i + n] = [True] * n
        titles = self._widened(ctx, titles, tokens, out, taken)
        titles += self._confirmed_by_context(ctx, out, taken, raw_tokens, titles)
        titles += self._listed_with_titles(ctx, titles, tokens, raw_tokens, taken, out)
        ambiguous = self._resolve_titles(ctx, titles, tokens, raw_tokens, out)
        self._assign_polarity(clean, tokens, out)
        unknown = unknown_title(text, out, ambiguous, normalise) if movies else None
        if unknown:
            return LinkResult(out, ambiguous, unknown[0], unknown[1])
        return LinkResult(out, ambiguous)

    def _title(self, ctx, gram, n, i, tokens, raw_tokens, movies, fuzzy) -> tuple[str, float] | None:
        """(title form, score) when these words are meant as a movie title."""
        if not movies:
            return None
        key = " ".join(T._SPLIT.findall(gram))
        if key in self.titles:
            if ctx.initial(i, n):
                return None  # "J.D." is a name's initials, not the film "D"
            if self._titleish(ctx, key, n, i, tokens, raw_tokens) and not ctx.inside_name(i, n):
                return key, 100.0
            if n == 1 and key in T.FUNCTION_TITLES and i > 1 and tokens[i - 2] == "the" \
                    and C.modifier_choice(self.titles, key, T.modifier_at(tokens, i)) is not None:
                return key, 100.0  # "the new it", "the original it": a version of a remade title
            ctx.weak.append((key, i, i + n))  # prose unless the message names its director or star
            return None
        if not fuzzy or n > 10 or len(key) < 4:
            return None
        typed = key.split(" ")
        said = self._said_typo(ctx, key, typed)
        if said and self._titleish(ctx, said, n, i, tokens, raw_tokens, typo=True):
            return said, 90.0  # "The Princes Bride" after The Princess Bride was suggested
        capital = T.written_as_title(raw_tokens[i:i + n])
        named = capital and (not ctx.sentence_start(i) or n > 1)
        cue = T._cue_before(tokens[max(0, i - 3):i]) or self._cast_before(tokens, raw_tokens, i)
        if n == 1 and (T.zipf(key) >= 3.5 or key in self.titles.surnames):
            return None  # "Have", "Mine", "Bale": a real word or name is what was meant, not a slip on a title
        if n == 1 and i + 1 < len(tokens) and tokens[i + 1] in self.titles.surnames and raw_tokens[i + 1][:1].isupper() \
                and not ctx.between(i, i + 1).strip():
            return None  # "Angie Jolie": a first name before a surname, not a slip on Annie
        after = ctx.after(i + n, tokens, 8)
        judged = T.said_of_a_film(after, self.titles.genres) or T._verdict(after)  # "Se7en is creepy", "Arival sounds good"
        # a short slip needs a cue or a capital and a verdict ("Logn was such a good movie"), or a list of titles
        short = n == 1 and len(key) < 5 and not (cue or judged and capital)
        if short and not named:
            return None
        # A typo: only a word that is not English ("Jummanji", "shinning") may be a misspelt title, unless
        # it is written as a name ("Like Tremor"). In a long title one slip may make another English word.
        vouched = named and (cue or n > 1 and (judged or not ctx.sentence_start(i)))  # "about Baby Drive ."
        if n < 4 and not vouched and not any(T.zipf(t) < 2.5 and not t.isdigit() for t in typed):
            return None
        hits = process.extract(key, self.titles_by_words.get(len(typed), []), scorer=OSA.distance, score_cutoff=1,
                               limit=10)
        if not hits:
            return None
        # Of equally close titles, the one people talk about ("the shinning" is The Shining, not The Thinning).
        best = min(hits, key=lambda h: (h[1], -self.titles.mentions[self.titles.items(h[0])[0]]))[0]
        if tokens[i] in T.ARTICLES and n > 1 and self._better_without_article(typed[1:], best):
            return None  # "the Black Pantther" is Black Panther, read next without the article, not The Black Panther
        slips = [(t, w) for t, w in zip(typed, best.split(" ")) if t != w]
        if any(len(t) < 3 or t.isdigit() or w.isdigit() for t, w in slips):
            return None  # "Wonder Woman I" is not Wonder Woman 2
        if not named and n == 1 and not judged and self._misspelt_word(slips):
            return None  # "trailor" is "trailer", not Traitor (but "Lgoan was a good movie" is no loan)
        if n == 1 and T.zipf(best) >= T.ZIPF_PLAIN and not (named or cue or judged or ctx.whole(i, n)):
            return None  # "i remeber my dad": a slip on an everyday word needs a cue (or to be the whole answer: "Takeen")
        if not short and self._titleish(ctx, best, n, i, tokens, raw_tokens, typo=True):
            return best, 90.0
        if n == 1 and named:
            ctx.weak.append((best, i, i + n))  # "the revenant or Tken": a list of titles may vouch for it
        return None

    def _better_without_article(self, rest: list[str], best: str) -> bool:
        """Whether the words after the article are as close to a title seekers name far more often than `best`."""
        near = process.extract(" ".join(rest), self.titles_by_words.get(len(rest), []), scorer=OSA.distance,
                               score_cutoff=1, limit=10)
        talked = self.titles.mentions[self.titles.items(best)[0]]
        return any(self.titles.mentions[self.titles.items(f)[0]] >= ARTICLE_WEIGHT * max(talked, 1) for f, _, _ in near)

    def _said_typo(self, ctx, key: str, typed: list[str]) -> str | None:
        """A title form of a movie the conversation named, one edit away from the typed words. One typed
        word must not be an English word or a surname ("Mana" may be Moana, "close" is not Closer)."""
        if not ctx.conversation:
            return None
        forms = [f for it in ctx.conversation for f in self._forms_of().get(it, ())
                 if f.count(" ") + 1 == len(typed) and len(f) >= 4]
        hits = process.extract(key, forms, scorer=OSA.distance, score_cutoff=1, limit=3) if forms else []
        for form, _, _ in sorted(hits, key=lambda h: h[1]):
            slips = [(t, w) for t, w in zip(typed, form.split(" ")) if t != w]
            if any(len(t) < 3 or t.isdigit() or w.isdigit() for t, w in slips):
                continue
            if len(typed) == 1 and (T.zipf(key) >= 3.5 or key in self.titles.surnames or len(key) < 4):
                continue
            return form
        return None

    def _forms_of(self) -> dict[int, list[str]]:
        """item -> its typed forms written out (exact or without the article), built on first use."""
        if self._item_forms is None:
            out: dict[int, list[str]] = {}
            for form, v in self.titles.forms.items():
                for it, kind in v:
                    if kind in ("exact", "no_article"):
                        out.setdefault(it, []).append(form)
            self._item_forms = out
        return self._item_forms

    @staticmethod
    def _misspelt_word(slips: list[tuple[str, str]]) -> bool:
        """Whether a typed word that differs from the title's is more likely a slip on a commoner English word
        ("trailor": trailer, not Traitor; "horro": horror, not Zorro)."""
        for t, w in slips:
            near = process.extract(t, _common_words(), scorer=OSA.distance, score_cutoff=1, limit=8)
            if any(c != w and T.zipf(c) > T.zipf(w) + 0.5 for c, _, _ in near):
                return True
        return False

    def _titleish(self, ctx, key, n, i, tokens, raw_tokens, typo: bool = False) -> bool:
        said = bool(ctx.conversation) and any(it in ctx.conversation for it in self.titles.items(key))
        if n == 1 and i >= 2 and tokens[i - 1] == "and" and "with" in tokens[max(0, i - 5):i - 1] \
                and (key in self._first_names or key in self.titles.surnames) and not ctx.quoted(i, n):
            return False  # "with Swayze and Keanu": a name in a list of the cast, not the film Keanu
        if n == 1 and (key in self._first_names or key in self.titles.surnames) and tokens[i + 1:i + 2] == ["in"] \
                and any(" ".join(tokens[i + 2:i + 2 + k]) in self.titles for k in range(1, 5)) and not ctx.quoted(i, n):
            return False  # "Keanu in the matrix": the actor in a film
        return T.looks_like_title(key, raw_tokens[i:i + n], ctx.before(i, tokens), ctx.after(i + n, tokens),
                                  year=ctx.year_after(i + n, tokens) is not None,
                                  quoted=ctx.quoted(i, n) or ctx.initialism(i, n),
                                  sentence_start=ctx.sentence_start(i), kind=self.titles.kind(key), typo=typo,
                                  surnames=self.titles.surnames, genres=self.titles.genres, whole=ctx.whole(i, n),
                                  said=said, talked=max(self.titles.mentions.get(it, 0) for it in self.titles.items(key)),
                                  cued=self._cast_before(tokens, raw_tokens, i))

    def _cast_before(self, tokens: list[str], raw_tokens: list[str], i: int) -> bool:
        """A film named after "<someone> in": "Mel Gibson in Signs", "Liam in non-stop" (a KG person's full
        name, or a first name or surname written with a capital)."""
        if i < 2 or tokens[i - 1] != "in":
            return False
        if i >= 3 and any(t == "person" for _, t in self.names.get(" ".join(tokens[i - 3:i - 1]), ())):
            return True
        w = raw_tokens[i - 2]
        return w[:1].isupper() and not w.isupper() and (w.lower() in self._first_names or w.lower() in self.titles.surnames)

    def _resolve_titles(self, ctx, found, tokens, raw_tokens, out: list[Mention]) -> list[Ambiguity]:
        context = {m.entity for m in out if m.type != "movie"}
        ambiguous = []
        for key, i, j, score in found:
            year = ctx.year_after(j, tokens) or ctx.year_before(i, tokens)
            item, items = C.resolve(self.titles, key, year, context, self._neighbours, ctx.conversation)
            bare = key.split(" ", 1)[1] if year and tokens[i] in T.ARTICLES and " " in key else None
            if item is None and not items and bare in self.titles:  # "the Godfather (1991)": the 1991 Godfather
                item, items = C.resolve(self.titles, bare, year, context, self._neighbours, ctx.conversation)
            nth = ORDINALS.get(tokens[i - 1]) if i > 0 and not year else None  # "the original It (1990)"
            version = T.modifier_at(tokens, i) or T.version_around(ctx.after(j, tokens, 7))
            newest_or_oldest = C.modifier_choice(self.titles, key, version) if not year else None
            if newest_or_oldest is not None:  # "the new Jumanji", "the original It": one of the remakes
                item, nth = newest_or_oldest, None
            if nth is not None:  # "the second Matrix": the franchise's films in order of release
                series = self._series(key)
                if len(series) > nth:
                    item, items = series[nth], series
            if item is None and not items:
                continue  # "Halloween 2018": a year none of them has is a film not in the catalogue
            if item is None:
                ambiguous.append(Ambiguity(" ".join(raw_tokens[i:j]), items, (i, j)))
                continue
            m = self.catalog[item]
            film = self.titles.same_film.get
            others = () if year or nth is not None or newest_or_oldest is not None else \
                tuple(x for x in items if film(x, x) != film(item, item))
            out.append(Mention(m.entity, "movie", m.display, (i, j), item=m.item, score=score, alternatives=others))
        return ambiguous

    def _confirmed_by_context(self, ctx, out: list[Mention], taken: list[bool], raw_tokens: list[str],
                              titles) -> list[tuple[str, int, int, float]]:
        """Common-word titles the message confirms: "Signs with Mel Gibson", "Big with Tom Hanks"."""
        confirmed = []
        for key, i, j in ctx.weak:
            if not self._free(out, taken, i, j, titles + confirmed):
                continue  # words already read as a person, genre or longer title
            if not self._capitalised(raw_tokens, i, j - i) and (key in T.FUNCTION_TITLES
                                                                 or self.titles.kind(key) == "no_article"
                                                                 or i > 0 and raw_tokens[i - 1].lower() in ("a", "an")):
                continue  # "we watch that ... Ben Stiller" is not The Watch; "it ... Stephen King" is not It;
                # "a big fan of Tom Hanks" is not Big
            # The person must be named close by ("Monster is the one with Charlize Theron").
            people = [m for m in out if m.type == "person" and (m.span[1] <= i or m.span[0] >= j)
                      and min(abs(m.span[0] - j), abs(i - m.span[1])) <= 8
                      and not (m.span[0] == j and not self._capitalised(raw_tokens, i, j - i))]  # "a big Hanks fan"
            context, names = {m.entity for m in people}, {m.name.lower() for m in people}
            if people and any(context & self._neighbours(it) or names & self._credits(it) for it in self.titles.items(key)):
                out[:] = [m for m in out if m.span[1] <= i or m.span[0] >= j]
                taken[i:j] = [True] * (j - i)
                confirmed.append((key, i, j, 95.0))
        return confirmed

    @staticmethod
    def _widened(ctx, titles, tokens: list[str], out: list[Mention], taken: list[bool]) -> list[tuple[str, int, int, float]]:
        """A title inside a longer title the words also spell is the longer one: "mad max was great" is Mad
        Max, not Max. Not when the extra words are only minor words ("the Heat" may be Heat) or a cue
        ("like Crazy" may be "liked Crazy")."""
        res = []
        for key, i, j, score in titles:
            wider = [(k, a, b) for k, a, b in ctx.weak if a <= i and j <= b and (a, b) != (i, j)
                     and all(a2 >= b or b2 <= a for _, a2, b2, _ in titles if (a2, b2) != (i, j))
                     and all(m.type == "keyword" or m.span[1] <= a or m.span[0] >= b for m in out)]
            wider = [(k, a, b) for k, a, b in wider
                     if any(w not in T.MINOR for w in tokens[a:i] + tokens[j:b])
                     and not any(w in T.CUES_BEFORE or w in T.CUES_AFTER for w in tokens[a:i] + tokens[j:b])]
            if not wider:
                res.append((key, i, j, score))
                continue
            k, a, b = max(wider, key=lambda w: w[2] - w[1])
            out[:] = [m for m in out if m.span[1] <= a or m.span[0] >= b]
            taken[a:b] = [True] * (b - a)
            res.append((k, a, b, score))
        return res

    @staticmethod
    def _free(out: list[Mention], taken: list[bool], i: int, j: int, titles) -> bool:
        """Tokens i..j are untaken or taken only by keywords (which a title may replace)."""
        if any(a < j and i < b for _, a, b, _ in titles):
            return False
        return not any(taken[i:j]) or all(m.type == "keyword" or m.span[1] <= i or m.span[0] >= j for m in out)

    def _listed_with_titles(self, ctx, titles, tokens, raw_tokens, taken, out) -> list[tuple[str, int, int, float]]:
        """A title in a list of titles ("Seven, inception or Sixth Sense") is a title too; the list is read
        until it grows no more ("Finding Nemo, Up, wall-e": Up joins Finding Nemo, then wall-e joins Up)."""
        spans = [(i, j) for _, i, j, _ in titles]
        found: list[tuple[str, int, int, float]] = []
        grown = True
        while grown:  # one item per pass, longest forms first ("wall-e", not "wall")
            grown = False
            for key, i, j in ctx.weak:
                if (i, j) in spans or not L.listable(ctx, key, i, j, tokens, raw_tokens, spans):
                    continue
                if not self._free(out, taken, i, j, titles + found):
                    continue
                if any(ctx.joined(b, i, tokens) or ctx.joined(j, a, tokens)
                       or ctx.run_on(b, i, tokens) and ctx.goes_on(j, tokens) for a, b in spans):
                    out[:] = [m for m in out if m.span[1] <= i or m.span[0] >= j]
                    taken[i:j] = [True] * (j - i)
                    found.append((key, i, j, 90.0))
                    spans.append((i, j))
                    grown = True
                    break
        return found

    def _series(self, key: str) -> list[int]:
        """Movies whose title starts with this form ("the matrix": The Matrix, Reloaded, Revolutions), by year."""
        first = self.catalog[self.titles.items(key)[0]]
        base = " ".join(T._SPLIT.findall(T.fold(first.title)))
        found = {i for k, v in self.titles.forms.items() if k == base or k.startswith(base + " ")
                 for i, kind in v if kind == "exact"}
        same = [i for i, kind in self.titles.forms.get(base, ()) if kind == "exact"]
        found -= set(same) - set(C.talked_of(self.titles, same))  # "the first Scream" is not 1981's
        # The title itself opens its series even when the catalogue lacks its year ("Thor" before "Thor: Ragnarok").
        return sorted(found, key=lambda i: (self.catalog[i].year or (0 if i == first.item else 9999),
                                            -self.catalog[i].mentions))

    def _credits(self, item: int) -> set[str]:
        """Directors, writers and stars of a movie in its metadata (the KG misses some)."""
        m = self.catalog[item]
        return {n.lower() for n in (*m.directors, *m.writers, *m.stars)}

    def _neighbours(self, item: int) -> set[int]:
        """KG neighbours of a catalogue movie (built on first use: only shared titles need them)."""
        if self._nb is None:
            movies = {m.entity for m in self.catalog.movies}
            nb: dict[int, set[int]] = {}
            for h, _, t in self._kg.triples:
                h, t = int(h), int(t)
                if h in movies:
                    nb.setdefault(h, set()).add(t)
            self._nb = nb
        return self._nb.get(self.catalog[item].entity, set())

    def _match(self, gram, n, i, tokens, raw_tokens, fuzzy, ctx) -> list[Mention]:
        """People, genres, keywords, companies (titles are `_title`'s)."""
        if gram in GENRE_SYNONYMS:
            eid, _ = self.genre_by_name.get(GENRE_SYNONYMS[gram], (None, None))
            if eid is not None:
                return [Mention(eid, "genre", self.display[eid], (i, i + n))]
        cued = i > 0 and (tokens[i - 1] in TOPIC_CUES  # "about dogs", "about a dog", "with some sharks"
                          or i > 1 and tokens[i - 1] in ("a", "an", "the", "some") and tokens[i - 2] in TOPIC_CUES)
        if gram in self.names:
            return [Mention(eid, t, self.display[eid], (i, i + n), topic=cued and t == "keyword")
                    for eid, t in self.names[gram][:1]]
        topic = _singular_topic(gram, self.names) if n == 1 and cued else None
        if topic is not None:  # "a movie about dogs", "films with vampires": the KG's keyword is singular
            return [Mention(topic, "keyword", self.display[topic], (i, i + n), topic=True)]
        if n <= 2 and gram in self._by_surname and self._capitalised(raw_tokens, i, n):
            eid = surname_person(self._by_surname, self._given_names, ctx, n, i, tokens, raw_tokens)
            if eid is not None:
                return [Mention(eid, "person", self.display[eid], (i, i + n))]
        if not fuzzy or n not in (2, 3) or len(gram) < 8 or {tokens[i], tokens[i + n - 1]} & (T.MINOR | _NOT):
            return []  # "to james" is not Theo James, "no adam sandler" not Adam Sandler: no name starts with "to", "no"
        hit = process.extractOne(gram, self.people, scorer=fuzz.ratio, score_cutoff=self.fuzzy_threshold - 2)
        if hit:
            eid, t = self.names[hit[0]][0]
            return [Mention(eid, t, self.display[eid], (i, i + n), score=hit[1])]
        return []

    @staticmethod
    def _capitalised(raw_tokens: list[str], i: int, n: int) -> bool:
        raw = raw_tokens[i:i + n] if len(raw_tokens) >= i + n else []
        return bool(raw) and all(w[:1].isupper() for w in raw)

    def _assign_polarity(self, text: str, tokens: list[str], mentions: list[Mention]) -> None:
        # Map each token position to its clause by walking the token counts of clauses and separators.
        bounds, pos = [], 0
        for piece in _CLAUSE.split(text.lower()):
            k = len(normalise(piece))
            bounds.append((pos, pos + k))
            pos += k
        for m in mentions:
            start = m.span[0]
            if start < 0:  # @id mentions got their polarity when found
                continue
            for lo, hi in bounds:
                if lo <= start < hi:
                    m.polarity = polarity_at(tokens[lo:hi], start - lo)
                    break


TOPIC_CUES = frozenset("about with involving featuring".split())


def _singular_topic(word: str, names: dict) -> int | None:
    """The keyword entity of a plural's singular ("dogs", "puppies", "werewolves"), if the KG has it."""
    if len(word) < 4 or not word.endswith("s") or word.endswith("ss"):
        return None
    forms = [word[:-3] + "y"] if word.endswith("ies") else []
    forms += [word[:-3] + "f"] if word.endswith("ves") else []
    forms += [word[:-2], word[:-1]] if word.endswith("es") else [word[:-1]]
    for f in forms:
        hits = [eid for eid, t in names.get(f, ()) if t == "keyword"]
        if hits and len(f) >= 3:
            return hits[0]
    return None


def _shouting(raw_tokens: list[str]) -> bool:
    """An all-caps message ("MY KIDS LOVE FROZEN")."""
    letters = [w for w in raw_tokens if w.isalpha() and len(w) > 1]
    return len(letters) >= 3 and sum(w.isupper() for w in letters) >= 0.8 * len(letters)


@lru_cache(maxsize=1)
def _common_words() -> list[str]:
    """Everyday English words (wordfreq), to tell a slip on one of them from a misspelt title."""
    from wordfreq import top_n_list

    return [w for w in top_n_list("en", 30000) if w.isalpha() and len(w) >= 4]


def _clause_polarity(text: str, offset: int) -> str:
    """Polarity of the clause of `text` that contains character `offset`."""
    pos = 0
    for piece in _CLAUSE.split(text):
        if pos <= offset < pos + len(piece):
            before = normalise(piece[: offset - pos])
            return polarity_at(before + normalise(piece[offset - pos:]), len(before))
        pos += len(piece)
    return "neutral"


def cached_linker() -> EntityLinker:
    return _cached_linker(str(data_dir()))


@lru_cache(maxsize=2)
def _cached_linker(_root: str) -> EntityLinker:
    return EntityLinker(cached_tmdkg(), cached_catalog())
