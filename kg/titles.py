"""Movie titles as people type them: an index of title forms and the rules that tell a title from prose.

Many titles are everyday words or phrases ("Heat", "It", "Anything Else", "The Conversation"). A
typed form counts as a title when it is written like one (capitalised mid-sentence, quoted, or
followed by a year), or when it is rare as ordinary English (word frequencies from `wordfreq`)
or follows a cue such as "loved" or "have you seen". Forms shared by several movies are resolved
by the year, by people or genres named in the same message, and by how much more often one of
them is mentioned in ReDial; what stays undecided is returned as an ambiguity to ask about.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from crs.data.movies import Catalog

ARTICLES = ("the", "a", "an")
# Cue words right before a title make a common word a title ("I loved heat", "have you seen big").
CUES_BEFORE = frozenset(
    "loved love like liked enjoy enjoyed adore adored seen saw see watched watch watching rewatch rewatched "
    "rewatching seeing called movie film favorite favourite fan hated hate disliked dislike recommend recommended than "
    "including especially prefer preferred try tried trying suggest suggested mentioned remember check except suggesting".split()
)
# Two-word cues: "similar to last vegas", "heard of the help", "a fan of jaws".
CUES_BEFORE2 = frozenset(("similar to", "heard of", "fan of", "fans of", "think of", "sequel to", "version of",
                          "check out", "checking out", "try out", "remake of", "what about", "how about",
                          "favorite is", "favourite is", "favorites are", "favourites are", "favorites is", "such as",
                          "him in", "her in", "them in", "great in", "stick to", "would be", "lines of", "except for",
                          "fav is", "fave is", "me of", "interested in", "go with", "going with", "to rent",
                          "familiar with", "things about", "think about", "suggestion of", "heard about", "i mean",
                          "star of", "cast of", "stars in", "look at", "good as"))
# "movie"/"film" cue a title only after an article: "the movie Heat", not "a horror movie fan".
ARTICLE_CUES = frozenset(("movie", "film", "documentary"))
# "the new Jumanji", "the original It": a version of a title shared by remakes.
MODIFIERS_NEW = frozenset("new newer newest latest recent".split())
MODIFIERS_OLD = frozenset("original older oldest classic".split())  # not "old": "my 5 year old twins"
# ... and words right after one ("Heat was great", "the heat movie").
CUES_AFTER = frozenset("was is series franchise trilogy sequel remake won starring stars".split())
FRANCHISE_AFTER = frozenset("movies films movie film series franchise".split())
# "Taken is a great action movie": the sentence says what it is.
_MOVIE_WORDS = frozenset("movie film classic masterpiece flick".split())
KIND_NOUNS = _MOVIE_WORDS | frozenset("one thriller comedy drama romance documentary musical western cartoon".split())
# Holidays are proper nouns too: "I love Halloween" is the holiday unless a year or "movie" says otherwise.
HOLIDAYS = frozenset("christmas halloween thanksgiving easter holidays".split())
# Verbs of liking: the word after one is what is liked ("liked saw"), not a second verb.
LIKING = frozenset("like liked love loved enjoy enjoyed adore adored hate hated prefer preferred than".split())
VERB_OBJECTS = frozenset("it them that this him her us me the a an".split())  # "I like saw it": the verb
WATCHING = frozenset("watched seen saw watch watching rewatched".split())
# "my uncle Ted", "my friend Annie": a capitalised word after these is a person's name, not a film.
RELATIONS = frozenset("uncle aunt auntie brother sister bro sis cousin friend buddy pal boss coworker co-worker "
                      "colleague neighbor neighbour husband wife hubby boyfriend girlfriend bf gf son daughter mom "
                      "mum dad father mother grandma grandpa granny nephew niece roommate fiance fiancee partner "
                      "teacher classmate".split())
# "the best X-Men movie", "every Star Wars film": the title names the series the film belongs to.
RANKING = frozenset("best worst greatest funniest scariest weakest strongest favorite favourite fave".split())
RANKING_ONE = RANKING | frozenset("other another every each".split())  # "every Star Wars film"; "the other Saw movies" is Saw
# "a scary movie", "some big movie": a determiner makes the words that follow a description.
DETERMINERS = frozenset("a an some any another good great best worst my your our their".split())
# ... but "alien movies", "horror flicks" describe a kind of film.
KIND_AFTER = frozenset("movies films flicks ones stuff genre type kind movie film".split())
# Never a title unless quoted or followed by a year: pronouns and particles ("I like it", "up for it").
FUNCTION_TITLES = frozenset(
    "it her us up go me you him them this that there here now then so yes no ok okay what why how who "
    "when where one two three mine monday tuesday wednesday thursday friday saturday sunday january february "
    "march april may june july august september october november december lol omg wow yeah cool nope".split()
)
# Function-word titles that cannot be the object of "loved" ("I loved up" is the film; "I loved it" is not It).
PARTICLE_TITLES = frozenset("up go now then there here yes no so ok okay".split())
SUBJECT_OR_AUX = frozenset("i we you they he she me us them to will would can could did do not dont don't".split())
CLAUSE_GOES_ON = frozenset("and or but too i we as also".split())
CAPITAL_FUNCTION_TITLES = frozenset("it her up us".split())  # no one capitalises these mid-sentence but as a title
VERSION_NOUNS = frozenset("remake movie film one version original sequel movies films".split())
SEQUEL_NUMBERS = frozenset("2 3 4 5 6 7 8 ii iii iv".split())
OPENERS = frozenset("yes yeah yep oh ok okay and but also well".split())  # words that open a clause
CLAUSE_ENDS = frozenset("and or but too also".split())
PERSON_NOUNS = frozenset("actor actors actress actresses guy guys person people star stars comedian".split())  # "the rock is ... actors"
# Words that stand for films already named ("the others", "the rest") or for any film ("anything else").
PRONOUNISH = frozenset("others other rest same latter former ones".split())
INDEFINITES = frozenset("anything something everything nothing anyone someone".split())
OBJECT_PRONOUNS = frozenset("her him them us me".split())
# Title words that need no capital in a capitalised title ("Gone with the Wind").
MINOR = frozenset("the a an of and in on with to for at by from or as is vs nor but into".split())
ZIPF_PLAIN = 4.4  # lower case, no cue: a form of several words rarer than this in English is a title
TALKED, TALKED_BONUS = 20, 0.5  # ... raised this much for a movie ReDial's train seekers name this often ("star wars")
ZIPF_PLAIN_LONG = 5.1  # ... of three words or more besides articles: wordfreq rates a phrase by its rarest word,
# so "gone with the wind" scores like "wind"; a run of three such words is rarely prose
ZIPF_PLAIN_WORD = 3.3  # ... and of one word (one rare word is often a noun: "a horror flick")
ZIPF_PLAIN_WORD_TALKED = 4.1  # ... raised for a film seekers name often ("or titanic", "the matrix also had")
ZIPF_FUNCTION = 5.5  # ... when the next word is this common (a function word or verb, not a noun)
ZIPF_CUE_AFTER = 5.0
ZIPF_CUE_BEFORE = 5.6
ZIPF_CUE_MULTI = 6.2  # several words after a cue: wordfreq rates a phrase by its words, so "get out" looks common
ZIPF_COMPOUND = 3.5  # a word and the next written together make an English word this common: a split compound
DOMINANCE = 1.4  # a shared form goes to the movie mentioned this many times more often than the next
MIN_PRIOR = 3  # ... and at least this often in ReDial's train conversations (2 against 1 is no evidence)
RATED_DOMINANCE, MIN_RATINGS = 5, 5  # else MovieLens ratings: this many times the next film's, and at least this many

_SPLIT = re.compile(r"[a-z0-9]+")
_NOT_A_NAME = re.compile(r"^(part|chapter|episode|volume|vol|book|the movie|movie)\b")  # "Hostel: Part II"
ROMAN_NUMERALS = frozenset("ii iii iv vi vii viii ix".split())
_INITIALISM = re.compile(r"^(?:[A-Z]\.){2,}")
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7"}
_ROMAN_END = re.compile(r"\b(ii|iii|iv|vi|vii)\b(?=\s*(?::|$))")
_DIGIT_END = re.compile(r"(?<=\w )([2-7])(?=\s*(?::|$))")  # "Iron Man 2" typed "Iron Man II"
_DIGIT_ROMAN = {v: k for k, v in _ROMAN.items()}
_NUMBER_WORDS = "one two three four five six seven eight nine ten eleven twelve thirteen".split()
_NUMBER_WORD_END = re.compile(r"(?<=\w )(" + "|".join(_NUMBER_WORDS) + r")(?=\s*(?::|$))")
_EPISODE = re.compile(r"\bepisode (?:[ivx]+|\d+)\b\s*[-–:]?")
_PART_NUMERAL = re.compile(r"\bpart (?=(?:ii|iii|iv|vi|vii|[2-7])\b)")  # "Back to the Future Part II" as "... 2"


def _number_swap(m: re.Match) -> str:
    """A number word at a title's end as digits: "Ocean's Eleven" typed "ocean's 11" (not the other way:
    "taken two" is prose far more often than Taken 2)."""
    return str(_NUMBER_WORDS.index(m.group(1)) + 1)


def fold(text: str) -> str:
    """Lower case, accents stripped, '&' as 'and'."""
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'").replace("&", " and "))
    return "".join(c for c in text if not unicodedata.combining(c))


def title_keys(title: str) -> list[tuple[str, str]]:
    """(key, kind) forms of one title: as written, without its article, hyphens/apostrophes joined,
    Roman numerals as digits, the parts around a colon, initials, the start of a long title.
    Kinds: exact, no_article, part, prefix."""
    f = fold(title)
    joined = re.sub(r"(?<=\w)[-'./](?=\w)", "", f)  # "Face/Off" as "faceoff"
    numbered = _ROMAN_END.sub(lambda m: _ROMAN[m.group(1)], f)  # "Jurassic Park III" as "jurassic park 3"
    romanised = _DIGIT_END.sub(lambda m: _DIGIT_ROMAN[m.group(1)], f)  # "Despicable Me 3" as "despicable me iii"
    spelt = _NUMBER_WORD_END.sub(_number_swap, f)
    no_part = _PART_NUMERAL.sub("", numbered)
    bare = fold(title.replace("&", " ")) if "&" in title else f  # "Thelma & Louise" typed "Thelma Louise"
    no_episode = _EPISODE.sub(" ", f)  # "Star Wars: Episode VIII – The Last Jedi" typed "star wars the last jedi"
    out = []
    for variant in dict.fromkeys((f, joined, numbered, romanised, spelt, no_part, bare, no_episode)):
        key = " ".join(_SPLIT.findall(variant))
        if not key:
            continue
        out.append((key, "exact"))
        words = key.split(" ")
        if words[0] in ARTICLES and len(words) > 1:
            out.append((" ".join(words[1:]), "no_article"))
        if ":" in variant:
            head, _, tail = variant.partition(":")
            # "lord of the rings fellowship of the ring": both parts, the colon and the second article gone
            both = " ".join(_SPLIT.findall(head) + [w for k, w in enumerate(_SPLIT.findall(tail)) if k or w not in ARTICLES])
            out.append((both, "no_article"))
            if both.split(" ", 1)[0] in ARTICLES:
                out.append((both.split(" ", 1)[1], "no_article"))
            for part in (head, tail):
                pk = " ".join(_SPLIT.findall(part))
                if (len([w for w in pk.split() if w not in ARTICLES]) >= 2 and len(pk) >= 6
                        and not _NOT_A_NAME.match(pk)):
                    out.append((pk, "part"))
                    pw = pk.split(" ")
                    if pw[0] in ARTICLES and len(pw) > 2:
                        out.append((" ".join(pw[1:]), "part"))
    initials = _INITIALISM.match(title)
    if initials:  # "E.T." for "E.T. the Extra-Terrestrial", also typed "ET"
        out.append((" ".join(_SPLIT.findall(initials.group(0).lower())), "part"))
        out.append(("".join(_SPLIT.findall(initials.group(0).lower())), "part"))
    words = out[0][0].split(" ") if out else []
    if ":" not in f and len([w for w in words if w not in ARTICLES]) >= 4:
        # The start of a long title: "Eternal Sunshine" (kept only if it is rare English and no other title's)
        start = 1 if words[0] in ARTICLES else 0
        for k in range(start + 2, len(words) - 1):
            prefix = words[start:k]
            if prefix[-1] not in MINOR and zipf(" ".join(prefix)) < ZIPF_PLAIN:
                out.append((" ".join(prefix), "prefix"))
                break
    return out


@dataclass
class TitleIndex:
    """Typed form -> [(item, kind)], kinds ordered exact < no_article < part."""

    forms: dict[str, list[tuple[int, str]]]
    mentions: dict[int, int]  # the prior: ReDial train mentions (kg.mention_prior), else the catalogue's counts
    years: dict[int, int | None]
    surnames: frozenset = frozenset()  # people's last names, set by the linker
    genres: frozenset = frozenset()  # genre names and their everyday forms, set by the linker
    same_film: dict[int, int] = field(default_factory=dict)  # item -> its canonical item (duplicate_films)
    ratings: dict[int, int] = field(default_factory=dict)  # item -> MovieLens ratings, the fallback prior

    @classmethod
    def build(cls, catalog: Catalog, mentions: dict[int, int] | None = None,
              ratings: dict[int, int] | None = None) -> TitleIndex:
        """`mentions`: item -> mention count for the prior (default: the catalogue's counts); `ratings`:
        item -> MovieLens ratings, consulted only when the mentions cannot choose."""
        counts = mentions if mentions is not None else {m.item: m.mentions for m in catalog.movies}
        rated = ratings or {}
        forms: dict[str, list[tuple[int, str]]] = {}
        order = {"exact": 0, "no_article": 1, "part": 2, "prefix": 3}
        for m in catalog.movies:
            for key, kind in title_keys(m.title):
                cur = forms.setdefault(key, [])
                prev = next((k for i, k in cur if i == m.item), None)
                if prev is None:
                    cur.append((m.item, kind))
                elif order[kind] < order[prev]:
                    cur[:] = [(i, kind if i == m.item else k) for i, k in cur]
        for key, cur in list(forms.items()):
            if sum(k == "prefix" for _, k in cur) > 1:  # the start of several titles names none of them
                cur[:] = [(i, k) for i, k in cur if k != "prefix"]
                if not cur:
                    del forms[key]
        for cur in forms.values():
            best = min(order[k] for _, k in cur)
            top = max(counts[i] for i, k in cur if order[k] == best)
            # "heat" is the film Heat, not The Heat: a form written out exactly beats a shortened one,
            # unless the shortened one is far more talked about ("prestige" is The Prestige).
            keep = [(i, k) for i, k in cur if order[k] == best or counts[i] > DOMINANCE * 2 * max(top, 1)]
            # Ties go to the film more MovieLens users rated (not ReDial's nbMentions, which counts test dialogues).
            cur[:] = sorted(keep, key=lambda ik: (-counts[ik[0]], -rated.get(ik[0], 0)))
        return cls(forms, dict(counts), {m.item: m.year for m in catalog.movies},
                   same_film=duplicate_films(catalog, counts), ratings=dict(rated))

    def __contains__(self, key: str) -> bool:
        return key in self.forms

    def items(self, key: str) -> list[int]:
        return [i for i, _ in self.forms[key]]

    def kind(self, key: str) -> str:
        return self.forms[key][0][1]


def duplicate_films(catalog: Catalog, counts: dict[int, int]) -> dict[int, int]:
    """item -> canonical item for catalogue entries that are one film to the catalogue: the same title
    (give or take a leading article) and the same IMDb record ("The Fast and the Furious" with and
    without its year, "Conjuring" and "The Conjuring"). ReDial holds such duplicate ids; the canonical
    one is the most mentioned, then the one with a year. (IMDb ids alone are not enough: the catalogue
    gives some remakes and unrelated films the same record.)"""
    groups: dict[tuple[str, str], list[int]] = {}
    for m in catalog.movies:
        if m.imdb_id:
            words = _SPLIT.findall(fold(m.title))
            key = " ".join(words[1:] if len(words) > 1 and words[0] in ARTICLES else words)
            groups.setdefault((key, m.imdb_id), []).append(m.item)
    out = {}
    for items in groups.values():
        if len(items) > 1:
            head = min(items, key=lambda i: (-counts.get(i, 0), catalog[i].year is None, i))
            out.update({i: head for i in items})
    return out


@lru_cache(maxsize=65536)
def zipf(phrase: str) -> float:
    """How common a phrase is as English text (Zipf scale: 7 = 'the', 3 = rare)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(phrase, "en")


def looks_like_title(key: str, raw: list[str], before: list[str], after: list[str], *, year: bool,
                     quoted: bool, sentence_start: bool, kind: str = "exact", typo: bool = False,
                     surnames: frozenset = frozenset(), genres: frozenset = frozenset(), whole: bool = False,
                     said: bool = False, talked: int = 0, cued: bool = False) -> bool:
    """Whether the typed words `raw` (normalised `key`) are meant as a title in their context.

    `whole`: the words are the whole message (an answer such as "the fighter"); `said`: the form names
    a movie the conversation has already named (a card shown, a title the user typed before); `talked`:
    how often ReDial's train seekers name the form's most named movie (the prior); `cued`: the message
    gives a cue the words before cannot show (an actor's name before "in")."""
    if year or quoted:
        return True
    words = key.split(" ")
    if before[-1:] and before[-1] in RELATIONS and len(words) <= 2 and written_as_title(raw):
        return False  # "my uncle Ted only watches westerns"
    cue_before = cued or _cue_before(before) \
        or len(before) > 1 and before[-1] in genres and before[-2] in ("a", "an", "the") and words[0] == "the"  # "a thriller the number 23"
    if key.isdigit() and len(key) >= 3 and not YEARISH.match(key) and cue_before and after[:1] in ([], *NUMBER_ENDS):
        return True  # "I loved 300", "like 300 or ...": a number after a cue, ending the phrase
    if len(key) < 2 or key.replace(" ", "").isdigit():
        return False  # "2012?" is a year, "20" a number
    modifier = bool(modifier_at(before, len(before))) \
        and not (before[-1] == "old" and after[:1] in [[w] for w in KIND_AFTER])  # not "the old clown movie"
    if len(words) > 1 and words[-1] in SEQUEL_NUMBERS and kind == "exact" and not (before and before[-1] in DETERMINERS) \
            and (words[0] not in FUNCTION_TITLES or written_as_title(raw)) \
            and after[:1] in ([], *([w] for w in CLAUSE_GOES_ON | {"is", "was"})):
        return zipf(key) < ZIPF_CUE_BEFORE  # "no cars 3 or pixar movies": a sequel's number marks a title
    if after[:1] and after[0].isdigit() and len(after[0]) == 1:
        return False  # "the guardians 2" is a sequel of another film, not Guardians
    if (set(words) - set(ARTICLES) <= PRONOUNISH or words[0] in INDEFINITES) and not (
            written_as_title(raw) and not sentence_start):
        return False  # "check out the others", "recommend anything else": pronouns, unless written as a title
    if len(words) <= 2 and after and after[0].isalpha() and after[0] not in MINOR | {"i"} \
            and zipf(words[-1] + after[0]) >= ZIPF_COMPOUND:  # ("Coco a lot" is no "cocoa", "Ip Man or" no "manor")
        return False  # "super hero ones" is "superhero", not the film Super
    if key in genres or words[0] in ARTICLES and " ".join(words[1:]) in genres and not written_as_title(raw):
        return False  # "I like Comedy and Romance", "seen the comedy the toy": genres; "Romance (1986)" needs its year
    if before[-2:-1] == ["the"] and before[-1] in ("first", "second", "third") and talked >= MIN_PRIOR \
            and zipf(key) < ZIPF_CUE_BEFORE and not (after[:1] and after[0] in KIND_AFTER) and key not in FUNCTION_TITLES:
        return True  # "the first taken", "the first conjuring": a film of a series seekers name
    if key in EVALUATIONS and not (written_as_title(raw) and not sentence_start):
        return False  # "that would be awesome" judges; the film Awesome (2006) needs a capital mid-sentence
    if after[:1] and after[0] in FRANCHISE_AFTER and (words[0] == "the" or before[-1:] in (["the"], ["all"], ["those"])) \
            and (talked >= TALKED and zipf(key) < ZIPF_CUE_BEFORE or talked >= MIN_PRIOR and zipf(key) < ZIPF_PLAIN_WORD_TALKED):
        return True  # "the saw movies", "all the scream films", "the madagascar movies": a franchise seekers name
    if key in CUES_BEFORE and written_as_title(raw) and after[:1] in (["was"], ["is"]) and key not in LIKING \
            and (key.endswith("ed") or key in ("saw", "seen")):  # past forms only: "Watch is broken" is a watch
        return True  # "Saw was too much for me": a verb cannot be the subject of "was"
    if key in CUES_BEFORE and not before and after[:1] in (["was"], ["is"]) and _verdict(after) and key not in LIKING \
            and (key.endswith("ed") or key in ("saw", "seen", "remember")):
        return True  # "saw was too gruesome", "remember was good": lower case, but judged as a film
    if key == "it" and before[-1:] == ["the"] and after[:1] and after[0] in VERSION_NOUNS:
        return True  # "the it remake": no pronoun follows "the"
    if key in CUES_BEFORE and not (written_as_title(raw) and (not sentence_start or _verdict(after))) \
            and not (key not in LIKING and _unhedged(before)[-1:] and (_unhedged(before)[-1] in LIKING | WATCHING | {"is", "was"}
                                                                    or " ".join(before[-2:]) in CUES_BEFORE2)
                     and not (after[:1] and after[0] in VERB_OBJECTS)
                     and (_unhedged(before)[-1] in LIKING | WATCHING or cue_before)):
        return False  # "I loved, loved, loved it": the verb, not the film Loved; but "I liked saw" and
        # "my all time favorite is saw" are Saw
    if key == "up" and (not before or before[-1] in OPENERS) and (_verdict(after) or said_of_a_film(after, genres)):
        return True  # "Oh yes, up was really good", "up is a favorite here": "up" cannot be a clause's subject
    if key in PARTICLE_TITLES and _object_of_liking(before) and after[:1] in ([], *([w] for w in CLAUSE_GOES_ON)):
        return True  # "my kids really love up", "family movies like up": a particle is not what is loved
    if said and kind in ("exact", "no_article") and not (after and after[0] in KIND_AFTER) \
            and not (before and before[-1] in DETERMINERS and not key.startswith(before[-1] + " ")):
        return _said_title(key, raw, before, after, cue_before, sentence_start, typo)
    movie_word = any(w in _MOVIE_WORDS for w in after[:1] + before[-1:])
    if key in HOLIDAYS and not (movie_word or before[-1:] and before[-1] in WATCHING or _object_of_liking(before[-2:])
                                and before[-1] == "like" or cue_before and before[-1] not in LIKING
                                or written_as_title(raw) and whole or _judged_as_film(after)):
        return False  # "a movie for Halloween"; but "Halloween was spooky", "Halloween is a classic" are the film
    if key in surnames and after[:1] and after[0] in FRANCHISE_AFTER | {"one", "ones"} and talked < TALKED \
            and before[-1:] and before[-1] in ("a", "an", "the", "that", "this", "any", "every", "other"):
        return False  # "a Hitchcock movie", "the Nolan one": the director or star, not the film Hitchcock
    if key in surnames and before[-1:] == ["by"]:
        return False  # "Psycho by Hitchcock": the director
    if key in surnames and not (cue_before or movie_word or said_of_a_film(after, genres)):
        return False
    # "It", "Her", "Up", "Us" capitalised mid-sentence where the clause ends ("I can't stand It", "she loved
    # It and the remake"); not before a verb ("yes I did It was good" is a run-on sentence)
    capital_function = key in CAPITAL_FUNCTION_TITLES and raw[0][:1].isupper() and not raw[0].isupper() \
        and not sentence_start and after[:1] in ([], *([w] for w in CLAUSE_ENDS))
    # "Up made me cry", "ET is so sad": a short title at a sentence start that the sentence judges
    judged_short = len(key.replace(" ", "")) <= 2 and sentence_start and raw[0][:1].isupper() \
        and key not in FUNCTION_TITLES - {"up", "go"} and _verdict(after)
    if judged_short:
        return True
    if len(key.replace(" ", "")) <= 2 and not (cue_before or modifier or capital_function):
        return False  # "P2", "Up", "9" mean nothing alone
    if key in OBJECT_PRONOUNS and sentence_start and raw[0][:1].isupper() and after[:1] and after[0] in ("was", "is"):
        return True  # "Her was beautiful": a pronoun could not be the subject here
    if words[-1] in FUNCTION_TITLES and len(words) == 1:
        # "It", "Up", "Friday" are titles only when written so after a cue: "Have you seen It?", "the new It"
        return capital_function or raw[0][:1].isupper() and not raw[0].isupper() and not sentence_start \
            and (cue_before or modifier)
    caps = _caps(raw)
    capitalised = written_as_title(raw)
    later_capital = any(c for c, w in zip(caps[1:], raw[1:]) if w.lower() not in MINOR)
    one_word = len(words) == 1 or (len(words) == 2 and words[0] in ARTICLES)  # "the seeker" is a noun phrase
    z = 0.0 if typo else zipf(key)  # a misspelt title is judged by its cues, not by its correct spelling
    if after and (after[0] in KIND_AFTER or _genre_word(after, genres) and after[0] not in EVALUATIONS
                  and not (before[-1:] == ["is"] and after[0] in ASKED_OF_A_FILM)) \
            and not (capitalised and not sentence_start) \
            and (one_word or z >= ZIPF_PLAIN) and not (modifier and after[0] in ARTICLE_CUES):
        return False  # "alien movies", "murder mysteries"; but "the kung fu panda movies" is the franchise
    if capitalised and (not sentence_start or later_capital):
        return True  # a capital at the start of a sentence says nothing: the rules below decide
    content = [w for w in words if w not in ARTICLES]
    if kind == "no_article" and len(words) < 2 and capitalised and z < ZIPF_PLAIN \
            and (_verdict(after) or said_of_a_film(after, genres)):
        return True  # "Shining was awesome!", "Goonies is a favorite": the sentence says it is a film
    if (kind == "no_article" and len(words) < 2) or (kind == "part" and len(content) < 3) or kind == "prefix":
        return False  # "comedy" for The Comedy or "the sequel" for Airplane II need capitals
    if before and before[-1] in DETERMINERS and not key.startswith(before[-1] + " "):
        return False
    plain = (ZIPF_PLAIN_LONG if len(content) >= 3 else ZIPF_PLAIN) + (TALKED_BONUS if talked >= TALKED else 0.0)
    if whole and kind == "exact":  # a message that is only a title answers "which one did you like?"
        talked_bonus = TALKED_BONUS if talked >= TALKED else 0.0  # "home alone" as the answer
        if one_word and capitalised and talked >= TALKED and not raw[-1].isupper():
            return z < ZIPF_CUE_BEFORE  # "Taken", "Split": a film seekers often name, written as a name
        return z < (ZIPF_PLAIN if one_word else max(ZIPF_CUE_AFTER + talked_bonus, plain))  # but "Awesome!" is not the film
    if after[:1] and after[0] in ("is", "was") and (_MOVIE_WORDS | {"one"}) & set(after[1:6]) and not one_word:
        return True  # "get out was a really trippy movie": the sentence says what it is
    if not one_word and cue_before and z < ZIPF_CUE_MULTI:
        return True  # "like get out or gone girl": a phrase of everyday words after a cue
    asked = (after[:1] == ["about"] and before[-1:] and before[-1] in ("is", "s", "whats", "what's", "was")) or (
        before[-1:] == ["is"] and after[:1] and (after[0] in EVALUATIONS | ASKED_OF_A_FILM or after[:2] == ["any", "good"])
        and before[-2:-1] not in SUBJECTS)  # "what is X about", "is X good" (but "it is super good" is no question)
    judged = _verdict(after)
    tried = before[-1:] in (["give"], ["gave"]) and after[:2] in (["a", "try"], ["a", "chance"], ["a", "shot"])
    if cue_before or asked or tried or (after[:1] and after[0] in ("is", "was") and _MOVIE_WORDS & set(after[1:6])):
        return z < ZIPF_CUE_BEFORE
    if said_of_a_film(after, genres) and (capitalised or not one_word):
        return z < ZIPF_CUE_BEFORE  # "Seven is one of my favourites", "Logan was a really good movie"
    if said_of_a_film(after, genres) and not before and talked >= MIN_PRIOR and (_MOVIE_WORDS | {"one"}) & set(after[1:4]) \
            and not set(after) & PERSON_NOUNS:  # not "the rock is hilarious", "... one of my favorite actors"
        return z < ZIPF_CUE_BEFORE  # "speed is another one I enjoyed": a film seekers name, as a sentence's subject
    if judged and z < (ZIPF_PLAIN + (TALKED_BONUS if capitalised and talked >= TALKED else 0.0) if one_word else ZIPF_CUE_BEFORE):
        return True  # "end of watch was enjoyable"; else the rules below may still take it
    if modifier:
        return z < plain  # "the original star wars"
    if after and after[0] in CUES_AFTER:
        return z < max(ZIPF_CUE_AFTER, plain)  # a cue after never asks more than no cue ("no country for old men was")
    if one_word and capitalised:  # "Frozen is a big hit": a capital, even at the start, is some evidence
        return z < ZIPF_PLAIN
    if one_word:
        # not as a verb ("made me scream") or before a noun it describes ("psycho killers", "the shining star")
        used = bool(before) and before[-1] in SUBJECT_OR_AUX or bool(after) and zipf(after[0]) < ZIPF_FUNCTION
        return z < (ZIPF_PLAIN_WORD_TALKED if talked >= TALKED and not used else ZIPF_PLAIN_WORD)
    return z < plain


def names_series(before: list[str], after: list[str]) -> bool:
    """A title between a ranking word and "movie" names the series a film belongs to: "the best X-Men
    movie", "every Star Wars film", "the funniest Shrek movies" (but "the other Saw movies" are Saw's)."""
    return bool(before) and (after[:1] in (["movie"], ["film"]) and before[-1] in RANKING_ONE
                             or after[:1] in (["movies"], ["films"]) and before[-1] in RANKING)


def _said_title(key: str, raw: list[str], before: list[str], after: list[str], cue_before: bool,
                sentence_start: bool, typo: bool) -> bool:
    """A title the conversation already named ("have you seen Jigsaw?" ... "jigsaw tonight") is that
    title, unless it is an everyday word with nothing to mark it: "home", "big" need a cue, a modifier
    ("the new X"), a capital mid-sentence or a verdict ("big was good"); a pronoun ("I liked it", "seen
    they") stays one unless written as a title after a cue ("seen It")."""
    modifier = bool(before) and before[-1] in MODIFIERS_NEW | MODIFIERS_OLD
    if key in FUNCTION_TITLES:
        return modifier or bool(cue_before and written_as_title(raw) and not sentence_start and not raw[0].isupper())
    if " " in key or typo or zipf(key) < ZIPF_CUE_AFTER or cue_before or modifier:
        return True
    return bool(written_as_title(raw) and not sentence_start) or _verdict(after)


def _object_of_liking(before: list[str]) -> bool:
    """The words before end in a verb of liking ("loved") or in "movies like" (not a bare "like so")."""
    if not before:
        return False
    if before[-1] == "like":
        return len(before) > 1 and before[-2] in ("movie", "movies", "film", "films", "one", "ones", "something", "anything",
                                                  "things", "classics", "flicks",
                                                  "stuff")
    return before[-1] in LIKING and before[-1] != "than"


def _genre_word(after: list[str], genres: frozenset) -> bool:
    """The next words name a genre ("murder mysteries", "hollywood sci-fi")."""
    w = after[0]
    singular = w[:-3] + "y" if w.endswith("ies") else w[:-1] if w.endswith("s") else w
    return w in genres or singular in genres or " ".join(after[:2]) in genres


def _caps(raw: list[str]) -> list[bool]:
    """Which words start with a capital (or are numbers); ALL-CAPS words are shouting, not a title's capitals."""
    return [w[:1].isupper() and not (len(w) > 3 and w.isupper()) or w[:1].isdigit() or w.lower() in ROMAN_NUMERALS
            for w in raw]


def written_as_title(raw: list[str]) -> bool:
    """Capitalised as titles are ("Friends with Benefits"); all-caps shouting does not count."""
    caps = _caps(raw)
    return bool(raw) and caps[0] and all(c or w.lower() in MINOR for c, w in zip(caps, raw))


YEARISH = re.compile(r"^(19|20)\d\d$")
NUMBER_ENDS = (["and"], ["or"], ["is"], ["was"], ["too"], ["but"], ["i"])  # "300 movies" counts things, "300 or" names one

# "is la la land good?", "heat was great": what people say of a film they name.
EVALUATIONS = frozenset("good great awesome amazing funny hilarious scary enjoyable excellent fantastic "
                        "brilliant underrated overrated boring terrible creepy phenomenal wonderful incredible "
                        "superb outstanding hysterical interesting gory lovely spooky spectacular sad cool perfect".split())


# "is gravity considered sci-fi?", "is jumanji family friendly?": what people ask of a film they name
ASKED_OF_A_FILM = frozenset("considered similar worth family appropriate suitable kid".split())
SUBJECTS = (["it"], ["this"], ["that"], ["he"], ["she"], ["which"], ["one"], ["movie"], ["film"], ["everything"])
# "blended sounds like a good one", "coco looks really cute": how a film someone heard of strikes them.
IMPRESSIONS = frozenset("sounds looks seems".split())
INTENSIFIERS = frozenset("so soo sooo really very pretty super quite".split())


def _verdict(after: list[str]) -> bool:
    """The words after judge what came before: "was great", "sounds like a good one", "looks really funny"."""
    after = after[:1] + [w for w in after[1:] if w not in INTENSIFIERS | HEDGES]  # "is soo good", "is always good"
    if after[:1] in (["is"], ["was"]):  # "is great", "was a favorite", "is a classic"
        return bool(after[1:2] and after[1] in EVALUATIONS
                    or after[1:2] in (["a"], ["an"]) and after[2:3] and after[2] in EVALUATIONS | FAVOURITES)
    if after[:1] and after[0] in IMPRESSIONS:
        return bool(set(after[1:6]) & EVALUATIONS)
    return after[:2] in MOVED  # "the impossible made me cry", "Shining scared me"


MOVED = (["made", "me"], ["makes", "me"], ["scared", "me"], ["scares", "me"])


def _judged_as_film(after: list[str]) -> bool:
    """The words after judge a film, not a day: "was great", "is a classic" (not "is my favourite holiday")."""
    return _verdict(after) or bool(after[:1] in (["is"], ["was"]) and _MOVIE_WORDS & set(after[1:5]))


FAVOURITES = frozenset("favorite favorites favourite favourites fave faves fav".split())
HEDGES = frozenset("probably definitely still maybe really actually honestly truly always also".split())  # "my favorite is probably saw"


def said_of_a_film(after: list[str], genres: frozenset = frozenset()) -> bool:
    """The words after say what a film is: "is creepy", "is one of my favourites", "is a great thriller"."""
    if after[:1] not in (["is"], ["was"]) or len(after) < 2:
        return False
    words = [w for w in after[1:] if w not in HEDGES]  # "was honestly a really good movie"
    if words[:1] and words[0] in EVALUATIONS or words[:1] == ["a"] and set(words[1:3]) & EVALUATIONS and "one" in words[2:4]:
        return True  # "is creepy", "was a good one"
    if words[:2] == ["another", "one"]:
        return True  # "speed is another one I enjoyed"
    if words[:2] == ["one", "of"] and set(words[2:8]) & (FAVOURITES | {"best", "greatest"}):
        return True  # "is one of my all time favorites", "was one of the best"
    return bool(set(words[:5]) & (_MOVIE_WORDS | FAVOURITES | genres | {"example"}))  # "is a perfect example"


def _unhedged(before: list[str]) -> list[str]:
    """The words before without the hedges at their end ("is probably" -> "is")."""
    while before and before[-1] in HEDGES:
        before = before[:-1]
    return before


def _cue_before(before: list[str]) -> bool:
    """A cue right before the words: "loved", "similar to", "the movie" (not "a horror movie");
    "seen all the" counts as "seen"."""
    while len(before) > 1 and before[-1] in ("the", "all", "both", *HEDGES):
        before = before[:-1]
    if not before:
        return False
    if before[-1] in ("is", "was") and FAVOURITES & set(before[-6:-1]):
        return True  # "my favorite horror movie is halloween", "my all time favorite is probably saw"
    if " ".join(before[-2:]) in CUES_BEFORE2:
        return True
    if before[-2:] in (["but", "not"], ["but", "never"]) and set(before[:-2]) & (WATCHING | LIKING):
        return True  # "I've seen predator but not first blood"
    if before[-1] in ARTICLE_CUES:  # "the movie Heat", "the kids movie coco" (not "a horror movie fan", "a movie weekend")
        return len(before) > 1 and before[-2] in {"the", "that", "this"} | MODIFIERS_NEW | MODIFIERS_OLD \
            or len(before) > 2 and before[-3] in ("the", "that", "this")
    if before[-1] in ("is", "was") and len(before) > 2 and before[-2] not in ("that", "which", "it", "this", "there", "what") and any(
            before[-k] in KIND_NOUNS and set(before[-k - 3:-k]) & {"a", "an", "another"} for k in range(2, min(6, len(before)))):
        return True  # "a great thriller is get out", "another movie I really like is ghost"
    if before[-1] in ("is", "was") and _seen_clause(before[:-1]):
        return True  # "the last movie I saw at a theater was me before you"
    if before[-2:-1] in (["movie"], ["film"]) and before[-1] == "is":
        return len(before) > 2 and before[-3] in ("favorite", "favourite", "fave", "time", "best")  # not "that movie is epic"
    return before[-1] in CUES_BEFORE


def _seen_clause(before: list[str]) -> bool:
    """The words end in "<film> I/we <saw, liked, know...> ...": "the last movie I watched", "a film we
    loved", "the last documentary I saw", "the only film I know of"."""
    for p in range(len(before) - 1, -1, -1):
        if before[p] in KIND_NOUNS:
            rest = before[p + 1:]
            return rest[:1] in (["i"], ["we"]) and bool(set(rest[1:]) & (WATCHING | LIKING | {"know", "remember"}))
    return False


def version_around(after: list[str]) -> str | None:
    """A version named in the words after a remade title: "the Ghostbusters remake", "Ghostbusters, it
    was a great remake" (the newer); "It and the remake", "better than the remake" (the original)."""
    if after[:1] == ["remake"]:
        return "new"
    if "remake" in after:
        lead = after[:after.index("remake")]
        if lead[-2:] in (["and", "the"], ["than", "the"], ["or", "the"]):
            return "original"
        if any(w in ("was", "is") for w in lead) and len(lead) <= 5 and not any(w in ("and", "or", "than", "not") for w in lead):
            return "new"
    return None


def modifier_at(tokens: list[str], i: int) -> str | None:
    """The words before position i that pick a version: "new", "original", "the newest one X"; "old" only
    as "the old X" ("my 5 year old" is no version); "a remake of X" (the original), "the remake of X"."""
    if i > 0 and tokens[i - 1] in MODIFIERS_NEW | MODIFIERS_OLD:
        return tokens[i - 1]
    if i > 1 and tokens[i - 1] in ("one", "version") and tokens[i - 2] in MODIFIERS_NEW | MODIFIERS_OLD:
        return tokens[i - 2]  # "the new one Jumanji", "the newest one carrie"
    if i > 2 and tokens[i - 2:i] in (["remake", "of"], ["version", "of"], ["reboot", "of"], ["sequel", "to"]):
        # "is that a remake of Jumanji?": the film remade is the older one; "the remake of X" is the remake
        if tokens[i - 3] == "the" or i > 3 and tokens[i - 3] in MODIFIERS_NEW and tokens[i - 4] == "the":
            return "new" if tokens[i - 2] != "sequel" else None
        return "original"
    return "old" if tokens[max(0, i - 2):i] == ["the", "old"] else None
