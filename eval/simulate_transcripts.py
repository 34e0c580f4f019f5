"""Example transcripts of a `crs eval simulate` run as markdown: `python -m eval.simulate_transcripts RUN_DIR [--n 5]`.

Picks ``n`` dialogues with at least two seeker turns by a seeded draw (seed 0 by default; the
choice does not look at the outcome) and writes each as a seeker / system table with the target,
the behaviours, the hints and the outcome. System replies are shortened to ``--width`` characters.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def pick(records: list[dict], n: int, seed: int = 0) -> list[dict]:
    """A seeded draw of ``n`` dialogues with at least two seeker messages before the end."""
    pool = sorted((r for r in records if len(r["log"]) >= 3), key=lambda r: r["dialogue_id"])
    return random.Random(seed).sample(pool, min(n, len(pool)))


def _short(text: str, width: int) -> str:
    text = " ".join((text or "").split()).replace("|", "/")
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " …"


def markdown(rec: dict, width: int = 160) -> str:
    hints = ", ".join(f"{'+' if h['polarity'] > 0 else '-'}{h['kind']}:{h['value']}" for h in rec.get("hints", []))
    head = (f"**{rec['dialogue_id']}**: target *{rec['target_title']}*; behaviours {', '.join(rec['behaviours'])}; "
            f"hints {hints or 'none'}; outcome {'success' if rec['success@10'] else rec['status']}.")
    rows = ["| seeker | system |", "|---|---|"]
    for t in rec["log"]:
        rows.append(f"| {_short(t['seeker'], 400)} | {_short(t.get('system', ''), width)} |")
    return head + "\n\n" + "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--width", type=int, default=160, help="characters of each system reply shown")
    args = ap.parse_args(argv)
    path = Path(args.run, "dialogues.jsonl")
    if not path.exists():
        raise SystemExit(f"no dialogues.jsonl in {args.run}")
    records = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    print("\n\n".join(markdown(r, args.width) for r in pick(records, args.n, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
