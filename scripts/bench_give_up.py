"""`python scripts/bench_give_up.py`: seconds per LLM turn on the scripted conversations with SmolLM2,
`ManagerConfig.max_dropped_sentences` 3 (the default) against null (read to max_new_tokens).

Both settings alternate per conversation in one process, so the result is a ratio on this machine,
not an absolute number. Greedy decoding: the two settings see the same sentences up to the cut.
"""

from __future__ import annotations

import time

import numpy as np

from crs.dialogue.events import TurnDone
from crs.dialogue.factory import build_manager
from crs.dialogue.manager import ManagerConfig
from crs.dialogue.state import DialogueState
from eval.scripted import load_conversations

SETTINGS = (3, None)


def main() -> None:
    manager = build_manager("smollm2", "popularity", {}, ManagerConfig(adapter="none"))
    times: dict = {s: [] for s in SETTINGS}
    kept: dict = dict.fromkeys(SETTINGS, 0)
    for k, conv in enumerate(load_conversations()):
        for limit in SETTINGS if k % 2 == 0 else SETTINGS[::-1]:  # alternate which setting goes first
            manager.config.max_dropped_sentences = limit
            state = DialogueState()
            for turn in conv["turns"]:
                t0 = time.perf_counter()
                end = [ev for ev in manager.respond(state, turn["user"]) if isinstance(ev, TurnDone)][0]
                if end.llm_kept or end.llm_dropped:  # a turn the LLM phrased
                    times[limit].append(time.perf_counter() - t0)
                    kept[limit] += len(end.llm_kept)
    for limit in SETTINGS:
        t = np.array(times[limit])
        print(f"max_dropped_sentences={limit}: LLM turns {len(t)}, kept sentences {kept[limit]}, "
              f"mean {t.mean():.2f} s, p50 {np.percentile(t, 50):.2f}, p95 {np.percentile(t, 95):.2f}")
    a, b = np.array(times[3]), np.array(times[None])
    print(f"ratio (3 / null): mean {a.mean() / b.mean():.3f}, p95 {np.percentile(a, 95) / np.percentile(b, 95):.3f}")


if __name__ == "__main__":
    main()
