"""Grounded prompts: the LLM phrases facts the KG and the recommender supplied, nothing else."""

from __future__ import annotations

import zlib

from crs.dialogue.events import Card
from crs.dialogue.state import DialogueState

SYSTEM = (
    "You are CineBot, a friendly movie recommender. Use only the facts you are given. "
    "Name only the movies listed in the facts, with their exact titles. Never invent actors, "
    "directors, years or plots. Reply in at most three short sentences."
)
HISTORY_TURNS = 4


def _history(state: DialogueState) -> str:
    turns = state.history[-HISTORY_TURNS:]
    return "\n".join(f"{'User' if r == 'user' else 'CineBot'}: {t[:400]}" for r, t in turns)


def card_fact(c: Card) -> str:
    parts = [f"{c.display}"]
    if c.genres:
        parts.append(", ".join(c.genres[:3]))
    if c.directors:
        parts.append("directed by " + ", ".join(c.directors[:2]))
    if c.stars:
        parts.append("starring " + ", ".join(c.stars[:2]))
    return "; ".join(parts) + f". Why it fits: {c.reason}."


def build_messages(action: str, state: DialogueState, cards: list[Card], preferences: str) -> list[dict]:
    """Chat messages for one act; `preferences` is the state summary in words."""
    history = _history(state)
    if action == "recommend" and cards:
        facts = "\n".join(f"- {card_fact(c)}" for c in cards)
        task = (f"Facts:\n{facts}\n\nRecommend these movies to the user in two short sentences, "
                f"mentioning the first title and why it fits.")
    elif action == "ask":
        task = ("Ask the user one short question about what they like to watch: a movie they loved, "
                "a genre or an actor. Do not name any movie.")
    else:
        task = "Reply briefly and kindly, then ask what kind of movie the user is in the mood for. Do not name any movie."
    context = f"Conversation so far:\n{history}\n\n" if history else ""
    known = f"What we know: {preferences}\n\n" if preferences else ""
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": context + known + task}]


# Openings of a recommendation: each names the top card and gives its KG reason, nothing else.
LEADS = (
    "I think you'd enjoy {d}. {r}.",
    "You might like {d}. {r}.",
    "How about {d}? {r}.",
    "{d} could be a good fit. {r}.",
    "Try {d}. {r}.",
    "My pick for you is {d}. {r}.",
    "{d} is worth a look. {r}.",
)
MORE = ("You could also try {o}.", "Also worth a look: {o}.", "More picks: {o}.", "If that's not it, try {o}.")
ASKS = (
    "What's a movie you loved recently, or a genre or actor you enjoy?",
    "Is there a movie you enjoyed lately, or a genre or actor you like?",
    "Which movie have you enjoyed recently? A favourite genre or actor helps too.",
)
CHATS = (
    "Happy to help! What kind of movie are you in the mood for?",
    "Sure! What sort of movie do you feel like watching?",
    "Glad to help. What kind of movie are you in the mood for tonight?",
)


def _pick(options: tuple[str, ...], *key) -> str:
    """A template chosen by a stable hash of `key` (reproducible across runs and processes)."""
    return options[zlib.crc32(":".join(map(str, key)).encode()) % len(options)]


def lead_sentence(card: Card, variant: int | None = None) -> str:
    """The grounded opening of a recommendation: the top card and its KG reason. `variant` (e.g. the
    turn number) picks one of several openings by a hash of it and the item; None gives the first."""
    template = LEADS[0] if variant is None else _pick(LEADS, card.item, variant)
    return template.format(d=card.display, r=card.reason.rstrip("."))


def fallback_reply(action: str, cards: list[Card], lead_given: bool = False, variant: int | None = None) -> str:
    """A plain, correct sentence for when the LLM's text did not survive the post-check; `variant`
    varies the wording as in `lead_sentence` (None: the first wording)."""
    if action == "recommend" and cards:
        others = ", ".join(c.display for c in cards[1:])
        more = (MORE[0] if variant is None else _pick(MORE, cards[1].item, variant)).format(o=others) if others else ""
        return more if lead_given else f"{lead_sentence(cards[0], variant)} {more}".strip()
    if action == "ask":
        return ASKS[0] if variant is None else _pick(ASKS, action, variant)
    return CHATS[0] if variant is None else _pick(CHATS, action, variant)
