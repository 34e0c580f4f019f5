"""Post-check of generated text: drop any sentence that is not readable text, that names a movie or
person the system did not supply, that contradicts the supplied facts (a wrong year or decade, a
genre or a person the movie does not have, a title named twice), or that is an apology or meta-talk."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kg.linker import EntityLinker

# A full stop after an initial or a title ("J.D. Sloane", "Dr. No") does not end the sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b[A-Z]\.)(?<!\b(?:Mr|Ms|Dr|St|Jr|Sr)\.)(?<!\bMrs\.)\s+|\n+")
_PROPER = re.compile(r"\b([A-Z][a-z'’]+(?:\s+(?:[A-Z][a-z'’.]*|of|the|and|&)){1,5})")
_STARTS_SENTENCE = re.compile(r"(?:^|[.!?:]\s+|[\"“(]\s*)$")
_QUOTED = re.compile(r"[\"“*_]([^\"”*_]{3,60})[\"”*_]")
_YEAR = re.compile(r"\((?:19|20)\d\d\)")
_ECHO = re.compile(r"\b(User|CineBot|Assistant|System|Facts|What we know)\s*:|\bthe user\b|"
                   r"\b(as an ai|language model|i'?m (not capable|unable|sorry for the confusion)|i cannot)\b", re.I)
_ROLE_LINE = re.compile(r"(?:User|CineBot|Assistant|System)\s*:", re.I)
# Apologies and talk about the conversation itself ("I'm sorry for any confusion", "I hope this helps").
_META = re.compile(
    r"\b(?:i'?m|i am)\s+(?:so\s+|very\s+|really\s+|truly\s+)?sorry\b|\bsorry\s+(?:for|about|if|but)\b|^sorry\b|"
    r"\bapologi[sz]e|\bmy apologies\b|\bconfusion\b|"
    r"\bas (?:a|an|your)\s+(?:\w+\s+){0,2}(?:recommender|assistant|ai|chatbot|bot|model)\b|"
    r"\bi hope (?:this|that|it|you find)\b|\bi'?m (?:here|ready|happy|glad) to (?:help|assist)\b|\bassist you\b|"
    r"\bcan you recommend\b|\blet me know\b|\bfeel free\b|\bdon'?t hesitate\b|"
    r"\bhere (?:are|is) (?:some|a few|a list|my|the|what)\b|\bhere'?s (?:a list|some|a few)\b|"
    r"\bi (?:don'?t|do not) have\b|\bi (?:can'?t|cannot|am unable to|'m unable to) (?:help|provide|recommend|find|access)\b|"
    r"\b(?:the|these|those) facts\b|\b(?:do not|don'?t|never) (?:name|invent)\b|\bask the user\b|\breply (?:briefly|in)\b|"
    r"\b(?:in|at most) (?:two|three) short sentences\b|\bmentioning the first title\b|\buse only\b|"
    r"\b(?:information|details) (?:provided|given|above)\b|"
    r"\bbased on (?:the|your) (?:information|facts|preferences|input)\b|"
    r"\b(?:i'?m|i am) not (?:sure|certain)\b|"  # "I'm not sure if I'd recommend this movie": hedging, no content
    r"\bnot available\b|\bin (?:the|this) chat\b|"  # "This answer is not available in the chat."
    r"\bmy (?:all[- ]time )?(?:favou?rite|fave)\b|\brecommend (?:me )?something\b|"  # the user's words in its mouth
    r"\bknowledge graph\b|\b(?:is|are) linked to\b", re.I)  # the explanation's own words: only KG paths say them
# The small LLM continuing the prompt's "What we know: The user likes ..." in the third person
# ("They enjoy action.", "They're in the mood for comedy.", "They should watch these movies.").
_USER_TALK = re.compile(
    r"^(?:they|they'?re|they'?ve|they'?d|they'?ll)\b\s*(?:are\s+|have\s+|also\s+|might\s+|may\s+|should\s+|would\s+|"
    r"really\s+|both\s+|don'?t\s+|do not\s+|not\s+|'re\s+|'ve\s+)*(?:enjoy|like|love|want|prefer|watch|recommend|try|"
    r"look|looking|in the mood|fans?|interested|into|not sure|mentioned|said|liked|loved|enjoyed|seen|watched|"
    r"a fan|already|have a)\b", re.I)
# The prompt's fact lines echoed ("X (2002); action, thriller; directed by ...", "Why it fits: ...", "Cinema: ...").
_FACT_ECHO = re.compile(r";[^;]*;|^why it fits\b|^[A-Z][\w ]{0,20}:(?:\s|$)|:\s*also\b", re.I)
_CLAIM = re.compile(r"\b(directed|written|starring|stars|starred)\s+(?:by\s+)?([A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+)*)")
_INITIALS = re.compile(r"\b((?:[A-Z]\.\s?){1,3}[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+)?)")  # "J.D. Sloane"
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Words nearly every English sentence of more than a few words contains; token soup rarely does.
_FUNCTION_WORDS = frozenset(
    "a an the i you he she it we they me my your his her its our their this that these those is are was were be "
    "been am do does did have has had will would can could should may might must and or but if so as of in on at "
    "to for with from by about like not no yes what which who how why when where there here also than then just "
    "more most very too all any some one".split()
)


def readable(sentence: str) -> bool:
    """False for token soup (what a random-init or broken model emits): broken bytes, control
    characters, mostly symbols, a word repeated three times, glued camelCase pieces, or a longer
    sentence without a single English function word."""
    s = sentence.strip()
    if not s or any(ch == "\ufffd" or (unicodedata.category(ch)[0] == "C" and ch not in "\t\n\r") for ch in s):
        return False
    words = _WORDS.findall(s)
    if not words or sum(map(len, words)) < 0.6 * len(re.sub(r"\s+", "", s)):
        return False
    lower = [re.split(r"['’]", w)[0].lower() for w in words]
    if any(lower[i] == lower[i + 1] == lower[i + 2] for i in range(len(lower) - 2)):
        return False
    trigrams = [tuple(lower[i:i + 3]) for i in range(len(lower) - 2)]
    if trigrams and max(trigrams.count(t) for t in set(trigrams)) >= 3:
        return False  # a looping model ("The Shining, The Shape of Water, The Shining, ...")
    if sum(bool(re.search(r"[a-z][A-Z]", w)) for w in words) > max(1, len(words) // 5):
        return False
    if len(words) >= 4 and sum(w in _FUNCTION_WORDS for w in lower) < 0.15 * len(words):
        return False
    return True


# Debris of a small model decoding soft item tokens: a stray capital ("Liar Liar L drama") or a
# bracketed number that is not a year ("(4)").
_TERMINATED = re.compile(r"[.!?…][\"”’')]*$")
_DEBRIS = re.compile(r"(?<![\w.])(?![AI]\b)[A-Z](?![\w.'’])|\((?!(?:19|20)\d\d\))\d+\)")


# ----------------------------------------------------------------------------- facts of the turn
# Genre words as the LLM writes them -> the catalogue's genre labels (IMDb) and the KG's (TMDKG).
GENRE_WORDS = {
    "horror": {"horror"}, "comedy": {"comedy"}, "comedies": {"comedy"}, "comedic": {"comedy"},
    "rom-com": {"romance", "comedy"}, "romcom": {"romance", "comedy"}, "romance": {"romance"},
    "romantic": {"romance"}, "thriller": {"thriller"}, "thrillers": {"thriller"}, "drama": {"drama"},
    "dramas": {"drama"}, "sci-fi": {"sci-fi", "science fiction"}, "science fiction": {"sci-fi", "science fiction"},
    "science-fiction": {"sci-fi", "science fiction"}, "action": {"action"}, "adventure": {"adventure"},
    "animated": {"animation"}, "animation": {"animation"}, "cartoon": {"animation"}, "fantasy": {"fantasy"},
    "mystery": {"mystery"}, "crime": {"crime"}, "war": {"war"}, "western": {"western"}, "westerns": {"western"},
    "documentary": {"documentary"}, "musical": {"musical", "music"}, "biopic": {"biography"},
    "biographical": {"biography"}, "sports": {"sport"}, "family": {"family"}, "historical": {"history"},
    "noir": {"film-noir"}, "superhero": {"superhero"},  # a KG keyword: only a card reason or plot that says it
}
_GENRE_ALT = "|".join(sorted((re.escape(w) for w in GENRE_WORDS), key=len, reverse=True))
_GENRE_WORD = re.compile(rf"(?<![\w-])(?:{_GENRE_ALT})(?![\w-])", re.I)
_GENRE_PART = re.compile(rf"(?<!\w)(?:{_GENRE_ALT})(?!\w)", re.I)
_KIND = r"(?:films?|movies?|flicks?|classics?|masterpieces?|pictures?|stor(?:y|ies)|tales?|genre|fare|elements?|epics?|hits?)"
# "a horror film", "a crime thriller", "horror-comedy classic": a genre word naming what a film is.
_GENRE_CLAIM = re.compile(
    rf"\b(?:elements|mix|blend|combination|combines|combining|mixes|blends)\s+(?:of\s+)?"
    rf"(?:{_GENRE_ALT})(?:\s*,\s*(?:and\s+|or\s+)?(?:{_GENRE_ALT})|\s+(?:and|with|or)\s+(?:{_GENRE_ALT}))*"
    rf"|\b({_GENRE_ALT})(?:[\s-]+(?:and\s+|&\s+|/)?(?:{_GENRE_ALT}))*[\s-]+{_KIND}\b"
    rf"|\b(?:is|was|are|were|it'?s|a|an|this|that|as)\s+(?:[a-z]+[\s-]+){{0,2}}"
    rf"(?:thriller|comedy|drama|western|musical|documentary|romance|biopic|horror|fantasy)s?\b"
    rf"(?!\s*(?:-|of|in|to|between)\b)"  # "a crime drama with a twist" still claims crime and drama
    # "I'd recommend Seven to anyone who loves horror": an audience named by a genre claims it
    rf"|\b(?:anyone|someone|people|fans|viewers|those|everyone|audiences?)\s+(?:who|that)\s+(?:really\s+)?"
    rf"(?:loves?|likes?|enjoys?|appreciates?|(?:is|are)\s+into)\s+(?:{_GENRE_ALT})\b"
    # ... every genre of the list ("anyone who loves action, adventure, sci-fi, and horror")
    rf"(?:\s*,\s*(?:and\s+|or\s+)?(?:{_GENRE_ALT})\b|\s+(?:and|or|&)\s+(?:{_GENRE_ALT})\b)*"
    rf"|\b(?:popular|favou?rite|hit|choice|pick|must-see|must-watch)\s+(?:\w+\s+){{0,2}}(?:among|with|for)\s+"
    rf"(?:\w+\s+){{0,2}}(?:fans|lovers|viewers|audiences?|people)\s+of\s+(?:{_GENRE_ALT})"
    rf"(?:\s+(?:and|or|&)\s+(?:{_GENRE_ALT}))*\b",
    re.I)
# "one of the best films of the 21st century": a century the movie must be from
_CENTURY = re.compile(r"\b(20th|21st|twentieth|twenty[- ]first)[- ]century\b", re.I)
# "if you love horror films", "your taste for the 80s", "fans of Jack Nicholson": the user's taste, not a claim.
_USER_SIDE = re.compile(r"(?:\byou\s+(?:really\s+|also\s+|already\s+)?(?:love|like|enjoy|liked|loved|enjoyed|prefer|"
                        r"want|are into|mentioned|said)|\byou'?re into|\byour|\bfans?\s+of|\blovers?\s+of)\b[^.,;]*$", re.I)
_DECADE = re.compile(r"\b(?:(19|20)(\d)0'?s|'(\d)0s|(?<!\d)(\d)0'?s)\b|\b(twenties|thirties|forties|fifties|sixties|seventies"
                     r"|eighties|nineties)\b", re.I)
_DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
                 "eighties": 8, "nineties": 9}
_BARE_YEAR = re.compile(r"(?<![\d(])((?:19|20)\d\d)(?![\d)]|'?s\b)")
_SETTING = re.compile(r"\b(?:set|takes? place|taking place|located|living|lives|during|back)\b[\w\s,]{0,20}$", re.I)
# "They're both comedy films", "Both are classics": a claim about every movie the turn supplied.
_PLURAL = re.compile(r"\b(?:they|they'?re|both|these|those|all of them|the two)\b", re.I)
_PRONOUN = re.compile(r"\b(?:it|its|it'?s|this film|this movie|this one|the film|the movie|that film)\b", re.I)
_GROUP_GAP = re.compile(r"^\s*(?:,|and|&|,\s*and|or|,\s*or)\s*$", re.I)
_ROLE_AFTER = {
    "directors": re.compile(r"^['’]?s?\s*(?:\w+\s+){0,2}(?:directed|directs|helmed|directing|direction)\b", re.I),
    "writers": re.compile(r"^['’]?s?\s*(?:\w+\s+){0,2}(?:wrote|writes|penned|screenplay|script|novel)\b", re.I),
    "stars": re.compile(r"^['’]?s?\s*(?:\w+\s+){0,2}(?:stars|starred|plays|played|acts|acted|appears|performance|"
                        r"role|gives|is (?:great|brilliant|terrific|amazing|excellent) in)\b", re.I),
}
_CONTENT = re.compile(r"[A-Za-z][a-z'’-]{3,}")
_PLOT_CLAIM = re.compile(r"\b(?:is about|are about|tells the story|the story of|follows|centers on|centres on|"
                         r"revolves around|focuses on|the plot|who (?:is|are|was|must|tries|becomes))\b", re.I)


_VAGUE = frozenset("great good classic amazing film films movie movies story stories tale character characters "
                   "thrilling exciting fun funny perfect wonderful interesting compelling gripping powerful "
                   "journey life world people time things someone something".split())


@dataclass
class _Facts:
    """What the system knows about one movie: merged from its card and its catalogue entry."""

    item: Any
    title: str
    year: int | None
    genres: set[str] = field(default_factory=set)
    people: dict[str, set[str]] = field(default_factory=lambda: {"directors": set(), "writers": set(), "stars": set()})
    text: str = ""  # the card's KG reason and the plot: what else may be said of it


def _merge_facts(facts: Mapping[Any, Any] | Iterable[Any] | None) -> list[_Facts]:
    """Cards and/or catalogue movies (anything with title, year, genres, directors, stars; writers,
    reason and plot if it has them), merged by item."""
    if facts is None:
        return []
    objs = list(facts.values()) if isinstance(facts, Mapping) else list(facts)
    out: dict[Any, _Facts] = {}
    for o in objs:
        key = getattr(o, "item", id(o))
        f = out.setdefault(key, _Facts(key, o.title, o.year))
        f.year = f.year or o.year
        f.genres |= {g.lower() for g in (getattr(o, "genres", None) or [])}
        for role in ("directors", "writers", "stars"):
            f.people[role] |= {n.lower() for n in (getattr(o, role, None) or [])}
        f.text += " " + " ".join(str(getattr(o, a, "") or "") for a in ("reason", "plot"))
    for f in out.values():
        f.text = f.text.lower()
    return list(out.values())


def _stem(w: str) -> str:
    w = w.lower().replace("’", "'").split("'")[0]
    for suf in ("ing", "ed", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            return w[: -len(suf)]
    return w


def _repeats_in_list(sentence: str) -> bool:
    """A list naming one thing twice ("action, adventure, drama, and action"; "Jack Nicholson, Shelley
    Duvall, and Jack Nicholson"): a looping model, whatever the facts."""
    items = [re.sub(r"^(?:and|or)\s+", "", x.strip(" .!?").lower()) for x in re.split(r",", sentence)]
    items = [x.split()[-1:] for x in items if x]  # the head of each item: "combines action" and "action" repeat
    keys = [" ".join(x) for x in items if x]
    return len(keys) >= 3 and len(set(keys)) < len(keys)


class GroundingCheck:
    """Keeps a sentence only if it is readable text and every movie and proper name in it was supplied.

    `allowed_items` are catalogue items the system retrieved (and the user's own mentions);
    `allowed_text` is the facts and the user's words: a capitalised name that appears in none
    of them is treated as invented.
    """

    def __init__(self, linker: EntityLinker, allowed_items: Iterable[int], allowed_text: str,
                 credits: dict[str, set[str]] | None = None,
                 facts: Mapping[Any, Any] | Iterable[Any] | None = None):
        self.linker = linker
        self.allowed = set(allowed_items)
        # Who directed / wrote / starred in the supplied movies: a claim must match one of them.
        self.credits = {k: {n.lower() for n in v} for k, v in (credits or {}).items()}
        self.allowed_text = allowed_text.lower()
        self._allowed_words = " ".join(_WORDS.findall(self.allowed_text))
        self.removed: list[str] = []
        self.emitted: set[str] = set()
        self.gave_up = False  # stream() stopped reading after too many dropped sentences in a row
        # Per-movie facts (cards and/or catalogue movies, the top card first): years, decades, genres and
        # people a sentence attributes to a movie must be that movie's. "It" is the last movie named,
        # at first the top card, which the reply's lead sentence presents.
        self.facts = _merge_facts(facts)
        self.subject: _Facts | None = self.facts[0] if self.facts else None
        self._titles = [(f, self._title_regex(f.title)) for f in self.facts if f.title]
        self._people = sorted({n for f in self.facts for v in f.people.values() for n in v}, key=len, reverse=True)
        self._fact_names = {f.title.lower() for f in self.facts if f.title} | {n.lower() for n in self._people}
        self._titles_without_article = [f.title for f in self.facts
                                        if f.title and not re.match(r"(?i)(the|a|an)\b", f.title)]

    def ok(self, sentence: str) -> bool:
        titles = self._find_titles(sentence)
        kept = self._ok(sentence, titles)
        if kept:  # "it" is the movie the reader last saw named: a dropped sentence names nothing to them
            self._update_subject(sentence, titles)
        return kept

    def _ok(self, sentence: str, titles: list[tuple[int, int, list[_Facts]]]) -> bool:
        if not readable(sentence):
            return False  # token soup from a broken or tiny model is not a reply
        if _ECHO.search(sentence) or _META.search(sentence) or _USER_TALK.search(sentence) \
                or _FACT_ECHO.search(sentence) or _repeats_in_list(sentence):
            return False  # the model echoing its prompt, disclaiming its job, apologising or filling space
        words = _WORDS.findall(sentence)
        if len(words) >= 6 and " ".join(w.lower() for w in words) in self._allowed_words:
            return False  # a copy of the user's message or of the prompt ("I'm in the mood for a heist movie ...")
        plain = [w for w in words if w.islower() and w not in ("the", "a", "an", "and", "of")]
        if all(w.lower() in GENRE_WORDS or w.lower() in ("the", "a", "an", "and", "or") for w in words):
            return False  # "The drama horror thriller.": genre words with no statement
        if not sentence[:1].isupper() and not sentence[:1].isdigit() and sentence[:1] not in "\"“'‘":
            return False  # a sentence starts with a capital: lower-case starts are fragments ("history movie")
        if not plain or _DEBRIS.search(sentence):
            return False  # a bare list of titles, or debris like "Liar Liar L drama (4)", is not a sentence
        for verb, name in _CLAIM.findall(sentence):
            role = "directed" if verb == "directed" else "written" if verb == "written" else "starring"
            if self.credits and name.strip().lower() not in self.credits.get(role, set()):
                return False  # "directed by Stephen King": a real name in the wrong role
        link = self.linker.link(sentence, fuzzy=False)
        movies = link.of_type("movie")
        for m in movies:
            if m.item not in self.allowed:
                return False
        if len({m.item for m in movies}) < len(movies):
            return False  # "The Shining (1980) and The Shining (1980) are...": one title named twice
        for m in _PROPER.finditer(sentence):
            # A sentence's first word is capitalised anyway: "Also Jack Nicholson" is fine if "Jack Nicholson" is.
            first_word = _STARTS_SENTENCE.search(sentence[: m.start()]) is not None
            rest = m.group(1).split(None, 1)[1] if first_word else ""
            if not (self._known(m.group(1)) or (rest and self._known(rest))):
                return False
        for name in _QUOTED.findall(sentence) + _INITIALS.findall(sentence):
            if not self._known(name):
                return False
        for name in _QUOTED.findall(sentence):
            # A quoted title must be one the system supplied: the user's own unknown title is no movie.
            quoted = self.linker.link(f'"{name}"', fuzzy=False).of_type("movie")
            if not any(m.item in self.allowed for m in quoted) and name.lower() not in self._fact_names:
                return False
        if any(re.search(rf"\bthe\s+{re.escape(t)}\b", sentence, re.I) for t in self._titles_without_article):
            return False  # "The Black Panther (2018)": another film's title, or a wrong one
        if any(y not in self.allowed_text for y in _YEAR.findall(sentence)):
            return False  # every year must be one the facts give, not just one of them
        ends = {b for _, b, _ in titles}
        if self.facts and any(m.end() not in ends for m in _YEAR.finditer(sentence)):
            return False  # "The Last Song (1990)": a year in brackets belongs to a supplied title, not to any
        return self._facts_ok(sentence, titles)

    # ------------------------------------------------------------------ claims about the supplied movies
    @staticmethod
    def _title_regex(title: str) -> re.Pattern:
        """A title as the LLM writes it, with an optional "(year)"; a one-word title that is also a common
        word ("It", "Up", "Her") counts only in quotes or with its year."""
        words = title.split()
        body = r"\s+".join(re.escape(w) for w in words)
        year = r"(?:\s*\((?:19|20)\d\d\))"
        if len(words) == 1 and (len(title) <= 3 or title.lower() in _FUNCTION_WORDS):
            return re.compile(rf"(?<![\w])[\"“*_]?{body}[\"”*_]?{year}|[\"“*_]{body}[\"”*_]{year}?(?!\w)")
        return re.compile(rf"(?<![\w-])(?i:{body})(?![\w-]){year}?")

    def _find_titles(self, sentence: str) -> list[tuple[int, int, list[_Facts]]]:
        """Spans of supplied titles in the sentence, each with the movies it can be (the stated year
        narrows remakes down; a year no candidate has leaves none, which is a wrong year)."""
        found: dict[tuple[int, int], tuple[str, str | None, list[_Facts]]] = {}
        for f, rx in self._titles:
            for m in rx.finditer(sentence):
                text = m.group(0)
                if text.lstrip("\"“*_")[:1].islower():
                    continue  # "the shining armour" is no title
                stated = re.search(r"\((\d{4})\)$", text)
                found.setdefault((m.start(), m.end()), (f.title.lower(), stated and stated.group(1), []))[2].append(f)
        spans: list[tuple[int, int, list[_Facts]]] = []
        for (a, b), (_, year, cands) in sorted(found.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
            if spans and a < spans[-1][1]:
                continue  # inside a longer title
            if year:
                cands = [f for f in cands if str(f.year) == year]
            spans.append((a, b, cands))
        return spans

    def _targets(self, sentence: str, titles, pos: int) -> list[_Facts]:
        """The movies a claim at `pos` is about: the nearest title before it (with titles joined to it by
        "and" or commas), "it" (the subject), or the first title after it."""
        before = [t for t in titles if t[1] <= pos]
        if before:
            k = len(before) - 1
            between = sentence[before[k][1]:pos]
            comparison = re.search(r"\b(?:like|liked|loved|enjoyed|enjoy|love|as|than|to|of)\s*$",
                                   sentence[:before[k][0]], re.I)
            if _PRONOUN.search(between) and comparison and self.subject is not None:
                return [self.subject]  # "Like The Shining, it is ...": "it" is the recommended movie
            group = [before[k]]
            while k > 0 and _GROUP_GAP.match(sentence[before[k - 1][1]:before[k][0]]):
                k -= 1
                group.append(before[k])
            return [f for t in group for f in t[2][:1] or [None]]
        after = [t for t in titles if t[0] >= pos]
        if not before and not after and _PLURAL.search(sentence[:pos]):
            return list(self.facts)
        if after and not _PRONOUN.search(sentence[:pos]):
            return after[0][2][:1] or [None]
        return [self.subject] if self.subject is not None else []

    def _update_subject(self, sentence: str, titles) -> None:
        for a, _, cands in titles:
            if cands and not re.search(r"\b(?:like|liked|loved|enjoyed|enjoy|love|as|than|to|of)\s*$", sentence[:a], re.I):
                self.subject = cands[0]
                return

    def _facts_ok(self, sentence: str, titles) -> bool:
        """Years, decades, genres, people and plot words a sentence gives a supplied movie must be its own."""
        if not self.facts:
            return True
        named = [re.sub(r"\s*\(\d{4}\)$", "", sentence[a:b]).strip(" \"“”*_").lower() for a, b, _ in titles]
        if len(set(named)) < len(named):
            return False  # a title named twice
        if any(not cands for _, _, cands in titles):
            return False  # "The Shining (1989)": a year none of the movies of that title has
        question = sentence.rstrip().endswith("?")
        for m in _BARE_YEAR.finditer(sentence):
            targets = self._targets(sentence, titles, m.start())
            setting = _SETTING.search(sentence[:m.start()])
            if any(t is None for t in targets):
                return False
            if targets and not all(str(t.year) == m.group(1) or (setting and m.group(1) in t.text) for t in targets):
                return False  # "released in 1989" about a 1987 film
        for m in _DECADE.finditer(sentence):
            decade = self._decade(m)
            targets = self._targets(sentence, titles, m.start())
            if question or not targets or _USER_SIDE.search(sentence[:m.start()]):
                continue
            if not m.group(1) and re.search(r"\b(?:his|her|their|my|your)\s+(?:early\s+|late\s+|mid-?\s*)?$",
                                            sentence[:m.start()], re.I):
                continue  # "a man in his 40s" is an age
            if any(t is None for t in targets):
                return False
            setting = _SETTING.search(sentence[:m.start()])
            for t in targets:
                if setting:
                    if not re.search(rf"\b{str(decade)[:3]}\d\b|{m.group(0).lower()}", t.text):
                        return False  # "set in the 1920s": not what the plot says
                elif not (t.year and decade <= t.year <= decade + 9):
                    return False  # "Psycho (1960) ... films of the 1980s"
        for m in _CENTURY.finditer(sentence):
            start = 1901 if m.group(1).lower() in ("20th", "twentieth") else 2001
            for t in self._targets(sentence, titles, m.start()):
                if not question and (t is None or not (t.year and start <= t.year < start + 100)) \
                        and not _SETTING.search(sentence[:m.start()]):
                    return False  # "The Matrix (1999) ... films of the 21st century"
        for m in _GENRE_CLAIM.finditer(sentence):
            if question or _USER_SIDE.search(sentence[:m.start()]):
                continue  # "Do you like horror films?", "if you love horror films": not about a movie
            # Every genre of a compound claims its own ("comedy-drama" says drama too).
            claimed = [GENRE_WORDS[w.lower()] for w in _GENRE_PART.findall(m.group(0))]
            for t in self._targets(sentence, titles, m.start()):
                if t is None:
                    return False
                said = t.genres | {g for w, gs in GENRE_WORDS.items() if re.search(rf"\b{re.escape(w)}\b", t.text) for g in gs}
                if any(not (labels & said) for labels in claimed):
                    return False  # "X is a horror film" when X is not
        if not self._people_ok(sentence, titles, question):
            return False
        m = _PLOT_CLAIM.search(sentence)
        if m and not question:
            if not self._plot_ok(sentence, titles, m):
                return False
        return True

    @staticmethod
    def _decade(m: re.Match) -> int:
        if m.group(1):
            return int(m.group(1) + m.group(2) + "0")
        if m.group(5):
            return 1900 + 10 * _DECADE_WORDS[m.group(5).lower()]
        d = int(m.group(3) or m.group(4))
        return (2000 if d < 2 else 1900) + 10 * d

    def _people_ok(self, sentence: str, titles, question: bool) -> bool:
        low = sentence.lower()
        names = list(self._people) + [n.lower() for _, n in _CLAIM.findall(sentence)]
        seen: list[tuple[int, int]] = []
        for name in names:
            for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", low):
                if any(a <= m.start() < b for a, b in seen):
                    continue
                seen.append((m.start(), m.end()))
                role = self._role(sentence[:m.start()], sentence[m.end():])
                if role is None and (question or _USER_SIDE.search(sentence[:m.start()])):
                    continue  # "since you enjoy Jack Nicholson": about the user, not a movie
                for t in self._targets(sentence, titles, m.start()):
                    if t is None:
                        return False
                    credited = t.people[role] if role else set().union(*t.people.values())
                    if name not in credited and name not in t.text:
                        return False  # a real name the facts do not give this movie
        return True

    @staticmethod
    def _role(before: str, after: str) -> str | None:
        for role, rx in _ROLE_AFTER.items():
            if rx.search(after):
                return role
        window, best, best_end = before[-45:], None, -1
        kw = {"directors": r"\b(?:directed|directors?|helmed|filmmaker)\b",
              "writers": r"\b(?:written|writers?|screenplay|script|penned|novel|book)\b",
              "stars": r"\b(?:starring|stars?|starred|featuring|features|actors?|actress|cast|performances?|co-stars?|with)\b"}
        for role, rx in kw.items():
            for m in re.finditer(rx, window, re.I):
                if m.end() > best_end:
                    best, best_end = role, m.end()
        if best is not None and re.search(r"[.;!?]", window[best_end:]):
            return None
        return best

    def _plot_ok(self, sentence: str, titles, m: re.Match) -> bool:
        """A plot claim ("is about a young German boy who is a hero") must mostly use the plot's words."""
        targets = self._targets(sentence, titles, m.start())
        if not targets:
            return True
        title_words = {w.lower() for f in self.facts for w in _CONTENT.findall(f.title)}
        words = [_stem(w) for w in _CONTENT.findall(sentence[m.end():])
                 if w.lower() not in _FUNCTION_WORDS and w.lower() not in _VAGUE and w.lower() not in title_words]
        if not words:
            return True
        for t in targets:
            if t is None:
                return False
            known = {_stem(w) for w in _CONTENT.findall(t.text + " " + self.allowed_text)}
            if sum(w in known for w in words) < 0.5 * len(words):
                return False
        return True

    def _known(self, name: str) -> bool:
        """A name the facts or the user supplied; "A and B" is known when both are."""
        name = name.strip().rstrip(".").strip().lower()  # the sentence's full stop is not part of the name
        if name in self.allowed_text:
            return True
        parts = re.split(r"\s+(?:and|&)\s+", name)
        return len(parts) > 1 and all(p in self.allowed_text for p in parts)

    def filter(self, sentence: str) -> str:
        key = " ".join(sentence.lower().split())
        if any(key in e for e in self.emitted):  # a loop, or an echo of the lead ("A science fiction film.")
            self.removed.append(sentence)
            return ""
        if self.ok(sentence):
            self.emitted.add(key)
            return sentence
        self.removed.append(sentence)
        return ""

    def stream(self, deltas: Iterable[str], give_up_after: int | None = None) -> Iterator[str]:
        """Re-chunk a token stream into checked sentences, so nothing unchecked reaches the user.
        A line the model writes as a speaker ("User: ... Can you recommend something?") is dropped
        to its end, not only its first sentence. With `give_up_after`, reading stops once that many
        sentences in a row were dropped (`gave_up` is then set): a small model that has drifted from
        the facts rarely comes back, and every further token only delays the reply."""
        buf, role_line, in_a_row = "", False, 0
        for d in deltas:
            buf += d
            while (m := _SENTENCE_END.search(buf)) is not None:
                sentence, sep, buf = buf[: m.start()].strip(), m.group(0), buf[m.end():]
                if sentence:
                    role_line = role_line or _ROLE_LINE.match(sentence) is not None
                    kept = "" if role_line else self.filter(sentence)
                    if role_line:
                        self.removed.append(sentence)
                    if kept:
                        in_a_row = 0
                        yield kept + " "
                    else:
                        in_a_row += 1
                        if give_up_after is not None and in_a_row >= give_up_after:
                            self.gave_up = True
                            return
                if "\n" in sep:
                    role_line = False
        # Text left when the stream ends without a full stop was cut off by the token limit (or is a
        # fragment like "Blorgon Quest 3: The drama (1987)"): a half sentence is not shown.
        rest = buf.strip()
        if rest and _TERMINATED.search(rest) and not role_line and not _ROLE_LINE.match(rest):
            kept = self.filter(rest)
            if kept:
                yield kept
        elif rest:
            self.removed.append(rest)
