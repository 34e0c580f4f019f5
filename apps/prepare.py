"""`crs prepare` (run by `make app`): check the data and build cached artefacts once."""

from __future__ import annotations

import time


def prepare(llm: bool = True, embeddings: bool = True, train_rec: bool = True, music: bool = True) -> None:
    """Idempotent: every step is cached in $CRS_HOME, so a second run takes seconds."""
    from crs.data.check import check_all, format_reports
    from crs.paths import cache_dir

    t0 = time.time()
    reports = check_all(verify_hashes=False)
    if not all(r.ok for r in reports):
        print(format_reports(reports))
        raise SystemExit("data check failed; run `crs data check` for details")
    print(f"[prepare] data ok ({time.time() - t0:.1f}s); cache: {cache_dir()}")
    if llm:
        from crs.llm import ensure_smollm

        t = time.time()
        path = ensure_smollm()
        print(f"[prepare] LLM ready at {path} ({time.time() - t:.1f}s)")
    if embeddings:
        from crs.data.movies import cached_catalog
        from crs.embeddings import cached_embeddings

        t = time.time()
        print("[prepare] movie text embeddings (first run: several minutes on 2 CPU cores)…")
        cached_embeddings("movies", [m.text() for m in cached_catalog().movies])
        print(f"[prepare] embeddings ready ({time.time() - t:.1f}s)")
    if train_rec:
        from crs.paths import REPO_ROOT
        from crs.recommenders.kg import default_checkpoint

        if not (default_checkpoint() / "config.json").exists():
            from crs.training.train_rec import main as train_main

            t = time.time()
            print("[prepare] training the default KG recommender (first run only; about 45 minutes on 2 CPU "
                  "cores, resumable: rerun to continue). Skip with `crs prepare --skip-train`.")
            train_main(["--config", str(REPO_ROOT / "configs" / "rec" / "default.yaml")])
            print(f"[prepare] KG recommender trained ({time.time() - t:.1f}s)")
        else:
            print(f"[prepare] KG recommender ready at {default_checkpoint()}")
    if music:
        from crs.music.config import load_config as music_config
        from crs.music.train import main as music_train

        if (music_config("default").scorer_dir / "model.safetensors").exists():
            print(f"[prepare] music scorer ready at {music_config('default').scorer_dir}")
            music = False
    if music:
        t = time.time()
        print("[prepare] video-to-music scorer (first run only: caption embeddings and training, about 30 "
              "minutes on 2 CPU cores; cached). Skip with `crs prepare --skip-music`.")
        music_train(["--config", "default"])
        print(f"[prepare] music scorer ready ({time.time() - t:.1f}s)")
    print(f"[prepare] done in {time.time() - t0:.1f}s")
