"""Turn-2 training and evaluation examples, synthesised from MusicCaps aspects (MuseChat-style).

For a target clip we need what the system would have at turn 2: the video, the piece it
suggested at turn 1, and what the user said. There are no paired videos or real feedback
for MusicCaps, so:

* the **previous piece** is a clip close to the target in caption space (rank 2-50 of the
  target's neighbours in the allowed pool): turn 1 was near, but not right;
* the **feedback** names differences between the two clips' human-written attributes: tags
  the target has and the previous piece lacks ("with piano", "more jazz"), tags the previous
  piece has and the target lacks ("no vocals", "not rock"), and the energy direction
  ("more upbeat", "calmer"), worded with the lexicon's synonyms;
* the **video** is a stand-in: the profile text a video of the target's (noisy) energy and
  valence would get. It is synthetic, and the docs say so.

That is the *old* synthesis (:func:`make_examples`): it agrees with itself, and a scorer trained
on it learns to stay near the previous piece. The product's scorer is trained on
:func:`make_sessions` instead, which matches how turn 2 is used: the previous piece is a random
clip or the system's own turn-1 pick for a synthetic video profile drawn independently of the
target, and the video says nothing about the target. The feedback is the lexicon synthesis
above or (``human_share``) one or two phrases of the target's own human-written aspect list
that the previous piece's aspect list lacks (training clips only; see docs/music.md).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np

from crs.music.attributes import LEXICON, _negator_re, tag_label
from crs.music.catalogue import MusicCatalogue

POS_TEMPLATES = {
    "genre": ("more {p}", "something {p}", "a {p} piece", "{p} please", "more like {p}"),
    "mood": ("more {p}", "something {p}", "make it {p}", "a bit more {p}"),
    "tempo": ("{p}", "a {p} one", "something {p}"),
    "instrument": ("with {p}", "some {p}", "more {p}", "with a {p}"),
}
NEG_TEMPLATES = {
    "genre": ("not {p}", "no {p}", "less {p}", "nothing {p}"),
    "mood": ("not so {p}", "less {p}", "not {p}"),
    "tempo": ("not {p}",),
    "instrument": ("no {p}", "without {p}", "less {p}", "without the {p}"),
}
VOCAL_PHRASES = {"vocals:no": ("no vocals", "instrumental", "without singing", "no singer", "instrumental only"),
                 "vocals:yes": ("with vocals", "with a singer", "with singing", "something with a voice")}
ENERGY_PHRASES = {1: ("more upbeat", "more energetic", "livelier", "more lively", "with more energy"),
                  -1: ("calmer", "more relaxed", "more chill", "softer and calmer", "less intense")}
PREFIXES = ("", "", "I'd prefer ", "Can you find something ", "Hmm, ", "Try ", "I want ", "Maybe ")
TEMPO_SURFACE = {"slow": ("slow tempo", "slower", "slow"), "medium": ("medium tempo", "mid-tempo"),
                 "fast": ("fast tempo", "faster", "uptempo", "fast")}


@dataclass
class Turn2Example:
    """One synthesised turn-2 query."""

    target: int  # catalogue index
    prev: int  # catalogue index of the turn-1 piece
    feedback: str  # may be "" (text dropout)
    video_text: str
    video_energy: float
    video_valence: float


def _surface(tag: str, rng: random.Random) -> str:
    facet, value = tag.split(":", 1)
    if facet == "tempo":
        return rng.choice(TEMPO_SURFACE[value])
    phrases = [p for p in LEXICON[facet][value] if len(p) > 2] or [value]
    return rng.choice([value, value, *phrases[:4]])  # mostly the canonical word, sometimes a synonym


def synth_feedback(target_tags: set[str], prev_tags: set[str], target_energy: float, prev_energy: float,
                   rng: random.Random, max_parts: int = 3) -> str:
    """A short preference sentence that moves from the previous piece towards the target."""
    parts: list[str] = []
    gain = sorted(t for t in target_tags - prev_tags if not t.startswith("vocals"))
    loss = sorted(t for t in prev_tags - target_tags if not t.startswith("vocals"))
    if "vocals:no" in target_tags and "vocals:yes" in prev_tags:
        parts.append(rng.choice(VOCAL_PHRASES["vocals:no"]))
    elif "vocals:yes" in target_tags and "vocals:no" in prev_tags:
        parts.append(rng.choice(VOCAL_PHRASES["vocals:yes"]))
    if abs(target_energy - prev_energy) >= 0.2:
        parts.append(rng.choice(ENERGY_PHRASES[1 if target_energy > prev_energy else -1]))
    rng.shuffle(gain)
    rng.shuffle(loss)
    for tag in gain[:2]:
        facet = tag.split(":", 1)[0]
        parts.append(rng.choice(POS_TEMPLATES[facet]).format(p=_surface(tag, rng)))
    for tag in loss[:1]:
        facet = tag.split(":", 1)[0]
        if facet != "tempo":
            parts.append(rng.choice(NEG_TEMPLATES[facet]).format(p=_surface(tag, rng)))
    if not parts:  # the two clips share every tag: ask for the target's own character
        own = sorted(target_tags - {"vocals:yes", "vocals:no"})
        if own:
            parts.append("more " + tag_label(rng.choice(own)))
    rng.shuffle(parts)
    parts = parts[:max_parts]
    if not parts:
        return ""
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return rng.choice(PREFIXES) + text


def pseudo_video_text(energy: float, valence: float) -> str:
    """The profile text a video of this energy / valence would get (see crs.music.video.profile_text)."""
    from crs.music.video import music_tags_for

    pace = "still" if energy < 0.3 else "slow-moving" if energy < 0.45 else "moving" if energy < 0.6 else "fast-moving"
    cuts = "with frequent cuts" if energy > 0.7 else "with a few cuts" if energy > 0.5 else "in one continuous shot"
    light = "bright" if valence > 0.65 else "dark" if valence < 0.3 else "dimly lit" if valence < 0.45 else "evenly lit"
    colour = "colourful" if valence > 0.55 else "muted"
    mood = ", ".join(tag_label(t) for t in sorted(music_tags_for(energy, valence)))
    return f"Music for a {light}, {colour}, {pace} video {cuts}. The music should feel {mood}."


def make_examples(cat: MusicCatalogue, targets: list[int], pool: list[int], seed: int, per_target: int = 1,
                  text_dropout: float = 0.0, video_noise: float = 0.15, neighbours: int = 50) -> list[Turn2Example]:
    """Synthesise ``per_target`` turn-2 examples for each target; previous pieces come from ``pool`` only."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    pool_arr = np.asarray(pool)
    pool_emb = cat.embeddings[pool_arr]
    out: list[Turn2Example] = []
    for start in range(0, len(targets), 512):
        chunk = targets[start:start + 512]
        sims = cat.embeddings[chunk] @ pool_emb.T
        near = np.argsort(-sims, axis=1)[:, :neighbours + 1]
        for row, t in enumerate(chunk):
            cands = [int(pool_arr[j]) for j in near[row] if int(pool_arr[j]) != t][:neighbours]
            for _ in range(per_target):
                p = rng.choice(cands[1:] if len(cands) > 1 else cands)
                ti, pi = cat.items[t].attributes, cat.items[p].attributes
                fb = "" if rng.random() < text_dropout else synth_feedback(ti.tags, pi.tags, ti.energy, pi.energy, rng)
                ve = float(np.clip(ti.energy + nprng.normal(0, video_noise), 0, 1))
                vv = float(np.clip(ti.valence + nprng.normal(0, video_noise), 0, 1))
                out.append(Turn2Example(t, p, fb, pseudo_video_text(ve, vv), ve, vv))
    return out


