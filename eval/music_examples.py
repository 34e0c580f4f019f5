"""Five example sessions for docs/music.md: synthetic video -> pick and reason -> feedback -> refined pick.

    CRS_HOME=... python -m eval.music_examples OUT_DIR   # writes OUT_DIR/sessions.jsonl

There are no real videos offline: the videos are written with PyAV (crs.music.synthetic, seed 7)
and the feedback is written by hand, as a user would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SESSIONS = (
    ("bright-fast-cuts", dict(brightness=0.95, colour=(1.0, 0.8, 0.3), speed=6, cut_every_s=0.5), "calmer, no vocals"),
    ("dark-still", dict(brightness=0.2, colour=(0.3, 0.4, 1.0), speed=0), "something with piano"),
    ("warm-slow", dict(brightness=0.7, colour=(1.0, 0.5, 0.2), speed=1), "more upbeat, not rock"),
    ("colourful-moving", dict(brightness=0.8, colour=(0.3, 1.0, 0.5), speed=3), "I want acoustic guitar and a female singer"),
    ("grey-cuts", dict(brightness=0.5, colour=(0.6, 0.6, 0.6), speed=2, cut_every_s=1.0), "less electronic, more jazz"),
)


def example_sessions(out: Path, config: str = "default", llm: str = "smollm2") -> list[dict]:
    from crs.music.session import MusicEngine, MusicSession
    from crs.music.synthetic import make_video

    out.mkdir(parents=True, exist_ok=True)
    engine = MusicEngine.load(config, llm=llm, progress=False)
    rows = []
    for name, look, feedback in SESSIONS:
        path = make_video(out / f"{name}.mp4", seconds=4, fps=12, size=(320, 180), seed=7, **look)
        s = MusicSession(engine)
        first = s.start(str(path))
        second = s.refine(feedback)
        prof = s.state.profile
        rows.append({"video": name, "description": prof.summary(), "labels": prof.labels[:3],
                     "energy": round(prof.energy, 2), "valence": round(prof.valence, 2),
                     "pick": first.to_dict(), "feedback": feedback, "refined": second.to_dict()})
    with open(out / "sessions.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


if __name__ == "__main__":
    example_sessions(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/music-examples"))
