"""Shared fixtures: the real (small) data loaded once per session, and corrupted copies of it.

Expensive objects (catalogue, TMDKG, graph, linker, popularity recommender, dialogue manager)
are session-scoped. Corruption tests build a temporary data directory that symlinks the real
dataset folders and writes one corrupted file, then point $CRS_DATA at it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from crs.paths import data_dir

DATASETS = ("redial", "tmdkg", "movies", "movielens", "uss", "musiccaps")


def pytest_configure(config):
    # The CLI sets these on import; tests must never reach a model hub either.
    for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(k, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real data directory ($CRS_DATA or ../shared/data); tests skip when it is absent."""
    try:
        root = data_dir()
    except FileNotFoundError as e:  # DataDirError
        pytest.skip(f"real data not available: {e}")
    missing = [d for d in DATASETS if not (root / d).is_dir()]
    if missing:
        pytest.skip(f"real data incomplete under {root}: missing {missing}")
    return root


@pytest.fixture(scope="session")
def tmdkg(real_data):
    from crs.data.tmdkg import cached_tmdkg

    return cached_tmdkg()


@pytest.fixture(scope="session")
def catalog(real_data, tmdkg):
    from crs.data.movies import cached_catalog

    return cached_catalog()


@pytest.fixture(scope="session")
def graph(real_data, tmdkg, catalog):
    from kg.graph import cached_graph

    return cached_graph()


@pytest.fixture(scope="session")
def linker(real_data, tmdkg, catalog):
    from kg.linker import cached_linker

    return cached_linker()


@pytest.fixture(scope="session")
def popularity(catalog):
    from crs.recommenders import load_recommender

    return load_recommender("popularity", catalog)


@pytest.fixture(scope="session")
def manager(graph, linker, catalog):
    """llm="tiny" (random weights: its text is gibberish) with the small trained tokenizer, so the
    output does not depend on whether SmolLM2 happens to be cached; recommender="popularity"."""
    from crs.dialogue.factory import build_manager

    return build_manager(llm="tiny", recommender="popularity", llm_kwargs={"tokenizer": "simple"})


def find_movie(catalog, title: str, year: int | None = None):
    """The one catalogue movie with this exact title (and year)."""
    hits = [m for m in catalog.movies if m.title == title and (year is None or m.year == year)]
    assert len(hits) == 1, f"expected one catalogue movie {title!r} ({year}), found {[m.display for m in hits]}"
    return hits[0]


@pytest.fixture(scope="session")
def shining(catalog):
    return find_movie(catalog, "The Shining", 1980)


@pytest.fixture
def data_copy(tmp_path, monkeypatch, real_data) -> Callable[..., Path]:
    """Build a data dir under tmp_path and set $CRS_DATA to it.

    ``data_copy({"redial/train.jsonl": fn})`` symlinks every dataset folder except those holding
    a corrupted file; those become real folders of symlinks plus the corrupted file, written as
    ``fn(original_text)``. Returns the new data directory.
    """

    def make(corrupt: dict[str, Callable[[str], str]] | None = None, omit: tuple[str, ...] = ()) -> Path:
        root = tmp_path / "data"
        root.mkdir()
        corrupt = corrupt or {}
        folders = {p.split("/")[0] for p in corrupt}
        for d in DATASETS:
            if d in omit:
                continue
            if d not in folders:
                (root / d).symlink_to(real_data / d, target_is_directory=True)
                continue
            (root / d).mkdir()
            for f in (real_data / d).iterdir():
                rel = f"{d}/{f.name}"
                if rel in corrupt:
                    text = f.read_text(encoding="utf-8")
                    (root / rel).write_text(corrupt[rel](text), encoding="utf-8")
                else:
                    (root / rel).symlink_to(f)
        for rel in corrupt:
            assert (root / rel).exists() and not (root / rel).is_symlink(), f"no such data file to corrupt: {rel}"
        monkeypatch.setenv("CRS_DATA", str(root))
        return root

    return make


def replace_line(n: int, new: str) -> Callable[[str], str]:
    """A corruption: replace 1-based line n by `new`."""

    def fn(text: str) -> str:
        lines = text.split("\n")
        lines[n - 1] = new
        return "\n".join(lines)

    return fn


def append_line(new: str) -> Callable[[str], str]:
    def fn(text: str) -> str:
        return text.rstrip("\n") + "\n" + new + "\n"

    return fn
