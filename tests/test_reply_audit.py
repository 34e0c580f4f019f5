"""The independent reply auditor (eval/reply_audit.py) and `crs eval replies`: planted errors are
found, correct sentences pass."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def auditor(catalog, graph):
    from eval.reply_audit import ReplyAuditor

    return ReplyAuditor(catalog, graph)


@pytest.fixture(scope="module")
def items(catalog):
    by = {m.display: m.item for m in catalog.movies}
    return by["The Shining (1980)"], by["Psycho (1960)"]


def kinds(rec):
    return sorted({c.kind for c in rec.errors})


@pytest.mark.parametrize("sentence, kind", [
    ("The Shining (1980) and The Shining (1980) are two of the most iconic films.", "repeat"),
    ("The Shining (1989) is a chilling ride.", "title"),  # the real year is 1980
    ('You might also enjoy "Blorgon Quest" for its twists.', "title"),  # no such movie
    ("Fans will love Blorgon Quest 2 (1987) too.", "title"),
    ("Psycho (1960) is one of the most iconic films of the 1980s.", "decade"),
    ("The Shining is a 1990s classic.", "decade"),
    ("Psycho was released in 1962.", "year"),
    ("Psycho (1960) is a romantic comedy.", "genre"),
    ("The Shining is a western movie.", "genre"),
    ("The Shining (1980) is a science fiction film.", "genre"),
    ("Psycho (1960) was directed by Stanley Kubrick.", "person"),
    ("Jack Nicholson is brilliant in Psycho.", "person"),
    ("The Shining was written by Joseph Stefano.", "person"),
    ("Psycho (1960) is one of the best films of the 21st century.", "decade"),
    ("The Shining (1980) is a classic superhero movie.", "genre"),  # a KG keyword kind it is not tagged with
    ("Psycho (1960) is a must-watch for anyone who loves action, adventure, and horror.", "genre"),  # every one listed
])
def test_planted_errors_are_flagged(auditor, items, sentence, kind):
    rec = auditor.audit(sentence, list(items))
    assert kind in kinds(rec), (sentence, [(c.kind, c.text, c.ok, c.reason) for c in rec.claims])
    assert all(c.reason for c in rec.errors)


@pytest.mark.parametrize("sentence, claim_kinds", [
    ("The Shining (1980) is one of the most iconic films of the 1980s.", {"title", "decade"}),
    ("Psycho (1960) is a horror film directed by Alfred Hitchcock.", {"title", "genre", "person"}),
    ("The Shining stars Jack Nicholson and Shelley Duvall.", {"person"}),
    ("It was written by Stephen King and Stanley Kubrick.", {"person"}),  # "it": the first card
    ("Psycho was released in 1960.", {"year"}),
    ("Like The Shining, Psycho is a mystery thriller.", {"genre"}),
    ("If you love comedy films, you may still enjoy this one.", set()),  # the user's taste, not a claim
    ('It is tagged "haunted house".', set()),  # a KG keyword in quotes is no title
    ("Set in the 1920s, it follows a family.", set()),  # a setting, not the release decade
    ("Psycho (1960) is one of the great films of the 20th century.", {"title", "decade"}),
    ("Psycho (1960) is a must-watch for anyone who loves horror and mystery.", {"title", "genre"}),
])
def test_correct_sentences_pass(auditor, items, sentence, claim_kinds):
    rec = auditor.audit(sentence, list(items))
    assert rec.errors == [], [(c.kind, c.text, c.reason) for c in rec.errors]
    assert {c.kind for c in rec.claims} >= claim_kinds


def test_audit_turn_follows_the_subject(auditor, items):
    shining, psycho = items
    recs = auditor.audit_turn(["Psycho (1960) is worth a look.", "It is a horror film from 1960.",
                               "It was directed by Alfred Hitchcock."], [shining, psycho])
    assert [r.errors for r in recs] == [[], [], []]
    # The same pronoun sentence is wrong when the turn is still on The Shining.
    assert kinds(auditor.audit("It was directed by Alfred Hitchcock.", [shining, psycho])) == ["person"]
    assert recs[0].to_dict()["about"] == ["Psycho (1960)"]


def test_does_not_share_code_with_the_postcheck():
    import eval.reply_audit as m

    src = open(m.__file__, encoding="utf-8").read()
    assert "postcheck" not in src.replace("crs/dialogue/postcheck.py", "") and "kg.linker" not in src


def test_eval_replies_counts_kept_dropped_and_errors(auditor, items, tmp_path, capsys):
    from apps.cli import main
    from eval.reply_audit import evaluate_replies

    shining, psycho = items
    turns = [
        {"kept": ["The Shining (1980) is one of the most iconic films of the 1980s.",
                  "Psycho (1960) is one of the most iconic films of the 1980s."],
         "dropped": ["I'm sorry for any confusion."], "cards": [shining, psycho]},
        {"kept": [], "dropped": ["x y z"], "cards": []},
    ]
    path = tmp_path / "turns.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in turns))
    res = evaluate_replies(path, out=tmp_path / "run", auditor=auditor)
    assert res["kept_sentences"] == 2 and res["dropped_sentences"] == 2 and res["kept_share"] == 0.5
    assert res["kept_with_error"] == 1 and res["kept_error_share"] == 0.5
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["metrics"]["errors_by_kind"] == {"decade": 1}
    assert "Psycho (1960)" in saved["table"][0]["sentence"]
    assert (tmp_path / "run" / "results.md").exists() and (tmp_path / "run" / "audit.jsonl").exists()
    # The simulator's dialogues.jsonl is read too: one record per dialogue, a log of turns.
    sim = tmp_path / "dialogues.jsonl"
    sim.write_text(json.dumps({"dialogue_id": "7", "log": [
        {"seeker": "hi", "system": "...", "action": "recommend", "cards": [psycho, shining],
         "llm_kept": ["It was directed by Alfred Hitchcock."], "llm_dropped": []},
        {"seeker": "bye"}]}) + "\n")
    assert main(["eval", "replies", "--transcripts", str(sim), "--out", str(tmp_path / "sim")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["turns"] == 1 and out["kept_sentences"] == 1 and out["kept_with_error"] == 0
    assert main(["eval", "replies", "--transcripts", str(tmp_path / "missing.jsonl")]) == 2


def test_rollout_records_llm_sentences_for_the_audit(manager, catalog, graph, auditor, tmp_path):
    from crs.data.redial import load_redial
    from eval.reply_audit import evaluate_replies
    from simulator.rollout import run_dialogue
    from simulator.seeker import build_profiles

    profile = build_profiles(load_redial("test"), catalog, graph, n=1, seed=0)[0]
    rec = run_dialogue(profile, manager, catalog, None, turns=2, seed=0)
    system_turns = [t for t in rec["log"] if "system" in t]
    assert system_turns and all({"llm_kept", "llm_dropped", "cards"} <= set(t) for t in system_turns)
    # The tiny random LLM's gibberish is all dropped: nothing kept, nothing wrong.
    assert sum(len(t["llm_dropped"]) for t in system_turns) > 0
    path = tmp_path / "dialogues.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    res = evaluate_replies(path, out=tmp_path / "run", auditor=auditor)
    assert res["turns"] == len(system_turns) and res["kept_sentences"] == 0 and res["kept_share"] == 0.0


def test_an_audience_list_claims_each_genre(auditor, items):
    rec = auditor.audit("The Shining (1980) is for anyone who loves horror, sci-fi and westerns.", list(items))
    claims = [c for c in rec.claims if c.text.startswith("audience")]
    assert claims and claims[0].text == "audience: horror, sci-fi, western" and not claims[0].ok
