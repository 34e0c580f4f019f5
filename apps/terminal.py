"""`crs chat`: the dialogue manager in a terminal, streaming replies."""

from __future__ import annotations

import sys

from crs.dialogue.events import Notice, Recommendations, TextDelta
from crs.dialogue.state import DialogueState


def print_events(events, out=None) -> None:
    out = out if out is not None else sys.stdout  # looked up per call, so redirected stdout is honoured
    started = False
    for ev in events:
        if isinstance(ev, Notice):
            print(f"[{ev.level}] {ev.message}", file=out)
        elif isinstance(ev, Recommendations):
            for i, c in enumerate(ev.cards, 1):
                print(f"  {i}. {c.display} [{', '.join(c.genres[:3])}] - {c.reason}", file=out)
        elif isinstance(ev, TextDelta):
            if not started:
                print("bot> ", end="", file=out)
                started = True
            print(ev.text, end="", file=out, flush=True)
    print(file=out)


def chat_loop(manager, messages: list[str] | None = None) -> int:
    """Interactive loop; with `messages`, send them in order and exit (scripts, tests)."""
    state = DialogueState()
    if messages:
        for msg in messages:
            print(f"you> {msg[:200]}")
            print_events(manager.respond(state, msg))
        return 0
    print("Tell me a movie you loved, a genre or an actor. Ctrl-D or 'quit' to leave.")
    while True:
        try:
            msg = input("you> ")
        except EOFError:
            print()
            return 0
        if msg.strip().lower() in ("quit", "exit"):
            return 0
        print_events(manager.respond(state, msg))
