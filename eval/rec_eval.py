"""`crs eval rec`: rank all movies at every recommender turn that suggests one; Recall/NDCG/MRR."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from crs.data.movies import cached_catalog
from crs.data.redial import load_redial
from crs.recommenders import load_recommender
from eval.rec_samples import ranking_metrics, rec_samples
from eval.report import write_results
from eval.rundir import make_run_dir, run_metadata

KS = (1, 10, 50)


def _samples(split: str, protocol: str, catalog, limit: int | None, progress: bool):
    from crs.recommenders.kg_features import link_turns

    dialogues = load_redial(split)
    # Linked entities and stances per turn (cached): what entity-based recommenders read.
    samples = rec_samples(dialogues, catalog, protocol, link_turns(dialogues, f"redial-{split}", progress))
    return samples[:limit] if limit else samples


def _scores(rec, samples, split: str, protocol: str, batch_size: int, progress: bool, label: str) -> np.ndarray:
    """Scores [n_samples, n_items] of a recommender, in sample order."""
    if getattr(getattr(rec, "model", None), "config", None) is not None and rec.model.config.use_text:
        from crs.embeddings import cached_embeddings
        from crs.recommenders.kg import MAX_TEXT_CHARS

        # Encode every context once (cached on disk) instead of once per evaluated model.
        emb = cached_embeddings(f"ctx-{split}-{protocol}", [s.context.text[-MAX_TEXT_CHARS:] or " " for s in samples],
                                progress)
        for s, e in zip(samples, emb):
            s.context.text_embedding = e
    out = [np.asarray(rec.score([s.context for s in samples[i:i + batch_size]]), dtype=np.float32)
           for i in tqdm(range(0, len(samples), batch_size), desc=label, disable=not progress)]
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)


def evaluate_recommender(model: str, split: str = "test", protocol: str = "crslab", out=None,
                         batch_size: int = 64, limit: int | None = None, seed: int = 0, progress: bool = True,
                         checkpoint: str | None = None, fit_fusion: bool = False) -> dict:
    """Evaluate one registered recommender and write results.json / results.md into the run dir.

    fit_fusion: first fit the copy + co-mention score fusion (crs/recommenders/fusion.py) for this
    model on the validation split, then evaluate the fused scores (a baseline for what `kg` adds).
    """
    catalog = cached_catalog()
    samples = _samples(split, protocol, catalog, limit, progress)
    rec = load_recommender(model, catalog, checkpoint=checkpoint)
    config = {"model": model, "split": split, "protocol": protocol, "n_items": len(catalog), "limit": limit}
    scores = _scores(rec, samples, split, protocol, batch_size, progress, f"eval {model}/{protocol}")
    if fit_fusion:
        from crs.recommenders import fusion as F

        if getattr(rec, "fusion", None) is not None:
            raise ValueError(f"{model} already applies its own fitted fusion; evaluate kg-base with --fit-fusion instead")
        if split == "valid":
            raise ValueError("--fit-fusion fits on the validation split, so it cannot also be evaluated there")
        valid = _samples("valid", protocol, catalog, None, progress)
        fusion = F.fit_fusion(_scores(rec, valid, "valid", protocol, batch_size, progress, f"{model}/valid"),
                              valid, protocol, catalog, progress)
        scores = F.apply_fusion(scores, [s.context for s in samples], fusion, F.co_mention_matrix(catalog))
        config["fusion"] = {"copy_weight": fusion.copy_weight, "copy_decay": fusion.copy_decay,
                            "cooc_weight": fusion.cooc_weight, "valid": fusion.valid}
    metrics = ranking_metrics(scores, samples, protocol, KS)
    metrics["turns"] = len(samples)
    metrics["dialogues"] = len({s.dialogue for s in samples})
    name = f"{model}+fusion" if fit_fusion else model
    run_dir = make_run_dir(out, f"rec-{name}-{protocol}")
    if getattr(rec, "path", None):  # trained models: which checkpoint produced the numbers
        config["checkpoint"] = str(rec.path)
    write_results(run_dir, metrics, run_metadata(seed, config), f"ReDial recommendation: {name} ({protocol}, {split})")
    return {"run_dir": str(run_dir), **metrics}