def split_feedback(text: str) -> tuple[str, str]:
    """(what the user asks for, what they turn down): clauses split at punctuation, "and", "but";
    a clause is turned down when it has one of the parser's negators ("no", "not", "less", "without" ...)."""
    clauses = [c.strip() for c in re.split(r"[.,;:!?]|\band\b|\bbut\b", (text or "").lower().replace("’", "'"))]
    pos = [c for c in clauses if c and not _negator_re().search(c)]
    neg = [c for c in clauses if c and _negator_re().search(c)]
    return ", ".join(pos), ", ".join(neg)


def pseudo_videos(n: int, seed: int) -> list[tuple[str, float, float]]:
    """``n`` synthetic video profiles (text, energy, valence), energy and valence drawn uniformly:
    independent of any clip, so a video never says anything about a target."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        e, v = float(rng.uniform(0, 1)), float(rng.uniform(0, 1))
        out.append((pseudo_video_text(e, v), e, v))
    return out


def turn1_picks(cat: MusicCatalogue, videos: list[tuple[str, float, float]], pool: list[int],
                attribute_weight: float = 0.3, depth: int = 3) -> list[list[int]]:
    """The product's turn-1 order (top ``depth`` clips of ``pool``) for each synthetic video profile."""
    from crs.embeddings import cached_embeddings
    from crs.music.scorer import turn1_scores
    from crs.music.video import music_tags_for

    emb = cached_embeddings("music-pseudo-videos", [v[0] for v in videos], progress=False)
    mask = np.full(len(cat), -np.inf)
    mask[np.asarray(pool)] = 0.0
    picks = []
    for (_, e, v), pe in zip(videos, emb):
        s = turn1_scores(pe, e, v, music_tags_for(e, v), cat, attribute_weight) + mask
        picks.append([int(i) for i in np.argsort(-s, kind="stable")[:depth]])
    return picks


