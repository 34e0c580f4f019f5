"""`crs eval rec`: rank all movies at every recommender turn that suggests one; Recall/NDCG/MRR."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from crs.data.movies import cached_catalog
from crs.data.redial import load_redial
from crs.recommenders import load_recommender
from eval.metrics import RankingMeter
from eval.rec_samples import rec_samples
from eval.report import write_results
from eval.rundir import make_run_dir, run_metadata

KS = (1, 10, 50)


def evaluate_recommender(model: str, split: str = "test", protocol: str = "crslab", out=None,
                         batch_size: int = 64, limit: int | None = None, seed: int = 0, progress: bool = True,
                         checkpoint: str | None = None) -> dict:
    """Evaluate one registered recommender and write results.json / results.md into the run dir."""
    catalog = cached_catalog()
    dialogues = load_redial(split)
    from crs.recommenders.kg_features import link_turns

    # Linked entities and stances per turn (cached): what entity-based recommenders read.
    samples = rec_samples(dialogues, catalog, protocol, link_turns(dialogues, f"redial-{split}", progress))
    if limit:
        samples = samples[:limit]
    rec = load_recommender(model, catalog, checkpoint=checkpoint)
    if getattr(getattr(rec, "model", None), "config", None) is not None and rec.model.config.use_text:
        from crs.embeddings import cached_embeddings
        from crs.recommenders.kg import MAX_TEXT_CHARS

        # Encode every context once (cached on disk) instead of once per evaluated model.
        emb = cached_embeddings(f"ctx-{split}-{protocol}", [s.context.text[-MAX_TEXT_CHARS:] or " " for s in samples],
                                progress)
        for s, e in zip(samples, emb):
            s.context.text_embedding = e
    meter = RankingMeter(ks=KS)
    for start in tqdm(range(0, len(samples), batch_size), desc=f"eval {model}/{protocol}", disable=not progress):
        batch = samples[start:start + batch_size]
        scores = np.asarray(rec.score([s.context for s in batch]), dtype=np.float64)
        for row, s in zip(scores, batch):
            if protocol == "new-items" and s.context.mentioned:
                # New items cannot be ones already mentioned: ranking them is free information.
                row = row.copy()
                row[s.context.mentioned] = -np.inf
            meter.add(row, s.targets)
    metrics = meter.compute()
    metrics["turns"] = len(samples)
    metrics["dialogues"] = len({s.dialogue for s in samples})
    run_dir = make_run_dir(out, f"rec-{model}-{protocol}")
    config = {"model": model, "split": split, "protocol": protocol, "n_items": len(catalog), "limit": limit}
    if getattr(rec, "path", None):  # trained models: which checkpoint produced the numbers
        config["checkpoint"] = str(rec.path)
    write_results(run_dir, metrics, run_metadata(seed, config), f"ReDial recommendation: {model} ({protocol}, {split})")
    return {"run_dir": str(run_dir), **metrics}
