"""Video-to-music core: attribute parsing and negation, feedback synthesis and the clip split,
the fusion scorer's save/load round trip and negation handling, grounded explanations, configs."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from crs.music.attributes import energy_direction, parse_attributes, parse_text


@pytest.mark.parametrize("text, pos, neg", [
    ("more upbeat, no vocals", {"mood:energetic", "vocals:no"}, {"vocals:yes"}),
    ("not jazz, something with piano", {"instrument:piano"}, {"genre:jazz"}),
    ("I'd prefer it without drums", set(), {"instrument:drums"}),
    ("instrumental please, less rock", {"vocals:no"}, {"vocals:yes", "genre:rock"}),
    ("with a female singer", {"vocals:yes"}, set()),
    ("no vocals and more piano", {"vocals:no", "instrument:piano"}, {"vocals:yes"}),
])
def test_parse_text_handles_negation(text, pos, neg):
    p, n = parse_text(text)
    assert p == pos and n == neg


def test_energy_direction():
    assert energy_direction(*parse_text("more upbeat")) == 1
    assert energy_direction(*parse_text("calmer please")) == -1
    assert energy_direction(*parse_text("less intense")) == -1
    assert energy_direction(*parse_text("with piano")) == 0


def test_clip_attributes_from_aspects_and_caption():
    a = parse_attributes(["guitar song", "relaxing melody", "slow tempo", "instrumental", "no voice"],
                         "There are no voices in this song. The percussion plays a simple beat.")
    assert {"instrument:guitar", "mood:calm", "tempo:slow", "vocals:no"} <= a.tags
    assert "vocals:yes" not in a.tags
    assert a.energy < 0.5
    loud = parse_attributes(["energetic", "fast tempo", "aggressive", "male vocal"])
    assert loud.energy > a.energy and loud.vocals is True


def test_split_is_by_clip_and_seeded():
    from crs.music.feedback import split_clips

    s1, s2 = split_clips(1000, seed=13), split_clips(1000, seed=13)
    assert s1 == s2
    assert not (set(s1["train"]) & set(s1["test"])) and not (set(s1["valid"]) & set(s1["test"]))
    assert len(s1["train"]) + len(s1["valid"]) + len(s1["test"]) == 1000


def test_synth_feedback_only_asks_for_what_the_target_has():
    from crs.music.feedback import synth_feedback

    rng = random.Random(0)
    target = {"vocals:no", "instrument:piano", "mood:calm"}
    prev = {"vocals:yes", "genre:rock", "mood:energetic"}
    for _ in range(30):
        fb = synth_feedback(target, prev, 0.2, 0.8, rng)
        pos, neg = parse_text(fb)
        assert fb
        assert not (pos - {"mood:calm", "vocals:no", "instrument:piano", "tempo:slow"}), fb
        assert not (neg & target), fb


@pytest.fixture(scope="module")
def tiny_engine(real_data):
    from crs.music.session import MusicEngine

    return MusicEngine.shared("tiny", llm="tiny")


def test_training_never_sees_test_clips(tiny_engine):
    from crs.music.feedback import make_examples, split_clips

    cat = tiny_engine.catalogue
    split = split_clips(len(cat), 13)
    ex = make_examples(cat, split["train"], pool=split["train"], seed=0, per_target=2)
    test = set(split["test"])
    assert ex and all(e.target not in test and e.prev not in test and e.prev != e.target for e in ex)
    rec = tiny_engine.scorer.record
    assert rec["split_sizes"]["test"] == len(split["test"])


def test_scorer_round_trip(tmp_path, tiny_engine):
    from crs.music.scorer import FusionScorer, build_queries, catalogue_to_torch

    cat = tiny_engine.catalogue
    model = tiny_engine.scorer
    rng = np.random.default_rng(0)
    fb = rng.normal(size=(2, 384)).astype(np.float32)
    q = build_queries(["no vocals", ""], fb, cat.embeddings[[3, 4]], [0, 1], [0.7, 0.2], [0.6, 0.4])
    before = model.score(q, catalogue_to_torch(cat))
    model.save_pretrained(tmp_path / "m")
    assert (tmp_path / "m" / "config.json").exists() and (tmp_path / "m" / "model.safetensors").exists()
    after = FusionScorer.from_pretrained(tmp_path / "m").score(q, catalogue_to_torch(cat))
    np.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-5)
    assert np.isneginf(before[0, 0]) and np.isneginf(before[1, 1])  # the previous piece is never re-suggested


@pytest.mark.parametrize("feedback, banned", [("no vocals please", "vocals:yes"), ("not jazz", "genre:jazz"),
                                              ("without drums", "instrument:drums")])
def test_refinement_honours_negations(tiny_engine, feedback, banned, tmp_path):
    from crs.music.session import MusicState
    from crs.music.synthetic import make_video

    video = make_video(tmp_path / "v.mp4", seconds=1.5, speed=4)
    state = MusicState()
    tiny_engine.start(state, str(video))
    pick = tiny_engine.refine(state, feedback)
    assert banned not in pick.item.attributes.tags
    assert pick.item.id != state.picks[0].item.id


def test_explanations_are_grounded(tiny_engine):
    from crs.music.explain import explain_pick, grounding, template_reason

    cat = tiny_engine.catalogue
    for item in cat.items[:50]:
        text = template_reason(item, "a bright, fast-moving video", "more upbeat")
        assert not grounding(text, item, "a bright, fast-moving video")[1], (text, item.attributes.tags)

    class Liar:  # an LLM that names an instrument the clip does not have
        name = "liar"

        def generate(self, messages, **kw):
            return "This track fits because of its soaring bagpipes and a heavy metal banjo and harp solo."

    item = next(it for it in cat.items if "instrument:harp" not in it.attributes.tags and it.attributes.tags)
    e = explain_pick(item, "a dark video", "", Liar())
    assert e.source == "template" and not e.ungrounded

    class Honest:
        name = "honest"

        def generate(self, messages, **kw):
            from crs.music.attributes import tag_label

            tag = tag_label(sorted(item.attributes.tags)[0])
            return f"The {tag} character of this music matches the mood of the video."

    e = explain_pick(item, "a dark video", "", Honest())
    assert e.source == "llm", e


def test_every_music_config_loads():
    from crs.music.config import CONFIG_DIR, load_music_config

    paths = sorted(Path(CONFIG_DIR).glob("*.yaml"))
    assert paths
    for p in paths:
        cfg = load_music_config(p)
        assert cfg.video.max_mb > 0 and cfg.fusion.epochs >= 0
    with pytest.raises(ValueError, match="unknown"):
        from crs.music.config import MusicConfig

        MusicConfig.from_dict({"fusion": {"epochz": 3}})


@pytest.mark.parametrize("text, asked, declined", [
    ("more upbeat, no vocals", "more upbeat", "no vocals"),
    ("Hmm, with piano and not jazz", "hmm, with piano", "not jazz"),
    ("without drums", "", "without drums"),
    ("something calm", "something calm", ""),
    ("", "", ""),
])
def test_split_feedback_separates_what_is_turned_down(text, asked, declined):
    from crs.music.feedback import split_feedback

    assert split_feedback(text) == (asked, declined)


def test_training_sessions_are_as_served(tiny_engine):
    """Previous piece random or a turn-1 pick of a synthetic video; the video never comes from the target."""
    from crs.music.feedback import make_sessions, pseudo_videos, split_clips, turn1_picks

    cat = tiny_engine.catalogue
    split = split_clips(len(cat), 13)
    ex = make_sessions(cat, split["train"], pool=split["train"], seed=0, per_target=2, n_videos=8, human_share=0.5)
    videos = pseudo_videos(8, 0)
    picks = {p for ps in turn1_picks(cat, videos, split["train"]) for p in ps}
    test = set(split["test"])
    assert ex and all(e.target not in test and e.prev not in test and e.prev != e.target for e in ex)
    assert {e.video_text for e in ex} <= {v[0] for v in videos} | {""}  # drawn before any target is seen
    turn1 = [e for e in ex if e.prev in picks]
    assert 0.3 < len(turn1) / len(ex) < 0.9  # about half are turn-1 picks, the rest random clips
    assert len({e.prev for e in ex}) > len(picks)  # random previous pieces, not only the turn-1 picks


def test_scorer_record_and_text_fallback(tiny_engine):
    import json

    from crs.music.scorer import HARD_NEGATION_PENALTY, build_queries, catalogue_to_torch

    model, cat = tiny_engine.scorer, tiny_engine.catalogue
    record = json.loads((tiny_engine.config.scorer_dir / "config.json").read_text(), parse_constant=lambda c: 1 / 0)
    assert record["version"] == 2 and record["turn2_method"] in ("fusion", "text")
    assert record["history"][0]["train_loss"] is None  # no NaN for the untrained epoch 0
    assert all(np.isfinite(h["train_loss"]) for h in record["history"][1:])
    assert set(record["valid_text_only_recall@10"]) == {"lexicon", "aspect phrases"}
    fb = cat.embeddings[[5, 6]] * 0.5
    q = build_queries(["with piano, not jazz", "more upbeat"], fb, cat.embeddings[[3, 4]], [0, 1], [0.7, 0.2],
                      [0.6, 0.4])
    text = model.score(q, catalogue_to_torch(cat), method="text")
    expect = fb @ cat.embeddings.T - HARD_NEGATION_PENALTY * ((q.unwanted @ cat.tags.T) > 0)
    expect[[0, 1], [0, 1]] = -np.inf
    np.testing.assert_allclose(text, expect, rtol=1e-4, atol=1e-3)


def test_old_scorer_version_is_not_loaded(tmp_path, tiny_engine):
    import json

    from crs.music.scorer import FusionScorer

    tiny_engine.scorer.save_pretrained(tmp_path / "m")
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    cfg.pop("version")
    (tmp_path / "m" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(FileNotFoundError, match="older version"):
        FusionScorer.from_pretrained(tmp_path / "m")
