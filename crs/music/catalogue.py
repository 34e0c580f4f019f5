"""The music catalogue: MusicCaps clips (and a user's own audio files) with text vectors and attributes.

Each item has a human-written description (MusicCaps caption) embedded with all-MiniLM-L6-v2,
parsed attributes (see :mod:`crs.music.attributes`) as a binary tag matrix, numeric energy and
valence, and a link to its source (YouTube id and start time, or the local file).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from crs.music.attributes import ALL_TAGS, TAG_INDEX, Attributes, parse_attributes

log = logging.getLogger(__name__)


@dataclass
class MusicItem:
    """One piece of music in the catalogue."""

    id: str  # "musiccaps:<ytid>" or "user:<file name>"
    caption: str
    aspects: list[str]
    attributes: Attributes
    url: str  # YouTube link with start time, or file:// path
    source: str = "musiccaps"
    start_s: int = 0
    end_s: int = 0

    @property
    def title(self) -> str:
        if self.source == "musiccaps":
            return f"MusicCaps {self.id.split(':', 1)[1]} @ {self.start_s}s"
        return Path(self.url).name

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "caption": self.caption, "aspects": self.aspects,
                "attributes": self.attributes.to_dict(), "url": self.url, "source": self.source}


@dataclass
class MusicCatalogue:
    """Items plus the arrays retrieval needs: unit text vectors [n, 384], tags [n, T], energy, valence."""

    items: list[MusicItem]
    embeddings: np.ndarray
    aspect_embeddings: np.ndarray | None = None  # [n, 384] vectors of the aspect lists (turn-2 feature)
    tags: np.ndarray = field(init=False)
    energy: np.ndarray = field(init=False)
    valence: np.ndarray = field(init=False)

    def __post_init__(self):
        if len(self.items) != len(self.embeddings):
            raise ValueError(f"{len(self.items)} items but {len(self.embeddings)} embeddings")
        if self.aspect_embeddings is not None and len(self.aspect_embeddings) != len(self.items):
            raise ValueError(f"{len(self.items)} items but {len(self.aspect_embeddings)} aspect embeddings")
        self.tags = tag_matrix([it.attributes.tags for it in self.items])
        self.energy = np.array([it.attributes.energy for it in self.items], dtype=np.float32)
        self.valence = np.array([it.attributes.valence for it in self.items], dtype=np.float32)
        self.index = {it.id: i for i, it in enumerate(self.items)}

    def __len__(self) -> int:
        return len(self.items)

    def add(self, items: list[MusicItem], embeddings: np.ndarray) -> MusicCatalogue:
        """A new catalogue with ``items`` appended (e.g. the user's own audio files; their description
        stands in for the aspect list)."""
        aspects = None
        if self.aspect_embeddings is not None:
            aspects = np.concatenate([self.aspect_embeddings, embeddings]).astype(np.float32)
        return MusicCatalogue(self.items + items, np.concatenate([self.embeddings, embeddings]).astype(np.float32),
                              aspects)


def tag_matrix(tag_sets: list[set[str]]) -> np.ndarray:
    """Binary [n, len(ALL_TAGS)] float32 matrix."""
    m = np.zeros((len(tag_sets), len(ALL_TAGS)), dtype=np.float32)
    for i, tags in enumerate(tag_sets):
        for t in tags:
            if t in TAG_INDEX:
                m[i, TAG_INDEX[t]] = 1.0
    return m


def item_text(item: MusicItem) -> str:
    """What is embedded for an item: its human-written caption (aspects are used as attributes)."""
    return item.caption


def aspect_text(item: MusicItem) -> str:
    """What is embedded for an item's aspect list (its caption when it has none)."""
    return ", ".join(item.aspects) if item.aspects else item.caption


def musiccaps_items(limit: int | None = None) -> list[MusicItem]:
    """The MusicCaps clips as catalogue items (optionally the first ``limit``, for tests)."""
    from crs.data.musiccaps import load_musiccaps

    clips = load_musiccaps()
    if limit:
        clips = clips[:limit]
    return [MusicItem(id=f"musiccaps:{c.ytid}", caption=c.caption, aspects=list(c.aspects),
                      attributes=parse_attributes(c.aspects, c.caption), url=c.url, source="musiccaps",
                      start_s=c.start_s, end_s=c.end_s) for c in clips]


def load_catalogue(limit: int | None = None, user_dir: str | Path | None = None, progress: bool = True) -> MusicCatalogue:
    """MusicCaps (cached MiniLM vectors in $CRS_HOME/embeddings), plus audio files from ``user_dir``."""
    from crs.embeddings import cached_embeddings

    items = musiccaps_items(limit)
    emb = cached_embeddings("musiccaps", [item_text(it) for it in items], progress=progress)
    aspects = cached_embeddings("musiccaps-aspects", [aspect_text(it) for it in items], progress=progress)
    cat = MusicCatalogue(items, emb, aspects)
    if user_dir:
        from crs.music.audio import user_audio_items

        extra = user_audio_items(user_dir)
        if extra:
            from crs.embeddings import encode

            cat = cat.add(extra, encode([item_text(it) for it in extra]))
    return cat
