"""An independent factual audit of the LLM sentences a reply kept, and `crs eval replies`.

The post-check (crs/dialogue/postcheck.py) decides what reaches the user; this module measures how
often what it let through is still wrong. It shares no code with the post-check or the entity linker:
titles are found by its own n-gram index of the catalogue (crs.data.movies), people and genres by the
KG's node names (kg.graph), and each claim is checked against the catalogue and the KG edges.

Claims checked in one sentence:

- title: a catalogue title named with a year no movie of that title has; a quoted or "(year)"-tagged
  title that is not in the catalogue; the same title named twice;
- year / decade: "released in 1989", "a 1990s classic", "films of the 1980s" about a movie of another year;
- genre: "X is a horror film" when neither the catalogue nor the KG gives X that genre;
- person: "directed by / starring / written by P" (or P named beside X) when P has no such credit on X.

A claim is about the titles of its clause; a clause without a title is about the titles of the
sentence's previous clause, else about the movie the reply is on (the turn's first card, or the
last movie a sentence before was about). "Like X, ..." and "if you liked X" name X for comparison only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_TOKEN = re.compile(r"[0-9A-Za-z\u00C0-\u024F]+(?:['’][0-9A-Za-z]+)*")
_PAREN_YEAR = re.compile(r"^\s*\(\s*(1[89]\d\d|20\d\d)\s*\)")
_QUOTES = re.compile(r"\"([^\"]{2,80})\"|“([^”]{2,80})”|\*([^*]{2,80})\*|_([^_]{2,80})_")
_CLAUSE_SPLIT = re.compile(r"[,;:–—]|\s-\s|\b(?:while|whereas|but|although|though)\b", re.I)
_COMPARISON = re.compile(r"^\s*(?:just\s+)?(?:like|unlike|as with|similar to|if you (?:liked|loved|enjoyed|like|love|enjoy)|"
                         r"since you (?:liked|loved|enjoyed|like|love|enjoy)|fans of|for fans of|after)\b", re.I)
_PREFERENCE = re.compile(r"\b(?:you\s+(?:\w+\s+)?(?:like|love|enjoy|liked|loved|enjoyed|prefer|want|mentioned)|your|fans?\s+of"
                         r"|lovers?\s+of)\b", re.I)
_DECADES = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
            "seventies": 1970, "eighties": 1980, "nineties": 1990}
_DECADE_TOKEN = re.compile(r"^(?:(1[89]|20)(\d)0s|(\d)0s)$")
_RELEASE_CUES = ("released", "from", "made", "came", "premiered", "debuted", "in", "of")
_SETTING_CUES = ("set", "takes", "place", "during", "back", "living", "lives", "age", "aged", "his", "her", "their")
_KIND_WORDS = {"film", "films", "movie", "movies", "flick", "flicks", "classic", "classics", "picture", "story",
               "tale", "masterpiece", "epic", "fare", "genre", "hit", "gem"}
_NOUN_GENRES = {"thriller", "thrillers", "comedy", "comedies", "drama", "dramas", "western", "westerns",
                "musical", "documentary", "romance", "biopic"}
_CLAIM_LEAD = {"is", "was", "are", "were", "a", "an", "this", "that", "its", "it's", "as", "the", "great", "classic"}
_AUDIENCE = {"anyone", "someone", "everyone", "people", "fans", "viewers", "those", "audiences"}
_LOVES = {"loves", "love", "likes", "like", "enjoys", "enjoy", "appreciates", "appreciate"}
# Genre words as written -> catalogue/KG genre labels (normalised: lower case, "science fiction" -> "sci-fi").
_SYNONYMS = {
    "comedies": "comedy", "comedic": "comedy", "funny": None, "romantic": "romance", "thrillers": "thriller",
    "dramas": "drama", "dramatic": None, "scifi": "sci-fi", "animated": "animation", "cartoon": "animation",
    "westerns": "western", "documentaries": "documentary", "biopic": "biography", "biographical": "biography",
    "sports": "sport", "historical": "history", "noir": "film-noir", "musicals": "musical",
}
_ROLE_WORDS = {
    "director": {"directed", "director", "directors", "directing", "direction", "helmed", "directs", "filmmaker"},
    "writer": {"written", "writer", "writers", "wrote", "screenplay", "script", "penned", "novel", "book", "writes"},
    "star": {"starring", "stars", "star", "starred", "featuring", "features", "actor", "actress", "actors", "cast",
             "plays", "played", "performance", "performances", "role", "appears", "co-stars", "with", "acting"},
}
_CUE_WORDS = {"like", "unlike", "try", "watch", "see", "also", "and", "or", "how", "about", "then", "plus", "check"}
_KG_ROLE = {"director": "directing", "writer": "writing", "star": "cast"}
_CENTURIES = {"20th": 1901, "twentieth": 1901, "21st": 2001, "twenty-first": 2001, "twenty first": 2001}
# Kinds of film the KG knows as keywords, not genres: "superhero movies" must be tagged so.
_KEYWORD_KINDS = {"superhero": {"superhero", "super hero"}, "zombie": {"zombie"}, "vampire": {"vampire"},
                  "heist": {"heist"}, "dystopian": {"dystopia"}, "slasher": {"slasher"}}
_COMMON = frozenset(
    "a an the i you he she it we they is are was were be been and or but if so as of in on at to for with from by "
    "about like not no yes what which who how why when where there here also than then just more most very too "
    "all any some one this that these those my your his her its our their up us big her them me do go".split())


def _norm(text: str) -> str:
    return " ".join(t.lower().replace("’", "'") for t in _TOKEN.findall(text))


def _genre_label(name: str) -> str:
    name = name.lower().strip()
    return {"science fiction": "sci-fi", "science-fiction": "sci-fi", "musical": "musical"}.get(name, name)


@dataclass
class Claim:
    kind: str  # title, year, decade, genre, person, repeat
    text: str  # the words of the claim as written
    movie: str | None  # the movie it is about (display title), when there is one
    ok: bool
    reason: str = ""


@dataclass
class SentenceAudit:
    sentence: str
    about: list[str] = field(default_factory=list)  # movies the sentence was taken to be about
    claims: list[Claim] = field(default_factory=list)

    @property
    def errors(self) -> list[Claim]:
        return [c for c in self.claims if not c.ok]

    def to_dict(self) -> dict:
        return {"sentence": self.sentence, "about": self.about, "claims": [asdict(c) for c in self.claims],
                "errors": [f"{c.kind}: {c.reason}" for c in self.errors]}


class ReplyAuditor:
    """Finds checkable claims in a sentence and checks them against the catalogue and the KG."""

    def __init__(self, catalog=None, graph=None):
        if catalog is None:
            from crs.data.movies import cached_catalog

            catalog = cached_catalog()
        if graph is None:
            from kg.graph import cached_graph

            graph = cached_graph()
        self.catalog, self.graph = catalog, graph
        self.titles: dict[str, list] = {}
        for m in catalog.movies:
            self.titles.setdefault(_norm(m.title), []).append(m)
        self.max_tokens = max((len(k.split()) for k in self.titles), default=1)
        self.people: dict[str, set[int]] = {}
        self.other_names: set[str] = set()  # keywords, genres, companies: quoted, they are no titles
        genres: set[str] = set()
        for node, data in graph.nodes(data=True):
            kind, name = data.get("type"), str(data.get("name", ""))
            if kind == "person":
                self.people.setdefault(_norm(name), set()).add(node)
            elif kind != "movie":
                self.other_names.add(_norm(name))
                if kind == "genre":
                    genres.add(_genre_label(name))
        genres |= {_genre_label(g) for m in catalog.movies for g in m.genres}
        for m in catalog.movies:  # people the catalogue credits but the KG does not know
            for n in m.directors + m.writers + m.stars:
                self.people.setdefault(_norm(n), set())
        self.genre_words = {g: g for g in genres if " " not in g} | {"sci-fi": "sci-fi", "scifi": "sci-fi"}
        self.genre_words.update({k: v for k, v in _SYNONYMS.items() if v})
        self.max_person_tokens = max((len(k.split()) for k in self.people), default=1)

    # ------------------------------------------------------------------ facts of one movie
    def _kg(self, movie, relation: str) -> set[int]:
        g = self.graph
        if movie.entity not in g:
            return set()
        return {nb for _, nb, d in g.out_edges(movie.entity, data=True) if d.get("relation") == relation}

    def movie_genres(self, movie) -> set[str]:
        kg = {_genre_label(self.graph.nodes[n].get("name", "")) for n in self._kg(movie, "genre")}
        return kg | {_genre_label(g) for g in movie.genres}

    def credited(self, movie, person_key: str, role: str | None) -> bool:
        roles = [role] if role else list(_ROLE_WORDS)
        for r in roles:
            listed = {"director": movie.directors, "writer": movie.writers, "star": movie.stars}[r]
            if person_key in {_norm(n) for n in listed}:
                return True
            if self.people.get(person_key, set()) & self._kg(movie, _KG_ROLE[r]):
                return True
        return False

    # ------------------------------------------------------------------ reading a sentence
    def _tokens(self, sentence: str) -> list[re.Match]:
        return list(_TOKEN.finditer(sentence))

    def _find_titles(self, sentence: str, toks: list[re.Match], card_keys: set[str]) -> list[dict]:
        """Catalogue titles in the sentence, longest first, each with its char span and stated year."""
        found, taken = [], set()
        quoted = [(m.start(), m.end()) for m in _QUOTES.finditer(sentence)]
        for n in range(min(self.max_tokens, len(toks)), 0, -1):
            for i in range(len(toks) - n + 1):
                if any(k in taken for k in range(i, i + n)):
                    continue
                words = [t.group(0) for t in toks[i:i + n]]
                key = " ".join(w.lower().replace("’", "'") for w in words)
                if key not in self.titles:
                    continue
                start, end = toks[i].start(), toks[i + n - 1].end()
                ym = _PAREN_YEAR.match(sentence[end:])
                in_quotes = any(a <= start and end <= b for a, b in quoted)
                if not (words[0][:1].isupper() or words[0][:1].isdigit()):
                    continue
                if n == 1 and len(key) <= 3 and i > 0 and sentence[toks[i - 1].end():start].isspace() and (
                        toks[i - 1].group(0)[:1].isupper() or toks[i - 1].group(0)[:1].isdigit()):
                    continue  # "Blorgon Quest 2 (1987)": the end of a longer name, not the movie "2"
                significant = [w for w in words if w.lower() not in _COMMON]
                capitalised = sum(w[:1].isupper() or w[:1].isdigit() for w in significant)
                if not (ym or in_quotes):
                    if key in card_keys:
                        if n == 1 and (len(key) < 4 or key in _COMMON):
                            continue  # "It", "Up": only with a year or in quotes
                    elif capitalised < 2 or capitalised < len(significant):
                        continue  # "The Other", "Big": a common word, unless tagged
                taken.update(range(i, i + n))
                found.append({"key": key, "start": start, "end": end + (ym.end() if ym else 0),
                              "year": int(ym.group(1)) if ym else None, "text": sentence[start:end]})
        return sorted(found, key=lambda f: f["start"])

    def _untitled_tags(self, sentence: str, titles: list[dict]) -> list[str]:
        """Capitalised words tagged with "(year)" or in quotes that are no catalogue title."""
        out = []
        covered = [(t["start"], t["end"]) for t in titles]
        for m in re.finditer(r"\(\s*(?:1[89]|20)\d\d\s*\)", sentence):
            if any(a <= m.start() < b for a, b in covered):
                continue
            before = self._tokens(sentence[: m.start()])
            words: list[str] = []
            for t in reversed(before):
                w = t.group(0)
                if sentence[t.end():m.start()].strip(" '\"”*_") and not words:
                    break  # something else sits between the words and the year
                if w[:1].isupper() or w[:1].isdigit() or (words and w.lower() in {"of", "the", "a", "and", "in", "to"}):
                    words.insert(0, w)
                else:
                    break
            while words and not words[0][:1].isupper():
                words.pop(0)
            first = before[0].group(0) if before else ""
            # The whole capitalised run must be a title, give or take leading cue words ("Like", "Try").
            lead = 0
            while lead < len(words) - 1 and (words[lead].lower() in _CUE_WORDS or (lead == 0 and words[0] == first)):
                lead += 1
            keys = [" ".join(x.lower().replace("’", "'") for x in words[k:]) for k in range(lead + 1)]
            if words and not any(k in self.titles for k in keys):
                out.append(" ".join(words) + " " + m.group(0))
        for m in _QUOTES.finditer(sentence):
            inner = next(g for g in m.groups() if g is not None).strip()
            key = _norm(inner)
            if not inner[:1].isupper() or key in self.other_names or key in self.people:
                continue
            if key not in self.titles and not any(a <= m.start() + 1 < b for a, b in covered):
                out.append(inner)
        return out

    def _people_in(self, sentence: str, toks: list[re.Match]) -> list[tuple[str, int, int]]:
        out, taken = [], set()
        for n in range(min(self.max_person_tokens, len(toks)), 1, -1):
            for i in range(len(toks) - n + 1):
                if any(k in taken for k in range(i, i + n)):
                    continue
                words = [t.group(0) for t in toks[i:i + n]]
                if not all(w[:1].isupper() for w in words):
                    continue
                key = " ".join(w.lower().replace("’", "'") for w in words)
                key = re.sub(r"'s$", "", key)  # "Stanley Kubrick's"
                if key in self.people:
                    taken.update(range(i, i + n))
                    out.append((key, i, i + n))
        return out

    def _movie_for(self, title: dict, cards: list) -> Any:
        cands = self.titles[title["key"]]
        if title["year"] is not None:
            cands = [m for m in cands if m.year == title["year"]]
            if not cands:
                return None
        on_card = [m for m in cands if m.item in {c.item for c in cards}]
        return (on_card or sorted(cands, key=lambda m: -m.mentions))[0]

    def audit(self, sentence: str, cards: Iterable[Any] = (), subject: Any = None) -> SentenceAudit:
        """Audit one sentence; `cards` are the turn's card items (ids or objects with .item),
        `subject` the movie the reply is on (default: the first card)."""
        cards = [self.catalog[c if isinstance(c, int) else c.item] for c in cards]
        if subject is None and cards:
            subject = cards[0]
        rec = SentenceAudit(sentence)
        toks = self._tokens(sentence)
        titles = self._find_titles(sentence, toks, {_norm(c.title) for c in cards})
        # ---- titles: years, unknown titles, repeats
        keys = Counter(t["key"] for t in titles)
        for key, n in keys.items():
            if n > 1:
                rec.claims.append(Claim("repeat", key, None, False, f"title named {n} times"))
        for t in titles:
            t["movie"] = self._movie_for(t, cards)
            if t["year"] is not None:
                real = sorted({m.year for m in self.titles[t["key"]] if m.year})
                rec.claims.append(Claim("title", f"{t['text']} ({t['year']})", t["movie"].display if t["movie"] else None,
                                        t["movie"] is not None,
                                        "" if t["movie"] else f"wrong year {t['year']}: {t['text']} is {real}"))
        for bad in self._untitled_tags(sentence, titles):
            rec.claims.append(Claim("title", bad, None, False, f"{bad!r} is not a movie in the catalogue"))
        # ---- what each clause is about
        bounds = [0] + [m.end() for m in _CLAUSE_SPLIT.finditer(sentence)] + [len(sentence) + 1]
        clauses = [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]

        def about(pos: int) -> list:
            carried = None
            for a, b in clauses:
                named = [t["movie"] for t in titles if a <= t["start"] < b and t["movie"] is not None]
                refs_only = _COMPARISON.match(sentence[a:b]) is not None
                if a <= pos < b:
                    if named and not refs_only:
                        return named
                    return carried or ([subject] if subject is not None else [])
                if named and not refs_only:
                    carried = named
            return [subject] if subject is not None else []

        question = sentence.rstrip().endswith("?")
        low_toks = [t.group(0).lower().replace("’", "'") for t in toks]
        # ---- decades and years
        for i, t in enumerate(toks):
            word = low_toks[i]
            prev = low_toks[max(0, i - 3):i]
            decade = None
            dm = _DECADE_TOKEN.match(word.replace("'", ""))
            if dm:
                decade = int(dm.group(1) + dm.group(2) + "0") if dm.group(1) else (
                    (2000 if int(dm.group(3)) < 2 else 1900) + 10 * int(dm.group(3)))
            elif word in _DECADES:
                decade = _DECADES[word]
            year = int(word) if re.fullmatch(r"(?:1[89]|20)\d\d", word) else None
            if year is not None and (_PAREN_YEAR.match(sentence[t.start() - 1:]) or any(
                    ti["start"] <= t.start() < ti["end"] for ti in titles)):
                continue  # a title's "(year)": checked with the title
            if decade is None and year is None:
                continue
            if question or any(w in _SETTING_CUES for w in prev) or _PREFERENCE.search(sentence[:t.start()][-40:]):
                continue  # a setting, an age or the user's taste
            if year is not None and not (prev and prev[-1] in _RELEASE_CUES):
                continue
            for m in about(t.start()):
                if not m.year:
                    continue
                ok = (m.year // 10 * 10 == decade) if decade is not None else m.year == year
                rec.claims.append(Claim("decade" if decade is not None else "year", t.group(0), m.display, ok,
                                        "" if ok else f"{m.display} is from {m.year}, not {t.group(0)}"))
        # ---- centuries ("one of the best films of the 21st century")
        for i, word in enumerate(low_toks[:-1]):
            first = _CENTURIES.get(word) or (_CENTURIES.get(word + " " + low_toks[i + 1]) if i + 2 < len(low_toks) else None)
            nxt = low_toks[i + 2] if word in ("twenty",) and i + 2 < len(low_toks) else low_toks[i + 1]
            if first is None or nxt != "century" or question or any(w in _SETTING_CUES for w in low_toks[max(0, i - 3):i]):
                continue
            for m in about(toks[i].start()):
                if m.year:
                    ok = first <= m.year < first + 100
                    rec.claims.append(Claim("decade", f"{word} century", m.display, ok,
                                            "" if ok else f"{m.display} is from {m.year}, not the {word} century"))
        # ---- kinds the KG tags as keywords ("superhero movies")
        for i, word in enumerate(low_toks[:-1]):
            if word not in _KEYWORD_KINDS or low_toks[i + 1] not in _KIND_WORDS or question:
                continue
            if _PREFERENCE.search(sentence[:toks[i].start()][-40:]):
                continue
            for m in about(toks[i].start()):
                tags = {_norm(self.graph.nodes[n].get("name", "")) for n in self._kg(m, "keyword")}
                ok = bool(tags & _KEYWORD_KINDS[word])
                rec.claims.append(Claim("genre", word, m.display, ok, "" if ok else f"{m.display} is not tagged {word}"))
        # ---- an audience named by genres ("a must-watch for anyone who loves action, adventure and horror"):
        # the movie is recommended as each of them
        for i in range(len(low_toks) - 2):
            if question or low_toks[i] not in _AUDIENCE or low_toks[i + 1] not in ("who", "that") \
                    or low_toks[i + 2] not in _LOVES:
                continue
            j, listed = i + 3, []
            while j < len(low_toks):
                word = low_toks[j]
                if word in ("and", "or"):
                    j += 1
                    continue
                two = " ".join(low_toks[j:j + 2])
                pair = two in ("science fiction", "sci fi")  # "sci-fi" is two tokens here
                label = "sci-fi" if pair else self.genre_words.get(word)
                if label is None:
                    break
                listed.append(label)
                j += 2 if pair else 1
            for m in about(toks[i].start()):
                have = self.movie_genres(m)
                missing = sorted(lb for lb in listed if lb not in have and not (lb == "musical" and "music" in have))
                if listed:
                    rec.claims.append(Claim("genre", "audience: " + ", ".join(listed), m.display, not missing,
                                            "" if not missing else f"{m.display} is not {', '.join(missing)}"))
        # ---- genres
        for i, word in enumerate(low_toks):
            hyphen_parts = word.split("-")
            label = self.genre_words.get(word) or (self.genre_words.get(hyphen_parts[0]) if len(hyphen_parts) > 1 else None)
            skip = 1
            if word == "science" and i + 1 < len(low_toks) and low_toks[i + 1] == "fiction":
                label, skip = "sci-fi", 2  # "science fiction" is two tokens
            if label is None:
                continue
            nxt = low_toks[i + skip] if i + skip < len(low_toks) else ""
            nxt2 = low_toks[i + skip + 1] if i + skip + 1 < len(low_toks) else ""
            kind_after = nxt in _KIND_WORDS or (nxt in self.genre_words and nxt2 in _KIND_WORDS) or (
                nxt in _NOUN_GENRES and word not in _NOUN_GENRES)
            noun_claim = word in _NOUN_GENRES and any(w in _CLAIM_LEAD for w in low_toks[max(0, i - 3):i]) and nxt not in (
                "of", "between", "with", "in", "to")
            if not (kind_after or noun_claim):
                continue
            if question or _PREFERENCE.search(sentence[:toks[i].start()][-40:]):
                continue
            labels = {label} | ({self.genre_words[p] for p in hyphen_parts if p in self.genre_words})
            for m in about(toks[i].start()):
                have = self.movie_genres(m)
                missing = sorted(lb for lb in labels if lb not in have and not (lb == "musical" and "music" in have))
                rec.claims.append(Claim("genre", toks[i].group(0), m.display, not missing,
                                        "" if not missing else f"{m.display} is not {', '.join(missing)} "
                                        f"(genres: {', '.join(sorted(have)) or 'none'})"))
        # ---- people
        for key, i, j in self._people_in(sentence, toks):
            window_before = low_toks[max(0, i - 4):i]
            window_after = low_toks[j:j + 3]
            role = None
            for r, words in _ROLE_WORDS.items():
                if any(w in words for w in window_after[:2]) and not (r == "star" and "with" in window_after[:2]):
                    role = r
                    break
            if role is None:
                best = -1
                for r, words in _ROLE_WORDS.items():
                    for k, w in enumerate(window_before):
                        if w in words and k > best:
                            role, best = r, k
            if role is None and (question or _PREFERENCE.search(sentence[:toks[i].start()][-40:])):
                continue
            for m in about(toks[i].start()):
                ok = self.credited(m, key, role)
                name = " ".join(t.group(0) for t in toks[i:j])
                rec.claims.append(Claim("person", f"{name} ({role or 'credit'})", m.display, ok,
                                        "" if ok else f"{name} is not credited as {role or 'anything'} on {m.display}"))
        rec.about = sorted({m.display for t in titles if (m := t["movie"]) is not None})
        return rec

    def audit_turn(self, sentences: Iterable[str], cards: Iterable[Any] = ()) -> list[SentenceAudit]:
        """Audit a turn's kept sentences in order; each is about the movie the previous one named
        last (outside a comparison), at first the turn's first card."""
        cards = list(cards)
        subject = None
        if cards:
            first = cards[0]
            subject = self.catalog[first if isinstance(first, int) else first.item]
        out = []
        for s in sentences:
            rec = self.audit(s, cards, subject)
            out.append(rec)
            toks = self._tokens(s)
            for t in reversed(self._find_titles(s, toks, {_norm(self.catalog[c if isinstance(c, int) else c.item].title)
                                                         for c in cards})):
                m = self._movie_for(t, [self.catalog[c if isinstance(c, int) else c.item] for c in cards])
                if m is not None and not _COMPARISON.match(s[:t["start"]].split(",")[-1] + " "):
                    subject = m
                    break
        return out


