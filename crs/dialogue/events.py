"""Events the dialogue manager yields; the app, the CLI and simulated users all consume these."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Card:
    """A recommendation card: facts from the catalogue and the KG, never from the LLM."""

    item: int
    title: str
    year: int | None
    genres: list[str]
    plot: str
    reason: str
    directors: list[str] = field(default_factory=list)
    stars: list[str] = field(default_factory=list)

    @property
    def display(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def markdown(self) -> str:
        plot = self.plot if len(self.plot) <= 220 else self.plot[:217].rsplit(" ", 1)[0] + "…"
        genres = ", ".join(self.genres) or "n/a"
        return f"**{self.display}** · {genres}\n\n{plot}\n\n*Why:* {self.reason}"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TextDelta:
    text: str


@dataclass
class Recommendations:
    cards: list[Card]


@dataclass
class Notice:
    """Something the user should know that is not the assistant's reply (bad input, unknown movie)."""

    message: str
    level: str = "info"  # info or warning


@dataclass
class TurnDone:
    action: str  # ask, recommend, explain, more, chit-chat, clarify, foreign, error
    text: str  # the full reply as shown
    # What the post-check did with the LLM's sentences this turn (for measuring reply quality).
    llm_kept: list[str] = field(default_factory=list)
    llm_dropped: list[str] = field(default_factory=list)


Event = TextDelta | Recommendations | Notice | TurnDone
