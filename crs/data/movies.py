"""The movie catalogue: ReDial ids joined with TMDKG entities and IMDb-derived metadata."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache

from crs.data.errors import DataError, SkipLog
from crs.data.jsonl import load_json
from crs.data.tmdkg import TMDKG, cached_tmdkg
from crs.paths import data_dir, data_file

_TITLE_YEAR = re.compile(r"^(.*?)\s*\((\d{4})\)\s*$")


def split_title(name: str) -> tuple[str, int | None]:
    """'Scarface  (1983)' -> ('Scarface', 1983); names without a year keep year None."""
    name = " ".join(name.split())
    m = _TITLE_YEAR.match(name)
    return (m.group(1).strip(), int(m.group(2))) if m else (name.strip(), None)


@dataclass
class Movie:
    """One catalogue item (a TMDKG movie entity; several ReDial ids may alias it)."""

    item: int  # dense index 0..n_items-1
    entity: int  # TMDKG entity id
    redial_ids: list[str]
    title: str
    year: int | None
    genres: list[str] = field(default_factory=list)
    plot: str = ""
    directors: list[str] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)
    stars: list[str] = field(default_factory=list)
    imdb_id: str | None = None
    mentions: int = 0

    @property
    def display(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def text(self) -> str:
        """The text the `text` recommender and the embeddings read."""
        parts = [self.display]
        if self.genres:
            parts.append("Genres: " + ", ".join(self.genres))
        if self.directors:
            parts.append("Directed by " + ", ".join(self.directors))
        if self.stars:
            parts.append("Starring " + ", ".join(self.stars))
        if self.plot:
            parts.append(self.plot)
        return ". ".join(parts)


class Catalog:
    """All movies, indexed by dense item id, TMDKG entity and ReDial id."""

    def __init__(self, movies: list[Movie]):
        self.movies = movies
        self.by_entity = {m.entity: m for m in movies}
        self.by_redial = {rid: m for m in movies for rid in m.redial_ids}

    def __len__(self) -> int:
        return len(self.movies)

    def __getitem__(self, item: int) -> Movie:
        return self.movies[item]

    def item_of(self, redial_id: str | int) -> int | None:
        m = self.by_redial.get(str(redial_id))
        return m.item if m else None

    def get(self, redial_id: str | int) -> Movie:
        """The movie for a ReDial id; an unknown id raises KeyError with a clear message."""
        m = self.by_redial.get(str(redial_id))
        if m is None:
            raise KeyError(f"unknown movie id: {redial_id!r} is not in the ReDial catalogue")
        return m


def load_catalog(kg: TMDKG | None = None, log: SkipLog | None = None) -> Catalog:
    """Join movies_with_mentions.csv, movie_info.json and TMDKG into one catalogue."""
    kg = kg or cached_tmdkg()
    log = log if log is not None else SkipLog()
    path = data_file("redial", "movies_with_mentions.csv")
    names: dict[str, tuple[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["movieId", "movieName", "nbMentions"]:
            raise DataError(path, 1, f"unexpected header {reader.fieldnames}")
        for n, row in enumerate(reader, start=2):
            try:
                names[row["movieId"]] = (row["movieName"], int(row["nbMentions"]))
            except (TypeError, ValueError):
                log.skip(path, n, f"malformed row: {row}")
    info = load_json(data_file("movies", "movie_info.json"))
    by_entity: dict[int, list[str]] = {}
    for rid in names:
        eid = kg.entity2id.get(rid)
        if eid is None:
            log.skip(path, None, f"unknown movie id: {rid} has no TMDKG entity")
            continue
        by_entity.setdefault(eid, []).append(rid)
    movies = []
    for item, (eid, rids) in enumerate(sorted(by_entity.items())):
        # Prefer the alias with metadata, then the most-mentioned one, for the displayed title.
        rids.sort(key=lambda r: (r not in info, -names[r][1]))
        meta = info.get(rids[0], {})
        title, year = split_title(meta.get("name") or names[rids[0]][0])
        movies.append(Movie(
            item=item, entity=eid, redial_ids=rids, title=title, year=year,
            genres=list(meta.get("genre") or []), plot=meta.get("plot") or "",
            directors=list(meta.get("director") or []), writers=list(meta.get("writer") or []),
            stars=list(meta.get("star") or []), imdb_id=meta.get("imdb_id"),
            mentions=sum(names[r][1] for r in rids),
        ))
    return Catalog(movies)


def cached_catalog() -> Catalog:
    """Load once per data directory (tests switch $CRS_DATA)."""
    return _cached_catalog(str(data_dir()))


@lru_cache(maxsize=2)
def _cached_catalog(_root: str) -> Catalog:
    return load_catalog()
