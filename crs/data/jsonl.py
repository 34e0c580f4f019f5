"""Line-oriented JSON reading with validation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from crs.data.errors import SkipLog


def read_jsonl(path: Path, required: tuple[str, ...] = (), log: SkipLog | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object); malformed lines and missing fields go to `log`."""
    log = log if log is not None else SkipLog()
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as e:
                log.skip(path, n, f"malformed JSON: {e.msg} at column {e.colno}")
                continue
            if not isinstance(obj, dict):
                log.skip(path, n, f"malformed record: expected an object, got {type(obj).__name__}")
                continue
            missing = [k for k in required if k not in obj]
            if missing:
                log.skip(path, n, f"missing field: {', '.join(missing)}")
                continue
            yield n, obj


def load_json(path: Path) -> object:
    """Load a whole JSON file; a parse error names the file, line and column."""
    from crs.data.errors import DataError

    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise DataError(path, e.lineno, f"malformed JSON: {e.msg} at column {e.colno}") from None
