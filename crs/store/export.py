"""`crs feedback export`: the likes and dislikes, with the dialogue before each, as JSONL for retraining."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from crs.store.db import ConversationStore


def export_feedback(store: ConversationStore, out: str | Path | None = None) -> int:
    """Write one JSON object per like/dislike to `out` (stdout when None or '-'); returns how many."""
    n = 0
    fh = sys.stdout if out in (None, "-") else open(out, "w", encoding="utf-8")
    try:
        for rec in store.iter_feedback():
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    finally:
        if fh is not sys.stdout:
            fh.close()
    return n
