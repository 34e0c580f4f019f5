"""The Gradio app: lazy loading, and a real in-process server driven through gradio_client."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import socket
import subprocess
import sys

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_import_loads_no_model():
    """Importing the app must not pull in torch, transformers, the KG or the dialogue manager."""
    code = ("import sys, apps.gradio_app; "
            "heavy = [m for m in ('torch', 'transformers', 'crs.llm', 'crs.dialogue.manager', 'kg.graph') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_build_app_does_not_call_factory():
    from apps.gradio_app import build_app

    calls = []
    demo = build_app(lambda: calls.append(1))
    assert calls == []
    assert not demo.crs_manager.built
    # the API surface a client relies on
    api_names = {d.api_name for d in demo.fns.values()}
    assert {"chat", "like", "dislike", "new_conversation"} <= api_names


def test_lazy_manager_builds_once_under_concurrency():
    import threading

    from apps.gradio_app import LazyManager

    calls = []
    lazy = LazyManager(lambda: calls.append(1) or object())
    got = []
    threads = [threading.Thread(target=lambda: got.append(lazy.get())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(g) for g in got}) == 1


@pytest.fixture(scope="module")
def manager():
    from crs.dialogue.factory import build_manager

    return build_manager(llm="tiny", recommender="popularity")


@pytest.fixture(scope="module")
def served(manager):
    from apps.gradio_app import build_app

    demo = build_app(lambda: manager)
    port = _free_port()
    demo.queue().launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        yield demo, f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def _client(url):
    from gradio_client import Client

    return Client(url, verbose=False)


def test_chat_through_client(served, manager):
    demo, url = served
    client = _client(url)
    reply, cards = client.predict("I loved The Shining, what else would I like?", api_name="/chat")
    assert reply.strip()
    shown = [c.split("**")[1] for c in cards.split("\n\n---\n\n") if "**" in c]  # "Title (year)"
    assert shown, cards
    displays = {m.title for m in manager.catalog.movies} | {
        f"{m.title} ({m.year})" for m in manager.catalog.movies}
    assert any(d in displays for d in shown), shown
    assert "*Why:*" in cards
    assert "The Shining" not in cards.split("*Why:*")[0]  # the liked movie is not recommended back

    # the state lives in the client session: a like on a current card is accepted
    first = cards.split("**", 2)[1]  # "Title (year)"
    status = client.predict(first, api_name="/like")
    assert status.startswith("Noted"), status

    # a second, independent client starts with empty state
    other = _client(url)
    status = other.predict(first, api_name="/like")
    assert "no recommendations" in status.lower(), status


def test_state_is_per_session(served):
    demo, url = served
    a = _client(url)
    _, cards1 = a.predict("I loved The Shining, what else would I like?", api_name="/chat")
    _, cards2 = a.predict("More like that please", api_name="/chat")
    # already-recommended movies are not repeated within a session
    first1 = {c.split("**")[1] for c in cards1.split("\n\n---\n\n") if "**" in c}
    first2 = {c.split("**")[1] for c in cards2.split("\n\n---\n\n") if "**" in c}
    if first2 != first1:  # a new recommendation turn happened
        assert not (first1 & first2)
    assert a.predict(api_name="/new_conversation") == "Started a new conversation."


def test_empty_message(served):
    _, url = served
    reply, cards = _client(url).predict("", api_name="/chat")
    assert "please type a message" in reply.lower()
    assert "No recommendations yet" in cards


def test_huge_message_does_not_crash(served):
    _, url = served
    client = _client(url)
    reply, cards = client.predict("I loved The Shining. " + "x" * 100_000, api_name="/chat")
    assert "2,000" in reply  # told that only the first 2,000 characters were read
    # and the server still answers afterwards
    reply2, _ = client.predict("hello", api_name="/chat")
    assert reply2.strip()


def test_page_is_served(served):
    import urllib.request

    _, url = served
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        assert b"Conversational movie recommender" in r.read()


def test_ui_handler_streams_messages_format(manager):
    """The browser's chat handler yields messages-format history, inline notices and card choices."""
    from apps.gradio_app import build_app

    demo = build_app(lambda: manager)
    chat_ui = next(b.fn for b in demo.fns.values() if b.api_name == "ui_send")
    outs = list(chat_ui("I loved The Shining, what else would I like?", None))
    history, panel, tab, textbox, pick = outs[-1]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[-1]["content"].strip() and history[-1]["content"] != "…"
    assert "*Why:*" in panel and textbox == ""
    assert pick["choices"] == [c.display for c in tab.state.last_cards] and len(pick["choices"]) == 3

    with pytest.warns(UserWarning):  # gr.Warning outside a request falls back to warnings.warn
        outs = list(chat_ui('I really liked "Quest for Zorgon"', tab))
    history = outs[-1][0]
    assert len(history) == 4 and "*⚠️ I couldn't find 'Quest for Zorgon'" in history[-1]["content"]

    like = next(b.fn for b in demo.fns.values() if b.api_name == "ui_like")
    card = tab.state.last_cards[0]
    msg, tab = like(card.display, tab)
    assert card.item in tab.state.liked_items and msg.startswith("Noted")
    dislike = next(b.fn for b in demo.fns.values() if b.api_name == "ui_dislike")
    _, tab = dislike(card.display, tab)
    assert card.item in tab.state.disliked_items and card.item not in tab.state.liked_items


