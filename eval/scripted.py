"""`crs eval scripted`: replay the scripted conversations with any LLM and write their transcripts.

The conversations are tests/fixtures/scripted_conversations.yaml (the suite tests/test_scripted_conversations.py
checks with the tiny LLM). Each system turn becomes one JSON line with the user message, the act, the
reply, the cards and the LLM sentences the post-check kept and dropped, the input of `crs eval replies`.
A rerun resumes after the conversations already written.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from tqdm.auto import tqdm

SCRIPT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "scripted_conversations.yaml"


def load_conversations(path: str | Path = SCRIPT) -> list[dict]:
    convs = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(convs, list) or not all(isinstance(c, dict) and c.get("turns") for c in convs):
        raise ValueError(f"{path}: expected a list of conversations, each with 'name' and 'turns'")
    return convs


def run_scripted(manager, out_file: str | Path, path: str | Path = SCRIPT, progress: bool = True) -> int:
    """Replay every conversation through `manager`; returns the number of turns written this call."""
    from crs.dialogue.events import Recommendations, TurnDone
    from crs.dialogue.state import DialogueState

    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out_file.exists():
        for line in out_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                done.add(json.loads(line)["conversation"])
    written = 0
    with out_file.open("a", encoding="utf-8") as f:
        for conv in tqdm(load_conversations(path), desc="scripted conversations", disable=not progress):
            if conv["name"] in done:
                continue
            state, lines = DialogueState(), []
            for k, turn in enumerate(conv["turns"]):
                cards, end = [], None
                for ev in manager.respond(state, turn["user"]):
                    if isinstance(ev, Recommendations):
                        cards = [c.item for c in ev.cards]
                    elif isinstance(ev, TurnDone):
                        end = ev
                # An explain turn is about the cards shown before it.
                shown = cards or [c.item for c in state.last_cards]
                lines.append({"conversation": conv["name"], "turn": k, "user": turn["user"], "action": end.action,
                              "reply": end.text, "cards": shown, "kept": end.llm_kept, "dropped": end.llm_dropped})
            # A conversation is written whole, so that an interrupted run resumes cleanly.
            f.write("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
            f.flush()
            written += len(lines)
    return written
