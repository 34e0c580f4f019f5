"""`crs data check`: load every dataset, count records, verify hashes against data/manifest.json."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from crs.data.errors import DataError, SkipLog
from crs.paths import REPO_ROOT, DataDirError, data_dir

MANIFEST = REPO_ROOT / "data" / "manifest.json"

# The counts the datasets' own README ($CRS_DATA/README.md) and this README's "Data" table state.
EXPECTED = {
    "redial": {"train dialogues": 3047, "test dialogues": 1342, "movie ids": 6924},
    "tmdkg": {"entity ids": 15602, "relations": 16, "triples": 295764, "linked utterances": 39960},
    "movies": {"movies with metadata": 6583},
    "movielens": {"ratings": 100004, "users": 671, "movies": 9125},
    "uss": {"SGD": 1000, "MWOZ": 1000, "ReDial": 1000, "CCPE": 500, "ReDial-action": 336},
    "musiccaps": {"clips": 5521},
}


@dataclass
class DatasetReport:
    name: str
    counts: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    skipped: SkipLog = field(default_factory=SkipLog)

    @property
    def ok(self) -> bool:
        return not self.errors


def _count(name: str, log: SkipLog) -> dict:
    """Load one dataset through the project's loaders and count what came out."""
    if name == "redial":
        from crs.data.movies import load_catalog
        from crs.data.redial import check_movie_ids, load_redial

        cat = load_catalog(log=log)
        train, test = load_redial("train_full", log), load_redial("test", log)
        check_movie_ids(train + test, set(cat.by_redial), log)
        return {"train dialogues": len(train), "test dialogues": len(test), "movie ids": len(cat.by_redial)}
    if name == "tmdkg":
        from crs.data.tmdkg import load_tmdkg, load_utterance_entities

        kg = load_tmdkg(log)
        return {"entity ids": len(kg.id2names), "relations": len(kg.relations), "triples": len(kg.triples),
                "linked utterances": len(load_utterance_entities(log))}
    if name == "movies":
        from crs.data.jsonl import load_json
        from crs.data.movies import load_catalog
        from crs.paths import data_file

        path = data_file("movies", "movie_info.json")
        info = load_json(path)
        for rid, meta in info.items():
            if not isinstance(meta, dict) or "name" not in meta:
                log.skip(path, None, f"missing field: name for movie {rid}")
        known = load_catalog(log=log).by_redial
        unknown = [rid for rid in info if rid not in known]
        for rid in unknown:
            log.skip(path, None, f"unknown movie id: {rid} is not a ReDial movie")
        return {"movies with metadata": len(info)}
    if name == "movielens":
        from crs.data.movielens import load_ml_movies, load_ratings, load_tags

        ratings = load_ratings(log)
        used = {r.movie for r in ratings} | {int(t[1]) for t in load_tags(log)}
        # The README counts movies with a rating or tag; movies.csv lists one more that has neither.
        return {"ratings": len(ratings), "users": len({r.user for r in ratings}), "movies": len(used),
                "movies.csv rows": len(load_ml_movies(log))}
    if name == "uss":
        from crs.data.uss import DOMAINS, load_uss

        return {d: len(load_uss(d, log)) for d in list(DOMAINS) + ["ReDial-action"]}
    if name == "musiccaps":
        from crs.data.musiccaps import load_musiccaps

        return {"clips": len(load_musiccaps(log))}
    raise ValueError(f"unknown dataset {name!r}")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_all(strict: bool = False, verify_hashes: bool = True) -> list[DatasetReport]:
    """Check every dataset; errors are collected per dataset rather than raised."""
    root = data_dir()
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {"files": []}
    reports = []
    for name, expected in EXPECTED.items():
        rep = DatasetReport(name, skipped=SkipLog(strict=strict))
        for entry in manifest["files"]:
            if not entry["path"].startswith(name + "/"):
                continue
            path = root / entry["path"]
            if not path.exists():
                rep.errors.append(f"missing file {path}")
            elif verify_hashes and sha256(path) != entry["sha256"]:
                rep.errors.append(f"{path}: sha256 differs from data/manifest.json (modified or corrupt)")
        try:
            rep.counts = _count(name, rep.skipped)
        except (DataError, DataDirError, ValueError, KeyError, OSError) as e:
            rep.errors.append(str(e))
        for key, want in expected.items():
            got = rep.counts.get(key)
            if got is not None and got != want:
                rep.errors.append(f"{key}: found {got}, expected {want}")
        if rep.skipped.total:
            rep.errors.append(f"skipped lines: {rep.skipped.summary()}") if strict else None
        reports.append(rep)
    return reports


def format_reports(reports: list[DatasetReport]) -> str:
    lines = [f"data directory: {data_dir()}", ""]
    for r in reports:
        status = "ok" if r.ok else "FAILED"
        counts = ", ".join(f"{k} {v:,}" for k, v in r.counts.items())
        lines.append(f"{r.name:<10} {status:<7} {counts}")
        if r.skipped.total:
            lines.append(f"{'':<10} {r.skipped.total} line(s) skipped: {r.skipped.summary()}")
        lines += [f"{'':<10} error: {e}" for e in r.errors]
    return "\n".join(lines)
