"""Music attributes: one lexicon that parses MusicCaps aspects, captions and user feedback alike.

An attribute is a tag ``"facet:value"`` (``genre:jazz``, ``mood:calm``, ``tempo:fast``,
``instrument:piano``, ``vocals:yes`` / ``vocals:no``). The same parser reads the catalogue (so
a clip's tags are what its human description says) and the user's feedback (so "no vocals" and
"not jazz" become negative tags), which keeps retrieval, negation and grounding consistent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

# facet -> canonical value -> surface phrases (lower case, matched on word boundaries).
LEXICON: dict[str, dict[str, tuple[str, ...]]] = {
    "genre": {
        "rock": ("rock", "rock music", "hard rock", "rock and roll", "alternative rock", "grunge"),
        "pop": ("pop", "pop music", "pop song", "k-pop", "j-pop", "synth-pop", "synthpop"),
        "jazz": ("jazz", "jazzy", "swing", "bebop", "big band"),
        "classical": ("classical", "classical music", "baroque", "symphony", "symphonic", "opera", "operatic"),
        "electronic": ("electronic", "electronic music", "edm", "techno", "trance", "house music", "electro",
                       "dubstep", "drum and bass", "synthwave", "idm"),
        "hip hop": ("hip hop", "hip-hop", "rap", "rapping", "trap", "boom bap"),
        "folk": ("folk", "folk music", "folk song", "bluegrass", "celtic"),
        "country": ("country", "country music"),
        "blues": ("blues", "bluesy"),
        "metal": ("metal", "heavy metal", "death metal", "thrash metal", "metalcore"),
        "reggae": ("reggae", "dub", "ska", "dancehall"),
        "funk": ("funk", "funky", "disco"),
        "r&b": ("r&b", "rnb", "rhythm and blues"),
        "soul": ("soul", "soul music", "motown"),
        "gospel": ("gospel", "devotional", "hymn", "worship", "christian"),
        "ambient": ("ambient", "new age", "drone"),
        "latin": ("latin", "salsa", "samba", "bossa nova", "reggaeton", "flamenco", "tango", "cumbia"),
        "indian": ("bollywood", "indian classical", "indian", "raga", "carnatic", "hindustani"),
        "soundtrack": ("soundtrack", "movie soundtrack", "film score", "cinematic", "video game music", "score"),
        "punk": ("punk", "punk rock", "emo"),
        "dance": ("dance music", "club music", "dance pop", "edm dance"),
        "children": ("lullaby", "nursery rhyme", "children's song", "kids song"),
        "lo-fi": ("lo-fi", "lofi", "lo fi"),
    },
    "mood": {
        "happy": ("happy", "cheerful", "joyful", "fun", "playful", "uplifting", "positive", "bright mood",
                  "joyous", "happier", "cheery", "feel good", "feel-good"),
        "sad": ("sad", "melancholic", "melancholy", "sorrowful", "mournful", "poignant", "nostalgic",
                "sentimental", "heartbroken", "gloomy", "sadder", "emotional"),
        "calm": ("calm", "calming", "relaxing", "relaxed", "soothing", "mellow", "chill", "chilled", "meditative",
                 "easygoing", "peaceful", "dreamy", "tranquil", "serene", "gentle", "calmer", "laid back",
                 "laid-back", "quiet"),
        "energetic": ("energetic", "lively", "vigorous", "spirited", "exciting", "enthusiastic", "vibrant",
                      "vivacious", "upbeat", "more upbeat", "powerful", "intense", "high energy", "high-energy", "more energy",
                      "punchy", "buoyant", "pumping", "livelier", "lively", "more lively"),
        "aggressive": ("aggressive", "harsh", "angry", "heavy", "brutal", "fierce", "raw"),
        "dark": ("dark", "eerie", "scary", "sinister", "haunting", "suspenseful", "mysterious", "ominous",
                 "creepy", "spooky", "tense", "horror"),
        "romantic": ("romantic", "love song", "sensual", "tender", "sweet"),
        "epic": ("epic", "dramatic", "inspiring", "triumphant", "majestic", "heroic", "grand", "anthemic"),
        "groovy": ("groovy", "danceable", "groove", "catchy", "bouncy"),
    },
    "tempo": {
        "slow": ("slow tempo", "slow", "slower", "slow-paced", "slow paced", "downtempo", "largo", "adagio"),
        "medium": ("medium tempo", "moderate tempo", "mid tempo", "mid-tempo", "medium pace"),
        "fast": ("fast tempo", "fast", "faster", "uptempo", "up-tempo", "fast-paced", "fast paced", "quick tempo",
                 "rapid tempo", "medium fast tempo", "medium to uptempo"),
    },
    "instrument": {
        "guitar": ("guitar", "guitars", "acoustic guitar", "electric guitar", "e-guitar", "e-guitars", "guitar solo"),
        "bass": ("bass", "bass guitar", "e-bass", "bass line", "bassline", "upright bass", "synth bass", "double bass"),
        "drums": ("drums", "drum", "drumming", "drum kit", "kick", "snare", "hi hat", "hi-hat", "hi hats",
                  "cymbals", "drum machine", "beat"),
        "percussion": ("percussion", "percussions", "percussive", "tabla", "bongos", "congas", "shaker", "tambourine"),
        "piano": ("piano", "pianos", "grand piano", "acoustic piano", "electric piano", "rhodes"),
        "keyboard": ("keyboard", "keyboards", "keys"),
        "synth": ("synth", "synths", "synthesizer", "synthesiser", "synthesizers", "synthesisers", "pad", "pads"),
        "strings": ("strings", "string section", "string ensemble", "orchestra", "orchestral", "viola"),
        "violin": ("violin", "violins", "fiddle"),
        "cello": ("cello", "cellos"),
        "flute": ("flute", "flutes", "recorder", "bansuri", "pan flute"),
        "saxophone": ("saxophone", "sax", "saxophones"),
        "trumpet": ("trumpet", "trumpets", "horn section", "brass", "brass section", "trombone", "horns"),
        "organ": ("organ", "hammond organ", "church organ"),
        "harp": ("harp",),
        "accordion": ("accordion",),
        "banjo": ("banjo",),
        "mandolin": ("mandolin",),
        "sitar": ("sitar",),
        "ukulele": ("ukulele",),
        "harmonica": ("harmonica",),
        "choir": ("choir", "choral", "chorus"),
        "claps": ("claps", "clapping", "handclaps", "hand claps"),
        "bells": ("bells", "chimes", "glockenspiel", "xylophone", "marimba"),
    },
    "vocals": {
        "yes": ("vocal", "vocals", "voice", "voices", "singer", "singers", "singing", "sings", "sung", "vocalist",
                "vocalists", "lyrics", "rapper", "song with vocals", "male vocal", "female vocal", "male voice",
                "female voice"),
        "no": ("instrumental", "instrumental music", "no vocals", "no voice", "no voices", "no singer",
               "no singing", "without vocals", "without singing", "no lyrics"),
    },
}

# Words that turn the next mention into a negative ("no vocals", "not jazz", "without drums").
NEGATORS = ("no", "not", "nothing", "without", "less", "fewer", "non", "never", "nor", "minus", "instead of", "rather than",
            "don't want", "do not want", "don't like", "hate", "avoid", "stop", "too much", "too many", "skip")
# How far back (in words) a negator reaches: "no heavy drums" and "not so much jazz" both negate.
NEG_WINDOW = 3

# Rough energy / valence of each mood and tempo (0..1 scale offsets); used for clips and feedback.
ENERGY = {"mood:energetic": 0.25, "mood:aggressive": 0.25, "mood:epic": 0.15, "mood:groovy": 0.1,
          "mood:happy": 0.05, "mood:calm": -0.25, "mood:sad": -0.15, "mood:romantic": -0.1,
          "tempo:fast": 0.2, "tempo:slow": -0.2, "genre:metal": 0.1, "genre:electronic": 0.05,
          "genre:ambient": -0.15, "genre:children": -0.1}
VALENCE = {"mood:happy": 0.3, "mood:groovy": 0.15, "mood:romantic": 0.1, "mood:calm": 0.05,
           "mood:energetic": 0.05, "mood:sad": -0.3, "mood:dark": -0.3, "mood:aggressive": -0.15,
           "mood:epic": 0.05, "genre:children": 0.1}

FACETS = tuple(LEXICON)
ALL_TAGS: tuple[str, ...] = tuple(f"{f}:{v}" for f, vals in LEXICON.items() for v in vals)
TAG_INDEX = {t: i for i, t in enumerate(ALL_TAGS)}


def tag_label(tag: str) -> str:
    """A readable phrase for a tag: ``instrument:piano`` -> "piano", ``vocals:no`` -> "instrumental"."""
    facet, value = tag.split(":", 1)
    if facet == "vocals":
        return "vocals" if value == "yes" else "instrumental"
    if facet == "tempo":
        return f"{value} tempo"
    return value


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern, str]]:
    """(phrase, regex, tag), longest phrase first so "no vocals" wins over "vocals"."""
    pairs = [(p, f"{f}:{v}") for f, vals in LEXICON.items() for v, phrases in vals.items() for p in phrases]
    pairs.sort(key=lambda x: -len(x[0]))
    return [(p, re.compile(r"(?<![\w-])" + re.escape(p) + r"(?![\w-])"), t) for p, t in pairs]


@lru_cache(maxsize=1)
def _negator_re() -> re.Pattern:
    alts = "|".join(re.escape(n) for n in sorted(NEGATORS, key=len, reverse=True))
    return re.compile(r"(?<![\w'])(?:" + alts + r")(?![\w'])")


@dataclass
class AttributeMention:
    tag: str
    start: int
    end: int
    negated: bool


def find_mentions(text: str) -> list[AttributeMention]:
    """Every lexicon phrase in ``text`` (non-overlapping, longest first), with negation."""
    low = text.lower().replace("’", "'")
    taken = [False] * len(low)
    found: list[AttributeMention] = []
    for phrase, pat, tag in _patterns():
        # A substring test first: most of the ~365 phrases are absent, and `in` is ~50x cheaper than a
        # regex scan (parsing the 5,521 MusicCaps clips held the GIL for minutes at app start-up).
        if phrase not in low:
            continue
        for m in pat.finditer(low):
            if any(taken[m.start():m.end()]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            found.append(AttributeMention(tag, m.start(), m.end(), _is_negated(low, m.start(), tag)))
    found.sort(key=lambda x: x.start)
    return found


def _is_negated(low: str, start: int, tag: str) -> bool:
    if tag == "vocals:no":  # "no vocals" is already the negative form
        return False
    # The clause before the mention (stop at punctuation or "but"), last NEG_WINDOW words.
    before = re.split(r"[.,;:!?()]|\bbut\b|\band\b(?=\s+(?:more|with|some|a)\b)", low[:start])[-1]
    words = before.split()[-NEG_WINDOW:]
    return bool(_negator_re().search(" ".join(words)))


def parse_text(text: str) -> tuple[set[str], set[str]]:
    """(positive tags, negative tags) mentioned in free text; "no vocals" counts as vocals:no positive."""
    pos, neg = set(), set()
    for m in find_mentions(text):
        if m.negated and m.tag == "vocals:yes":
            pos.add("vocals:no")
        elif m.negated:
            neg.add(m.tag)
        else:
            pos.add(m.tag)
    if "vocals:no" in pos:
        neg.add("vocals:yes")
        pos.discard("vocals:yes")
    neg -= pos
    return pos, neg


@dataclass
class Attributes:
    """Parsed attributes of one piece of music, with numeric energy and valence in [0, 1]."""

    tags: set[str] = field(default_factory=set)
    energy: float = 0.5
    valence: float = 0.5

    def facet(self, facet: str) -> list[str]:
        return sorted(t.split(":", 1)[1] for t in self.tags if t.startswith(facet + ":"))

    @property
    def vocals(self) -> bool | None:
        return True if "vocals:yes" in self.tags else False if "vocals:no" in self.tags else None

    def to_dict(self) -> dict:
        d = {f: self.facet(f) for f in ("genre", "mood", "tempo", "instrument")}
        d.update(vocals=self.vocals, energy=round(self.energy, 3), valence=round(self.valence, 3))
        return d


def energy_valence(tags: set[str], loudness: float | None = None) -> tuple[float, float]:
    """Energy and valence in [0, 1] from tags (and, for audio files, measured loudness in [0, 1])."""
    e = 0.5 + sum(ENERGY.get(t, 0.0) for t in tags)
    if loudness is not None:
        e = 0.5 * e + 0.5 * loudness
    v = 0.5 + sum(VALENCE.get(t, 0.0) for t in tags)
    return float(min(1.0, max(0.0, e))), float(min(1.0, max(0.0, v)))


def parse_attributes(aspects: list[str], caption: str = "") -> Attributes:
    """Attributes of a MusicCaps clip from its human-written aspect list and caption."""
    pos, neg = set(), set()
    for text in [*aspects, caption]:
        p, n = parse_text(text)
        pos |= p
        neg |= n
    tags = pos - neg
    if "vocals:no" in tags and "vocals:yes" in tags:  # caption mentions both: trust the explicit "no"
        tags.discard("vocals:yes")
    if len([t for t in tags if t.startswith("tempo:")]) > 1:  # "medium to fast": keep the aspect list's
        aspect_tempo = {t for a in aspects for t in parse_text(a)[0] if t.startswith("tempo:")}
        tags = {t for t in tags if not t.startswith("tempo:")} | set(sorted(aspect_tempo)[:1])
    e, v = energy_valence(tags)
    return Attributes(tags, e, v)


def energy_direction(pos: set[str], neg: set[str]) -> int:
    """+1 when the text asks for more energy ("more upbeat", "faster", "less calm"), -1 for less, else 0."""
    up = {"mood:energetic", "mood:aggressive", "tempo:fast"}
    down = {"mood:calm", "tempo:slow"}
    score = len(pos & up) + len(neg & down) - len(pos & down) - len(neg & up)
    return int(np.sign(score))
