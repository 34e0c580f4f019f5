"""eval/simulate_transcripts.py: a seeded pick that ignores outcomes, and a markdown table per dialogue."""

from __future__ import annotations

from eval.simulate_transcripts import markdown, pick


def _rec(i, n_turns, success):
    log = [{"seeker": f"msg {i}-{t}", "system": "Try X | Y " * 30} for t in range(n_turns)] + [{"seeker": "bye"}]
    return {"dialogue_id": str(i), "target_title": "T (2000)", "behaviours": ["open-own-words"], "status": "give-up",
            "success@10": success, "hints": [{"kind": "genre", "value": "comedy", "polarity": -1}], "log": log}


def test_pick_is_seeded_and_skips_one_turn_dialogues():
    recs = [_rec(i, 1 + i % 3, i % 2 == 0) for i in range(30)]
    a, b = pick(recs, 5, seed=0), pick(list(reversed(recs)), 5, seed=0)
    assert [r["dialogue_id"] for r in a] == [r["dialogue_id"] for r in b] and len(a) == 5
    assert all(len(r["log"]) >= 3 for r in a)


def test_markdown_has_one_row_per_message_and_escapes_pipes():
    md = markdown(_rec(1, 2, True), width=40)
    lines = md.splitlines()
    assert "-genre:comedy" in lines[0] and "outcome success" in lines[0]
    rows = [x for x in lines if x.startswith("| msg") or x.startswith("| bye")]
    assert len(rows) == 3 and all(x.count("|") == 3 for x in rows) and "…" in rows[0]
