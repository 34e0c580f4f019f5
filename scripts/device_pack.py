"""Pack what a GPU run needs into one file that travels with `run`'s `carry` (64 MiB per call in all).

    .venv/bin/python scripts/device_pack.py [--prepare] [--out .device_payload]

Packs the data files the recommender reads (ReDial, TMDKG triples, movie metadata, MovieLens links)
from $CRS_DATA and the precomputed caches from $CRS_HOME: MiniLM embeddings (movies, entity names,
dialogue contexts; stored as float16 to halve them, restored as float32 there), linked entities per
turn (the GPU image has no rapidfuzz), MovieLens item vectors, the co-mention matrix, and the
trained default KG recommender when there is one. Never the MiniLM model itself (88 MB) nor
anything from eval or apps. `--prepare` first computes the caches a sweep and an evaluation read
(linking and encoding on this CPU: slow the first time, cached after). The device side is
scripts/device_unpack.py; scripts/device_run.sh runs both ends.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

LIMIT_BYTES = 64 * 2**20  # what one device call carries, checkout included
CHECKOUT_ALLOWANCE = 6 * 2**20  # the checkout itself (about 2 MB) and other engineers' files
DATA_FILES = ("redial/train.jsonl", "redial/test.jsonl", "redial/movies_with_mentions.csv", "tmdkg/entity2id.json",
              "tmdkg/relations.json", "tmdkg/triples.tsv", "movies/movie_info.json", "movielens/links.csv",
              "movielens/movies.csv")
HOME_GLOBS = ("embeddings/*.npy", "linked/*.json", "movielens/*.npy", "rec/co-mention-*.npz",
              "rec/kg-default/config.json", "rec/kg-default/model.safetensors", "rec/kg-default/fusion.json",
              "rec/kg-default/training.json")


def prepare_caches(progress: bool = True) -> None:
    """Compute every cache the device run reads: linking, context embeddings, entity features."""
    from crs.data.movies import cached_catalog
    from crs.data.tmdkg import cached_tmdkg
    from crs.embeddings import cached_embeddings
    from crs.recommenders.fusion import co_mention_matrix
    from crs.recommenders.kg import MAX_TEXT_CHARS
    from crs.recommenders.kg_features import entity_text_features, movielens_item_vectors
    from crs.training.train_rec import build_samples, context_text_embeddings
    from eval.rec_eval import _samples

    catalog, kg = cached_catalog(), cached_tmdkg()
    entity_text_features(kg, catalog)
    movielens_item_vectors(catalog, 64)
    co_mention_matrix(catalog)
    for split in ("train", "valid"):  # what training and the sweep read (both targets)
        for target in ("crslab", "kecrs"):
            samples, _ = build_samples(split, target, catalog, None, progress)
            context_text_embeddings(samples, f"{split}-None", progress)
    for split in ("valid", "test"):  # what `crs eval rec` reads
        for protocol in ("crslab", "new-items"):
            samples = _samples(split, protocol, catalog, None, progress)
            cached_embeddings(f"ctx-{split}-{protocol}", [s.context.text[-MAX_TEXT_CHARS:] or " " for s in samples],
                              progress)


def members(data: Path, home: Path) -> list[tuple[str, Path]]:
    out = [(f"data/{f}", data / f) for f in DATA_FILES if (data / f).exists()]
    missing = [f for f in DATA_FILES if not (data / f).exists()]
    if missing:
        raise FileNotFoundError(f"missing data files under {data}: {missing}")
    for pattern in HOME_GLOBS:
        out += [(f"home/{p.relative_to(home)}", p) for p in sorted(home.glob(pattern)) if ".tmp" not in p.name]
    return out


def pack(out_dir: str | Path = ".device_payload", data: Path | None = None, home: Path | None = None,
         limit: int = LIMIT_BYTES - CHECKOUT_ALLOWANCE) -> dict:
    """Write `out_dir/payload.tar.gz`; raise if it would not fit in one call."""
    from crs.paths import cache_dir, data_dir

    data, home = Path(data or data_dir()), Path(home or cache_dir())
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "payload.tar.gz"
    manifest = {"created": time.strftime("%Y-%m-%d %H:%M:%S"), "float16": [], "files": []}
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        for name, path in members(data, home):
            if name.endswith(".npy") and name.startswith("home/embeddings/"):
                arr = np.load(path)
                buf = io.BytesIO()
                np.save(buf, arr.astype(np.float16))
                info = tarfile.TarInfo(name)
                info.size = buf.tell()
                buf.seek(0)
                tar.addfile(info, buf)
                manifest["float16"].append(name)
            else:
                tar.add(path, arcname=name)
            manifest["files"].append(name)
        blob = json.dumps(manifest, indent=1).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    size = target.stat().st_size
    if size > limit:
        raise RuntimeError(f"{target} is {size / 2**20:.1f} MiB, over the {limit / 2**20:.0f} MiB one call carries")
    return {"path": str(target), "bytes": size, "files": len(manifest["files"]),
            "embeddings": len(manifest["float16"]), "trained_model": any("kg-default/model" in f for f in manifest["files"])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=".device_payload", help="folder to carry (git-ignored through .git/info/exclude)")
    ap.add_argument("--prepare", action="store_true", help="first compute the caches the device run reads")
    args = ap.parse_args(argv)
    if args.prepare:
        prepare_caches()
    res = pack(args.out)
    print(json.dumps(res, indent=2))
    print(f"carry {args.out!r} in the device call ({res['bytes'] / 2**20:.1f} MiB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
