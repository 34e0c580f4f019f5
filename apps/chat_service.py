"""The chat behind the UI and the API: admission, one turn, ratings, and keeping it all in the store.

Many sessions reply at once (their LLM decoding is batched by apps/batched_llm.py); `TurnGate` bounds
how many: past `running` turns in flight a turn waits, past `waiting` more it is refused at once
with a "busy, try again" message, and one session never has two turns in flight (a client cannot
queue dozens of jobs). Every finished turn and rating is written to the `ConversationStore` before
the UI shows it as done, with the dialogue state, so a reload (or a restarted server) restores it.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from crs.dialogue.events import Card, Notice, Recommendations, TextDelta, TurnDone
from crs.dialogue.state import DialogueState

log = logging.getLogger(__name__)

NO_CARDS = "_No recommendations yet. Tell me a movie you loved, a genre or an actor._"
MAX_SHOWN_CHARS = 2000  # a longer user message is shortened in the chat window (the manager reads 2,000)
BUSY = ("The server is busy: {running} replies are being written and {waiting} are waiting. "
        "Please try again in a minute.")
ONE_AT_A_TIME = "I'm still answering your previous message; send this one when that reply is done."
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~:])")  # ':' too: "http\://" is no bare autolink
_WWW = re.compile(r"(?i)\bwww\.")


def escape_markdown(text: str) -> str:
    """User text shown as markdown, literally: no images, links (bare URLs included), emphasis or HTML."""
    return _WWW.sub(r"www\\.", _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)))


def new_session_id() -> str:
    return uuid.uuid4().hex


# ---------------------------------------------------------------------------------------- admission
class TurnGate:
    """At most `running` turns at once, `waiting` more queued; one turn per session."""

    def __init__(self, running: int = 16, waiting: int = 32):
        self.running, self.waiting = running, waiting
        self._active: set[str] = set()
        self._n_running = 0
        self._n_waiting = 0
        self._cond = threading.Condition()

    def admit(self, session_id: str) -> str | None:
        """Reserve a place for the session's turn; returns why not (a message for the user), or None."""
        with self._cond:
            if session_id in self._active:
                return ONE_AT_A_TIME
            if self._n_running >= self.running and self._n_waiting >= self.waiting:
                return BUSY.format(running=self._n_running, waiting=self._n_waiting)
            self._active.add(session_id)
            self._n_waiting += 1
            return None

    def wait_turn(self, timeout: float = 0.5) -> bool:
        """Block up to `timeout` for a running slot (after `admit`); True once the turn may run."""
        with self._cond:
            if self._n_running >= self.running:
                self._cond.wait(timeout)
            if self._n_running >= self.running:
                return False
            self._n_waiting -= 1
            self._n_running += 1
            return True

    def release(self, session_id: str, started: bool) -> None:
        with self._cond:
            self._active.discard(session_id)
            if started:
                self._n_running -= 1
            else:
                self._n_waiting -= 1
            self._cond.notify_all()

    @property
    def load(self) -> tuple[int, int]:
        return self._n_running, self._n_waiting


# ---------------------------------------------------------------------------------------- one tab
@dataclass
class TabSession:
    """What one browser tab (or API client) holds: the ids, the dialogue state, the chat as shown."""

    session_id: str = ""
    conversation: str = ""
    state: DialogueState = field(default_factory=DialogueState)
    chat: list[dict] = field(default_factory=list)
    cards_md: str = NO_CARDS


def cards_markdown(cards: list[Card]) -> str:
    """The side panel: title, year, genres, short plot and the KG reason for each card."""
    if not cards:
        return NO_CARDS
    return "\n\n---\n\n".join(f"{i}. {c.markdown()}" for i, c in enumerate(cards, 1))


def notice_markdown(notices: list[Notice]) -> str:
    # Notices quote the user ("I couldn't find 'X'"): escaped, so markdown they typed stays text.
    return "\n\n".join(f"*⚠️ {escape_markdown(n.message)}*" if n.level == "warning" else
                       f"*{escape_markdown(n.message)}*" for n in notices)


def reply_markdown(notices: list[Notice], text: str) -> str:
    return "\n\n".join(p for p in (notice_markdown(notices), text) if p)


def shown_user_text(message: str) -> str:
    shown = message if len(message) <= MAX_SHOWN_CHARS else message[:MAX_SHOWN_CHARS] + " …"
    return escape_markdown(shown)


