"""Run directories, run metadata and a resumable JSON-lines log.

Every evaluation writes into one run directory (default ``runs/<YYYY-MM-DD>-<name>/``)
with the metadata needed to reproduce it (git SHA and dirty flag, seed, config, package
versions) and, for long loops, a ``JsonlLog`` that survives interruption: each record is
flushed and fsynced, and a rerun skips the keys already done.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

KEY_PACKAGES: tuple[str, ...] = (
    "torch",
    "transformers",
    "sentence-transformers",
    "numpy",
    "networkx",
    "gradio",
    "datasets",
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def make_run_dir(out: str | os.PathLike | None = None, name: str = "run", root: str | os.PathLike = "runs") -> Path:
    """Create and return the run directory.

    ``out`` is used as given when set; otherwise ``<root>/<YYYY-MM-DD>-<name>/`` (local
    date). Existing directories are reused so an interrupted run can resume.
    """
    if out is not None:
        path = Path(out)
    else:
        path = Path(root) / f"{_dt.date.today().isoformat()}-{name}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def git_state(cwd: str | os.PathLike | None = None) -> dict[str, Any]:
    """``{"sha": ..., "dirty": ...}`` for the repository at ``cwd`` (default: this repo).

    ``sha`` is ``"unknown"`` outside a repository or before the first commit; ``dirty``
    is True when tracked or untracked files differ from HEAD, None if git is unavailable.
    """
    cwd = Path(cwd) if cwd is not None else REPO_ROOT
    sha = _git(["rev-parse", "--verify", "HEAD"], cwd)
    status = _git(["status", "--porcelain", "--untracked-files=normal"], cwd)
    return {"sha": sha or "unknown", "dirty": None if status is None else bool(status)}


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` via importlib.metadata (None when missing)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def run_metadata(seed: int | None, config: dict | None = None, cwd: str | os.PathLike | None = None) -> dict[str, Any]:
    """Metadata that identifies a run: git state, seed, config, environment, timestamp."""
    git = git_state(cwd)
    return {
        "git_sha": git["sha"],
        "git_dirty": git["dirty"],
        "seed": seed,
        "config": dict(config or {}),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "argv": list(sys.argv),
        "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


class JsonlLog:
    """Append-only JSON-lines log that can resume an interrupted run.

    On opening, a last line cut off by an interruption (no trailing newline, or invalid
    JSON) is dropped from the file so the next append starts on a clean line; a corrupt
    line anywhere else raises ``ValueError``. Each ``append`` flushes and fsyncs.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.dropped_partial = False
        self._records: list[dict] = []
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        data = self.path.read_bytes()
        good_end = 0  # byte offset just after the last complete, valid line
        pos = 0
        while pos < len(data):
            nl = data.find(b"\n", pos)
            end = len(data) if nl < 0 else nl + 1
            line = data[pos:end]
            is_last = end >= len(data)
            # Records are written with their newline in one call, so bytes after the
            # last newline are always a cut-off record, even if they parse.
            try:
                rec = json.loads(line) if line.strip() else None
                ok = nl >= 0
            except (json.JSONDecodeError, UnicodeDecodeError):
                rec, ok = None, False
            if not ok:
                if not is_last:
                    raise ValueError(f"{self.path}: corrupt line at byte {pos}")
                self.dropped_partial = True
                break
            if rec is not None:
                self._records.append(rec)
            good_end = end
            pos = end
        if good_end < len(data):
            with open(self.path, "r+b") as f:
                f.truncate(good_end)
                f.flush()
                os.fsync(f.fileno())

    def append(self, record: dict) -> None:
        """Write one record as a JSON line, then flush and fsync."""
        line = json.dumps(record, ensure_ascii=False, default=json_default)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._records.append(json.loads(line))

    def records(self) -> list[dict]:
        """All records written so far (including those from earlier runs)."""
        return list(self._records)

    def __iter__(self) -> Iterator[dict]:
        return iter(self.records())

    def __len__(self) -> int:
        return len(self._records)

    def done_keys(self, key: str) -> set:
        """Values of field ``key`` in the records already written (to skip on resume)."""
        return {r[key] for r in self._records if key in r}


def json_default(obj: Any) -> Any:
    """JSON fallback for numpy scalars/arrays and paths."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")