# ---------------------------------------------------------------------------------------- many users
def test_turn_gate_bounds_and_one_turn_per_session():
    from apps.chat_service import ONE_AT_A_TIME, TurnGate

    gate = TurnGate(running=1, waiting=1)
    assert gate.admit("a") is None and gate.wait_turn(0)  # a runs
    assert gate.admit("a") == ONE_AT_A_TIME  # a second turn of the same session is refused
    assert gate.admit("b") is None and not gate.wait_turn(0)  # b waits for a free slot
    busy = gate.admit("c")
    assert busy and "busy" in busy and "try again" in busy  # past the bound: a clear message at once
    gate.release("a", started=True)
    assert gate.wait_turn(0)  # b runs now
    gate.release("b", started=True)
    assert gate.load == (0, 0) and gate.admit("c") is None


def test_escape_markdown():
    from apps.chat_service import escape_markdown

    out = escape_markdown("![x](http://evil/t.png) [link](http://e) <img src=x onerror=alert(1)> **b** `c` www.e.com")
    assert "![" not in out and "](" not in out and "<img" not in out and "**" not in out
    assert "\\!\\[x\\]\\(http\\://evil/t.png\\)" in out and "&lt;img" in out
    assert "http://" not in out and "www." not in out  # no bare URL for the renderer to turn into a link


@pytest.fixture
def store(tmp_path):
    from crs.store import ConversationStore

    s = ConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    yield s
    s.close()


def test_reload_restores_and_ratings_steer_later_turns(manager, store):
    """A tab reopened with its browser-local session id gets its chat, cards and state back; a disliked
    card never comes back, not even in a new conversation, and a liked one feeds the recommender."""
    from apps.chat_service import ChatService, TurnGate
    from apps.gradio_app import LazyManager

    svc = ChatService(LazyManager(lambda: manager), store, TurnGate())
    tab = svc.open("browser-session-1")
    final = list(svc.turn(tab, "I loved The Shining, what else would I like?"))[-1]
    first, second = tab.state.last_cards[:2]
    assert svc.rate(tab, first.display, liked=False).startswith("Noted")
    assert svc.rate(tab, second.display, liked=True).startswith("Noted")

    list(svc.turn(tab, "I liked ![x](http://evil.example/t.png) a lot"))
    again = svc.open("browser-session-1")  # the page is reloaded
    assert again.conversation == tab.conversation and again.chat == tab.chat and len(again.chat) == 4
    assert "![" not in again.chat[2]["content"] and "](" not in again.chat[2]["content"]  # shown escaped again
    assert again.chat[1]["content"] == final[0] and again.cards_md == tab.cards_md
    assert again.state.history == tab.state.history
    assert again.state.disliked_items == [first.item] and again.state.liked_items[-1] == second.item
    assert manager.context(again.state).liked[-1] == second.item  # what the recommender reads next turn

    fresh = svc.new_conversation(again)
    assert fresh.chat == [] and fresh.conversation != tab.conversation
    assert first.item in fresh.state.disliked_items and second.item in fresh.state.liked_items
    shown = set()
    for msg in ("I like horror movies", "More please", "Something else please"):
        list(svc.turn(fresh, msg))
        shown |= {c.item for c in fresh.state.last_cards}
    assert first.item not in shown and second.item not in shown
    assert svc.open("browser-session-1").chat == fresh.chat  # the store follows the new conversation


