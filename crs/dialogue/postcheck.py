"""Post-check of generated text: drop any sentence that is not readable text or that names a movie or
person the system did not supply."""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Iterator

from kg.linker import EntityLinker

# A full stop after an initial or a title ("J.D. Sloane", "Dr. No") does not end the sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b[A-Z]\.)(?<!\b(?:Mr|Ms|Dr|St|Jr|Sr)\.)(?<!\bMrs\.)\s+|\n+")
_PROPER = re.compile(r"\b([A-Z][a-z'’]+(?:\s+(?:[A-Z][a-z'’.]*|of|the|and|&)){1,5})")
_STARTS_SENTENCE = re.compile(r"(?:^|[.!?:]\s+|[\"“(]\s*)$")
_QUOTED = re.compile(r"[\"“*_]([^\"”*_]{3,60})[\"”*_]")
_YEAR = re.compile(r"\((?:19|20)\d\d\)")
_ECHO = re.compile(r"\b(User|CineBot|Assistant|System|Facts|What we know)\s*:|\bthe user\b|"
                   r"\b(as an ai|language model|i'?m (not capable|unable|sorry for the confusion)|i cannot)\b", re.I)
_CLAIM = re.compile(r"\b(directed|written|starring|stars|starred)\s+(?:by\s+)?([A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+)*)")
_INITIALS = re.compile(r"\b((?:[A-Z]\.\s?){1,3}[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+)?)")  # "J.D. Sloane"
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Words nearly every English sentence of more than a few words contains; token soup rarely does.
_FUNCTION_WORDS = frozenset(
    "a an the i you he she it we they me my your his her its our their this that these those is are was were be "
    "been am do does did have has had will would can could should may might must and or but if so as of in on at "
    "to for with from by about like not no yes what which who how why when where there here also than then just "
    "more most very too all any some one".split()
)


def readable(sentence: str) -> bool:
    """False for token soup (what a random-init or broken model emits): broken bytes, control
    characters, mostly symbols, a word repeated three times, glued camelCase pieces, or a longer
    sentence without a single English function word."""
    s = sentence.strip()
    if not s or any(ch == "\ufffd" or (unicodedata.category(ch)[0] == "C" and ch not in "\t\n\r") for ch in s):
        return False
    words = _WORDS.findall(s)
    if not words or sum(map(len, words)) < 0.6 * len(re.sub(r"\s+", "", s)):
        return False
    lower = [re.split(r"['’]", w)[0].lower() for w in words]
    if any(lower[i] == lower[i + 1] == lower[i + 2] for i in range(len(lower) - 2)):
        return False
    trigrams = [tuple(lower[i:i + 3]) for i in range(len(lower) - 2)]
    if trigrams and max(trigrams.count(t) for t in set(trigrams)) >= 3:
        return False  # a looping model ("The Shining, The Shape of Water, The Shining, ...")
    if sum(bool(re.search(r"[a-z][A-Z]", w)) for w in words) > max(1, len(words) // 5):
        return False
    if len(words) >= 4 and sum(w in _FUNCTION_WORDS for w in lower) < 0.15 * len(words):
        return False
    return True


# Debris of a small model decoding soft item tokens: a stray capital ("Liar Liar L drama") or a
# bracketed number that is not a year ("(4)").
_TERMINATED = re.compile(r"[.!?…][\"”’')]*$")
_DEBRIS = re.compile(r"(?<![\w.])(?![AI]\b)[A-Z](?![\w.'’])|\((?!(?:19|20)\d\d\))\d+\)")


class GroundingCheck:
    """Keeps a sentence only if it is readable text and every movie and proper name in it was supplied.

    `allowed_items` are catalogue items the system retrieved (and the user's own mentions);
    `allowed_text` is the facts and the user's words: a capitalised name that appears in none
    of them is treated as invented.
    """

    def __init__(self, linker: EntityLinker, allowed_items: Iterable[int], allowed_text: str,
                 credits: dict[str, set[str]] | None = None):
        self.linker = linker
        self.allowed = set(allowed_items)
        # Who directed / wrote / starred in the supplied movies: a claim must match one of them.
        self.credits = {k: {n.lower() for n in v} for k, v in (credits or {}).items()}
        self.allowed_text = allowed_text.lower()
        self.removed: list[str] = []
        self.emitted: set[str] = set()

    def ok(self, sentence: str) -> bool:
        if not readable(sentence):
            return False  # token soup from a broken or tiny model is not a reply
        if _ECHO.search(sentence):
            return False  # the model echoing its prompt or disclaiming its job
        plain = [w for w in _WORDS.findall(sentence) if w.islower() and w not in ("the", "a", "an", "and", "of")]
        if not sentence[:1].isupper() and not sentence[:1].isdigit() and sentence[:1] not in "\"“'‘":
            return False  # a sentence starts with a capital: lower-case starts are fragments ("history movie")
        if not plain or _DEBRIS.search(sentence):
            return False  # a bare list of titles, or debris like "Liar Liar L drama (4)", is not a sentence
        for verb, name in _CLAIM.findall(sentence):
            role = "directed" if verb == "directed" else "written" if verb == "written" else "starring"
            if self.credits and name.strip().lower() not in self.credits.get(role, set()):
                return False  # "directed by Stephen King": a real name in the wrong role
        link = self.linker.link(sentence, fuzzy=False)
        for m in link.of_type("movie"):
            if m.item not in self.allowed:
                return False
        for m in _PROPER.finditer(sentence):
            # A sentence's first word is capitalised anyway: "Also Jack Nicholson" is fine if "Jack Nicholson" is.
            first_word = _STARTS_SENTENCE.search(sentence[: m.start()]) is not None
            rest = m.group(1).split(None, 1)[1] if first_word else ""
            if not (self._known(m.group(1)) or (rest and self._known(rest))):
                return False
        for name in _QUOTED.findall(sentence) + _INITIALS.findall(sentence):
            if not self._known(name):
                return False
        if _YEAR.search(sentence) and not any(y in self.allowed_text for y in _YEAR.findall(sentence)):
            return False
        return True

    def _known(self, name: str) -> bool:
        """A name the facts or the user supplied; "A and B" is known when both are."""
        name = name.strip().rstrip(".").strip().lower()  # the sentence's full stop is not part of the name
        if name in self.allowed_text:
            return True
        parts = re.split(r"\s+(?:and|&)\s+", name)
        return len(parts) > 1 and all(p in self.allowed_text for p in parts)

    def filter(self, sentence: str) -> str:
        key = " ".join(sentence.lower().split())
        if key in self.emitted:  # a model that loops repeats whole sentences
            self.removed.append(sentence)
            return ""
        if self.ok(sentence):
            self.emitted.add(key)
            return sentence
        self.removed.append(sentence)
        return ""

    def stream(self, deltas: Iterable[str]) -> Iterator[str]:
        """Re-chunk a token stream into checked sentences, so nothing unchecked reaches the user."""
        buf = ""
        for d in deltas:
            buf += d
            parts = _SENTENCE_END.split(buf)
            for sentence in parts[:-1]:
                kept = self.filter(sentence.strip())
                if kept:
                    yield kept + " "
            buf = parts[-1]
        # Text left when the stream ends without a full stop was cut off by the token limit (or is a
        # fragment like "Blorgon Quest 3: The drama (1987)"): a half sentence is not shown.
        if buf.strip() and _TERMINATED.search(buf.strip()):
            kept = self.filter(buf.strip())
            if kept:
                yield kept
        elif buf.strip():
            self.removed.append(buf.strip())
