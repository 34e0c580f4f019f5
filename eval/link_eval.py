"""`crs eval link`: the entity linker against KECRS's linked ReDial utterances (micro P/R/F1)."""

from __future__ import annotations

from collections import Counter

from tqdm.auto import tqdm

from crs.data.tmdkg import cached_tmdkg, load_utterance_entities
from crs.metrics import prf1
from eval.report import write_results
from eval.rundir import make_run_dir, run_metadata
from kg.linker import cached_linker


def evaluate_linker(out=None, limit: int | None = None, progress: bool = True) -> dict:
    """KECRS's gold links are non-movie entities (genres, people, keywords, companies), so movie
    mentions are left out of the comparison; per-type scores show where the linker differs."""
    rows = load_utterance_entities()
    if limit:
        rows = rows[:limit]
    linker, kg = cached_linker(), cached_tmdkg()
    types = kg.node_types()
    preds, golds = [], []
    per_type = {t: ([], []) for t in ("person", "genre", "keyword", "company", "language")}
    for row in tqdm(rows, desc="linking", disable=not progress):
        pred = {m.entity for m in linker.link(row["text"], movies=False).mentions}
        gold = {int(e) for e in row["entities"] if types.get(int(e)) != "movie"}
        preds.append(pred)
        golds.append(gold)
        for t, (p, g) in per_type.items():
            p.append({e for e in pred if types.get(e) == t})
            g.append({e for e in gold if types.get(e) == t})
    metrics = prf1(preds, golds)
    metrics["utterances"] = len(rows)
    metrics["by_type"] = {t: prf1(p, g) for t, (p, g) in per_type.items()}
    missed = Counter(kg.name(e) for p, g in zip(preds, golds) for e in g - p)
    spurious = Counter(kg.name(e) for p, g in zip(preds, golds) for e in p - g)
    run_dir = make_run_dir(out, "link")
    meta = run_metadata(0, {"limit": limit, "gold": "tmdkg/utterance_entities.jsonl", "movies": "excluded"})
    meta["most_missed"] = missed.most_common(15)
    meta["most_spurious"] = spurious.most_common(15)
    write_results(run_dir, metrics, meta, "Entity linking against KECRS's linked utterances")
    return {"run_dir": str(run_dir), **{k: v for k, v in metrics.items() if k != "by_type"}}
