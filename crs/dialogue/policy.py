"""Decide the next dialogue act: ask, recommend, explain, answer, chit-chat (clarify and foreign are the manager's)."""

from __future__ import annotations

import re

from crs.dialogue import acts
from crs.dialogue.facts import fact_question
from crs.dialogue.state import DialogueState
from kg.linker import LinkResult

ASK, RECOMMEND, EXPLAIN, ANSWER, CHITCHAT, CLARIFY, FOREIGN = ("ask", "recommend", "explain", "answer", "chit-chat",
                                                               "clarify", "foreign")
_REQUEST = re.compile(r"\b(recommend|suggest|suggestion|what (else|should|can|could)|any (ideas|good|other)|"
                      r"looking for|in the mood|something|anything|another|more|other|watch|give me|show me|"
                      r"options?|similar|like|less|instead|different)\b", re.I)  # "less cheesy please"
_ACK = re.compile(r"^\W*(ok(ay)?|cool|nice|great|awesome|perfect|sounds good|sure|alright|got it|fine|"
                  r"wow|interesting|lol|haha)\W*$", re.I)


def decide(state: DialogueState, message: str, link: LinkResult) -> str:
    """A small, transparent rule policy; the LLM only phrases what this decides."""
    if acts.asks_why(message) and state.last_cards:
        return EXPLAIN  # explain the last recommendation; never new picks
    if fact_question(message, link) and (state.last_cards or link.of_type("movie") or state.topic is not None):
        return ANSWER  # "who directed it?", "what's Heat about?": a fact about one movie, no new picks
    if state.last_cards and acts.points_at_card(message) and not link.of_type("movie"):
        return EXPLAIN  # "the second one", "what about #3?": that card, its reason and its story
    if state.last_cards and (acts.asks_more(message) or acts.rejects(message)):
        return RECOMMEND  # new items, never the ones shown or turned down
    if state.last_cards and acts.accepts(message) and not link.of_type("genre", "person", "keyword"):
        return CHITCHAT  # "the first one sounds good": the user took a pick, no new ones
    if not link.mentions and (acts.social(message) or _ACK.match(message)):
        return CHITCHAT
    informative = bool(link.mentions)
    if _REQUEST.search(message) or informative:
        return RECOMMEND if (state.has_preferences or _REQUEST.search(message)) else ASK
    return ASK if not state.has_preferences else RECOMMEND
