"""The conversation store: every message, reply, shown cards and like/dislike, with time and session.

SQLite at ``$CRS_HOME/app/conversations.db`` by default; any SQLAlchemy URL instead
(``postgresql+psycopg://user:pass@host/crs`` with the driver installed), from ``--db URL`` or
``$CRS_DB_URL``. A turn is written in one transaction after the reply is complete, so a server killed
at any moment leaves whole turns or nothing; SQLite runs in WAL mode so readers never block writers.

    store = ConversationStore()                       # or ConversationStore("sqlite:///x.db")
    store.save_turn("sess-1", conv, "I loved Heat", "Try Ronin (1998)…", cards, state_json)
    store.load("sess-1")                              # -> SessionRecord (conversation, state, chat)
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, event, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

DB_ENV = "CRS_DB_URL"
MAX_ID = 64

metadata = MetaData()
sessions = Table(
    "sessions", metadata,
    Column("id", String(MAX_ID), primary_key=True),  # browser-local id, or "api-<gradio session>"
    Column("conversation", String(36), nullable=False),  # the current conversation ("New conversation" starts one)
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    Column("state", Text, nullable=False, default=""),  # DialogueState as JSON (crs.store.codec)
)
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(MAX_ID), nullable=False, index=True),
    Column("conversation", String(36), nullable=False, index=True),
    Column("ts", Float, nullable=False),
    Column("kind", String(16), nullable=False),  # user, assistant, cards, like, dislike, new
    Column("text", Text, nullable=False, default=""),
    Column("payload", Text, nullable=False, default="{}"),  # JSON: cards shown, the rated card, notices
)
KINDS = ("user", "assistant", "cards", "like", "dislike", "new")


class StoreError(RuntimeError):
    """The database cannot be opened or written (a bad URL, a missing driver, a read-only disk)."""


def default_url() -> str:
    """$CRS_DB_URL, else SQLite under $CRS_HOME/app/."""
    env = os.environ.get(DB_ENV)
    if env:
        return env
    from crs.paths import cache_dir

    return f"sqlite:///{cache_dir('app') / 'conversations.db'}"


@dataclass
class SessionRecord:
    session_id: str
    conversation: str
    state_json: str
    chat: list[dict] = field(default_factory=list)  # [{"role", "content"}] of the current conversation
    cards: list[dict] = field(default_factory=list)  # the cards shown last in it


class ConversationStore:
    """Thread-safe: each call takes its own connection from the engine's pool."""

    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        try:
            self.engine = _engine(self.url)
            metadata.create_all(self.engine)
        except (SQLAlchemyError, ImportError) as e:
            raise StoreError(f"cannot open the conversation database {_safe(self.url)}: {e}") from e

    # ---------------------------------------------------------------- writes (one transaction each)
    def ensure_session(self, session_id: str) -> SessionRecord:
        """The session's record, created empty when it does not exist."""
        _check_id(session_id)
        rec = self.load(session_id)
        if rec is not None:
            return rec
        now, conv = time.time(), _new_id()
        with self.engine.begin() as c:
            if c.execute(select(sessions.c.id).where(sessions.c.id == session_id)).first() is None:
                c.execute(insert(sessions).values(id=session_id, conversation=conv, created=now, updated=now,
                                                  state=""))
        return self.load(session_id)

    def save_turn(self, session_id: str, conversation: str, user_text: str, reply: str, cards: list[dict],
                  state_json: str, notices: list[str] | None = None) -> None:
        """The user's message, the reply as shown, the cards, and the new dialogue state: all or nothing."""
        now = time.time()
        rows = [dict(kind="user", text=user_text, payload="{}"),
                dict(kind="assistant", text=reply, payload=json.dumps({"notices": notices or []}))]
        if cards:
            rows.append(dict(kind="cards", text="", payload=json.dumps({"cards": cards}, ensure_ascii=False)))
        with self.engine.begin() as c:
            c.execute(insert(events), [dict(r, session_id=session_id, conversation=conversation, ts=now)
                                       for r in rows])
            self._put_state(c, session_id, conversation, state_json, now)

    def save_feedback(self, session_id: str, conversation: str, card: dict, liked: bool, state_json: str) -> None:
        now = time.time()
        with self.engine.begin() as c:
            c.execute(insert(events).values(session_id=session_id, conversation=conversation, ts=now,
                                            kind="like" if liked else "dislike", text=card.get("title", ""),
                                            payload=json.dumps({"card": card}, ensure_ascii=False)))
            self._put_state(c, session_id, conversation, state_json, now)

    def new_conversation(self, session_id: str, state_json: str = "") -> str:
        """Start a new conversation for the session; returns its id."""
        _check_id(session_id)
        self.ensure_session(session_id)
        now, conv = time.time(), _new_id()
        with self.engine.begin() as c:
            c.execute(insert(events).values(session_id=session_id, conversation=conv, ts=now, kind="new",
                                            text="", payload="{}"))
            self._put_state(c, session_id, conv, state_json, now)
        return conv

    def _put_state(self, c, session_id: str, conversation: str, state_json: str, now: float) -> None:
        done = c.execute(update(sessions).where(sessions.c.id == session_id)
                         .values(conversation=conversation, state=state_json, updated=now)).rowcount
        if not done:
            c.execute(insert(sessions).values(id=session_id, conversation=conversation, created=now, updated=now,
                                              state=state_json))

    # ---------------------------------------------------------------- reads
    def load(self, session_id: str) -> SessionRecord | None:
        """The session's current conversation (chat as shown, last cards, state), or None."""
        with self.engine.connect() as c:
            row = c.execute(select(sessions).where(sessions.c.id == session_id)).first()
            if row is None:
                return None
            evs = c.execute(select(events.c.kind, events.c.text, events.c.payload)
                            .where(events.c.session_id == session_id, events.c.conversation == row.conversation)
                            .order_by(events.c.id)).all()
        chat, cards = [], []
        for kind, text, payload in evs:
            if kind in ("user", "assistant"):
                chat.append({"role": kind, "content": text})
            elif kind == "cards":
                cards = json.loads(payload)["cards"]
        return SessionRecord(session_id, row.conversation, row.state, chat, cards)

    def events(self, session_id: str | None = None, kinds: tuple[str, ...] = KINDS) -> list[dict]:
        """Events in the order they were written (all sessions when session_id is None)."""
        q = select(events).where(events.c.kind.in_(kinds)).order_by(events.c.id)
        if session_id is not None:
            q = q.where(events.c.session_id == session_id)
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(q)]

    def rated(self, session_id: str) -> dict[int, bool]:
        """The session's latest like (True) or dislike (False) per movie, over all its conversations."""
        out: dict[int, bool] = {}
        for e in self.events(session_id, ("like", "dislike")):
            out[int(json.loads(e["payload"])["card"]["item"])] = e["kind"] == "like"
        return out

    def iter_feedback(self) -> Iterator[dict]:
        """Each like/dislike with the conversation before it: the records `crs feedback export` writes."""
        with self.engine.connect() as c:
            rows = c.execute(select(events).order_by(events.c.id)).all()
        chats: dict[tuple[str, str], list[dict]] = {}
        for r in rows:
            key = (r.session_id, r.conversation)
            if r.kind in ("user", "assistant"):
                chats.setdefault(key, []).append({"role": r.kind, "content": r.text})
            elif r.kind in ("like", "dislike"):
                card = json.loads(r.payload)["card"]
                yield {"session_id": r.session_id, "conversation": r.conversation, "ts": r.ts,
                       "label": r.kind, "item": card.get("item"), "title": card.get("title"),
                       "year": card.get("year"), "card": card, "dialogue": list(chats.get(key, []))}

    def close(self) -> None:
        self.engine.dispose()


def _engine(url: str):
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(eng, "connect")
        def _pragmas(conn, _):  # WAL: readers and one writer at once; FULL: a commit is on disk
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return eng
    return create_engine(url, pool_pre_ping=True)


def _check_id(session_id: str) -> None:
    if not session_id or len(session_id) > MAX_ID:
        raise StoreError(f"session id must be 1-{MAX_ID} characters, got {len(session_id or '')}")


def _new_id() -> str:
    return uuid.uuid4().hex


def _safe(url: str) -> str:
    """The URL without its password, for error messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
