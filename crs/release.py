"""Released weights (`weights/` in the repo): the manifest, its checks, and installing into $CRS_HOME.

`weights/manifest.json` records, for each artefact, every shipped file's sha256 and size, the files
rebuilt at install time (the adapter's item vectors, shipped in half precision, upcast to the fp32
file the adapter reads and checked against the recorded sha256 of that file), how it was trained
(command, config, git commit, data file hashes, device) and the metrics it reached. Writing a
release (metrics, the better-on-validation rule) is `apps/weights.py`; this module only reads,
checks and installs, so `crs prepare` needs nothing from eval/.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from crs.paths import REPO_ROOT, cache_dir
from crs.pretrained import publish_folder

WEIGHTS_DIR = REPO_ROOT / "weights"
MANIFEST = "manifest.json"
MARKER = "release.json"  # written into an installed folder: which release it is
SHIPPABLE = (".safetensors", ".json")  # no pickles, no numpy files


@dataclass(frozen=True)
class Kind:
    name: str
    install_to: str      # folder under $CRS_HOME the code loads from
    description: str
    data: tuple[str, ...]  # data/manifest.json datasets it was trained on
    higher_is_better: bool  # of the validation metric that decides a replacement


KINDS = {
    "rec": Kind("rec", "rec/kg-default", "KG recommender (R-GCN) with its score fusion",
                ("redial", "tmdkg", "movies", "movielens"), True),
    "ilm": Kind("ilm", "ilm/cpu-stage2", "item-language adapter (stage 2) with its item vectors",
                ("redial", "tmdkg", "movies", "movielens"), False),
    "sat": Kind("sat", "sat/default", "satisfaction estimator (USS)", ("uss",), True),
    "music": Kind("music", "music/fusion-v2-default", "video-to-music turn-2 scorer", ("musiccaps",), True),
}


class WeightsError(RuntimeError):
    """A released file is missing or does not match the manifest (the message names it, on one line)."""


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_record(path: Path) -> dict:
    return {"sha256": sha256_file(path), "size": path.stat().st_size}


def read_manifest(root: Path | None = None) -> dict:
    path = (root or WEIGHTS_DIR) / MANIFEST
    if not path.exists():
        return {"format": 1, "artefacts": {}}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise WeightsError(f"{path}: not valid JSON ({e})") from None


def write_manifest(manifest: dict, root: Path | None = None) -> None:
    root = root or WEIGHTS_DIR
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(root / MANIFEST)


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def check_file(path: Path, expected: dict) -> None:
    """One-line WeightsError naming the file when it is missing or differs from the manifest."""
    if not path.is_file():
        raise WeightsError(f"{_rel(path)}: missing (expected by weights/{MANIFEST})")
    size = path.stat().st_size
    if size != expected["size"]:
        raise WeightsError(f"{_rel(path)}: size {size} bytes, manifest says {expected['size']} (corrupt or replaced)")
    digest = sha256_file(path)
    if digest != expected["sha256"]:
        raise WeightsError(f"{_rel(path)}: sha256 {digest[:12]}… does not match the manifest's "
                           f"{expected['sha256'][:12]}… (corrupt or replaced)")


def verify(kind: str | None = None, root: Path | None = None) -> list[str]:
    """Check the shipped files of one artefact (or all) against the manifest; returns the kinds checked.
    Also refuses files in an artefact folder the manifest does not list, and anything but safetensors/JSON."""
    root = root or WEIGHTS_DIR
    if not (root / MANIFEST).exists():
        raise WeightsError(f"{_rel(root / MANIFEST)}: missing (no released weights)")
    manifest = read_manifest(root)
    kinds = [kind] if kind else sorted(manifest["artefacts"])
    for k in kinds:
        entry = manifest["artefacts"].get(k)
        if entry is None:
            raise WeightsError(f"weights/{MANIFEST}: no released {k!r} artefact")
        folder = root / entry["folder"]
        for name, rec in entry["files"].items():
            check_file(folder / name, rec)
        if folder.is_dir():
            for extra in sorted(p for p in folder.rglob("*") if p.is_file()):
                rel = str(extra.relative_to(folder))
                if rel not in entry["files"]:
                    raise WeightsError(f"{_rel(extra)}: not listed in weights/{MANIFEST}")
                if not rel.endswith(SHIPPABLE):
                    raise WeightsError(f"{_rel(extra)}: only safetensors and JSON may be released")
    return kinds


def release_id(entry: dict) -> str:
    """A short id of one release: the hash of its file records (what the installed marker stores)."""
    return hashlib.sha256(json.dumps(entry["files"], sort_keys=True).encode()).hexdigest()[:16]


def upcast_fp32(src: Path, dst: Path) -> None:
    """Rebuild an fp32 safetensors file from its half-precision release (float tensors upcast, others as is)."""
    from safetensors.torch import load_file, save_file

    state = load_file(str(src))
    save_file({k: (v.float() if v.is_floating_point() else v).contiguous() for k, v in sorted(state.items())}, str(dst))


def build_derived(folder: Path, entry: dict) -> None:
    """Rebuild the derived files of an installed folder and check each against its recorded sha256."""
    for name, rec in entry.get("derived", {}).items():
        if rec["how"] != "fp32-upcast":
            raise WeightsError(f"weights/{MANIFEST}: unknown rebuild {rec['how']!r} for {name}")
        upcast_fp32(folder / rec["from"], folder / name)
        (folder / rec["from"]).unlink()
        digest = sha256_file(folder / name)
        if digest != rec["sha256"]:
            raise WeightsError(f"{name} rebuilt from {rec['from']}: sha256 {digest[:12]}… differs from the "
                               f"recorded {rec['sha256'][:12]}…")


@dataclass
class InstallResult:
    kind: str
    path: Path
    status: str  # installed | current | local (a locally trained folder is kept)


def installed_release(path: Path) -> str | None:
    marker = path / MARKER
    if not marker.exists():
        return None
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("release")
    except json.JSONDecodeError:
        return None


def install(kind: str, home: Path | None = None, root: Path | None = None, replace_local: bool = False) -> InstallResult:
    """Verify one released artefact and publish it into $CRS_HOME (atomically, derived files rebuilt).

    A folder installed from an older release is replaced; a locally trained one (no marker) is kept
    unless replace_local. Raises WeightsError naming the first bad file.
    """
    root = root or WEIGHTS_DIR
    entry = read_manifest(root)["artefacts"].get(kind)
    if entry is None:
        raise WeightsError(f"weights/{MANIFEST}: no released {kind!r} artefact")
    dest = (home or cache_dir()) / entry["install_to"]
    rid = release_id(entry)
    if dest.is_dir() and any(dest.iterdir()):
        current = installed_release(dest)
        if current == rid:
            return InstallResult(kind, dest, "current")
        if current is None and not replace_local:
            return InstallResult(kind, dest, "local")
    verify(kind, root)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with publish_folder(dest) as staging:
        for name in entry["files"]:
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / entry["folder"] / name, target)
        build_derived(staging, entry)
        (staging / MARKER).write_text(json.dumps({"release": rid, "kind": kind, "git_commit": entry.get("git_commit"),
                                                  "metrics": entry.get("metrics")}, indent=2) + "\n", encoding="utf-8")
    return InstallResult(kind, dest, "installed")


def describe(kind: str, path: Path) -> str:
    """'released <id>' / 'trained locally' / 'missing': for the app's status line."""
    if not path.is_dir() or not any(path.iterdir()):
        return "missing"
    rid = installed_release(path)
    return f"released {rid[:8]}" if rid else "trained locally"