def test_invalid_session_id_gets_a_fresh_one(store):
    from apps.chat_service import ChatService

    svc = ChatService(None, store)
    for bad in (None, "", "../../etc", "x" * 200, "<script>"):
        tab = svc.open(bad)
        assert tab.session_id != bad and len(tab.session_id) == 32 and tab.chat == []


def _serve(demo, **kw):
    from apps.gradio_app import serve

    port = _free_port()
    serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True, **kw)
    return f"http://127.0.0.1:{port}/"


def test_concurrent_clients_batched_no_cross_talk(manager, store):
    """Six clients chat at once through a served app whose LLM decodes in one batch: every request gets
    its reply, each session's stored conversation is exactly its own, and replies equal those alone."""
    import threading

    from apps.batched_llm import BatchedLLM
    from apps.gradio_app import build_app
    from crs.dialogue.factory import build_manager

    batched = build_manager(llm="tiny", recommender="popularity", llm_kwargs={"tokenizer": "simple"})
    batched.llm = BatchedLLM(batched.llm)
    demo = build_app(lambda: batched, store=store)
    url = _serve(demo)
    openers = ["I loved The Shining", "I loved Toy Story", "I liked Heat", "I liked Alien", "I loved Titanic",
               "I enjoyed Jurassic Park"]
    results: dict[int, list] = {}
    barrier = threading.Barrier(len(openers))

    def client(i: int):
        c = _client(url)
        sid = c.predict(api_name="/session")
        barrier.wait()
        results[i] = [sid] + [c.predict(m, api_name="/chat")[0] for m in (openers[i], "More like that please")]

    try:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(openers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        demo.close()
    assert sorted(results) == list(range(len(openers)))  # no request lost
    for i, (sid, *replies) in results.items():
        stored = [(e["kind"], e["text"]) for e in store.events(sid) if e["kind"] in ("user", "assistant")]
        assert stored == [("user", openers[i]), ("assistant", replies[0]),
                          ("user", "More like that please"), ("assistant", replies[1])]
    # the same conversation alone (unbatched manager, same tiny weights) gives the same first reply
    from crs.dialogue.state import DialogueState

    for i in (0, 3):
        alone = [ev for ev in manager.respond(DialogueState(), openers[i])][-1].text
        assert alone in results[i][1]


def test_server_limits_body_size_and_login(manager, store):
    import urllib.error
    import urllib.request

    from apps.gradio_app import build_app

    demo = build_app(lambda: manager, store=store)
    url = _serve(demo, auth=[("ann", "s3cret")], max_body=16 * 1024)
    try:
        req = urllib.request.Request(url + "gradio_api/queue/join", data=b"x" * 100_000,
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=30)
        assert e.value.code == 413 and b"too large" in e.value.read()
        with urllib.request.urlopen(url, timeout=30) as r:  # the login page, not the app
            assert b"Conversational movie recommender" not in r.read() or "login" in r.url
        from gradio_client import Client

        with pytest.raises(Exception):  # noqa: B017 - gradio_client's error type for a refused login varies by version
            Client(url, verbose=False)  # no credentials
        c = Client(url, auth=("ann", "s3cret"), verbose=False)
        reply, _ = c.predict("hello", api_name="/chat")
        assert reply.strip()
    finally:
        demo.close()


def test_auth_parsing_and_public_bind_warning(tmp_path):
    from apps.security import AuthError, parse_auth, public_bind_warning

    assert parse_auth(None) is None and parse_auth("ann:pw") == [("ann", "pw")]
    assert parse_auth("ann:pw:with:colons,bob:x") == [("ann", "pw:with:colons"), ("bob", "x")]
    f = tmp_path / "users"
    f.write_text("# team\nann:pw\n\nbob:x\n")
    assert parse_auth(f"@{f}") == [("ann", "pw"), ("bob", "x")]
    for bad in ("annpw", ":pw", "ann:", f"@{tmp_path / 'missing'}"):
        with pytest.raises(AuthError):
            parse_auth(bad)
    assert public_bind_warning("127.0.0.1", None) is None and public_bind_warning("localhost", None) is None
    assert "WARNING" in public_bind_warning("0.0.0.0", None) and "--auth" in public_bind_warning("0.0.0.0", None)
    assert public_bind_warning("0.0.0.0", [("a", "b")]) is None


def test_cli_app_rejects_bad_auth(capsys):
    from apps.cli import main

    assert main(["app", "--llm", "tiny", "--auth", "no-colon"]) == 2
    assert "user:password" in capsys.readouterr().err
