"""People named by their surname alone ("something by Spielberg"): the index the linker reads."""

from __future__ import annotations

import numpy as np

from crs.data.tmdkg import TMDKG
from kg import titles as T

SURNAME_PARTICLES = frozenset("de del della di da van von der le la du".split())  # "De Niro", "Van Damme"
SURNAME_WORD = 4.0  # a surname this common in English ("stone", "washington") is a word unless a cue says person
PERSON_CUES = frozenset("with by starring director actor actress from".split())
MIN_SURNAME_FILMS = 10  # a surname names someone with at least this many credits in the graph ...
SURNAME_DOMINANCE = 3.0  # ... and this many times more films than anyone else of that name


def people_by_surname(people: list[str], names: dict, kg: TMDKG) -> dict[str, list[tuple[int, int]]]:
    """surname -> [(person entity, films in the graph)], best known first; "de niro" keeps its particle."""
    # Films as cast, director or writer: the credits people name someone by (a casting director's are not).
    named = [r for r, name in kg.relations.items() if name in ("cast", "directing", "writing")]
    credits = kg.triples[np.isin(kg.triples[:, 1], named)]
    films = np.bincount(credits[:, 2], minlength=kg.n_entities) + np.bincount(credits[:, 0], minlength=kg.n_entities)
    out: dict[str, dict[int, int]] = {}
    for name in people:
        words = name.split(" ")
        k = 2 if len(words) > 2 and words[-2] in SURNAME_PARTICLES else 1
        eid = next(e for e, t in names[name] if t == "person")
        out.setdefault(" ".join(words[-k:]), {})[eid] = int(films[eid])
    return {s: sorted(v.items(), key=lambda ef: -ef[1]) for s, v in out.items()}


def surname_person(by_surname: dict, given_names: frozenset, ctx, n: int, i: int, tokens: list[str],
                   raw_tokens: list[str]) -> int | None:
    """The person a surname typed alone (and capitalised: the caller checks) names ("something by
    Spielberg", "a Hitchcock movie"): not part of another name, an English word only after "with"/"by"/"starring"
    ("with Stone"), and one person far better known than any other of that name (else None).
    `ctx` is the linker's view of the message (sentence starts, capitalised names around)."""
    gram = " ".join(tokens[i:i + n])
    if ctx.inside_name(i, n) or ctx.initial(i, n) or len(gram) < 3 or gram in given_names:
        return None  # "J", "Leo", "Ferris": an initial or a first name as much as a surname
    if i + n < len(raw_tokens) and raw_tokens[i + n][:1].isupper() and tokens[i + n] not in T.MINOR \
            and not ctx.sentence_start(i + n):
        return None  # "Winston Churchill": the first name of someone else
    if i > 0 and tokens[i - 1] in given_names and raw_tokens[i - 1][:1].isupper():
        return None  # "John Smith": someone else's full name
    if T.zipf(gram) >= SURNAME_WORD and not (i > 0 and tokens[i - 1] in PERSON_CUES):
        return None  # "Stone", "Black", "Hill" are words unless a person is clearly meant
    (first, films), *rest = by_surname[gram]
    if films < MIN_SURNAME_FILMS or rest and films < SURNAME_DOMINANCE * rest[0][1]:
        return None  # "Scott": Ridley or Tony, and neither is the obvious one
    return first
