"""The prepared GPU run (scripts/device_*.py, scripts/device_run.sh): what it packs fits one call and
comes back intact; the result collection keeps to the device's limits (8 files, 16 MiB each)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_payload_fits_one_call_and_round_trips(real_data, tmp_path):
    pack, unpack = _load("device_pack"), _load("device_unpack")
    home = tmp_path / "home"
    (home / "embeddings").mkdir(parents=True)
    (home / "linked").mkdir()
    emb = np.random.default_rng(0).standard_normal((500, 384)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    np.save(home / "embeddings" / "ctx-test-crslab-abc.npy", emb)
    (home / "linked" / "redial-test-x.json").write_text(json.dumps({"1": [[[3, 1]]]}))
    (home / "embeddings" / "half.tmp.npy").write_bytes(b"partial")  # an interrupted write never travels
    res = pack.pack(tmp_path / "payload", real_data, home)
    assert res["bytes"] < pack.LIMIT_BYTES - pack.CHECKOUT_ALLOWANCE
    assert res["embeddings"] == 1 and not res["trained_model"]
    dest = tmp_path / "device"
    unpack.unpack(res["path"], dest)
    back = np.load(dest / "home" / "embeddings" / "ctx-test-crslab-abc.npy")
    assert back.dtype == np.float32 and np.abs(back - emb).max() < 1e-3
    assert json.loads((dest / "home" / "linked" / "redial-test-x.json").read_text()) == {"1": [[[3, 1]]]}
    for f in pack.DATA_FILES:
        assert (dest / "data" / f).read_bytes() == (real_data / f).read_bytes()
    assert not (dest / "home" / "embeddings" / "half.tmp.npy").exists()


def test_collect_returns_at_most_eight_files_within_the_size_limit(tmp_path):
    jobs = _load("device_jobs")
    sweep = tmp_path / "sweep"
    (sweep / "run-a").mkdir(parents=True)
    (sweep / "run-a" / "model.safetensors").write_bytes(np.random.default_rng(0).bytes(40 * 2**20))
    (sweep / "run-a" / "config.json").write_text("{}")
    (sweep / "best.json").write_text(json.dumps({"run": "run-a"}))
    (sweep / "best.yaml").write_text("name: kg-default\n")
    (sweep / "results.md").write_text("| run |\n")
    (sweep / "sweep.jsonl").write_text(json.dumps({"run": "run-a"}) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.log").write_text("log\n")
    written = jobs.collect(tmp_path / "work", sweep, out)
    files = sorted(p for p in out.iterdir())
    assert len(files) <= 8 and all(p.stat().st_size <= 16 * 2**20 for p in files)
    assert {"results.json", "summary.md"} <= set(written)
    parts = sorted(out.glob("best_model.tar.part*"), key=lambda p: int(p.name.rsplit("part", 1)[1]))
    (tmp_path / "joined.tar").write_bytes(b"".join(p.read_bytes() for p in parts))
    import tarfile

    with tarfile.open(tmp_path / "joined.tar") as tar:
        assert tar.extractfile("run-a/model.safetensors").read() == (sweep / "run-a" / "model.safetensors").read_bytes()
