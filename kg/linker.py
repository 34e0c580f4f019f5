"""Entity linking: @id mentions, movie titles (typo-tolerant), people, genres, keywords, with polarity."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from crs.data.movies import Catalog, cached_catalog
from crs.data.tmdkg import TMDKG, cached_tmdkg
from crs.paths import data_dir

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_YEAR = re.compile(r"^\(?((?:19|20)\d\d)\)?$")
MAX_NGRAM = 8
MAX_CHARS = 4000  # linking looks at the most recent text only; longer input is cut, not rejected

# Everyday words users write that are also genre names in other forms.
GENRE_SYNONYMS = {
    "scary": "horror", "horrors": "horror", "comedies": "comedy", "funny": "comedy", "romantic": "romance",
    "romcom": "romance", "animated": "animation", "cartoon": "animation", "cartoons": "animation",
    "scifi": "science fiction", "sci fi": "science fiction", "thrillers": "thriller", "documentaries": "documentary",
    "dramas": "drama", "westerns": "western", "musicals": "music", "action movies": "action",
}
LIKE_CUES = ("love", "loved", "like", "liked", "enjoy", "enjoyed", "favorite", "favourite", "great", "awesome",
             "amazing", "fan of", "into", "adore", "best", "good", "recommend", "fantastic", "want")
DISLIKE_CUES = ("hate", "hated", "dislike", "disliked", "boring", "awful", "terrible", "worst", "bad", "avoid",
                "without", "not into", "no more", "not really", "not my", "not a", "nothing", "except")
NEGATIONS = ("not", "never", "no", "dont", "didnt", "doesnt", "cant", "wont", "isnt", "wasnt", "nothing")
_CLAUSE = re.compile(r"([.!?;]+|\bbut\b|\bhowever\b|\bexcept\b|\bthough\b|\bwhile\b)")


@dataclass
class Mention:
    entity: int
    type: str  # movie, person, genre, keyword, company, language
    name: str
    span: tuple[int, int]  # token span in the normalised text
    polarity: str = "neutral"  # liked, disliked or neutral
    item: int | None = None  # catalogue item for movies
    score: float = 100.0


@dataclass
class Ambiguity:
    """A typed title that fits several catalogue movies equally well ("Heat": 1995 or The Heat, 2013)."""

    text: str  # the words as the user typed them
    items: list[int]  # candidate catalogue items, most likely first


@dataclass
class LinkResult:
    mentions: list[Mention] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)

    def of_type(self, *types: str) -> list[Mention]:
        return [m for m in self.mentions if m.type in types]

    @property
    def entities(self) -> list[int]:
        return [m.entity for m in self.mentions]


def normalise(text: str) -> list[str]:
    text = text.lower().replace("’", "'").replace("-", " ").replace("&", " and ")
    return _WORD.findall(text)


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
        self.titles: dict[str, list[int]] = {}  # normalised title -> items
        for m in catalog.movies:
            for t in {m.title, re.sub(r"^(the|a|an) ", "", m.title.lower())}:
                key = " ".join(normalise(t))
                if key:
                    self.titles.setdefault(key, []).append(m.item)
        self.multiword_titles = [t for t in self.titles if " " in t and len(t) >= 8]
        self.people = [k for k, vs in self.names.items() if any(t == "person" for _, t in vs) and " " in k]

    def link(self, text: str, movies: bool = True, fuzzy: bool = True) -> LinkResult:
        """All mentions in `text`, longest match first, non-overlapping."""
        text = text[-MAX_CHARS:]
        out: list[Mention] = []
        if movies:
            for match in re.finditer(r"@(\d+)", text):
                m = self.catalog.by_redial.get(match.group(1))
                if m is not None:
                    pol = _clause_polarity(text, match.start())
                    out.append(Mention(m.entity, "movie", m.display, (-1, -1), pol, item=m.item))
        clean = re.sub(r"@\d+", " ", text)
        tokens = normalise(clean)
        raw_tokens = re.findall(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?", clean.replace("-", " ").replace("&", " and "))
        taken = [False] * len(tokens)
        for n in range(min(MAX_NGRAM, len(tokens)), 0, -1):
            for i in range(len(tokens) - n + 1):
                if any(taken[i:i + n]):
                    continue
                gram = " ".join(tokens[i:i + n])
                found = self._match(gram, n, i, tokens, raw_tokens, movies, fuzzy)
                if found:
                    for f in found:
                        f.span = (i, i + n)
                    out.extend(found)
                    taken[i:i + n] = [True] * n
        self._assign_polarity(clean, tokens, out)
        return LinkResult(out)

    def _match(self, gram, n, i, tokens, raw_tokens, movies, fuzzy) -> list[Mention]:
        if movies and gram in self.titles and self._title_ok(gram, n, i, raw_tokens):
            return [self._movie(gram, tokens, i + n, 100.0)]
        if gram in GENRE_SYNONYMS:
            eid, _ = self.genre_by_name.get(GENRE_SYNONYMS[gram], (None, None))
            if eid is not None:
                return [Mention(eid, "genre", self.display[eid], (i, i + n))]
        if gram in self.names:
            return [Mention(eid, t, self.display[eid], (i, i + n)) for eid, t in self.names[gram][:1]]
        if not fuzzy or n < 2 or len(gram) < 8:
            return []
        if movies and (n >= 3 or self._capitalised(raw_tokens, i, n) or tokens[i] in ("the", "a")):
            hit = process.extractOne(gram, self.multiword_titles, scorer=fuzz.ratio, score_cutoff=self.fuzzy_threshold)
            # A plural ("scary movies") is a description, not a misspelt title.
            if hit and gram.rstrip("s") != hit[0].rstrip("s"):
                return [self._movie(hit[0], tokens, i + n, hit[1])]
        if n in (2, 3):
            hit = process.extractOne(gram, self.people, scorer=fuzz.ratio, score_cutoff=self.fuzzy_threshold - 2)
            if hit:
                eid, t = self.names[hit[0]][0]
                return [Mention(eid, t, self.display[eid], (i, i + n), score=hit[1])]
        return []

    def _title_ok(self, gram: str, n: int, i: int, raw_tokens: list[str]) -> bool:
        """Short titles ('Up', 'Her', 'It') are common words: require capitals or being long."""
        if n >= 3 or (n == 2 and len(gram) >= 8):
            return True
        return self._capitalised(raw_tokens, i, n) and i > 0

    @staticmethod
    def _capitalised(raw_tokens: list[str], i: int, n: int) -> bool:
        raw = raw_tokens[i:i + n] if len(raw_tokens) >= i + n else []
        return bool(raw) and all(w[:1].isupper() for w in raw)

    def _movie(self, title_key: str, tokens: list[str], after: int, score: float) -> Mention:
        items = self.titles[title_key]
        year = None
        if after < len(tokens) and _YEAR.match(tokens[after]):
            year = int(_YEAR.match(tokens[after]).group(1))
        # Prefer the stated year, else the most-mentioned movie of that title.
        best = max(items, key=lambda it: (self.catalog[it].year == year, self.catalog[it].mentions))
        m = self.catalog[best]
        return Mention(m.entity, "movie", m.display, (0, 0), item=m.item, score=score)

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
