"""ReDial dialogues as typed records, and the fixed train/validation split."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from crs.data.errors import DataError, SkipLog
from crs.data.jsonl import read_jsonl
from crs.paths import data_file

MENTION = re.compile(r"@(\d+)")
SPLITS = ("train", "valid", "test")
VALID_FRACTION = 0.1
SPLIT_SEED = 13


@dataclass
class Message:
    role: str  # "seeker" or "recommender"
    text: str
    movies: list[str] = field(default_factory=list)  # ReDial ids mentioned as @id


@dataclass
class Dialogue:
    id: str
    messages: list[Message]
    mentions: dict[str, str]  # ReDial id -> "Title (Year)"
    answers: dict[str, dict]  # ReDial id -> {suggested, seen, liked} (seeker's stance)

    def liked(self, rid: str) -> bool:
        return self.answers.get(rid, {}).get("liked") == 1

    def suggested(self, rid: str) -> bool:
        return self.answers.get(rid, {}).get("suggested") == 1


def _merge_turns(raw: list[dict], seeker: int) -> list[Message]:
    """Consecutive messages by the same speaker become one turn (as CRSLab does)."""
    turns: list[Message] = []
    for m in raw:
        role = "seeker" if m["senderWorkerId"] == seeker else "recommender"
        text = str(m.get("text", ""))
        if turns and turns[-1].role == role:
            turns[-1].text += " " + text
        else:
            turns.append(Message(role, text))
    for t in turns:
        t.movies = MENTION.findall(t.text)
    return turns


def parse_dialogue(obj: dict, path, line: int) -> Dialogue:
    """Turn one JSON object into a Dialogue; bad structure raises DataError."""
    try:
        seeker = obj["initiatorWorkerId"]
        msgs = obj["messages"]
        if not isinstance(msgs, list) or any("senderWorkerId" not in m for m in msgs):
            raise DataError(path, line, "malformed messages: each needs senderWorkerId and text")
        # The seeker's own answers where given, else the recommender's view of them.
        answers = obj.get("initiatorQuestions") or obj.get("respondentQuestions") or {}
        if not isinstance(answers, dict):
            answers = {}
        mentions = obj.get("movieMentions") or {}
        if not isinstance(mentions, dict):
            mentions = {}
        return Dialogue(str(obj["conversationId"]), _merge_turns(msgs, seeker),
                        {str(k): str(v) for k, v in mentions.items()}, answers)
    except (KeyError, TypeError) as e:
        raise DataError(path, line, f"malformed dialogue: {e}") from None


def load_redial(split: str = "train", log: SkipLog | None = None) -> list[Dialogue]:
    """Load a ReDial split: 'train' and 'valid' partition train.jsonl; 'test' is the official test."""
    if split not in SPLITS + ("train_full",):
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    log = log if log is not None else SkipLog()
    path = data_file("redial", "test.jsonl" if split == "test" else "train.jsonl")
    required = ("conversationId", "initiatorWorkerId", "messages")
    dialogues = []
    for n, obj in read_jsonl(path, required, log):
        try:
            dialogues.append(parse_dialogue(obj, path, n))
        except DataError as e:
            log.skip(path, n, str(e).split(": ", 1)[1])
    if split in ("train", "valid"):
        train_ids, valid_ids = split_ids([d.id for d in dialogues])
        keep = valid_ids if split == "valid" else train_ids
        dialogues = [d for d in dialogues if d.id in keep]
    return dialogues


def split_ids(ids: list[str], fraction: float = VALID_FRACTION, seed: int = SPLIT_SEED) -> tuple[set, set]:
    """A fixed, seeded partition of ReDial train ids into (train, valid)."""
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    n_valid = int(round(len(order) * fraction))
    return set(order[n_valid:]), set(order[:n_valid])


def check_movie_ids(dialogues: list[Dialogue], known: set[str], log: SkipLog, path="redial") -> int:
    """Report @ids that are not in the catalogue; returns how many were found."""
    unknown = 0
    for d in dialogues:
        for t in d.messages:
            for rid in t.movies:
                if rid not in known:
                    unknown += 1
                    log.skip(path, None, f"unknown movie id: @{rid} in dialogue {d.id}")
    return unknown
