"""The conversation store: turns, ratings and state kept, restored, exported; concurrent writers; crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from crs.dialogue.events import Card
from crs.dialogue.state import DialogueState
from crs.store import ConversationStore, StoreError
from crs.store.codec import state_from_json, state_to_json


def _card(item: int, title: str = "Heat", year: int = 1995) -> Card:
    return Card(item, title, year, ["crime"], "A heist.", "also directed by Michael Mann", ["Michael Mann"], ["Al Pacino"])


@pytest.fixture
def store(tmp_path):
    s = ConversationStore(f"sqlite:///{tmp_path / 'db' / 'c.db'}")  # the folder is created
    yield s
    s.close()


def test_state_round_trip():
    st = DialogueState(history=[("user", "I loved Heat"), ("assistant", "Try Ronin.")], liked_items=[3, 5],
                       disliked_entities=[7], last_cards=[_card(9)], pending={"text": "mask", "items": [1, 2],
                                                                               "polarity": "liked"}, topic=9)
    back = state_from_json(state_to_json(st))
    assert back == st and isinstance(back.last_cards[0], Card) and back.history[0] == ("user", "I loved Heat")
    assert state_from_json("") == DialogueState()
    assert state_from_json(json.dumps({"liked_items": [1], "from_a_newer_version": 1})).liked_items == [1]


def test_turns_ratings_and_restore(store):
    rec = store.ensure_session("sess-00001")
    assert rec.chat == [] and rec.state_json == ""
    st = DialogueState(liked_items=[4], last_cards=[_card(9)])
    store.save_turn("sess-00001", rec.conversation, "I loved Heat", "Try **Ronin**.", [_card(9).to_dict()],
                    state_to_json(st), ["a notice"])
    store.save_feedback("sess-00001", rec.conversation, _card(9).to_dict(), True, state_to_json(st))
    again = store.load("sess-00001")
    assert again.chat == [{"role": "user", "content": "I loved Heat"}, {"role": "assistant", "content": "Try **Ronin**."}]
    assert again.cards[0]["item"] == 9 and state_from_json(again.state_json) == st
    kinds = [e["kind"] for e in store.events("sess-00001")]
    assert kinds == ["user", "assistant", "cards", "like"]
    assert all(e["ts"] > 0 and e["session_id"] == "sess-00001" for e in store.events("sess-00001"))
    assert store.rated("sess-00001") == {9: True}

    # a new conversation: empty chat, ratings still known for the session
    conv = store.new_conversation("sess-00001", "")
    fresh = store.load("sess-00001")
    assert fresh.conversation == conv != rec.conversation and fresh.chat == [] and fresh.cards == []
    store.save_feedback("sess-00001", conv, _card(9).to_dict(), False, "")
    assert store.rated("sess-00001") == {9: False}  # the latest rating wins
    assert store.load("nobody-here") is None


def test_feedback_export(store, tmp_path):
    from crs.store.export import export_feedback

    rec = store.ensure_session("sess-export")
    store.save_turn("sess-export", rec.conversation, "I loved Heat", "Try Ronin.", [_card(9, "Ronin", 1998).to_dict()], "")
    store.save_feedback("sess-export", rec.conversation, _card(9, "Ronin", 1998).to_dict(), False, "")
    out = tmp_path / "fb.jsonl"
    assert export_feedback(store, out) == 1
    row = json.loads(out.read_text())
    assert row["label"] == "dislike" and row["item"] == 9 and row["title"] == "Ronin" and row["year"] == 1998
    assert row["dialogue"] == [{"role": "user", "content": "I loved Heat"}, {"role": "assistant", "content": "Try Ronin."}]
    assert row["session_id"] == "sess-export" and row["ts"] > 0


def test_feedback_export_cli(tmp_path, capsys):
    from apps.cli import main

    url = f"sqlite:///{tmp_path / 'c.db'}"
    s = ConversationStore(url)
    rec = s.ensure_session("sess-cli-1")
    s.save_feedback("sess-cli-1", rec.conversation, _card(5).to_dict(), True, "")
    assert main(["feedback", "export", "--db", url, "--out", str(tmp_path / "x.jsonl")]) == 0
    assert json.loads((tmp_path / "x.jsonl").read_text())["label"] == "like"
    assert main(["feedback", "export", "--db", "nosuchdialect://x"]) == 2
    assert "cannot open the conversation database" in capsys.readouterr().err


def test_bad_url_and_id(tmp_path):
    with pytest.raises(StoreError, match="cannot open"):
        ConversationStore("nosuchdialect://user:secret@host/db")
    try:
        ConversationStore("nosuchdialect://user:secret@host/db")
    except StoreError as e:
        assert "secret" not in str(e)  # the password is not echoed
    s = ConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    with pytest.raises(StoreError):
        s.ensure_session("x" * 65)


def test_concurrent_writers_lose_nothing(tmp_path):
    """Eight threads and two processes write turns to one SQLite file at once: every turn is kept."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = ConversationStore(url)
    code = ("import sys; from crs.store import ConversationStore as S; s = S(sys.argv[1]); sid = sys.argv[2]; "
            "c = s.ensure_session(sid).conversation; "
            "[s.save_turn(sid, c, f'm{i}', f'r{i}', [], '') for i in range(40)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, url, f"proc-{k:04d}"]) for k in range(2)]

    def write(k: int):
        sid = f"thread-{k:04d}"
        conv = store.ensure_session(sid).conversation
        for i in range(40):
            store.save_turn(sid, conv, f"m{i}", f"r{i}", [], "")

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(p.wait(120) == 0 for p in procs)
    for sid in [f"thread-{k:04d}" for k in range(8)] + [f"proc-{k:04d}" for k in range(2)]:
        chat = store.load(sid).chat
        assert [m["content"] for m in chat] == [x for i in range(40) for x in (f"m{i}", f"r{i}")], sid


def test_killed_writer_loses_no_committed_turn(tmp_path):
    """A process killed with SIGKILL while writing: every turn it reported committed is in the file,
    and no turn is half there (a user message without its reply)."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    code = ("import sys; from crs.store import ConversationStore as S; s = S(sys.argv[1]); "
            "c = s.ensure_session('victim-01').conversation\n"
            "for i in range(100000):\n"
            "    s.save_turn('victim-01', c, f'm{i}', f'r{i}', [{'item': i}], '')\n"
            "    print(i, flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, text=True)
    committed = -1
    for line in proc.stdout:
        committed = int(line)
        if committed >= 30:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    chat = ConversationStore(url).load("victim-01").chat
    assert len(chat) % 2 == 0 and len(chat) // 2 >= committed + 1
    assert [m["content"] for m in chat] == [x for i in range(len(chat) // 2) for x in (f"m{i}", f"r{i}")]
