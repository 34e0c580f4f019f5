"""`crs eval rec`: rank all movies at every recommender turn that suggests one.

Every recommender ranks through the served path, `crs.topk.rank_topk` (exclusions on the device,
exact fp32 re-score, top 51 back), so the numbers are those of what the app shows. Reported:
Recall/NDCG/MRR@1/10/50 (pessimistic ties), and beyond accuracy: catalogue coverage@10/50, average
recommendation popularity (ARP@10, training mentions), novelty@10 (mean self-information, bits),
and recall@10/50 on cold-start targets (movies mentioned at most twice in the training split).
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from crs.data.movies import cached_catalog
from crs.data.redial import load_redial
from crs.recommenders import load_recommender
from crs.recommenders.samples import rec_samples
from eval.report import write_results
from eval.rundir import make_run_dir, run_metadata

KS = (1, 10, 50)
COLD_MAX_MENTIONS = 2  # a cold-start target: mentioned at most this often in ReDial train


def _samples(split: str, protocol: str, catalog, limit: int | None, progress: bool):
    from crs.recommenders.kg_features import link_turns

    dialogues = load_redial(split)
    # Linked entities and stances per turn (cached): what entity-based recommenders read.
    samples = rec_samples(dialogues, catalog, protocol, link_turns(dialogues, f"redial-{split}", progress))
    return samples[:limit] if limit else samples


def _attach_text(rec, samples, split: str, protocol: str, progress: bool) -> None:
    if getattr(getattr(rec, "model", None), "config", None) is not None and rec.model.config.use_text:
        from crs.embeddings import cached_embeddings
        from crs.recommenders.kg import MAX_TEXT_CHARS

        # Encode every context once (cached on disk) instead of once per evaluated model.
        emb = cached_embeddings(f"ctx-{split}-{protocol}", [s.context.text[-MAX_TEXT_CHARS:] or " " for s in samples],
                                progress)
        for s, e in zip(samples, emb):
            s.context.text_embedding = e


def _scores(rec, samples, split: str, protocol: str, batch_size: int, progress: bool, label: str) -> np.ndarray:
    """Full score rows [n_samples, n_items] of a recommender (for fitting a fusion on validation)."""
    _attach_text(rec, samples, split, protocol, progress)
    out = [np.asarray(rec.score([s.context for s in samples[i:i + batch_size]]), dtype=np.float32)
           for i in tqdm(range(0, len(samples), batch_size), desc=label, disable=not progress)]
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)


def rank_samples(rec, samples, protocol: str, k: int, batch_size: int = 64, progress: bool = False,
                 label: str = "rank", fused=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Top-k (items, scores) per sample through `rank_topk`; new-items excludes mentioned movies.

    `fused`: optional full score rows [n_samples, n_items] to rank instead of the recommender's own.
    """
    from crs.topk import DenseScores, rank_topk

    out = []
    for i in tqdm(range(0, len(samples), batch_size), desc=label, disable=not progress):
        chunk = samples[i:i + batch_size]
        source = DenseScores(fused[i:i + batch_size]) if fused is not None else rec.score_source([s.context for s in chunk])
        exclude = [s.context.mentioned for s in chunk] if protocol == "new-items" else None
        out.extend(rank_topk(source, k, exclude=exclude))
    return out


def topk_metrics(ranked, samples, popularity: np.ndarray, n_items: int, ks=KS) -> dict:
    """Accuracy (pessimistic ties), coverage, ARP, novelty and cold-start recall from top lists."""
    from crs.metrics import RankingMeter, arp_at_k, coverage_at_k, novelty_at_k, ranks_from_topk

    k_max = max(ks)
    meter, cold = RankingMeter(ks=ks), RankingMeter(ks=ks)
    for (items, scores), s in zip(ranked, samples):
        for t in s.targets:
            r = ranks_from_topk(items, scores, t, k_max)
            meter.ranks.append(r)
            if popularity[t] <= COLD_MAX_MENTIONS:
                cold.ranks.append(r)
    m = meter.compute()
    lists = [items for items, _ in ranked]
    c = cold.compute()
    m.update({"coverage@10": coverage_at_k(lists, n_items, 10), "coverage@50": coverage_at_k(lists, n_items, 50),
              "arp@10": arp_at_k(lists, popularity, 10), "novelty@10": novelty_at_k(lists, popularity, 10),
              "cold_recall@10": c["recall@10"], "cold_recall@50": c["recall@50"], "cold_targets": c["count"]})
    return m


def evaluate_recommender(model: str, split: str = "test", protocol: str = "crslab", out=None,
                         batch_size: int = 64, limit: int | None = None, seed: int = 0, progress: bool = True,
                         checkpoint: str | None = None, fit_fusion: bool = False, rec=None,
                         return_ranked: bool = False) -> dict:
    """Evaluate one registered recommender and write results.json / results.md into the run dir.

    fit_fusion: first fit the copy + co-mention score fusion (crs/recommenders/fusion.py) for this
    model on the validation split, then evaluate the fused scores (a baseline for what `kg` adds).
    rec: an already loaded recommender to evaluate under the name `model` (e.g. on another device).
    return_ranked: also return the top lists (key "ranked": (items, scores) per sample) and "samples".
    """
    from crs.recommenders.popularity import train_mentions

    catalog = cached_catalog()
    samples = _samples(split, protocol, catalog, limit, progress)
    rec = rec if rec is not None else load_recommender(model, catalog, checkpoint=checkpoint)
    config = {"model": model, "split": split, "protocol": protocol, "n_items": len(catalog), "limit": limit,
              "ranking": "crs.topk.rank_topk", "device": str(getattr(rec, "device", "cpu"))}
    fused = None
    if fit_fusion:
        from crs.recommenders import fusion as F
        from crs.training.fit_fusion import fit_fusion

        if getattr(rec, "fusion", None) is not None:
            raise ValueError(f"{model} already applies its own fitted fusion; evaluate kg-base with --fit-fusion instead")
        if split == "valid":
            raise ValueError("--fit-fusion fits on the validation split, so it cannot also be evaluated there")
        valid = _samples("valid", protocol, catalog, None, progress)
        fusion = fit_fusion(_scores(rec, valid, "valid", protocol, batch_size, progress, f"{model}/valid"),
                            valid, protocol, catalog, progress)
        scores = _scores(rec, samples, split, protocol, batch_size, progress, f"eval {model}/{protocol}")
        fused = F.apply_fusion(scores, [s.context for s in samples], fusion, F.co_mention_matrix(catalog))
        config["fusion"] = {"copy_weight": fusion.copy_weight, "copy_decay": fusion.copy_decay,
                            "cooc_weight": fusion.cooc_weight, "valid": fusion.valid}
    else:
        _attach_text(rec, samples, split, protocol, progress)
    ranked = rank_samples(rec, samples, protocol, max(KS) + 1, batch_size, progress, f"eval {model}/{protocol}", fused)
    metrics = topk_metrics(ranked, samples, train_mentions(catalog), len(catalog))
    metrics["turns"] = len(samples)
    metrics["dialogues"] = len({s.dialogue for s in samples})
    name = f"{model}+fusion" if fit_fusion else model
    run_dir = make_run_dir(out, f"rec-{name}-{protocol}")
    if getattr(rec, "path", None):  # trained models: which checkpoint produced the numbers
        config["checkpoint"] = str(rec.path)
    write_results(run_dir, metrics, run_metadata(seed, config), f"ReDial recommendation: {name} ({protocol}, {split})")
    res = {"run_dir": str(run_dir), **metrics}
    return {**res, "ranked": ranked, "samples": samples} if return_ranked else res
