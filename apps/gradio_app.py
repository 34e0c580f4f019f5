"""The Gradio chat app: the same DialogueManager as the CLI and the simulated users, streamed to a browser.

    from apps.gradio_app import build_app
    demo = build_app(lambda: build_manager(llm="tiny", recommender="popularity"))
    demo.launch()

Importing this module loads no model and reads no data: `build_app` only wires the UI, and the
manager is built once, on first use (thread-safe), unless `launch` builds it before serving.

Many users at once: the chat events of different sessions run concurrently (`TurnGate` in
apps/chat_service.py bounds them and answers "busy, try again" past the bound) and `launch` wraps a
Hugging Face LLM in `BatchedLLM` (apps/batched_llm.py), so their replies are decoded together.
Conversations, shown cards and ratings are kept in the `ConversationStore` (SQLite under
$CRS_HOME by default) under a browser-local session id, so reloading the page restores them.

API (for `gradio_client`; the dialogue state is per client session, like a browser tab):

    client.predict("I loved The Shining", api_name="/chat")  -> (reply_markdown, cards_markdown)
    client.predict("The Thing (1982)", api_name="/like")     -> status text
    client.predict("The Thing (1982)", api_name="/dislike")  -> status text
    client.predict(api_name="/new_conversation")             -> status text
    client.predict(api_name="/session")                      -> this client's session id in the store

Layout: the chat on the left; on the right the cards in a box of bounded height that scrolls on its
own, with the rating controls (dropdown, like / dislike, confirmation) right below it, so that at a
1400x1000 browser window the controls stay on screen beside the cards (tests/test_browser.py).
"New conversation" cancels a turn still streaming, so it cannot write the old chat and state back.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import gradio as gr

from apps.chat_service import NO_CARDS, ChatService, TabSession, TurnGate, cards_markdown
from apps.models_status import models_line
from apps.music_tab import LazyEngine, build_music_tab, default_engine_factory

if TYPE_CHECKING:  # the manager module pulls in numpy, the KG and the recommenders; only for type hints
    from crs.dialogue.manager import DialogueManager

log = logging.getLogger(__name__)

TITLE = "Conversational movie recommender"
CONCURRENCY_ID = "dialogue"  # chat events from the UI and the API share one pool (the TurnGate bounds it)
CARDS_MAX_HEIGHT = 400  # px; longer card lists scroll inside their box and the rating controls stay in view
SESSION_KEY = "crs-session"  # localStorage key of the browser-local session id
MAX_MESSAGE_CHARS = 2000
# 32 hex characters from the browser's CSPRNG (crypto.randomUUID needs https, this works on plain http too)
NEW_ID_JS = ("(sid) => sid || Array.from(crypto.getRandomValues(new Uint8Array(16)), "
             "b => b.toString(16).padStart(2, '0')).join('')")

__all__ = ["LazyManager", "build_app", "launch", "cards_markdown", "NO_CARDS"]


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


def _choices(tab: TabSession) -> list[str]:
    return [c.display for c in tab.state.last_cards]


# ---------------------------------------------------------------------------------------- the app
def build_app(manager_factory: Callable[[], DialogueManager], *, store=None, gate: TurnGate | None = None,
              music_factory: Callable | None = None, browser_secret: str | None = None) -> gr.Blocks:
    """Wire the UI around a manager factory; nothing is loaded until the first message (or `launch`).

    ``store``: a `ConversationStore` (None keeps nothing); ``gate``: how many turns run and wait at once;
    ``music_factory`` builds the video-to-music engine on first use (default: configs/music/default.yaml)."""
    manager = LazyManager(manager_factory)
    service = ChatService(manager, store, gate or TurnGate())
    music = LazyEngine(music_factory or default_engine_factory())
    chat_pool = service.gate.running + service.gate.waiting  # Gradio runs them; the gate decides who waits

    def tab_of(tab: TabSession | None) -> TabSession:
        return tab if tab is not None else service.open(None)

    # ---- handlers (closures over the shared service; everything per-user lives in gr.State)
    def on_load(sid: str | None, tab: TabSession | None):
        if tab is not None:  # a message sent before the page finished loading already opened the session
            return tab, tab.session_id, gr.skip(), gr.skip(), gr.skip()
        tab = service.open(sid)
        return (tab, tab.session_id, tab.chat, tab.cards_md, gr.update(choices=_choices(tab), value=None))

    def chat_ui(message: str, tab: TabSession | None, sid: str | None = None):
        tab = tab if tab is not None else service.open(sid)
        message = message or ""  # the server caps the request (64 KB); the manager says it reads 2,000
        if not message.strip():
            gr.Warning("Please type a message: a movie you liked, a genre, or an actor.")
            yield tab.chat, gr.skip(), tab, "", gr.skip()
            return
        from apps.chat_service import shown_user_text

        history = tab.chat + [{"role": "user", "content": shown_user_text(message)},
                              {"role": "assistant", "content": "…"}]
        # Show the message and empty the textbox at once, before the (possibly slow) first event.
        yield history, gr.skip(), tab, "", gr.skip()
        warned = 0
        for reply, panel, notices in service.turn(tab, message):
            for n in notices[warned:]:
                (gr.Warning if n.level == "warning" else gr.Info)(n.message)
            warned = len(notices)
            history[-1] = {"role": "assistant", "content": reply or "…"}
            yield history, panel, tab, gr.skip(), gr.skip()  # leave what the user types meanwhile
        yield history, tab.cards_md, tab, "", gr.update(choices=_choices(tab), value=None)

    def chat_api(message: str, tab: TabSession | None):
        """Send a message; returns (the assistant's reply as markdown, the recommendation cards as markdown)."""
        tab = tab_of(tab)
        reply, panel = "", tab.cards_md
        for reply, panel, _ in service.turn(tab, message or ""):
            yield reply, panel, tab
        yield reply or "*(no reply)*", panel, tab

    def new_conversation(tab: TabSession | None):
        tab = service.new_conversation(tab_of(tab))
        return [], NO_CARDS, tab, "", gr.update(choices=[], value=None), ""

    def new_conversation_api(tab: TabSession | None):
        return service.new_conversation(tab_of(tab)), "Started a new conversation."

    def session_api(tab: TabSession | None):
        """This client's session id (its conversation in the store)."""
        tab = tab_of(tab)
        return tab.session_id, tab

    def like(title: str | None, tab: TabSession | None):
        """Mark one of the current recommendations (by title or 'Title (year)') as liked."""
        tab = tab_of(tab)
        return service.rate(tab, title, True), tab

    def dislike(title: str | None, tab: TabSession | None):
        """Mark one of the current recommendations (by title or 'Title (year)') as disliked."""
        tab = tab_of(tab)
        return service.rate(tab, title, False), tab

    # ---- layout
    # delete_cache: uploads nobody analysed (a closed tab) are removed within two hours
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        tab_state = gr.State(None)  # a TabSession per browser tab / client session
        sid = gr.BrowserState("", storage_key=SESSION_KEY, secret=browser_secret)
        gr.Markdown(f"## 🎬 {TITLE}\nTell me movies you loved (or hated), genres or actors; "
                    "I recommend from the catalogue and say why, using the knowledge graph.")
        # Which models are served (read on each page load; "loading…" until the manager is built, never builds it).
        gr.Markdown(lambda: models_line(manager.get()) if manager.built else "Models: loading…", elem_id="crs-models")
        with gr.Tabs():
            with gr.Tab("Movie chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="Chat", height=480, feedback_options=None, elem_id="crs-chat",
                                             placeholder="Try: *I loved The Shining, what else would I like?*")
                        with gr.Row():
                            textbox = gr.Textbox(placeholder="Type a message and press Enter", show_label=False,
                                                 scale=5, autofocus=True, lines=1, elem_id="crs-message",
                                                 max_length=MAX_MESSAGE_CHARS)
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
                    api_session = gr.Button("api session")
                    api_title = gr.Textbox(label="title")
                    api_like = gr.Button("api like")
                    api_dislike = gr.Button("api dislike")
            # MuseChat-style video to music (apps/music_tab.py): its own engine, gr.State and api_name="/video_music".
            build_music_tab(music)

        quick = dict(concurrency_id="quick", concurrency_limit=8)  # store writes and state edits only
        # The browser makes its session id itself, at once, so that a message sent before the restore
        # below has finished cannot open a second session (the first would then be lost on reload).
        demo.load(None, [sid], [sid], js=NEW_ID_JS).then(
            on_load, [sid, tab_state], [tab_state, sid, chatbot, cards_panel, pick], api_visibility="private", **quick)
        ui_outputs = [chatbot, cards_panel, tab_state, textbox, pick]
        turns = [trigger(chat_ui, [textbox, tab_state, sid], ui_outputs, api_name=name, api_visibility="private",
                         concurrency_id=CONCURRENCY_ID, concurrency_limit=chat_pool)
                 for name, trigger in (("ui_submit", textbox.submit), ("ui_send", send.click))]
        # Cancel a turn still running (or queued): its later yields would put the old chat, the old
        # state and an emptied textbox back over the fresh conversation.
        new.click(new_conversation, [tab_state], [chatbot, cards_panel, tab_state, textbox, pick, feedback_msg],
                  api_name="ui_new_conversation", api_visibility="private", cancels=turns, **quick)
        like_btn.click(like, [pick, tab_state], [feedback_msg, tab_state], api_name="ui_like",
                       api_visibility="private", **quick)
        dislike_btn.click(dislike, [pick, tab_state], [feedback_msg, tab_state], api_name="ui_dislike",
                          api_visibility="private", **quick)
        api_send.click(chat_api, [api_message, tab_state], [api_reply, api_cards, tab_state], api_name="chat",
                       concurrency_id=CONCURRENCY_ID, concurrency_limit=chat_pool)
        api_new.click(new_conversation_api, [tab_state], [tab_state, api_status], api_name="new_conversation",
                      **quick)
        api_session.click(session_api, [tab_state], [api_status, tab_state], api_name="session", **quick)
        api_like.click(like, [api_title, tab_state], [api_status, tab_state], api_name="like", **quick)
        api_dislike.click(dislike, [api_title, tab_state], [api_status, tab_state], api_name="dislike", **quick)

    demo.crs_manager = manager  # for launch() and tests: build ahead of time, check laziness
    demo.crs_music = music
    demo.crs_service = service
    return demo


def serve(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth=None, *, max_queue: int = 64,
          max_body: int | None = None, max_upload: str | None = None, **launch_kwargs):
    """Launch with the server-side limits (request size, upload size, queue length) and optional login."""
    from starlette.middleware import Middleware

    from apps.security import MAX_BODY_BYTES, MAX_UPLOAD, BodyLimit, public_bind_warning, size_bytes, warn

    upload = max_upload or MAX_UPLOAD
    msg = public_bind_warning(host, auth)
    if msg:
        warn(msg)
    limit = Middleware(BodyLimit, limit=max_body or MAX_BODY_BYTES, upload_limit=size_bytes(upload) + 64 * 1024)
    demo.queue(max_size=max_queue)
    return demo.launch(server_name=host, server_port=port, auth=auth, max_file_size=upload,
                       app_kwargs={"middleware": [limit]}, **launch_kwargs)


def launch(host: str = "127.0.0.1", port: int = 7860, llm: str = "smollm2", recommender: str = "auto",
           llm_kwargs: dict | None = None, adapter: str = "auto", *, auth=None, db: str | None = None,
           max_running: int = 16, max_waiting: int = 32, batch: bool = True, llm_threads: int | None = None,
           prefill_threads: int | None = None, split_prefill: bool | None = None,
           llm_dtype: str | None = None, **launch_kwargs) -> None:
    """Build the manager before serving (so the first reply is fast), then serve until interrupted."""
    from apps.security import browser_secret
    from crs.dialogue.factory import build_manager, fallback_notice
    from crs.dialogue.manager import ManagerConfig
    from crs.store import ConversationStore

    kwargs = dict(llm_kwargs or {})
    if llm in ("smollm2", "hf") and "dtype" not in kwargs:
        kwargs["dtype"] = llm_dtype or _cpu_dtype(adapter)

    def factory():
        manager = build_manager(llm, recommender, kwargs, ManagerConfig(adapter=adapter))
        if batch:
            _batch_llm(manager, max_running, llm_threads, prefill_threads, split_prefill)
        return manager

    store = ConversationStore(db)
    print(f"conversations are kept in {_safe_url(store.url)}", flush=True)
    demo = build_app(factory, store=store, gate=TurnGate(max_running, max_waiting), browser_secret=browser_secret())
    dtype = f", {kwargs['dtype']}" if kwargs.get("dtype") else ""
    print(f"loading… (LLM {llm!r}{dtype}, recommender {recommender!r}, knowledge graph and entity linker)", flush=True)
    notice = fallback_notice(recommender)
    if notice:
        print(f"warning: {notice}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    demo.crs_manager.get()
    print(f"loaded in {time.perf_counter() - t0:.1f}s; serving on http://{host}:{port}", flush=True)
    _prebuild_music(demo.crs_music)
    serve(demo, host, port, auth, max_queue=max_running + max_waiting + 16, **launch_kwargs)


def _cpu_dtype(adapter: str) -> str | None:
    """bfloat16 for the LLM on a CPU with bf16 matrix units (AMX, AVX512-BF16), else the backend's default.

    Measured on this project's CPU (AMX, 1 thread, busy machine): a 290-token prefill 0.84 s in bf16
    vs 2.4 s in fp32, a decoding step for 10 replies 0.28 s vs 0.73 s. The item-language adapter was
    trained against fp32 LLM embeddings, so with one the default stays fp32."""
    try:
        import torch

        if torch.cuda.is_available():
            return None  # the backend already picks bf16/fp16 on a GPU
        from crs.ilm.dialogue import resolve_adapter

        if resolve_adapter(adapter) is not None:
            return None
        flags = open("/proc/cpuinfo").read()
    except Exception as e:  # not Linux, or no adapter module: keep the default
        log.info("LLM dtype: CPU flags unreadable (%s); keeping the backend's default", e)
        return None
    return "bfloat16" if (" amx_bf16" in flags or " avx512_bf16" in flags) else None


def _prebuild_music(music) -> None:
    """Load the video-to-music engine in the background when it is prepared; never train it here."""
    factory = music.factory
    try:
        missing = factory.missing()
    except Exception:  # a broken music config must not stop the chat
        log.exception("video-to-music config")
        print("video-to-music: loading failed (see the log above)", flush=True)
        return
    if missing:
        print(f"video-to-music: not prepared (run `crs music train --config {factory.config}`); "
              "the tab says so", flush=True)
    else:
        threading.Thread(target=_load_music, args=(music,), name="music-load", daemon=True).start()


def _load_music(music) -> None:
    """Build the music engine; the log line tells an operator (and `crs bench app`) when the app is warm."""
    t = time.time()
    try:
        music.get()
    except Exception:  # the tab reports it on use; the chat keeps serving
        log.exception("video-to-music: loading failed")
        print("video-to-music: loading failed (see the log above)", flush=True)
        return
    print(f"video-to-music: ready ({time.time() - t:.1f}s)", flush=True)


def _batch_llm(manager, max_batch: int, threads: int | None = None, prefill_threads: int | None = None,
               split: bool | None = None) -> None:
    """Decode the replies of concurrent sessions together (Hugging Face backends; an OpenAI-compatible
    server such as vLLM batches on its side). The item-language adapter keeps its own decoding."""
    from apps.batched_llm import BatchedLLM
    from crs.llm.hf import HFBackend

    if not isinstance(manager.llm, HFBackend):
        return
    manager.llm = llm = BatchedLLM(manager.llm, max_batch=max_batch, prefill_threads=prefill_threads, split=split)
    if llm.device.type == "cpu":
        import torch

        cores = len(os.sched_getaffinity(0))
        # One core stays free for the request threads (linking, ranking, the post-check). Measured on
        # the busy 2-core machine: with 2 threads a decoding step for 10 replies took 3.8 s, with 1
        # thread 0.73 s: intra-op threads that wait for each other while the cores are taken stall.
        # With the prefill thread, decoding and prefill share the other cores (1 each on 2 cores:
        # the request threads need little, ~25 ms of CPU per turn).
        decode = threads or (max(1, (cores - 1) // 2) if llm.split else max(1, cores - 1))
        torch.set_num_threads(decode)
        if llm.split and not prefill_threads:
            llm.prefill_threads = max(1, cores - 1 - decode)


def _safe_url(url: str) -> str:
    from crs.store.db import _safe

    return _safe(url)
