"""`crs weights release KIND FOLDER` / `crs weights verify` / `crs weights install`: the released models in weights/.

A release copies a trained model folder (safetensors and JSON only) into weights/<kind>/, stores
what can be rebuilt (the adapter's item vectors) in half precision with the sha256 of the rebuilt
fp32 file, installs the result into a scratch $CRS_HOME-like folder exactly as `crs prepare`
does, measures the recorded subset metric there, and writes the manifest entry. A model replaces
the released one only when it is better on validation (`--force` overrides, and says so).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from crs import release as R
from crs.paths import REPO_ROOT, cache_dir
from crs.pretrained import staging_path, swap_in

SKIP = {R.MARKER, "training_args.json"}


def _git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
        return head.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _data_hashes(datasets: tuple[str, ...]) -> dict:
    files = json.loads((REPO_ROOT / "data" / "manifest.json").read_text())["files"]
    return {f["path"]: f["sha256"] for f in files if f["path"].split("/")[0] in datasets}


def _device() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return f"cpu ({os.cpu_count()} cores, {cpu})"


def _copy_shippable(src: Path, dst: Path, kind: str) -> list[str]:
    """Copy safetensors/JSON files; the rest (READMEs, pickles) is skipped and listed."""
    skipped = []
    for f in sorted(p for p in src.rglob("*") if p.is_file()):
        rel = f.relative_to(src)
        if rel.name in SKIP or not rel.name.endswith(R.SHIPPABLE):
            skipped.append(str(rel))
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dst / rel)
    if kind == "ilm":
        _portable_adapter(dst)
    return skipped


def _portable_adapter(folder: Path) -> None:
    """The adapter names its KG recommender by absolute path; a release names it relative to $CRS_HOME."""
    cfg_path = folder / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    src = cfg.get("item_vectors", "svd")
    home = str(cache_dir())
    if src.startswith(home + "/"):
        cfg["item_vectors"] = "$CRS_HOME/" + src[len(home) + 1:]
        cfg_path.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")


def _halve(folder: Path, name: str) -> dict:
    """Store `name` in half precision; return its derived-file record (sha256 of the fp32 rebuild)."""
    from safetensors.torch import load_file, save_file

    state = load_file(str(folder / name))
    half = name.replace(".safetensors", ".fp16.safetensors")
    save_file({k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in sorted(state.items())},
              str(folder / half))
    (folder / name).unlink()
    with tempfile.TemporaryDirectory() as tmp:
        R.upcast_fp32(folder / half, Path(tmp) / name)
        rec = R.file_record(Path(tmp) / name)
    return {name: {"from": half, "how": "fp32-upcast", **rec}}


def release(kind: str, folder: str | Path, command: str, config: str | None = None, force: bool = False,
            root: Path | None = None, measure: bool = True, note: str = "") -> dict:
    """Release `folder` as weights/<kind>; returns the manifest entry. Refuses a model that is not
    better on validation than the released one unless `force`."""
    from eval.weights_metrics import better, subset_metric, validation_metric

    root = root or R.WEIGHTS_DIR
    if kind not in R.KINDS:
        raise SystemExit(f"unknown kind {kind!r}; choose one of {sorted(R.KINDS)}")
    k = R.KINDS[kind]
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise SystemExit(f"no model folder at {folder}")
    valid = validation_metric(kind, folder)
    manifest = R.read_manifest(root)
    old = manifest["artefacts"].get(kind)
    if old is not None:
        old_v = old["metrics"]["valid"]["value"]
        if not better(k.higher_is_better, valid["value"], old_v):
            msg = (f"{kind}: the new model is not better on validation ({valid['name']}: {valid['value']:.4f} vs "
                   f"released {old_v:.4f})")
            if not force:
                raise SystemExit(msg + "; nothing replaced (--force to replace anyway)")
            print(f"WARNING: {msg}; replacing it because of --force")
    root.mkdir(parents=True, exist_ok=True)
    stage = staging_path(root / kind, f"release-{os.getpid()}")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        skipped = _copy_shippable(folder, stage, kind)
        derived = _halve(stage, "item_features.safetensors") if (stage / "item_features.safetensors").exists() else {}
        files = {str(p.relative_to(stage)): R.file_record(p) for p in sorted(stage.rglob("*")) if p.is_file()}
        entry = {"folder": kind, "install_to": k.install_to, "description": k.description, "files": files,
                 "derived": derived, "command": command, "config": config,
                 "config_sha256": R.sha256_file(REPO_ROOT / config) if config and (REPO_ROOT / config).exists() else None,
                 "git_commit": _git_commit(), "data": _data_hashes(k.data), "device": _device(),
                 "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(max(p.stat().st_mtime for p in folder.rglob("*")))),
                 "released_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "source_folder": str(folder),
                 "skipped_files": skipped, "note": note,
                 "metrics": {"valid": valid}}
        total = sum(r["size"] for r in files.values())
        print(f"{kind}: {len(files)} files, {total / 1e6:.1f} MB" + (f" (skipped {skipped})" if skipped else ""))
        if measure:  # on the installed form, as `crs prepare` leaves it
            with tempfile.TemporaryDirectory() as tmp:
                tmp_root = Path(tmp) / "weights"
                shutil.copytree(stage, tmp_root / kind)
                R.write_manifest({"format": 1, "artefacts": {kind: entry}}, tmp_root)
                installed = R.install(kind, home=Path(tmp) / "home", root=tmp_root)
                t = time.time()
                entry["metrics"]["subset"] = subset_metric(kind, installed.path)
                print(f"{kind}: {entry['metrics']['subset']['name']} = {entry['metrics']['subset']['value']} "
                      f"({time.time() - t:.0f}s)")
        swap_in(stage, root / kind)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    manifest["artefacts"][kind] = entry
    manifest["total_bytes"] = sum(r["size"] for e in manifest["artefacts"].values() for r in e["files"].values())
    R.write_manifest(manifest, root)
    print(f"released {kind} -> {root / kind} (all released files: {manifest['total_bytes'] / 1e6:.1f} MB)")
    return entry


def cmd_weights(args) -> int:
    if args.weights_cmd == "verify":
        try:
            kinds = R.verify(args.kind)
        except R.WeightsError as e:
            print(f"weights: {e}")
            return 1
        m = R.read_manifest()
        print(f"weights ok: {', '.join(kinds)} ({m.get('total_bytes', 0) / 1e6:.1f} MB, sha256 and sizes match the manifest)")
        return 0
    if args.weights_cmd == "install":
        try:
            for kind in ([args.kind] if args.kind else sorted(R.read_manifest()["artefacts"])):
                r = R.install(kind, replace_local=args.replace_local)
                print(f"{kind}: {r.status} ({r.path})")
        except R.WeightsError as e:
            print(f"weights: {e}")
            return 1
        return 0
    release(args.kind, args.folder, args.command or "", args.config, args.force, note=args.note or "")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("weights", help="released models in weights/: verify, install, release (see docs/weights.md)")
    ws = p.add_subparsers(dest="weights_cmd", required=True)
    v = ws.add_parser("verify", help="check every released file against weights/manifest.json")
    v.add_argument("kind", nargs="?", choices=sorted(R.KINDS))
    i = ws.add_parser("install", help="install the released models into $CRS_HOME (what `crs prepare` does)")
    i.add_argument("kind", nargs="?", choices=sorted(R.KINDS))
    i.add_argument("--replace-local", action="store_true", help="also replace a locally trained model folder")
    r = ws.add_parser("release", help="release a trained model folder (only if better on validation)")
    r.add_argument("kind", choices=sorted(R.KINDS))
    r.add_argument("folder", help="the trained model folder, e.g. ~/.cache/crs/rec/kg-default")
    r.add_argument("--command", help="the command that trained it (recorded in the manifest)")
    r.add_argument("--config", help="its config file, relative to the repo (recorded with its sha256)")
    r.add_argument("--note", help="a remark recorded with the release")
    r.add_argument("--force", action="store_true", help="replace the released model even if not better on validation")
    p.set_defaults(func=cmd_weights)
