"""Does the picture help turn 1? An ablation on weak picture-music pairs (`crs eval music`).

No video is paired with a MusicCaps clip and no photos ship offline, so this is a proxy that
tests the bridge from the 1280-d feature into caption space, not the pixels. Weak pairs: an
ImageNet class whose name musicians use in MusicCaps descriptions ("violin", "church",
"accordion") is paired with every clip whose caption or aspect list names it (a whole-word
match: a check that shares no code with the retrieval). The "picture" is a 1280-d feature the
image model's own head reads as that class (:func:`class_feature`), in a still, evenly lit
video profile. Classes are split in two (seeded): the image weight is chosen on one half and
reported on the other.

Measures per class: share of the 10 turn-1 picks that name the class (P@10) and whether the
first pick does (hit@1), against the share of all clips that do (what a random pick gets).
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

import numpy as np

WEIGHT_GRID = (0.25, 0.5, 1.0, 2.0)


def proxy_classes(cat, min_clips: int = 15) -> list[tuple[int, str, np.ndarray]]:
    """(class index, name, relevant clip mask) for every ImageNet name used in >= min_clips descriptions."""
    from crs.music.vision import imagenet_labels

    texts = [(it.caption + " " + " ".join(it.aspects)).lower() for it in cat.items]
    out = []
    for i, name in enumerate(imagenet_labels()):
        low = name.lower()
        pat = re.compile(r"\b" + re.escape(low) + r"s?\b")
        mask = np.array([low in t and bool(pat.search(t)) for t in texts])  # substring test first: 5.5M regexes are slow
        if mask.sum() >= min_clips:
            out.append((i, name, mask))
    return out


def class_feature(class_idx: int, confidence: float = 0.5) -> np.ndarray:
    """A 1280-d image feature that the image model's own classifier head reads as ``class_idx``.

    The direction that maximises ``logit_c`` among non-negative features of a given length (the
    head is linear: the class's weight row with its negative part removed), scaled until the head
    gives the class probability ``confidence``: a clear picture, not a certain one. Pixels
    optimised through the whole network would be closer to a real picture, but took over 4
    minutes a class on this shared CPU.
    """
    from crs.music.vision import image_model, label_distribution

    w = np.maximum(image_model()._fc.weight.detach().numpy()[class_idx], 0.0).astype(np.float32)
    lo, hi = 0.0, 1.0
    while label_distribution(hi * w)[class_idx] < confidence and hi < 1e4:
        lo, hi = hi, hi * 2
    for _ in range(30):  # bisection on the scale
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if label_distribution(mid * w)[class_idx] < confidence else (lo, mid)
    return hi * w


def neutral_profile(feature: np.ndarray):
    """A still, evenly lit video profile carrying ``feature``; its top labels come from the classifier head."""
    from crs.music.video import VideoProfile, music_tags_for, profile_text
    from crs.music.vision import imagenet_labels, label_distribution

    probs = label_distribution(feature)
    names = imagenet_labels()
    labels = [(names[i], float(probs[i])) for i in np.argsort(-probs)[:5]]
    prof = VideoProfile("proxy", 2.0, 24, 0.5, 0.3, 0.0, 0.0, 0.0, 0.35, 0.5, labels, feature)
    prof.suggested_tags = music_tags_for(prof.energy, prof.valence)
    prof.text = profile_text(prof)
    return prof


def _arms(engine, profile, weight: float) -> dict[str, np.ndarray]:
    """Turn-1 scores with and without each part of the picture."""
    from crs.embeddings import encode
    from crs.music.video import profile_text

    blind = replace(profile, labels=[])
    blind.text = profile_text(blind)
    e_with, e_blind = encode([profile.text, blind.text])
    return {"no picture (colour and motion only)": engine.turn1(blind, e_blind, image_weight=0.0),
            "top labels in the sentence (before this change)": engine.turn1(profile, e_with, image_weight=0.0),
            "image vector only (no labels in the sentence)": engine.turn1(blind, e_blind, image_weight=weight),
            "labels + image vector (product)": engine.turn1(profile, e_with, image_weight=weight)}


def picture_ablation(engine, seed: int = 13, max_classes: int | None = None) -> dict:
    """Turn-1 P@10 / hit@1 per arm on the test half of the proxy classes; the weight chosen on the other half."""
    cat = engine.catalogue
    classes = proxy_classes(cat)
    rng = random.Random(seed)
    rng.shuffle(classes)
    if max_classes:
        classes = classes[:max_classes]
    half = len(classes) // 2
    split = {"valid": classes[:half], "test": classes[half:]}
    profiles = {ci: neutral_profile(class_feature(ci)) for ci, _, _ in classes}

    def measure(part, weight):
        per_arm: dict[str, list[tuple[float, float]]] = {}
        for ci, _, mask in part:
            for arm, scores in _arms(engine, profiles[ci], weight).items():
                top = np.argsort(-scores, kind="stable")[:10]
                per_arm.setdefault(arm, []).append((float(mask[top].mean()), float(mask[top[0]])))
        return {arm: {"p@10": float(np.mean([p for p, _ in v])), "hit@1": float(np.mean([h for _, h in v]))}
                for arm, v in per_arm.items()}

    arm = "labels + image vector (product)"
    valid = {w: measure(split["valid"], w)[arm]["p@10"] for w in WEIGHT_GRID} if split["valid"] else {}
    best = max(valid, key=lambda w: (valid[w], -w)) if valid else engine.config.turn1_image_weight
    test = measure(split["test"], best)
    base = float(np.mean([m.mean() for _, _, m in split["test"]])) if split["test"] else float("nan")
    return {"weight_chosen_on_valid": best, "valid_p@10_by_weight": valid, "test": test,
            "test_random_pick_p@10": base, "seed": seed,
            "classes": {k: [(n, int(m.sum()), [(lab, round(p, 3)) for lab, p in profiles[ci].labels[:2]])
                            for ci, n, m in v] for k, v in split.items()}}
