"""MovieLens ml-latest-small ratings, joined to ReDial movies through IMDb ids."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from crs.data.errors import DataError, SkipLog
from crs.paths import data_file


@dataclass
class Rating:
    user: int
    movie: int  # MovieLens movieId
    rating: float
    timestamp: int


def _rows(name: str, header: list[str], log: SkipLog):
    path = data_file("movielens", name)
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        first = next(reader, None)
        if first is None or first[: len(header)] != header:
            raise DataError(path, 1, f"unexpected header {first}, expected {header}")
        for n, row in enumerate(reader, start=2):
            if len(row) < len(header):
                log.skip(path, n, f"malformed row: {len(row)} fields, expected {len(header)}")
                continue
            yield path, n, row


def load_ratings(log: SkipLog | None = None) -> list[Rating]:
    log = log if log is not None else SkipLog()
    out = []
    for path, n, row in _rows("ratings.csv", ["userId", "movieId", "rating", "timestamp"], log):
        try:
            out.append(Rating(int(row[0]), int(row[1]), float(row[2]), int(row[3])))
        except ValueError:
            log.skip(path, n, f"malformed row: {row}")
    return out


def load_links(log: SkipLog | None = None) -> dict[int, str]:
    """MovieLens movieId -> IMDb id as 'tt' + 7 digits."""
    log = log if log is not None else SkipLog()
    out = {}
    for path, n, row in _rows("links.csv", ["movieId", "imdbId", "tmdbId"], log):
        try:
            out[int(row[0])] = f"tt{int(row[1]):07d}"
        except ValueError:
            log.skip(path, n, f"malformed row: {row}")
    return out


def load_ml_movies(log: SkipLog | None = None) -> dict[int, str]:
    log = log if log is not None else SkipLog()
    return {int(r[0]): r[1] for _, _, r in _rows("movies.csv", ["movieId", "title", "genres"], log)}


def load_tags(log: SkipLog | None = None) -> list[tuple]:
    log = log if log is not None else SkipLog()
    return [tuple(r) for _, _, r in _rows("tags.csv", ["userId", "movieId", "tag", "timestamp"], log)]


def ml_to_items(catalog, log: SkipLog | None = None) -> dict[int, int]:
    """MovieLens movieId -> catalogue item, joined on IMDb id."""
    by_imdb = {}
    for m in catalog.movies:
        if m.imdb_id:
            by_imdb[imdb_number(m.imdb_id)] = m.item
    return {ml: by_imdb[imdb_number(imdb)] for ml, imdb in load_links(log).items() if imdb_number(imdb) in by_imdb}


def imdb_number(imdb: str) -> int:
    """"tt0114709" -> 114709 (the number both sources agree on)."""
    return int(imdb.lstrip("t") or 0)
