"""MusicCaps clips: captions and aspect lists written by musicians."""

from __future__ import annotations

import ast
import csv
from dataclasses import dataclass

from crs.data.errors import DataError, SkipLog
from crs.paths import data_file

HEADER = ["ytid", "start_s", "end_s", "audioset_positive_labels", "aspect_list", "caption",
          "author_id", "is_balanced_subset", "is_audioset_eval"]


@dataclass
class Clip:
    ytid: str
    start_s: int
    end_s: int
    aspects: list[str]
    caption: str

    @property
    def url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.ytid}&t={self.start_s}s"


def load_musiccaps(log: SkipLog | None = None) -> list[Clip]:
    log = log if log is not None else SkipLog()
    path = data_file("musiccaps", "musiccaps-public.csv")
    clips = []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        if next(reader, None) != HEADER:
            raise DataError(path, 1, f"unexpected header, expected {HEADER}")
        for n, row in enumerate(reader, start=2):
            try:
                aspects = ast.literal_eval(row[4])
                clips.append(Clip(row[0], int(row[1]), int(row[2]), [str(a) for a in aspects], row[5]))
            except (ValueError, SyntaxError, IndexError):
                log.skip(path, n, "malformed row: bad aspect list or times")
    return clips
