"""USS user-satisfaction dialogues (Sun et al., SIGIR 2021)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crs.data.errors import SkipLog
from crs.paths import data_file

DOMAINS = {"SGD": "SGD.txt", "MWOZ": "MWOZ.txt", "ReDial": "ReDial.txt", "CCPE": "CCPE.txt"}


@dataclass
class USSTurn:
    role: str  # USER or SYSTEM
    text: str
    action: str = ""
    ratings: list[int] = field(default_factory=list)  # per annotator, user turns only


@dataclass
class USSDialogue:
    turns: list[USSTurn]
    overall: list[int] = field(default_factory=list)


def load_uss(domain: str, log: SkipLog | None = None) -> list[USSDialogue]:
    """Load one domain ('SGD', 'MWOZ', 'ReDial', 'CCPE') or 'ReDial-action'."""
    name = "ReDial-action.txt" if domain == "ReDial-action" else DOMAINS.get(domain)
    if name is None:
        raise ValueError(f"unknown USS domain {domain!r}; choose one of {list(DOMAINS) + ['ReDial-action']}")
    log = log if log is not None else SkipLog()
    path = data_file("uss", name)
    dialogues, turns, overall = [], [], []

    def flush():
        nonlocal turns, overall
        if turns:
            dialogues.append(USSDialogue(turns, overall))
        turns, overall = [], []

    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                continue
            parts = line.split("\t")
            if len(parts) < 2 or parts[0] not in ("USER", "SYSTEM"):
                log.skip(path, n, f"malformed line: expected ROLE<TAB>text, got {line[:60]!r}")
                continue
            role, text = parts[0], parts[1]
            action = parts[2] if len(parts) > 2 else ""
            try:
                ratings = [int(x) for x in parts[3].split(",") if x.strip()] if len(parts) > 3 else []
            except ValueError:
                log.skip(path, n, f"malformed ratings: {parts[3]!r}")
                continue
            if role == "USER" and text == "OVERALL":
                overall = ratings
            else:
                turns.append(USSTurn(role, text, action, ratings))
    flush()
    return dialogues
