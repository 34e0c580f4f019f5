"""Decide the next dialogue act: ask, recommend, explain or chit-chat."""

from __future__ import annotations

import re

from crs.dialogue.state import DialogueState
from kg.linker import LinkResult

ASK, RECOMMEND, EXPLAIN, CHITCHAT = "ask", "recommend", "explain", "chit-chat"
_REQUEST = re.compile(r"\b(recommend|suggest|suggestion|what (else|should|can|could)|any (ideas|good|other)|"
                      r"looking for|in the mood|something|anything|another|more|other|watch|give me|show me|"
                      r"options?|similar|like)\b", re.I)
_EXPLAIN = re.compile(r"\b(why|explain|tell me (more )?about|what is .+ about|more about|who (is|was) in)\b", re.I)
_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|evening|afternoon)|thanks?|thank you|bye|ok(ay)?|cool)\b", re.I)


def decide(state: DialogueState, message: str, link: LinkResult) -> str:
    """A small, transparent rule policy; the LLM only phrases what this decides."""
    if _EXPLAIN.search(message) and state.recommended:
        return EXPLAIN
    informative = bool(link.mentions)
    if _REQUEST.search(message) or informative:
        return RECOMMEND if (state.has_preferences or _REQUEST.search(message)) else ASK
    if _GREETING.match(message):
        return CHITCHAT
    return ASK if not state.has_preferences else RECOMMEND
