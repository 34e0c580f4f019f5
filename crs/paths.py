"""Where data is read from ($CRS_DATA) and derived artefacts are written to ($CRS_HOME)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


class DataDirError(FileNotFoundError):
    """The data directory or one of its files is missing."""


def data_dir() -> Path:
    """The dataset folder: $CRS_DATA, else ../shared/data beside the checkout."""
    env = os.environ.get("CRS_DATA")
    path = Path(env).expanduser() if env else REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        raise DataDirError(
            f"data directory not found: {path}. Set $CRS_DATA to the folder holding "
            "redial/, tmdkg/, movies/, movielens/, uss/ and musiccaps/ "
            "(README.md, section \"Data\", lists their sources; data/manifest.json their checksums)."
        )
    return path


def data_file(*parts: str) -> Path:
    """A file inside the data directory, with a clear error when it is missing."""
    path = data_dir().joinpath(*parts)
    if not path.exists():
        raise DataDirError(f"missing data file: {path} (README.md, section \"Data\", and data/manifest.json give its source)")
    return path


def cache_dir(*parts: str) -> Path:
    """A folder inside $CRS_HOME (default ~/.cache/crs), created on demand."""
    env = os.environ.get("CRS_HOME")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "crs"
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