class ChatService:
    """Shared by all sessions: the (lazy) manager, the store (None: keep nothing) and the gate."""

    def __init__(self, manager, store=None, gate: TurnGate | None = None):
        self.manager, self.store, self.gate = manager, store, gate or TurnGate()

    # ---------------------------------------------------------------- sessions
    def open(self, session_id: str | None) -> TabSession:
        """The tab for a browser-local session id: its stored conversation, or a fresh one."""
        from crs.store.codec import card_from_dict, state_from_json

        sid = session_id if _valid_id(session_id) else new_session_id()
        if self.store is None:
            return TabSession(sid, new_session_id())
        try:
            rec = self.store.ensure_session(sid)
            state = state_from_json(rec.state_json)
            if not rec.state_json:
                self._seed(sid, state)
            cards = [card_from_dict(c) for c in rec.cards]
            # the store keeps what the user typed; it is shown escaped, as it was before the reload
            chat = [{"role": m["role"], "content": shown_user_text(m["content"]) if m["role"] == "user"
                     else m["content"]} for m in rec.chat]
            return TabSession(sid, rec.conversation, state, chat, cards_markdown(cards))
        except Exception:  # a broken database must not stop the chat: this tab runs unsaved
            log.exception("could not restore session %s", sid)
            return TabSession(sid, new_session_id())

    def new_conversation(self, tab: TabSession) -> TabSession:
        """An empty chat; the likes and dislikes stored for this session still count."""
        state = DialogueState()
        conv = new_session_id()
        if self.store is not None and tab.session_id:
            try:
                self._seed(tab.session_id, state)
                conv = self.store.new_conversation(tab.session_id, _state_json(state))
            except Exception:
                log.exception("could not start a stored conversation")
        return TabSession(tab.session_id, conv, state)

    def _seed(self, sid: str, state: DialogueState) -> None:
        """Ratings from earlier conversations: liked movies steer, disliked ones never come back."""
        for item, liked in self.store.rated(sid).items():
            (state.liked_items if liked else state.disliked_items).append(item)
            state.recommended.append(item)  # rated means seen: not suggested again

    # ---------------------------------------------------------------- a turn
    def turn(self, tab: TabSession, message: str) -> Iterator[tuple[str, str, list[Notice]]]:
        """Yield (reply markdown so far, cards panel, notices); the last yield comes after the turn is stored."""
        sid = tab.session_id or new_session_id()
        refused = self.gate.admit(sid)
        if refused:
            yield reply_markdown([Notice(refused, "warning")], ""), tab.cards_md, [Notice(refused, "warning")]
            return
        started = False
        try:
            while not self.gate.wait_turn():
                running, waiting = self.gate.load
                yield f"*Waiting for a free slot ({running} replies are being written)…*", tab.cards_md, []
            started = True
            yield from self._run(tab, message)
        finally:
            self.gate.release(sid, started)

    def _run(self, tab: TabSession, message: str):
        notices: list[Notice] = []
        text, panel, cards = "", tab.cards_md, None
        try:
            for ev in self.manager.get().respond(tab.state, message):
                if isinstance(ev, Notice):
                    notices.append(ev)
                elif isinstance(ev, Recommendations):
                    cards, panel = ev.cards, cards_markdown(ev.cards)
                elif isinstance(ev, TextDelta):
                    text += ev.text
                elif isinstance(ev, TurnDone):
                    text = ev.text or text
                    continue
                else:
                    continue
                yield reply_markdown(notices, text), panel, notices
        except Exception as e:  # the manager promises not to raise; a broken backend must still not kill the UI
            log.exception("dialogue turn failed")
            notices.append(Notice(f"Sorry, something went wrong on my side ({type(e).__name__}).", "warning"))
        reply = reply_markdown(notices, text)
        tab.chat = tab.chat + [{"role": "user", "content": shown_user_text(message)},
                               {"role": "assistant", "content": reply or "…"}]
        tab.cards_md = panel
        if not self._save_turn(tab, message, reply, cards, notices):
            notices.append(Notice("This turn could not be saved; it will be missing after a reload.", "warning"))
            reply = reply_markdown(notices, text)
            tab.chat[-1] = {"role": "assistant", "content": reply}
        yield reply, panel, notices

    def _save_turn(self, tab: TabSession, message: str, reply: str, cards, notices) -> bool:
        if self.store is None or not message.strip():
            return True
        try:
            self.store.save_turn(tab.session_id, tab.conversation, message, reply,
                                 [c.to_dict() for c in cards or []], _state_json(tab.state),
                                 [n.message for n in notices])
            return True
        except Exception:
            log.exception("could not store a turn")
            return False

    # ---------------------------------------------------------------- ratings
    def rate(self, tab: TabSession, choice: str | None, liked: bool) -> str:
        state = tab.state
        card = next((c for c in state.last_cards if choice in (c.display, c.title)), None)
        if card is None:
            return ("Pick one of the current recommendations first." if state.last_cards
                    else "There are no recommendations to rate yet.")
        to, away = (state.liked_items, state.disliked_items) if liked else (state.disliked_items, state.liked_items)
        if card.item in away:
            away.remove(card.item)
        if card.item not in to:
            to.append(card.item)
        msg = (f"Noted: you {'like' if liked else 'do not like'} {card.display}. "
               "I'll take it into account for the next recommendations.")
        if self.store is not None and tab.session_id:
            try:
                self.store.save_feedback(tab.session_id, tab.conversation, card.to_dict(), liked,
                                         _state_json(state))
            except Exception:
                log.exception("could not store a rating")
                msg += " (It could not be saved: it will be forgotten after a reload.)"
        return msg


def _state_json(state: DialogueState) -> str:
    from crs.store.codec import state_to_json

    return state_to_json(state)


def _valid_id(sid) -> bool:
    return isinstance(sid, str) and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", sid) is not None
