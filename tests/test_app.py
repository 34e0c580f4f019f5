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