def human_phrases(target_aspects: list[str], prev_aspects: list[str], rng: random.Random) -> str:
    """One or two phrases of the target's human-written aspect list that the previous piece's list lacks."""
    prev = {a.lower() for a in prev_aspects}
    fresh = [a.lower() for a in dict.fromkeys(target_aspects) if a.lower() not in prev and len(a.split()) <= 6]
    if not fresh:
        return ""
    rng.shuffle(fresh)
    return " and ".join(fresh[:rng.randint(1, 2)])


def make_sessions(cat: MusicCatalogue, targets: list[int], pool: list[int], seed: int, per_target: int = 1,
                  text_dropout: float = 0.0, n_videos: int = 64, human_share: float = 0.0,
                  no_video_share: float = 0.25) -> list[Turn2Example]:
    """Turn-2 examples as the product meets them: the previous piece is a random ``pool`` clip (half)
    or the turn-1 pick for a synthetic video (half); the video is that one, another random one, or
    none (``no_video_share`` of the random half); never derived from the target."""
    rng = random.Random(seed)
    videos = pseudo_videos(n_videos, seed)
    picks = turn1_picks(cat, videos, pool)
    out: list[Turn2Example] = []
    for t in targets:
        for _ in range(per_target):
            vi = rng.randrange(len(videos))
            if rng.random() < 0.5:
                p = next(i for i in picks[vi] if i != t)
            else:
                p = t
                while p == t:
                    p = rng.choice(pool)
                if rng.random() < no_video_share:
                    vi = -1
            ti, pi = cat.items[t].attributes, cat.items[p].attributes
            if rng.random() < text_dropout:
                fb = ""
            else:
                human = rng.random() < human_share
                fb = human_phrases(cat.items[t].aspects, cat.items[p].aspects, rng) if human else ""
                fb = fb or synth_feedback(ti.tags, pi.tags, ti.energy, pi.energy, rng)
            text, e, v = videos[vi] if vi >= 0 else ("", 0.5, 0.5)
            out.append(Turn2Example(t, p, fb, text, e, v))
    return out


def split_clips(n: int, seed: int, valid: float = 0.1, test: float = 0.1) -> dict[str, list[int]]:
    """Split catalogue indices by clip: train / valid / test (held out: never used in training)."""
    order = np.random.default_rng(seed).permutation(n)
    n_test, n_valid = int(round(n * test)), int(round(n * valid))
    return {"test": sorted(order[:n_test].tolist()), "valid": sorted(order[n_test:n_test + n_valid].tolist()),
            "train": sorted(order[n_test + n_valid:].tolist())}
