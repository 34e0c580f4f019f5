"""Render ReDial ``@id`` movie mentions as the titles people type, for the title benchmark.

This module deliberately shares no code with ``kg/linker.py`` (the thing it checks): it has
its own normalisation and its own title tables.

The base is the gold catalogue item's title and year (``Movie.title``/``Movie.display``), not
the dialogue's ``movieMentions`` string: that one is sometimes an alias of the catalogue item,
has stray spaces or lacks the year, and the gold is the catalogue item.

Rendering rules (one kind is drawn per ``@id`` occurrence with a seeded RNG per utterance;
only the kinds that apply to the title and change it are eligible):

- ``exact_year``: the catalogue display form "Title (Year)" (weight 0.5: "occasionally").
  Only for movies with a year.
- ``title``: the catalogue title without the year, as written ("The Dark Knight").
- ``lower``: the title in lower case ("the dark knight").
- ``no_article``: a leading "The", "A" or "An" dropped ("Dark Knight"). Not used when the
  remaining words are themselves the title of another catalogue movie ("The Heat" -> "Heat"):
  a person typing "Heat" means the other film, so the rendering would be a wrong gold.
- ``no_punct``: punctuation dropped and accents stripped ("Amelie", "Oh God Book II",
  "SpiderMan 2"). Hyphens and apostrophes vanish without a space, as people type "spiderman".
- ``partial``: the part before a colon ("Abraham Lincoln: Vampire Hunter" -> "Abraham
  Lincoln") or the subtitle after it ("The Lord of the Rings: The Fellowship of the Ring" ->
  "The Fellowship of the Ring"), only when that part is unambiguous: it has at least two
  words and six characters; it is not, with or without a leading article, the title of any
  catalogue movie; no other catalogue title begins with it ("Star Wars: ..." has the film
  "Star Wars" and many other "Star Wars: ..." titles, so it never renders as "Star Wars");
  a subtitle must have at least three words ("Age of Ultron", not "Vampire Hunter"),
  contain no digit or Roman numeral and not start with Part/Chapter/Episode/Volume/The
  Movie (those are not names on their own). Initialisms ("LOTR") are
  not generated: no rule tells which abbreviations are established, and invented ones are
  not what people type.
- ``typo``: one typo in a randomly chosen word of at least five letters: two neighbouring
  letters swapped, one letter dropped, or one letter doubled; the first letter is never
  touched (people rarely get it wrong) and the word must change.

The surrounding text is left exactly as the seeker wrote it. Each gold occurrence records
its kind, so recall can be broken down by rendering, and whether its rendered form (after
normalisation) is the title of several catalogue movies ("shared", e.g. "Halloween"), where
a linker can only guess or ask.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from crs.data.movies import Catalog, Movie

MENTION = re.compile(r"@(\d+)")
KINDS = ("exact_year", "title", "lower", "no_article", "no_punct", "partial", "typo")
WEIGHTS = {"exact_year": 0.5, "title": 1.0, "lower": 1.0, "no_article": 1.0, "no_punct": 1.0, "partial": 1.0,
           "typo": 1.0}
ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)
_TOKEN = re.compile(r"[a-z0-9]+")
_NON_NAME_SUBTITLE = re.compile(r"^(part|chapter|episode|volume|vol|the movie|movie|book)\b", re.I)
_ROMAN = re.compile(r"^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$", re.I)


def fold(text: str) -> str:
    """Accents stripped ("Amélie" -> "Amelie")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def norm(text: str) -> str:
    """Lower-case alphanumeric words joined by single spaces; apostrophes join ("don't" -> "dont")."""
    text = fold(text).lower().replace("&", " and ").replace("'", "").replace("’", "")
    return " ".join(_TOKEN.findall(text))


@dataclass
class TitleIndex:
    """Normalised catalogue titles, for the ambiguity rules above."""

    catalog: Catalog
    titles: dict[str, set[int]] = field(default_factory=dict)  # norm(title) and norm(title minus article) -> items
    exact: dict[str, set[int]] = field(default_factory=dict)  # norm(title) only

    def __post_init__(self):
        for m in self.catalog.movies:
            key = norm(m.title)
            if not key:
                continue
            self.exact.setdefault(key, set()).add(m.item)
            self.titles.setdefault(key, set()).add(m.item)
            bare = norm(ARTICLE.sub("", m.title))
            if bare and bare != key:
                self.titles.setdefault(bare, set()).add(m.item)
        self.partials: dict[int, list[str]] = {}  # item -> partial_forms, computed once

    def other_title(self, text: str, item: int) -> bool:
        """Is `text` (normalised) the title of a catalogue movie other than `item`?"""
        return bool(self.titles.get(norm(text), set()) - {item})

    def shared(self, text: str) -> bool:
        """Does `text` name several catalogue movies (after normalisation)?"""
        return len(self.titles.get(norm(text), ())) > 1

    def begins_other(self, part: str, item: int) -> bool:
        """Does another catalogue title begin with the words of `part`?"""
        key = norm(part)
        for m in self.catalog.movies:
            if m.item != item:
                t = norm(m.title)
                if t == key or t.startswith(key + " "):
                    return True
        return False


def _words(text: str) -> list[str]:
    return norm(text).split()


