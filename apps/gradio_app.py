"""The Gradio chat app: the same DialogueManager as the CLI and the simulated users, streamed to a browser.

    from apps.gradio_app import build_app
    demo = build_app(lambda: build_manager(llm="tiny", recommender="popularity"))
    demo.launch()

Importing this module loads no model and reads no data: `build_app` only wires the UI, and the
manager is built once, on first use (thread-safe), unless `launch` builds it before serving.

API (for `gradio_client`; the dialogue state is per client session, like a browser tab):

    client.predict("I loved The Shining", api_name="/chat")  -> (reply_markdown, cards_markdown)
    client.predict("The Thing (1982)", api_name="/like")     -> status text
    client.predict("The Thing (1982)", api_name="/dislike")  -> status text
    client.predict(api_name="/new_conversation")             -> status text

Layout: the chat on the left; on the right the cards in a box of bounded height that scrolls on its
own, with the rating controls (dropdown, like / dislike, confirmation) right below it, so that at a
1400x1000 browser window the controls stay on screen beside the cards (tests/test_browser.py).
"New conversation" cancels a turn still streaming, so it cannot write the old chat and state back.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator

import gradio as gr

from apps.music_tab import LazyEngine, build_music_tab, default_engine_factory
from crs.dialogue.events import Card, Notice, Recommendations, TextDelta, TurnDone
from crs.dialogue.state import DialogueState

if TYPE_CHECKING:  # the manager module pulls in numpy, the KG and the recommenders; only for type hints
    from crs.dialogue.manager import DialogueManager

log = logging.getLogger(__name__)

TITLE = "Conversational movie recommender"
NO_CARDS = "_No recommendations yet. Tell me a movie you loved, a genre or an actor._"
MAX_SHOWN_CHARS = 2000  # a user message longer than this is shortened in the chat window (the manager reads 2,000)
CONCURRENCY_ID = "dialogue"  # chat events from the UI and the API share one queue (one LLM)
CARDS_MAX_HEIGHT = 400  # px; longer card lists scroll inside their box and the rating controls stay in view


class LazyManager:
    """Builds the manager once, on the first `get()`, even when several sessions ask at once."""

    def __init__(self, factory: Callable[[], DialogueManager]):
        self._factory = factory
        self._manager: DialogueManager | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        return self._manager is not None

    def get(self) -> DialogueManager:
        if self._manager is None:
            with self._lock:
                if self._manager is None:
                    self._manager = self._factory()
        return self._manager


# ---------------------------------------------------------------------------------------- formatting
def cards_markdown(cards: list[Card]) -> str:
    """The side panel: title, year, genres, short plot and the KG reason for each card."""
    if not cards:
        return NO_CARDS
    return "\n\n---\n\n".join(f"{i}. {c.markdown()}" for i, c in enumerate(cards, 1))


def _notice_markdown(notices: list[Notice]) -> str:
    return "\n\n".join(f"*⚠️ {n.message}*" if n.level == "warning" else f"*{n.message}*" for n in notices)


def _reply_markdown(notices: list[Notice], text: str) -> str:
    return "\n\n".join(p for p in (_notice_markdown(notices), text) if p)


def _find_card(state: DialogueState, choice: str | None) -> Card | None:
    for c in state.last_cards:
        if choice in (c.display, c.title):
            return c
    return None


def _choices(state: DialogueState) -> list[str]:
    return [c.display for c in state.last_cards]


# ---------------------------------------------------------------------------------------- one turn
def run_turn(manager: LazyManager, state: DialogueState, message: str) -> Iterator[tuple[str, str, list[Notice]]]:
    """Drive `respond` and yield (reply markdown so far, cards panel markdown, notices so far)."""
    notices: list[Notice] = []
    text = ""
    panel = cards_markdown(state.last_cards)
    try:
        for ev in manager.get().respond(state, message):
            if isinstance(ev, Notice):
                notices.append(ev)
            elif isinstance(ev, Recommendations):
                panel = cards_markdown(ev.cards)
            elif isinstance(ev, TextDelta):
                text += ev.text
            elif isinstance(ev, TurnDone):
                text = ev.text or text
            else:
                continue
            yield _reply_markdown(notices, text), panel, notices
    except Exception as e:  # the manager promises not to raise; a broken backend must still not kill the UI
        log.exception("dialogue turn failed")
        notices.append(Notice(f"Sorry, something went wrong on my side ({type(e).__name__}: {e}).", "warning"))
        yield _reply_markdown(notices, text), panel, notices


# ---------------------------------------------------------------------------------------- the app
def build_app(manager_factory: Callable[[], DialogueManager], *, concurrency_limit: int | None = 1,
              music_factory: Callable | None = None) -> gr.Blocks:
    """Wire the UI around a manager factory; nothing is loaded until the first message (or `launch`).
    ``music_factory`` builds the video-to-music engine on first use (default: configs/music/default.yaml)."""
    manager = LazyManager(manager_factory)
    music = LazyEngine(music_factory or default_engine_factory())

    # ---- handlers (closures over the shared manager; everything per-user lives in gr.State)
    def chat_ui(message: str, history: list[dict] | None, state: DialogueState | None):
        state = state if state is not None else DialogueState()
        history = list(history or [])
        message = message or ""
        if not message.strip():
            gr.Warning("Please type a message: a movie you liked, a genre, or an actor.")
            yield history, gr.skip(), state, "", gr.skip()
            return
        shown = message if len(message) <= MAX_SHOWN_CHARS else message[:MAX_SHOWN_CHARS] + " …"
        history.append({"role": "user", "content": shown})
        history.append({"role": "assistant", "content": "…"})
        # Show the message and empty the textbox at once, before the (possibly slow) first event:
        # otherwise the question sits in the box for seconds with nothing in the chat.
        yield history, gr.skip(), state, "", gr.skip()
        warned = 0
        panel = cards_markdown(state.last_cards)
        for reply, panel, notices in run_turn(manager, state, message):
            for n in notices[warned:]:
                if n.level == "warning":
                    gr.Warning(n.message)
                else:
                    gr.Info(n.message)
            warned = len(notices)
            history[-1] = {"role": "assistant", "content": reply or "…"}
            yield history, panel, state, gr.skip(), gr.skip()  # leave what the user types meanwhile
        yield history, panel, state, "", gr.update(choices=_choices(state), value=None)

    def chat_api(message: str, state: DialogueState | None):
        """Send a message; returns (the assistant's reply as markdown, the recommendation cards as markdown)."""
        state = state if state is not None else DialogueState()
        reply, panel = "", cards_markdown(state.last_cards)
        for reply, panel, _ in run_turn(manager, state, message or ""):
            yield reply, panel, state
        if not reply:
            reply = "*(no reply)*"
        yield reply, panel, state

    def new_conversation():
        return [], NO_CARDS, DialogueState(), "", gr.update(choices=[], value=None), ""

    def new_conversation_api():
        return DialogueState(), "Started a new conversation."

    def feedback(choice: str | None, state: DialogueState | None, liked: bool):
        state = state if state is not None else DialogueState()
        card = _find_card(state, choice)
        if card is None:
            return ("Pick one of the current recommendations first." if state.last_cards
                    else "There are no recommendations to rate yet."), state
        to, away = (state.liked_items, state.disliked_items) if liked else (state.disliked_items, state.liked_items)
        if card.item in away:
            away.remove(card.item)
        if card.item not in to:
            to.append(card.item)
        return (f"Noted: you {'like' if liked else 'do not like'} {card.display}. "
                "I'll take it into account for the next recommendations."), state

    def like(title: str | None, state: DialogueState | None):
        """Mark one of the current recommendations (by title or 'Title (year)') as liked."""
        return feedback(title, state, True)

    def dislike(title: str | None, state: DialogueState | None):
        """Mark one of the current recommendations (by title or 'Title (year)') as disliked."""
        return feedback(title, state, False)

    # ---- layout
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        state = gr.State(DialogueState())  # deep-copied per browser / client session
        gr.Markdown(f"## 🎬 {TITLE}\nTell me movies you loved (or hated), genres or actors; "
                    "I recommend from the catalogue and say why, using the knowledge graph.")
        with gr.Tabs():
            with gr.Tab("Movie chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="Chat", height=480, feedback_options=None, elem_id="crs-chat",
                                             placeholder="Try: *I loved The Shining, what else would I like?*")
                        with gr.Row():
                            textbox = gr.Textbox(placeholder="Type a message and press Enter", show_label=False,
                                                 scale=5, autofocus=True, lines=1, elem_id="crs-message")
                            send = gr.Button("Send", variant="primary", scale=1, min_width=80)
                        new = gr.Button("New conversation", variant="secondary", elem_id="crs-new")
                    with gr.Column(scale=2):
                        gr.Markdown("### Recommendations")
                        # bounded height: three cards with plots scroll inside the box, not the page
                        cards_panel = gr.Markdown(NO_CARDS, max_height=CARDS_MAX_HEIGHT, container=True, padding=True,
                                                  elem_id="crs-cards")
                        with gr.Group(elem_id="crs-rate"):
                            pick = gr.Dropdown(choices=[], value=None, label="Rate a recommendation",
                                               interactive=True, allow_custom_value=False, elem_id="crs-pick")
                            with gr.Row():
                                like_btn = gr.Button("👍 Like", size="sm", elem_id="crs-like")
                                dislike_btn = gr.Button("👎 Dislike", size="sm", elem_id="crs-dislike")
                            feedback_msg = gr.Markdown("", elem_id="crs-feedback", padding=True)
                # API-only: the reply text and cards for `gradio_client` (not shown in the page).
                with gr.Column(visible=False):
                    api_message = gr.Textbox(label="message")
                    api_reply = gr.Markdown(label="reply")
                    api_cards = gr.Markdown(label="cards")
                    api_status = gr.Textbox(label="status")
                    api_send = gr.Button("api chat")
                    api_new = gr.Button("api new")
                    api_title = gr.Textbox(label="title")
                    api_like = gr.Button("api like")
                    api_dislike = gr.Button("api dislike")
            # MuseChat-style video to music (apps/music_tab.py): its own engine, gr.State and api_name="/video_music".
            build_music_tab(music)

        ui_outputs = [chatbot, cards_panel, state, textbox, pick]
        turns = [trigger(chat_ui, [textbox, chatbot, state], ui_outputs, api_name=name, api_visibility="private",
                         concurrency_id=CONCURRENCY_ID, concurrency_limit=concurrency_limit)
                 for name, trigger in (("ui_submit", textbox.submit), ("ui_send", send.click))]
        # Cancel a turn still running (or queued): its later yields would put the old chat, the old
        # state and an emptied textbox back over the fresh conversation.
        new.click(new_conversation, None, [chatbot, cards_panel, state, textbox, pick, feedback_msg],
                  api_name="ui_new_conversation", api_visibility="private", cancels=turns)
        like_btn.click(like, [pick, state], [feedback_msg, state], api_name="ui_like", api_visibility="private")
        dislike_btn.click(dislike, [pick, state], [feedback_msg, state], api_name="ui_dislike",
                          api_visibility="private")
        api_send.click(chat_api, [api_message, state], [api_reply, api_cards, state], api_name="chat",
                       concurrency_id=CONCURRENCY_ID, concurrency_limit=concurrency_limit)
        api_new.click(new_conversation_api, None, [state, api_status], api_name="new_conversation")
        api_like.click(like, [api_title, state], [api_status, state], api_name="like")
        api_dislike.click(dislike, [api_title, state], [api_status, state], api_name="dislike")

    demo.crs_manager = manager  # for launch() and tests: build ahead of time, check laziness
    demo.crs_music = music
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, llm: str = "smollm2", recommender: str = "auto",
           llm_kwargs: dict | None = None, adapter: str = "auto", **launch_kwargs) -> None:
    """Build the manager before serving (so the first reply is fast), then serve until interrupted."""
    from crs.dialogue.factory import build_manager
    from crs.dialogue.manager import ManagerConfig

    demo = build_app(lambda: build_manager(llm, recommender, llm_kwargs, ManagerConfig(adapter=adapter)))
    print(f"loading… (LLM {llm!r}, recommender {recommender!r}, knowledge graph and entity linker)", flush=True)
    t0 = time.perf_counter()
    demo.crs_manager.get()
    print(f"loaded in {time.perf_counter() - t0:.1f}s; serving on http://{host}:{port}", flush=True)
    demo.queue(default_concurrency_limit=1).launch(server_name=host, server_port=port, **launch_kwargs)
