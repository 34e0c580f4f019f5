"""The reason for a pick: written by the LLM from the clip's own aspects, checked, else a template.

The post-check finds every music aspect the text names (same lexicon as the catalogue) and
accepts the text only if it is readable, names at least one aspect, and every aspect it names
is one the clip has (or one that describes the video itself, e.g. "dark"). Otherwise the
template reason, built only from the clip's tags, is used.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from crs.music.attributes import find_mentions, parse_text, tag_label
from crs.music.catalogue import MusicItem

log = logging.getLogger(__name__)

SYSTEM = ("You are a music supervisor. In one or two short sentences, say why the chosen music suits the video. "
          "Only mention aspects of the music from the list you are given; do not invent instruments or genres.")


@dataclass
class MusicReason:
    text: str
    source: str  # "llm" or "template"
    named: list[str] = field(default_factory=list)  # aspects (tags) the text names
    ungrounded: list[str] = field(default_factory=list)  # named aspects the clip does not have
    llm_text: str = ""  # what the LLM wrote (kept for the grounding rate, even when rejected)


def _readable(text: str) -> bool:
    words = re.findall(r"[A-Za-z]+", text)
    if len(words) < 4 or "\ufffd" in text:
        return False
    common = {"the", "a", "and", "with", "this", "it", "is", "of", "to", "for", "its", "your", "that", "music", "video"}
    return sum(w.lower() in common for w in words) >= 0.1 * len(words)


def grounding(text: str, item: MusicItem, video_summary: str = "") -> tuple[list[str], list[str]]:
    """(aspects named, aspects named that the clip lacks); video words ("dark video") are allowed."""
    allowed = set(item.attributes.tags) | parse_text(video_summary)[0]
    named = sorted({m.tag for m in find_mentions(text) if not m.negated})
    return named, [t for t in named if t not in allowed]


def template_reason(item: MusicItem, video_summary: str = "", feedback: str = "") -> str:
    """A reason built only from the clip's parsed tags (or, with none, its own aspect list)."""
    a = item.attributes
    moods, genres, insts, tempo = a.facet("mood")[:2], a.facet("genre")[:1], a.facet("instrument")[:3], a.facet("tempo")
    desc = " and ".join(moods)
    noun = f"{genres[0]} piece" if genres else "piece"
    phrase = f"{desc} {noun}" if desc else noun
    parts = [("an " if phrase[0] in "aeiou" else "a ") + phrase]
    if tempo:
        parts.append(f"at a {tempo[0]} tempo")
    if insts:
        parts.append("with " + ", ".join(insts))
    if a.vocals is True:
        parts.append("and vocals")
    elif a.vocals is False:
        parts.append("(instrumental)")
    body = " ".join(parts)
    if not (moods or genres or insts or tempo):  # no parsed tags: quote aspects that name nothing it lacks
        safe = [a for a in item.aspects if not grounding(a, item)[1]][:3]
        if safe:
            body += ", described as " + ", ".join(safe)
    lead = f"For {video_summary}, " if video_summary else ""
    asked = " It follows what you asked for." if feedback.strip() else ""
    text = f"{lead}this is {body}."
    return (text[0].upper() + text[1:]) + asked


def build_messages(item: MusicItem, video_summary: str, feedback: str = "") -> list[dict]:
    tags = [tag_label(t) for t in sorted(item.attributes.tags)]
    facts = "; ".join(tags) if tags else ", ".join(item.aspects[:6])
    ask = f' The user asked for: "{feedback.strip()}".' if feedback.strip() else ""
    user = (f"Video: {video_summary}.{ask}\nMusic aspects: {facts}.\n"
            "Why does this music fit the video? Answer in one sentence.")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def explain_pick(item: MusicItem, video_summary: str, feedback: str = "", llm=None, max_new_tokens: int = 60) -> MusicReason:
    """The LLM's reason if it passes the grounding check, else the template reason."""
    llm_text = ""
    if llm is not None:
        try:
            llm_text = llm.generate(build_messages(item, video_summary, feedback), max_new_tokens=max_new_tokens,
                                    temperature=0.0).strip()
        except Exception as e:  # a broken backend must not lose the pick: fall back to the template
            log.warning("explanation LLM failed: %s", e)
        # keep whole sentences only (generation may stop mid-sentence)
        cut = max(llm_text.rfind("."), llm_text.rfind("!"))
        if cut > 20:
            llm_text = llm_text[:cut + 1]
        named, bad = grounding(llm_text, item, video_summary)
        if llm_text and _readable(llm_text) and named and not bad:
            return MusicReason(llm_text, "llm", named, [], llm_text)
    text = template_reason(item, video_summary, feedback)
    named, bad = grounding(text, item, video_summary)
    return MusicReason(text, "template", named, bad, llm_text)
