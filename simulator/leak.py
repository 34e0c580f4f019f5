"""Leak checker: does a seeker message name the target movie (its title, with or without year, or an alias)?

The check is deliberately strict: case-insensitive, on word boundaries, after normalising
punctuation, apostrophes and "&"/"and", for every name of the target (the catalogue title,
the titles of every ReDial id that TMDKG maps to the same movie, each with and without its
year and without a leading article). A short title that is an everyday word ("It", "Up",
"Her") therefore matches that word anywhere: the seeker must avoid it, which it does by
re-drawing a template (see simulator/seeker.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crs.data.movies import split_title

_ARTICLES = ("the ", "a ", "an ")


def normalise(text: str) -> str:
    """Lowercase ASCII words separated by single spaces ("Schindler's List" -> "schindlers list")."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ")
    text = re.sub(r"['’`]", "", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def name_variants(names: list[str]) -> set[str]:
    """Normalised forms of each name: as given, without "(year)", without a leading article."""
    out: set[str] = set()
    for name in names:
        title, year = split_title(name)
        for form in {name, title, f"{title} {year}" if year else title}:
            n = normalise(form)
            if not n:
                continue
            out.add(n)
            for art in _ARTICLES:
                if n.startswith(art) and len(n) - len(art) >= 3:
                    out.add(n[len(art):])
    return out


@dataclass
class LeakChecker:
    """Finds any of the target's names in a text."""

    names: list[str]

    def __post_init__(self):
        self.variants = sorted(name_variants(self.names), key=len, reverse=True)
        self._rx = re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(v) for v in self.variants) + r")(?![a-z0-9])") \
            if self.variants else None

    def find(self, text: str) -> list[str]:
        """The target names found in ``text`` (empty when it does not leak)."""
        if self._rx is None:
            return []
        return sorted(set(self._rx.findall(normalise(text))))

    def leaks(self, text: str) -> bool:
        return bool(self.find(text))


def target_names(item: int, catalog=None) -> list[str]:
    """Every name of catalogue item ``item``: its display title and the names of all its ReDial ids."""
    from crs.data.movies import cached_catalog

    catalog = catalog or cached_catalog()
    movie = catalog[item]
    names = [movie.display, movie.title]
    for rid in movie.redial_ids:
        name = redial_names().get(rid)
        if name:
            names.append(name)
    return list(dict.fromkeys(names))


_REDIAL_NAMES: dict[str, str] | None = None


def redial_names() -> dict[str, str]:
    """ReDial id -> movieName from movies_with_mentions.csv (the aliases TMDKG merges), read once."""
    global _REDIAL_NAMES
    if _REDIAL_NAMES is None:
        import csv

        from crs.paths import data_file

        with open(data_file("redial", "movies_with_mentions.csv"), encoding="utf-8", newline="") as f:
            _REDIAL_NAMES = {row["movieId"]: row["movieName"] for row in csv.DictReader(f)}
    return _REDIAL_NAMES


def checker_for(item: int, catalog=None) -> LeakChecker:
    return LeakChecker(target_names(item, catalog))