def partial_forms(movie: Movie, index: TitleIndex) -> list[str]:
    """The unambiguous colon prefix / subtitle of a title (see the module docstring)."""
    if ":" not in movie.title:
        return []
    head, tail = (s.strip() for s in movie.title.split(":", 1))
    out = []
    for part, is_sub in ((head, False), (tail, True)):
        if len(_words(part)) < 2 or len(part) < 6:
            continue
        numbered = any(w.isdigit() or _ROMAN.match(w) for w in _words(part))
        if is_sub and (len(_words(part)) < 3 or _NON_NAME_SUBTITLE.match(part) or numbered):
            continue
        if index.other_title(part, movie.item) or index.other_title(ARTICLE.sub("", part), movie.item):
            continue
        if index.begins_other(part, movie.item):
            continue
        out.append(part)
    return out


def typo(word: str, rng: random.Random) -> str:
    """One swapped, dropped or doubled letter (never the first); the result always differs."""
    ops = ["swap", "drop", "double"]
    rng.shuffle(ops)
    for op in ops:
        if op == "swap":
            pos = [i for i in range(1, len(word) - 1) if word[i] != word[i + 1]]
            if pos:
                i = rng.choice(pos)
                return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        elif op == "drop":
            i = rng.randrange(1, len(word))
            return word[:i] + word[i + 1:]
        else:
            i = rng.randrange(1, len(word))
            return word[:i] + word[i] + word[i:]
    return word  # unreachable for words of >= 5 letters


_ALPHA_WORD = re.compile(r"[A-Za-z]{5,}")


def renderings(movie: Movie, index: TitleIndex, rng: random.Random) -> dict[str, str]:
    """Every applicable rendering kind -> text (the typo and partial choice use `rng`)."""
    t = movie.title
    out: dict[str, str] = {"title": t}
    if movie.year:
        out["exact_year"] = movie.display
    if t.lower() != t:
        out["lower"] = t.lower()
    bare = ARTICLE.sub("", t)
    if bare != t and bare.strip() and not index.other_title(bare, movie.item):
        out["no_article"] = bare
    plain = " ".join(re.sub(r"[^\w\s]|_", "", fold(t)).split())
    if plain and plain != t:
        out["no_punct"] = plain
    if movie.item not in index.partials:
        index.partials[movie.item] = partial_forms(movie, index)
    parts = index.partials[movie.item]
    if parts:
        out["partial"] = rng.choice(parts)
    words = list(_ALPHA_WORD.finditer(t))
    if words:
        w = rng.choice(words)
        out["typo"] = t[:w.start()] + typo(w.group(0), rng) + t[w.end():]
    return out


def render_title(movie: Movie, index: TitleIndex, rng: random.Random, kind: str | None = None) -> tuple[str, str]:
    """(kind, text) for one mention: `kind` if given and applicable, else a weighted random kind."""
    forms = renderings(movie, index, rng)
    if kind is not None and kind in forms:
        return kind, forms[kind]
    kinds = [k for k in KINDS if k in forms]
    k = rng.choices(kinds, weights=[WEIGHTS[x] for x in kinds])[0]
    return k, forms[k]


def utterance_rng(seed: int, dialogue: str, index: int) -> random.Random:
    """The RNG of one utterance: the same seed, dialogue and message index give the same draws."""
    return random.Random(f"{seed}:{dialogue}:{index}")


@dataclass
class RenderedUtterance:
    dialogue: str
    index: int  # message index in the dialogue
    raw: str  # the ReDial text with @ids
    text: str  # the rendered text
    gold: list[int]  # catalogue item per @id occurrence
    kinds: list[str]
    surfaces: list[str]  # the rendered title per occurrence
    shared: list[bool]  # rendered title names several catalogue movies


def render_utterance(raw: str, catalog: Catalog, index: TitleIndex, rng: random.Random,
                     dialogue: str = "", msg_index: int = 0) -> RenderedUtterance | None:
    """Replace every @id by a rendered title; None if an @id is not in the catalogue."""
    ids = MENTION.findall(raw)
    movies = [catalog.by_redial.get(i) for i in ids]
    if not ids or any(m is None for m in movies):
        return None
    gold, kinds, surfaces, shared = [], [], [], []
    it = iter(movies)

    def sub(_match):
        m = next(it)
        kind, text = render_title(m, index, rng)
        gold.append(m.item)
        kinds.append(kind)
        surfaces.append(text)
        shared.append(index.shared(text) if kind != "exact_year" else False)
        return text

    text = MENTION.sub(sub, raw)
    return RenderedUtterance(dialogue, msg_index, raw, text, gold, kinds, surfaces, shared)


class TitleMatcher:
    """Finds catalogue titles of >= `min_words` words (not counting a leading article) in text by
    exact normalised word match."""

    def __init__(self, catalog: Catalog, min_words: int = 2):
        self.keys: dict[str, set[int]] = {}
        for m in catalog.movies:
            key = norm(m.title)
            # Words besides a leading article: "the help" ("thanks for the help") does not count.
            if len(norm(ARTICLE.sub("", m.title)).split()) >= min_words:
                self.keys.setdefault(key, set()).add(m.item)
        self.max_n = max((len(k.split()) for k in self.keys), default=0)

    def find(self, text: str) -> list[str]:
        words = norm(text).split()
        found = []
        for n in range(min(self.max_n, len(words)), 1, -1):
            for i in range(len(words) - n + 1):
                gram = " ".join(words[i:i + n])
                if gram in self.keys:
                    found.append(gram)
        return found


def verbatim(title: str, raw: str) -> bool:
    """Does the catalogue `title` appear as typed, case-sensitively, as whole words in `raw`?

    One-word titles only count away from a sentence start ("Her" opening a sentence is a pronoun).
    """
    for m in re.finditer(r"(?<![\w@])" + re.escape(title) + r"(?!\w)", raw):
        if " " in title.strip():
            return True
        before = raw[:m.start()].rstrip()
        if before and before[-1] not in ".!?\"'(":
            return True
    return False
