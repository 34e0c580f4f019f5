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
    from crs.music.explain import explain, grounding, template_reason

    cat = tiny_engine.catalogue
    for item in cat.items[:50]:
        text = template_reason(item, "a bright, fast-moving video", "more upbeat")
        assert not grounding(text, item, "a bright, fast-moving video")[1], (text, item.attributes.tags)

    class Liar:  # an LLM that names an instrument the clip does not have
        name = "liar"

        def generate(self, messages, **kw):
            return "This track fits because of its soaring bagpipes and a heavy metal banjo and harp solo."

    item = next(it for it in cat.items if "instrument:harp" not in it.attributes.tags and it.attributes.tags)
    e = explain(item, "a dark video", "", Liar())
    assert e.source == "template" and not e.ungrounded

    class Honest:
        name = "honest"

        def generate(self, messages, **kw):
            from crs.music.attributes import tag_label

            tag = tag_label(sorted(item.attributes.tags)[0])
            return f"The {tag} character of this music matches the mood of the video."

    e = explain(item, "a dark video", "", Honest())
    assert e.source == "llm", e


def test_every_music_config_loads():
    from crs.music.config import CONFIG_DIR, load_config

    paths = sorted(Path(CONFIG_DIR).glob("*.yaml"))
    assert paths
    for p in paths:
        cfg = load_config(p)
        assert cfg.video.max_mb > 0 and cfg.fusion.epochs >= 0
    with pytest.raises(ValueError, match="unknown"):
        from crs.music.config import MusicConfig

        MusicConfig.from_dict({"fusion": {"epochz": 3}})
