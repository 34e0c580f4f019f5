"""Released weights (weights/): the manifest matches the files, corruption is caught on one line naming
the file, installing rebuilds derived files exactly, and only a model better on validation replaces one."""

from __future__ import annotations

import json
import shutil

import pytest

from crs import release as R

MANIFEST = R.read_manifest()
RELEASED = sorted(MANIFEST["artefacts"])
MB = 1_000_000


def test_manifest_matches_every_released_file():
    assert (R.WEIGHTS_DIR / R.MANIFEST).exists(), "weights/manifest.json is missing"
    assert set(R.verify()) == set(RELEASED)
    for kind in RELEASED:
        entry = MANIFEST["artefacts"][kind]
        for name, rec in entry["files"].items():
            path = R.WEIGHTS_DIR / entry["folder"] / name
            assert path.stat().st_size == rec["size"]
            assert R.sha256_file(path) == rec["sha256"]


def test_only_safetensors_and_json_within_40_mb():
    files = [p for p in R.WEIGHTS_DIR.rglob("*") if p.is_file()]
    assert all(p.name.endswith((".safetensors", ".json")) for p in files), files
    assert sum(p.stat().st_size for p in files) <= 40 * MB


def test_every_release_records_its_provenance():
    for kind in RELEASED:
        entry = MANIFEST["artefacts"][kind]
        for key in ("command", "git_commit", "data", "device", "install_to"):
            assert entry.get(key), f"{kind}: no {key}"
        assert entry["data"] and all(len(h) == 64 for h in entry["data"].values())
        assert {"valid", "subset"} <= set(entry["metrics"])


@pytest.fixture
def copy_root(tmp_path):
    """A scratch copy of weights/ (tests corrupt it)."""
    root = tmp_path / "weights"
    shutil.copytree(R.WEIGHTS_DIR, root)
    return root


def _one_line(e: Exception) -> str:
    msg = str(e)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize("kind", RELEASED)
def test_a_corrupt_file_is_named_on_one_line(kind, copy_root):
    entry = MANIFEST["artefacts"][kind]
    name = max(entry["files"], key=lambda n: entry["files"][n]["size"])
    path = copy_root / entry["folder"] / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different content
    path.write_bytes(bytes(data))
    with pytest.raises(R.WeightsError) as e:
        R.verify(kind, copy_root)
    assert name in _one_line(e.value) and "sha256" in str(e.value)


def test_a_missing_or_extra_file_is_named(copy_root):
    kind = RELEASED[0]
    entry = MANIFEST["artefacts"][kind]
    name = sorted(entry["files"])[0]
    (copy_root / entry["folder"] / name).unlink()
    with pytest.raises(R.WeightsError, match="missing") as e:
        R.verify(kind, copy_root)
    assert name in _one_line(e.value)
    shutil.copyfile(R.WEIGHTS_DIR / entry["folder"] / name, copy_root / entry["folder"] / name)
    (copy_root / entry["folder"] / "stray.pt").write_bytes(b"x")
    with pytest.raises(R.WeightsError, match="stray.pt"):
        R.verify(kind, copy_root)


def test_install_rebuilds_derived_files_and_marks_the_release(copy_root, tmp_path):
    home = tmp_path / "home"
    for kind in RELEASED:
        res = R.install(kind, home=home, root=copy_root)
        assert res.status == "installed"
        entry = MANIFEST["artefacts"][kind]
        for name, rec in entry.get("derived", {}).items():
            assert R.sha256_file(res.path / name) == rec["sha256"]  # the fp32 file the model was measured with
            assert not (res.path / rec["from"]).exists()
        assert R.installed_release(res.path) == R.release_id(entry)
        assert R.install(kind, home=home, root=copy_root).status == "current"
        assert not list(res.path.parent.glob(".*partial*")), "staging folders left behind"


def test_install_keeps_a_locally_trained_model_and_refuses_a_corrupt_release(copy_root, tmp_path):
    kind = RELEASED[0]
    entry = MANIFEST["artefacts"][kind]
    local = tmp_path / "home" / entry["install_to"]
    local.mkdir(parents=True)
    (local / "config.json").write_text("{}")
    assert R.install(kind, home=tmp_path / "home", root=copy_root).status == "local"
    name = sorted(entry["files"])[0]
    (copy_root / entry["folder"] / name).write_bytes(b"corrupt")
    with pytest.raises(R.WeightsError) as e:
        R.install(kind, home=tmp_path / "other", root=copy_root)
    assert name in _one_line(e.value)
    assert not (tmp_path / "other" / entry["install_to"]).exists()  # nothing half-installed


@pytest.mark.skipif("music" not in RELEASED, reason="no released music scorer")
def test_release_refuses_a_model_not_better_on_validation(copy_root, tmp_path):
    from apps.weights import release

    src = tmp_path / "music-src"
    shutil.copytree(R.WEIGHTS_DIR / "music", src)
    with pytest.raises(SystemExit, match="not better on validation"):
        release("music", src, "test", root=copy_root, measure=False)
    cfg = json.loads((src / "config.json").read_text())
    for name in cfg["valid_fusion_recall@10"]:
        cfg["valid_fusion_recall@10"][name] += 0.01  # a (pretend) better model: replaces, manifest updated
    cfg["turn2_method"] = "fusion"
    (src / "config.json").write_text(json.dumps(cfg))
    entry = release("music", src, "test", root=copy_root, measure=False)
    assert R.read_manifest(copy_root)["artefacts"]["music"]["files"] == entry["files"]
    R.verify("music", copy_root)


def test_an_adapter_release_halves_its_item_vectors_and_install_rebuilds_them_exactly(tmp_path):
    """The derived-file path (the adapter's item vectors) on a synthetic adapter folder."""
    import torch
    from safetensors.torch import load_file, save_file

    from apps.weights import release
    from crs.paths import cache_dir

    src = tmp_path / "adapter"
    src.mkdir()
    (src / "adapter_config.json").write_text(json.dumps({"item_vectors": str(cache_dir() / "rec" / "kg-default")}))
    (src / "training.json").write_text(json.dumps({"valid_perplexity": {"soft": 20.0, "title+soft": 9.0}, "steps": 3}))
    save_file({"w": torch.randn(4, 4)}, str(src / "adapter_model.safetensors"))
    feats = {"kg": torch.randn(5, 8), "item_entities": torch.arange(5)}
    save_file(feats, str(src / "item_features.safetensors"))
    (src / "README.md").write_text("peft card")  # not shippable: skipped
    root = tmp_path / "weights"
    entry = release("ilm", src, "test", root=root, measure=False)
    assert "item_features.fp16.safetensors" in entry["files"] and "README.md" not in entry["files"]
    assert json.loads((root / "ilm" / "adapter_config.json").read_text())["item_vectors"] == "$CRS_HOME/rec/kg-default"
    res = R.install("ilm", home=tmp_path / "home", root=root)
    got = load_file(str(res.path / "item_features.safetensors"))
    assert got["kg"].dtype == torch.float32 and torch.equal(got["kg"], feats["kg"].half().float())
    assert torch.equal(got["item_entities"], feats["item_entities"])
    with pytest.raises(SystemExit, match="not better"):  # higher perplexity is worse
        (src / "training.json").write_text(json.dumps({"valid_perplexity": {"soft": 20.0, "title+soft": 9.5}}))
        release("ilm", src, "test", root=root, measure=False)
