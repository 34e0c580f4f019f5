"""`crs prepare` (run by `make app`): check the data, build the cached artefacts and install the released weights.

Released models (weights/, checked against weights/manifest.json) are installed into $CRS_HOME in
seconds; a missing or corrupt file is reported on one line naming it, and that model falls back to
training (KG recommender, music scorer) or to running without it (adapter, satisfaction estimator),
with a notice. `--retrain` ignores the released models and trains as before. Derived caches (the
converted LLM, MiniLM embeddings) are always built locally.
"""

from __future__ import annotations

import time

TRAINED_HERE = ("rec", "music")  # what prepare can train itself when no released model can be used
NO_FALLBACK = {"ilm": "the app runs without the item-language adapter (train it: `crs train ilm --stage 1/2 ...`, "
                      "docs/ilm.md)",
               "sat": "the simulator needs `crs train sat` (docs/simulator.md)"}


def _clock() -> tuple[float, float]:
    """(wall, CPU of this process and its threads): CPU seconds do not grow when other jobs share the cores."""
    return time.time(), time.process_time()


def _step(label: str, t: tuple[float, float], timings: dict | None) -> None:
    if timings is not None:
        timings[label] = {"wall_s": round(time.time() - t[0], 1), "cpu_s": round(time.process_time() - t[1], 1)}


def install_released(kinds: tuple[str, ...], timings: dict | None = None) -> dict[str, str]:
    """Install each released model; returns kind -> installed | current | local | failed | not released
    (one line printed each)."""
    from crs import release as R

    t = _clock()
    status = {}
    released = R.read_manifest()["artefacts"] if (R.WEIGHTS_DIR / R.MANIFEST).exists() else {}
    for kind in kinds:
        if kind not in released:
            print(f"[prepare] NOTICE: no released {R.KINDS[kind].description} in weights/")
            status[kind] = "not released"
            continue
        try:
            res = R.install(kind)
        except R.WeightsError as e:
            print(f"[prepare] ERROR: released {kind} model unusable: {e}")
            status[kind] = "failed"
            continue
        status[kind] = res.status
        what = {"installed": "installed from weights/", "current": "released, already installed",
                "local": "locally trained model kept (not the released one)"}[res.status]
        print(f"[prepare] {R.KINDS[kind].description}: {what} ({res.path})")
    _step("weights install", t, timings)
    return status


def prepare(llm: bool = True, embeddings: bool = True, train_rec: bool = True, music: bool = True,
            retrain: bool = False, released: bool = True, timings: dict | None = None) -> dict:
    """Idempotent: every step is cached in $CRS_HOME, so a second run takes seconds. Returns the step times."""
    from crs.data.check import check_all, format_reports
    from crs.paths import cache_dir

    timings = {} if timings is None else timings
    t0 = _clock()
    reports = check_all(verify_hashes=False)
    if not all(r.ok for r in reports):
        print(format_reports(reports))
        raise SystemExit("data check failed; run `crs data check` for details")
    _step("data check", t0, timings)
    print(f"[prepare] data ok ({time.time() - t0[0]:.1f}s); cache: {cache_dir()}")
    status = {}
    if released and not retrain:
        kinds = tuple(k for k in ("rec", "ilm", "music", "sat")
                      if (k != "rec" or train_rec) and (k != "music" or music))
        status = install_released(kinds, timings)
    if llm:
        from crs.llm import ensure_smollm

        t = _clock()
        path = ensure_smollm()
        _step("LLM conversion", t, timings)
        print(f"[prepare] LLM ready at {path} ({time.time() - t[0]:.1f}s)")
    if embeddings:
        t = _clock()
        print("[prepare] movie and entity-name text embeddings (first run: a minute or two on 2 CPU cores)…")
        _embeddings()
        _step("embeddings", t, timings)
        print(f"[prepare] embeddings ready ({time.time() - t[0]:.1f}s)")
    for kind, why in NO_FALLBACK.items():
        if status.get(kind) in ("failed", "not released"):
            print(f"[prepare] NOTICE: no released {kind} model: {why}")
    if train_rec:
        _train_rec(retrain, status.get("rec"), timings)
    if music:
        _train_music(retrain, status.get("music"), timings)
    _step("total", t0, timings)
    print(f"[prepare] done in {time.time() - t0[0]:.1f}s")
    return timings


def _embeddings() -> None:
    """What the KG recommender reads at start-up: movie descriptions and the other entities' names."""
    from crs.data.movies import cached_catalog
    from crs.data.tmdkg import cached_tmdkg
    from crs.recommenders.kg_features import entity_text_features

    entity_text_features(cached_tmdkg(), cached_catalog())


def _needs_training(kind: str, retrain: bool) -> bool:
    """Train when --retrain asks for it (a released install is replaced; a local model counts as trained),
    or when no released model could be installed and none exists."""
    from crs import release as R
    from crs.paths import cache_dir

    path = cache_dir() / R.KINDS[kind].install_to
    present = (path / "config.json").exists()
    if retrain:
        return not present or R.installed_release(path) is not None
    return not present


def _train_rec(retrain: bool, status: str | None, timings: dict) -> None:
    from crs.paths import REPO_ROOT
    from crs.recommenders.kg import default_checkpoint

    if not _needs_training("rec", retrain):
        print(f"[prepare] KG recommender ready at {default_checkpoint()}")
        return
    from crs.training.train_rec import main as train_main

    t = _clock()
    if status == "failed":
        print("[prepare] NOTICE: falling back to training the KG recommender; until it is published the app "
              "uses the text recommender.")
    print("[prepare] training the default KG recommender (about 45 minutes on 2 CPU cores, resumable: rerun to "
          "continue; published only when complete). Skip with `crs prepare --skip-train`.")
    train_main(["--config", str(REPO_ROOT / "configs" / "rec" / "default.yaml")])
    _step("KG recommender training", t, timings)
    print(f"[prepare] KG recommender trained ({time.time() - t[0]:.1f}s)")


def _train_music(retrain: bool, status: str | None, timings: dict) -> None:
    from crs.music.config import load_music_config as music_config

    path = music_config("default").scorer_dir
    if not _needs_training("music", retrain):
        print(f"[prepare] music scorer ready at {path}")
        return
    from crs.music.train import main as music_train

    t = _clock()
    if status == "failed":
        print("[prepare] NOTICE: falling back to training the music scorer.")
    print("[prepare] video-to-music scorer (caption embeddings and training, about 30 minutes on 2 CPU cores). "
          "Skip with `crs prepare --skip-music`.")
    music_train(["--config", "default", "--force"] if retrain else ["--config", "default"])
    _step("music scorer training", t, timings)
    print(f"[prepare] music scorer ready ({time.time() - t[0]:.1f}s)")