# ---------------------------------------------------------------------- crs eval replies
def read_turns(path: str | Path) -> list[dict]:
    """Turns from a JSONL file: lines {"kept": [...], "dropped": [...], "cards": [items]}, or the
    simulator's dialogues.jsonl (per system turn in "log": llm_kept, llm_dropped, cards)."""
    turns = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not JSON ({e})") from None
            if "log" in rec:
                for k, t in enumerate(rec["log"]):
                    if "system" in t:
                        turns.append({"kept": t.get("llm_kept", []), "dropped": t.get("llm_dropped", []),
                                      "cards": t.get("cards", []), "id": f"{rec.get('dialogue_id', n)}:{k + 1}",
                                      "action": t.get("action")})
            else:
                turns.append({"kept": rec.get("kept", []), "dropped": rec.get("dropped", []),
                              "cards": rec.get("cards", []), "id": rec.get("id", str(n)), "action": rec.get("action")})
    return turns


def evaluate_replies(transcripts: str | Path, out=None, auditor: ReplyAuditor | None = None,
                     max_examples: int = 20) -> dict:
    """Share of LLM sentences the post-check kept, and share of kept sentences with a factual error."""
    from eval.report import write_results
    from eval.rundir import make_run_dir, run_metadata

    turns = read_turns(transcripts)
    auditor = auditor or ReplyAuditor()
    kept = sum(len(t["kept"]) for t in turns)
    dropped = sum(len(t["dropped"]) for t in turns)
    records, kinds, claims = [], Counter(), Counter()
    for t in turns:
        cards = [int(c) for c in t["cards"] if 0 <= int(c) < len(auditor.catalog)]
        for rec in auditor.audit_turn(t["kept"], cards):
            records.append({"turn": t["id"], **rec.to_dict()})
            claims.update(c.kind for c in rec.claims)
            kinds.update({c.kind for c in rec.errors})
    wrong = [r for r in records if r["errors"]]
    metrics = {
        "turns": len(turns),
        "llm_sentences": kept + dropped,
        "kept_sentences": kept,
        "dropped_sentences": dropped,
        "kept_share": kept / (kept + dropped) if kept + dropped else None,
        "kept_with_error": len(wrong),
        "kept_error_share": len(wrong) / kept if kept else None,
        "claims_checked": sum(claims.values()),
        "claims_by_kind": dict(claims),
        "errors_by_kind": dict(kinds),
    }
    run_dir = make_run_dir(out, "replies")
    meta = run_metadata(None, {"transcripts": str(transcripts)})
    examples = [{"turn": r["turn"], "sentence": r["sentence"], "errors": "; ".join(r["errors"])} for r in wrong[:max_examples]]
    write_results(run_dir, metrics, meta, "Reply audit: LLM sentences kept by the post-check and their factual errors",
                  examples)
    with open(Path(run_dir) / "audit.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return {"run_dir": str(run_dir), **{k: v for k, v in metrics.items() if not isinstance(v, dict)},
            "examples": examples[:5]}
