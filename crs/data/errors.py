"""Data errors that name the file and line, and a log of skipped lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


class DataError(ValueError):
    """A malformed or inconsistent data record, located by file and line."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line = str(path), line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


@dataclass
class SkipLog:
    """Counts skipped records per reason; in strict mode any skip raises."""

    strict: bool = False
    counts: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)

    def skip(self, path: Path | str, line: int | None, reason: str) -> None:
        err = DataError(path, line, reason)
        if self.strict:
            raise err
        key = f"{Path(path).name}: {reason.split(':')[0]}"
        self.counts[key] += 1
        self.examples.setdefault(key, str(err))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        if not self.counts:
            return "no lines skipped"
        return "; ".join(f"{k}: {v} skipped (first: {self.examples[k]})" for k, v in self.counts.items())
