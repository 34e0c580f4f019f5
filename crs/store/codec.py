"""DialogueState to JSON and back, so a session survives a page reload or a server restart."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from crs.dialogue.events import Card
from crs.dialogue.state import DialogueState


def state_to_json(state: DialogueState) -> str:
    return json.dumps(asdict(state), ensure_ascii=False)


def state_from_json(text: str | None) -> DialogueState:
    """A fresh state for None or ''; unknown keys (from a newer version) are ignored."""
    if not text:
        return DialogueState()
    data = json.loads(text)
    known = {f.name for f in fields(DialogueState)}
    data = {k: v for k, v in data.items() if k in known}
    data["history"] = [tuple(t) for t in data.get("history", [])]
    data["last_cards"] = [card_from_dict(c) for c in data.get("last_cards", [])]
    return DialogueState(**data)


def card_from_dict(d: dict) -> Card:
    known = {f.name for f in fields(Card)}
    return Card(**{k: v for k, v in d.items() if k in known})
