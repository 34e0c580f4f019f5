"""When the movies should be from: "from the 90s", "an 80s thriller", "before 2000", "something recent"."""

from __future__ import annotations

import re

_DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
                 "eighties": 8, "nineties": 9}
_DECADE = (r"(?:(?P<century>19|20)?(?P<digit>\d)0'?s|'(?P<short>\d)0s|"
           rf"(?P<word>{'|'.join(_DECADE_WORDS)}))")
_KINDS = (r"movies?|films?|classics?|stuff|flicks?|comed(?:y|ies)|horrors?|thrillers?|action|dramas?|"
          r"westerns?|musicals?|romances?|rom-?coms?|sci-?fi|cartoons?|animations?|kids?|teen|family|crime|war")
_KIND = rf"(?:{_KINDS}|ones?)"  # "a 90s one"
_PLAIN_KIND = rf"(?:{_KINDS})"  # "the older one" picks a version of a title, it asks for no era
# The decade must be asked for: "from the 90s", "movies of the 80s", "a 90s thriller" (not "I was a kid in the 90s").
_ASKED_DECADE = (re.compile(rf"\b(?:from|of|made in)\s+the\s+(?:early\s+|late\s+|mid\s+)?{_DECADE}(?!\w)", re.I),
                 re.compile(rf"(?<![\w'])(?:early\s+|late\s+)?{_DECADE}(?:\s+\w+)?\s+{_KIND}\b", re.I))
_YEAR = r"((?:19|20)\d\d)"
_BETWEEN = re.compile(rf"\bbetween\s+{_YEAR}\s+and\s+{_YEAR}\b", re.I)
_BEFORE = re.compile(rf"\b(?:before|older than|earlier than|pre-?)\s*{_YEAR}\b", re.I)
_AFTER = re.compile(rf"\b(?:after|since|newer than|later than|post-?)\s*{_YEAR}\b", re.I)
_FROM_YEAR = re.compile(rf"\b(?:from|released in|made in|came out in)\s+{_YEAR}\b(?!\s*(?:to|-|and)\s*\d)"
                        rf"|\b(?:what|how) about\s+{_YEAR}\b(?!\s*(?:to|-|and)\s*\d)|\b{_YEAR}\s+(?:movies|films|releases)\b",
                        re.I)  # "ok what about 2017 then", "good 2016 movies"
_RECENT = re.compile(rf"\b(?:recent|newer|latest|new release)\w*\s+(?:\w+\s+)?{_PLAIN_KIND}\b|\bsomething (?:more )?(?:recent|newer)\b"
                     r"|\bnew releases\b|\b(?:from|in|of|over) the (?:last|past) (?:few|couple(?: of)?|several) years\b",
                     re.I)  # "good horror from the last few years"
_OLD = re.compile(rf"\b(?:old|older|old-?school|vintage)\s+(?:\w+\s+)?{_PLAIN_KIND}\b|\bsomething (?:old|older)\b", re.I)
RECENT_YEARS = 4  # "recent": the catalogue's last five years
OLD_BEFORE = 1980  # "old movies": before 1980


def era(message: str, latest: int) -> tuple[int | None, int | None] | None:
    """(first year, last year) the message asks the movies to be from, either end open; None when it
    asks nothing. `latest`: the newest year in the catalogue, for "recent"."""
    if m := _BETWEEN.search(message):
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        return a, b
    if m := _ASKED_DECADE[0].search(message) or _ASKED_DECADE[1].search(message):
        start = _decade_start(m)
        text = m.group(0).lower()
        if "early" in text:
            return start, start + 3
        if "late" in text:
            return start + 6, start + 9
        return start, start + 9
    if m := _BEFORE.search(message):
        return None, int(m.group(1)) - 1
    if m := _AFTER.search(message):
        return int(m.group(1)) + (0 if m.group(0).lower().startswith("since") else 1), None
    if m := _FROM_YEAR.search(message):
        year = int(next(g for g in m.groups() if g))
        return year, year
    if _RECENT.search(message):
        return latest - RECENT_YEARS, None
    if _OLD.search(message):
        return None, OLD_BEFORE - 1
    return None


def _decade_start(m: re.Match) -> int:
    if m.group("word"):
        return 1900 + 10 * _DECADE_WORDS[m.group("word").lower()]
    digit = int(m.group("digit") or m.group("short"))
    century = m.group("century")
    if century:
        return int(century) * 100 + 10 * digit
    return (2000 if digit < 2 else 1900) + 10 * digit


def describe(span: tuple[int | None, int | None]) -> str:
    """"from 1990 to 1999", "from 2014 on", "up to 1979"."""
    lo, hi = span
    if lo is not None and hi is not None:
        return f"from {lo}" if lo == hi else f"from {lo} to {hi}"
    return f"from {lo} on" if lo is not None else f"up to {hi}"


def within(year: int | None, span: tuple[int | None, int | None]) -> bool:
    lo, hi = span
    return year is not None and (lo is None or year >= lo) and (hi is None or year <= hi)
