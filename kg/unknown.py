"""Typed titles the catalogue does not have ("I loved Das Boot", "have you seen 'Blorgon Quest 3'?").

A quoted phrase, or a capitalised name after "loved", "watched", "saw"..., is meant as a title. If
the linker's mentions in the same message do not cover it (give or take a year or an article), it is
a title the catalogue lacks: the dialogue reports it instead of silently ignoring it, and the words
inside it ("Quest") do not become preferences. Computed from one `link` call: no second linking.
"""

from __future__ import annotations

import re

# Quotes, not apostrophes: "don't ... can't" is no title.
QUOTED = re.compile(r"(?<!\w)[\"“']([^\"”']{2,80})[\"”'](?!\w)")
AFTER_VERB = re.compile(r"\b(?:loved|liked|enjoyed|watched|saw|seen)\s+([A-Z][\w':-]*(?:\s+[A-Z0-9][\w':-]*)*)")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_WATCHED = frozenset({"watched", "saw", "seen"})
_KIND_AFTER = re.compile(r"\s*(?:movies?|films?|ones?|stuff|flicks?|themed|specials?|episodes?|stor(?:y|ies)|shows?|"
                         r"series|genre|type|kind|books?)\b", re.I)
_SKIP = ("the", "a", "an")


def unknown_title(text: str, mentions, ambiguous, tokenize) -> tuple[str, tuple[int, int]] | None:
    """(typed text, token span) of the first title-like phrase that no mention covers, else None.

    `mentions`/`ambiguous`: the linker's result for `text`; `tokenize(s)`: its word tokens, so that
    character offsets map to the spans of the mentions."""
    found = [m.span for m in mentions if m.type == "movie" and m.span[0] >= 0] + [a.span for a in ambiguous]
    covered = {k for m in mentions if m.span[0] >= 0 for k in range(*m.span)}
    # a capitalised word the KG only knows as a tag ("I loved Parasite": the keyword parasite) is a title
    tags_only = {k for m in mentions if m.span[0] >= 0 and m.type == "keyword" for k in range(*m.span)} \
        - {k for m in mentions if m.span[0] >= 0 and m.type != "keyword" for k in range(*m.span)}
    ids = any(m.span[0] < 0 for m in mentions)
    for rx in (QUOTED, AFTER_VERB):
        for match in rx.finditer(text):
            cand = match.group(1).strip(" .,!?")
            if len(cand) < 3:
                continue
            if "@" in cand and ids:
                continue  # an @id mention inside the quotes
            start = len(tokenize(re.sub(r"@\d+", " ", text[:match.start(1)])))
            words = tokenize(re.sub(r"@\d+", " ", cand))
            end = start + len(words)
            # Part of a title the linker found ("Crouching Tiger" of "Crouching Tiger, Hidden Dragon").
            if any(a <= start and end <= b for a, b in found):
                continue
            inside = [k for k in range(start, end) if k in covered]
            rest = [w for k, w in zip(range(start, end), words) if k not in covered]
            # "I watched Parasite": a tag after a verb of watching is a title; not "watched Christmas movies",
            # and not after "loved" ("I loved World War II" is the subject)
            a_tag = rx is AFTER_VERB and inside and set(inside) <= tags_only \
                and match.group(0).split()[0].lower() in _WATCHED and not _KIND_AFTER.match(text[match.end(1):])
            if inside and all(_YEAR.match(w) or w in _SKIP for w in rest) and not a_tag:
                continue  # "Tom Hanks", "Heat 1995": known names cover it
            return cand, (start, end)
    return None
