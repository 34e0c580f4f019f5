"""The seeker's own words: utterances from its ReDial test dialogue, the target masked.

A simulated seeker opens and hints with what the real seeker wrote *before* the target was
first mentioned (after that, the real seeker talks about the target itself). An ``@id`` of the
target (or of a ReDial id merged into it) and every plain-text form of the target's names become
"that movie"; an ``@id`` of any other movie becomes its ReDial name, as the real seeker saw it
("I loved Vertical Limit (2000)"): naming liked movies is how ReDial seekers state preferences.
An utterance that still names the target or an alias (the strict checker of simulator/leak.py)
is dropped. Greetings, thanks and very short turns are dropped. ``mask_movies`` (every movie
masked) is kept for callers that want no titles at all.
"""

from __future__ import annotations

import re

from crs.data.movies import split_title
from crs.data.redial import MENTION

MASK = "that movie"
_CHATTER = re.compile(r"^(hi|hello|hey|thanks?|thank you|ok(ay)?|yes|no|bye|good ?bye|sure|great|cool|lol|"
                      r"you too|same|me too|nice)\b[\s!.,?]*$", re.I)


def _title_pattern(names: list[str]) -> re.Pattern | None:
    """Plain-text titles (without year, at least 4 characters) of the dialogue's movies, on word boundaries."""
    forms = set()
    for name in names:
        title, _ = split_title(name)
        title = title.strip()
        if len(title) >= 4:
            forms.add(re.escape(title))
            if title.lower().startswith("the ") and len(title) >= 8:
                forms.add(re.escape(title[4:]))
    if not forms:
        return None
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(sorted(forms, key=len, reverse=True)) + r")(?![A-Za-z0-9])", re.I)


def mask_movies(text: str, names: list[str]) -> str:
    """``text`` with @ids and the given movie titles replaced by "that movie"."""
    return _mask_titles(MENTION.sub(MASK, text), names)


def name_other_movies(text: str, mentions: dict[str, str], target_rids: set[str], target_names: list[str]) -> str:
    """``text`` with the target masked (its @ids and plain-text names) and other @ids written as their names."""
    def sub(m: re.Match) -> str:
        rid = m.group(1)
        name = " ".join(mentions.get(rid, "").split())
        return MASK if rid in target_rids or not name else name

    return _mask_titles(MENTION.sub(sub, text), target_names)


def _mask_titles(text: str, names: list[str]) -> str:
    """Plain-text `names` masked, HTML entities decoded, spaces before punctuation removed."""
    rx = _title_pattern(names)
    if rx is not None:
        text = rx.sub(MASK, text)
    text = re.sub(r"&quot;|&amp;|&#39;", lambda m: {"&quot;": '"', "&amp;": "&", "&#39;": "'"}[m.group()], text)
    return re.sub(r"\s+([.,!?])", r"\1", " ".join(text.split()))


def seeker_utterances(dialogue, target_rids: set[str], checker, max_n: int = 6, name_others: bool = True) -> list[str]:
    """Seeker utterances before the target's first mention, the target masked, that do not leak it.

    ``name_others=False`` masks every movie (the earlier seeker)."""
    target_names = [dialogue.mentions[r] for r in target_rids if r in dialogue.mentions] + list(getattr(checker, "names", []))
    names = list(dialogue.mentions.values()) + list(getattr(checker, "names", []))
    out: list[str] = []
    for m in dialogue.messages:
        if target_rids & set(m.movies):
            break
        if m.role != "seeker":
            continue
        text = (name_other_movies(m.text, dialogue.mentions, target_rids, target_names) if name_others
                else mask_movies(m.text, names))
        words = re.findall(r"[A-Za-z']+", text)
        if len(words) < 4 or _CHATTER.match(text) or checker.leaks(text):
            continue
        out.append(text)
        if len(out) >= max_n:
            break
    return out
