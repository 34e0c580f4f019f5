"""Wishes that name a genre or a language without its name: "something sad", "cheer me up", "any foreign ones?".

The linker links genre words ("horror", "scary"); a mood only means a genre when it describes the
movie wanted ("a sad movie", "something lighter"), not the user ("I'm sad today"), so moods are read
here, from the message, with that shape required.
"""

from __future__ import annotations

import re
from dataclasses import replace

from kg.linker import NEGATIONS, LinkResult, Mention

# mood word -> KG genre
MOOD_GENRES = {
    "sad": "drama", "sadder": "drama", "tearjerker": "drama", "tear jerker": "drama", "emotional": "drama",
    "moving": "drama", "heartbreaking": "drama", "depressing": "drama",
    "lighter": "comedy", "light": "comedy", "light hearted": "comedy", "lighthearted": "comedy",
    "feel good": "comedy", "uplifting": "comedy", "heartwarming": "comedy", "wholesome": "comedy",
    "upbeat": "comedy", "cheerful": "comedy", "silly": "comedy", "hilarious": "comedy",
    "spooky": "horror", "creepy": "horror", "gory": "horror", "terrifying": "horror",
    "romantic": "romance", "kid friendly": "family", "family friendly": "family",
    "mind bending": "science fiction", "futuristic": "science fiction", "magical": "fantasy",
    "suspenseful": "thriller", "tense": "thriller",
}
_WORDS = "|".join(sorted((re.escape(w).replace(r"\ ", r"[\s-]") for w in MOOD_GENRES), key=len, reverse=True))
_DEGREE = r"(?:(?:a\s+)?(?:bit|little|lot|really|very|more|less|too|kind\s+of|somewhat|fairly|pretty)\s+)*"
# The mood must describe the movie: "something sad", "a sad movie", "anything lighter", "more upbeat ones".
_MOOD = re.compile(rf"\b(?:something|anything|nothing|a|an|some|any|more|another)\s+{_DEGREE}(?P<a>{_WORDS})\b"
                   r"(?!\s+(?:in|on|of|at|from|that|which)\b)"  # not "a light in the dark"
                   rf"|\b(?P<b>{_WORDS})\s+(?:movies?|films?|ones?|flicks?|stuff|comed(?:y|ies)|dramas?)\b", re.I)
# Whole wishes: "cheer me up", "I want to cry", "a date night movie".
_PHRASES = ((re.compile(r"\b(?:cheer (?:me|us) up|make (?:me|us) laugh|(?:a|some) laughs?)\b", re.I), "comedy"),
            (re.compile(r"\b(?:make (?:me|us) cry|(?:want|need) to cry|a good cry)\b", re.I), "drama"),
            (re.compile(r"\b(?:scare (?:me|us)|give (?:me|us) (?:the )?(?:chills|creeps|nightmares))\b", re.I), "horror"),
            (re.compile(r"\b(?:date[\s-]night|date movies?|(?:a|our|first) date)\b", re.I), "romance"),
            # "for a sleepover with 12 year olds", "to watch with the kids": a film for children
            (re.compile(r"\b(?:for|with) (?:my |our |the |a |some |young |little )*(?:kids|children|"
                        r"(?:[1-9]|1[0-2])[\s-]?(?:year|yr)[\s-]?olds?|little ones|toddlers)\b", re.I), "family"))
# Not English: ruled out as the English language.
_FOREIGN = re.compile(r"\b(?:foreign|non[\s-]?english|subtitled|with subtitles|world cinema)\b"
                      r"|\binternational (?:movies?|films?|cinema)\b", re.I)  # not "an international spy"


def _negated(message: str, start: int) -> bool:
    """"nothing too sad", "no foreign films", "not a sad one": a negation just before the mood."""
    before = re.findall(r"[a-z']+", message[:start].lower())[-3:]
    return any(w in NEGATIONS or w.endswith("n't") or w == "without" for w in before)


def with_moods(link: LinkResult, message: str, genre_by_name: dict, names: dict) -> LinkResult:
    """`link` plus the genres the message's moods name and, for "foreign", English ruled out.

    `genre_by_name`: the linker's genre name -> (entity, ...); `names`: its lower-case name -> [(entity,
    type)]. A genre the linker already found is not added twice."""
    have = {m.entity for m in link.mentions}
    found: list[Mention] = []

    def add(entity: int | None, kind: str, name: str, polarity: str) -> None:
        if entity is not None and entity not in have:
            have.add(entity)
            found.append(Mention(entity, kind, name, (-1, -1), polarity))

    for m in _MOOD.finditer(message):
        name = MOOD_GENRES[re.sub(r"[\s-]+", " ", (m.group("a") or m.group("b")).lower())]
        negated = _negated(message, m.start()) or m.group(0).lower().startswith("nothing")
        add(genre_by_name.get(name, (None,))[0], "genre", name, "disliked" if negated else "liked")
    for pattern, name in _PHRASES:
        if m := pattern.search(message):
            add(genre_by_name.get(name, (None,))[0], "genre", name, "disliked" if _negated(message, m.start()) else "liked")
    if m := _FOREIGN.search(message):
        english = next((e for e, t in names.get("english", ()) if t == "language"), None)
        # "foreign ones" rule English out; "no foreign films" asks for English ones
        add(english, "language", "English", "liked" if _negated(message, m.start()) else "disliked")
    if not found:
        return link
    return replace(link, mentions=link.mentions + found)
