"""Turn-2 user feedback written from human text: MusicCaps aspect lists and captions.

The simulated user knows the piece they want (the target) and has just heard another (the
previous piece). They ask for aspects the target's musician-written aspect list has and the
previous piece's description lacks ("something with mellow piano melody"), and turn down an
aspect of the previous piece that the target's description never mentions ("drop the
distorted electric guitar").

This module deliberately shares nothing with the scorer: it imports nothing from ``crs``, has
no music vocabulary of its own (every music word in a sentence is copied from the two clips'
human descriptions) and compares descriptions by plain word overlap, not by the scorer's
attribute parser. ``tests/test_music_protocol.py`` checks both.
"""

from __future__ import annotations

import random
import re

# Function words ignored when deciding whether an aspect is "new"; not music words.
STOPWORDS = frozenset(
    "a an the and or of in on at to for with without by from as is are be this that it its no not very some "
    "into over under than then there their they one two three".split())
# Aspects about the recording rather than the music: a listener rarely asks for these.
RECORDING_WORDS = frozenset("quality recording recorded audio mono stereo noise noisy amateur".split())
# Sentence frames written for this generator. They carry no music words (tested).
WANT_FRAMES = ("something with {a}", "I'd like {a}", "can you find one with {a}", "{a} would be better",
               "I want {a}", "more {a} please", "how about {a}", "try one with {a}")
DROP_FRAMES = ("no {a}", "drop the {a}", "less {a}", "not the {a} this time", "lose the {a}",
               "I could do without the {a}")
OPENERS = ("", "", "", "Hmm, ", "Close, but ", "Not quite. ", "OK, now ")
# Said when the two descriptions differ in nothing a listener would ask for.
NOTHING_NEW = ("something else", "another one please", "a different one")

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> set[str]:
    """Lower-case word set without function words."""
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


def _askable(aspect: str) -> bool:
    w = words(aspect)
    return bool(w) and not (w & RECORDING_WORDS) and len(aspect.split()) <= 6


def differences(target_aspects: list[str], target_caption: str, prev_aspects: list[str],
                prev_caption: str) -> tuple[list[str], list[str]]:
    """(aspects to ask for, aspects to turn down), both copied verbatim from the human descriptions.

    An aspect of the target is new when none of its words occurs in the previous piece's aspect
    list or caption; an aspect of the previous piece is unwanted when none of its words occurs
    in the target's aspect list or caption (so nothing the target has is ever turned down).
    """
    prev_words = words(" ".join(prev_aspects) + " " + prev_caption)
    target_words = words(" ".join(target_aspects) + " " + target_caption)
    gains = [a for a in dict.fromkeys(target_aspects) if _askable(a) and not (words(a) & prev_words)]
    losses = [a for a in dict.fromkeys(prev_aspects)
              if _askable(a) and not (words(a) & target_words) and not a.lower().startswith(("no ", "without"))]
    return gains, losses


def write_feedback(target_aspects: list[str], target_caption: str, prev_aspects: list[str], prev_caption: str,
                   rng: random.Random, max_gains: int = 2, max_losses: int = 1) -> str:
    """One feedback sentence from the two clips' descriptions (seeded by ``rng``)."""
    gains, losses = differences(target_aspects, target_caption, prev_aspects, prev_caption)
    rng.shuffle(gains)
    rng.shuffle(losses)
    n_gain = rng.randint(1, max_gains) if gains else 0
    n_loss = rng.randint(0, max_losses) if losses else 0
    parts = [rng.choice(WANT_FRAMES).format(a=a.lower()) for a in gains[:n_gain]]
    parts += [rng.choice(DROP_FRAMES).format(a=a.lower()) for a in losses[:n_loss]]
    if not parts:
        return rng.choice(NOTHING_NEW)
    rng.shuffle(parts)
    body = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    text = rng.choice(OPENERS) + body
    return text[0].upper() + text[1:]
