"""The turn-2 protocol without shared machinery: the feedback generator shares no code or lexicon
with the scorer's parser, its music words come from the clips' human descriptions, and no
attribute of the target reaches the scorer. Also the picture's bridge into caption space."""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

import numpy as np
import pytest

import eval.music_feedback as gen
from eval.music_feedback import differences, words, write_feedback

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def test_generator_imports_nothing_from_the_product():
    names = _imports(ROOT / "eval" / "music_feedback.py")
    assert names <= {"__future__", "random", "re"}, names


def test_protocol_does_not_use_the_old_synthesis():
    names = _imports(ROOT / "eval" / "music_protocol.py")
    assert "crs.music.feedback" not in names and "crs.music.attributes" not in names
    src = (ROOT / "eval" / "music_protocol.py").read_text(encoding="utf-8")
    assert "make_examples" not in src and "synth_feedback" not in src and "LEXICON" not in src


def test_generator_word_lists_are_disjoint_from_the_parser_lexicon():
    from crs.music.attributes import LEXICON

    phrases = {p for facet in LEXICON.values() for ps in facet.values() for p in ps}
    own = [*gen.WANT_FRAMES, *gen.DROP_FRAMES, *gen.OPENERS, *gen.NOTHING_NEW, " ".join(gen.STOPWORDS),
           " ".join(gen.RECORDING_WORDS)]
    for text in own:
        low = text.lower().replace("{a}", " ")
        hits = [p for p in phrases if re.search(r"(?<![\w-])" + re.escape(p) + r"(?![\w-])", low)]
        assert not hits, (text, hits)


def test_feedback_words_come_from_the_two_descriptions(real_data):
    from crs.data.musiccaps import load_musiccaps

    clips = load_musiccaps()
    frame_words = set()
    for f in (*gen.WANT_FRAMES, *gen.DROP_FRAMES, *gen.OPENERS, *gen.NOTHING_NEW):
        frame_words |= words(f.replace("{a}", " "))
    rng = random.Random(0)
    for _ in range(300):
        t, p = clips[rng.randrange(len(clips))], clips[rng.randrange(len(clips))]
        fb = write_feedback(t.aspects, t.caption, p.aspects, p.caption, rng)
        assert fb
        source = words(" ".join(t.aspects + p.aspects))
        assert words(fb) - frame_words <= source, fb
        gains, losses = differences(t.aspects, t.caption, p.aspects, p.caption)
        target_words = words(" ".join(t.aspects) + " " + t.caption)
        assert all(not (words(a) & target_words) for a in losses)  # never turns down what the target has
        assert all(a in t.aspects for a in gains)


def test_feedback_is_seeded():
    a = write_feedback(["mellow piano melody", "sad"], "A sad piano ballad.", ["distorted guitar"], "Loud rock.",
                       random.Random(5))
    b = write_feedback(["mellow piano melody", "sad"], "A sad piano ballad.", ["distorted guitar"], "Loud rock.",
                       random.Random(5))
    assert a == b and ("piano" in a or "sad" in a)


@pytest.fixture(scope="module")
def tiny_engine(real_data):
    from crs.music.session import MusicEngine

    return MusicEngine.shared("tiny", llm="tiny")


def test_new_protocol_never_gives_the_scorer_target_attributes(tiny_engine):
    from eval.music_protocol import cases_to_queries, compare, new_cases, synthetic_videos

    cat = tiny_engine.catalogue
    targets = list(range(0, 40, 2))
    videos = synthetic_videos(tiny_engine, 1, seed=0)
    rand = new_cases(cat, targets, seed=1, prev_mode="random")
    assert all(c.prev != c.target and c.video == -1 for c in rand)
    q = cases_to_queries(rand, videos, "test-tiny")
    assert not q.video.any() and set(q.energy.tolist()) == {0.5} and set(q.valence.tolist()) == {0.5}
    t1 = new_cases(cat, targets, seed=1, prev_mode="turn1", videos=videos)
    order = videos[0][2]
    assert all(c.prev in (int(order[0]), int(order[1])) and c.prev != c.target for c in t1)
    q1 = cases_to_queries(t1, videos, "test-tiny")
    assert np.allclose(q1.video, videos[0][1][None, :])  # the same video whatever the target
    rows, ranks = compare(cat, tiny_engine.scorer, tiny_engine.config.fusion, q, [c.feedback for c in rand], seed=0)
    assert {r["method"] for r in rows} >= {"random", "text only (MiniLM cosine of the feedback)",
                                           "aspect overlap (feedback words in the clip's aspect list)", "fusion, trained"}
    assert all(1 <= r.min() and r.max() <= len(cat) for r in ranks.values())


def test_aspect_overlap_baseline_finds_a_named_aspect(tiny_engine):
    from eval.music_protocol import aspect_overlap_scores

    cat = tiny_engine.catalogue
    i = next(k for k, it in enumerate(cat.items) if len(it.aspects) >= 3)
    s = aspect_overlap_scores([" ".join(cat.items[i].aspects)], cat, np.array([(i + 1) % len(cat)]))
    assert s[0, i] == s[0].max()


def test_picture_reaches_caption_space(tiny_engine):
    from crs.music.vision import image_text_vector, imagenet_labels, label_text_vectors
    from eval.music_picture import class_feature, neutral_profile

    violin = imagenet_labels().index("violin")
    v = image_text_vector(class_feature(violin))
    assert v is not None and abs(float(np.linalg.norm(v)) - 1.0) < 1e-4
    assert int(np.argmax(label_text_vectors() @ v)) == violin
    assert image_text_vector(np.zeros(1280, np.float32)) is None
    prof = neutral_profile(class_feature(violin))
    assert prof.labels[0][0] == "violin" and "violin" in prof.text
    from crs.embeddings import encode

    emb = encode([prof.text])[0]
    with_pic, without = tiny_engine.turn1(prof, emb, image_weight=1.0), tiny_engine.turn1(prof, emb, image_weight=0.0)
    assert not np.allclose(with_pic, without)
