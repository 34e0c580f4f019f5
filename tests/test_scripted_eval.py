"""`crs eval scripted`: transcripts of the scripted conversations, resumable, readable by `crs eval replies`."""

from __future__ import annotations

import json

import pytest

from eval.reply_audit import read_turns
from eval.scripted import SCRIPT, load_conversations, run_scripted


def test_the_shipped_suite_has_at_least_fifty_multi_turn_conversations():
    convs = load_conversations(SCRIPT)
    assert len(convs) >= 50
    assert sum(len(c["turns"]) >= 2 for c in convs) >= 50


def test_transcripts_are_written_whole_and_resume(manager, tmp_path):
    script = tmp_path / "convs.yaml"
    script.write_text("- name: a\n  turns:\n    - user: I loved The Shining\n    - user: why that one?\n"
                      "- name: b\n  turns:\n    - user: hi\n", encoding="utf-8")
    out = tmp_path / "run" / "transcripts.jsonl"
    assert run_scripted(manager, out, script, progress=False) == 3
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["conversation"], x["turn"]) for x in lines] == [("a", 0), ("a", 1), ("b", 0)]
    assert lines[0]["action"] == "recommend" and len(lines[0]["cards"]) == 3
    assert lines[1]["action"] == "explain" and lines[1]["cards"] == lines[0]["cards"]
    assert run_scripted(manager, out, script, progress=False) == 0  # a rerun resumes: nothing twice
    turns = read_turns(out)
    assert len(turns) == 3 and all(isinstance(t["kept"], list) for t in turns)


def test_a_malformed_script_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: not a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="list of conversations"):
        load_conversations(bad)
