"""Sweep of the KG recommender, selected on validation only:
`crs train rec --sweep configs/rec/sweep/gpu.yaml [--output DIR] [--limit N] [--budget-s S]`.

Every run is a training config (the sweep's `base` with one point of its `grid` applied) trained by
`crs.training.train_rec.train` (early stopping on validation, then the fusion fitted on validation).
Each finished run is scored on the **validation** split in both protocols, model alone
(crslab and new-items) and with its fusion (its own target's protocol); the run with the best
`select` value wins, and `best.yaml` is written as a training config for `configs/rec/`. The test
split is never read here. Resumable: finished runs are read back from `sweep.jsonl`.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from crs.config_utils import StrictConfig


@dataclass
class SweepConfig(StrictConfig):
    name: str = "sweep"
    base: str = "../default.yaml"  # the training config every run starts from (relative to the sweep file)
    grid: dict = field(default_factory=dict)  # dotted key (model.dim, train.lr, target) -> list of values
    fixed: dict = field(default_factory=dict)  # dotted key -> value, for every run
    select: str = "crslab/model/recall@50"  # protocol/(model|fused)/metric, on validation
    budget_s: float | None = None  # start no new run after this many seconds
    limit: int | None = None  # only the first N dialogues of each split (smoke runs)

    @classmethod
    def from_yaml(cls, path: str | Path) -> SweepConfig:
        # Not StrictConfig's: here `base` names the training config every run starts from, not a parent sweep.
        import yaml

        cfg = cls.from_dict(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
        cfg.base = str((Path(path).resolve().parent / cfg.base).resolve())
        return cfg


def _set(cfg: dict, dotted: str, value) -> None:
    *path, last = dotted.split(".")
    node = cfg
    for p in path:
        if not isinstance(node.get(p), dict):
            raise ValueError(f"sweep key {dotted!r}: {p!r} is not a section of the training config")
        node = node[p]
    node[last] = value


def expand(sweep: SweepConfig) -> list[tuple[str, dict]]:
    """(run name, training config dict) for every grid point, in a fixed order."""
    from crs.recommenders.kg_model import KGRecConfig
    from crs.training.train_rec import load_rec_config

    keys = list(sweep.grid)
    runs = []
    for values in itertools.product(*(sweep.grid[k] for k in keys)):
        cfg = json.loads(json.dumps(load_rec_config(sweep.base)))
        for k, v in {**sweep.fixed, **dict(zip(keys, values))}.items():
            _set(cfg, k, v)
        name = "-".join(f"{k.split('.')[-1]}{v}" for k, v in zip(keys, values)) or "base"
        cfg["name"] = f"{sweep.name}-{name}"
        KGRecConfig.from_dict(cfg["model"])  # a bad model key fails before any training
        if cfg["target"] not in ("crslab", "kecrs"):
            raise ValueError(f"{name}: target must be crslab or kecrs")
        runs.append((name, cfg))
    return runs


def validation_scores(output: Path, limit: int | None, progress: bool) -> dict:
    """Validation metrics of a trained run: model alone in both protocols, fused in its own."""
    import torch

    from crs.data.movies import cached_catalog
    from crs.recommenders.fusion import FusionConfig
    from crs.recommenders.kg import GraphInputs
    from crs.recommenders.kg_model import KGRecModel
    from crs.training.train_rec import build_samples, context_text_embeddings, validate

    catalog = cached_catalog()
    model = KGRecModel.from_pretrained(output).to("cuda" if torch.cuda.is_available() else "cpu")
    graph = GraphInputs(catalog, model.config, next(model.parameters()).device)
    out = {}
    for target, protocol in (("crslab", "crslab"), ("kecrs", "new-items")):
        samples, prot = build_samples("valid", target, catalog, limit, progress)
        text = context_text_embeddings(samples, f"valid-{limit}", progress) if model.config.use_text else None
        m = validate(model, graph, samples, text, model.config, prot)
        out[f"{protocol}/model"] = {k: round(v, 4) for k, v in m.items() if k.startswith(("recall", "ndcg", "mrr"))}
    fusion = FusionConfig.from_pretrained(output)
    if fusion is not None:
        out["fused"] = fusion.valid.get("fused", {})
    return out


def _value(scores: dict, select: str, target: str) -> float:
    protocol, kind, metric = select.split("/")
    if kind == "fused":  # fused metrics exist in the run's own validation protocol only
        own = "crslab" if target == "crslab" else "new-items"
        return float(scores.get("fused", {}).get(metric, -1.0)) if protocol == own else -1.0
    return float(scores[f"{protocol}/model"][metric])


def run_sweep(path: str | Path, output: str | Path | None = None, limit: int | None = None,
              budget_s: float | None = None, max_steps: int | None = None, progress: bool = True) -> dict:
    """Train every grid point (or as many as the budget allows), select on validation, write
    `sweep.jsonl`, `results.md` and `best.yaml` into `output` (default $CRS_HOME/rec/<sweep name>)."""
    import yaml

    from crs.paths import cache_dir
    from crs.training.train_rec import train

    sweep = SweepConfig.from_yaml(path)
    limit = sweep.limit if limit is None else limit
    budget_s = sweep.budget_s if budget_s is None else budget_s
    root = Path(output) if output else cache_dir("rec") / sweep.name
    root.mkdir(parents=True, exist_ok=True)
    log = root / "sweep.jsonl"
    done = {r["run"]: r for r in map(json.loads, log.read_text().splitlines())} if log.exists() else {}
    t0, skipped = time.time(), []
    for name, cfg in expand(sweep):
        if name in done:
            continue
        if budget_s is not None and time.time() - t0 > budget_s:
            skipped.append(name)
            continue
        start = time.time()
        res = train(cfg, root / name, limit, max_steps, progress)
        if not (root / name / "config.json").exists():  # stopped before a validated epoch (max_steps)
            skipped.append(name)
            continue
        rec = {"run": name, "config": cfg, "epochs": len(res.get("history", [])),
               "best_epoch": max(res["history"], key=lambda h: h[f"valid_{cfg['train']['select_metric']}"])["epoch"],
               "valid": validation_scores(root / name, limit, progress), "seconds": round(time.time() - start, 1)}
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        done[name] = rec
        print(f"[sweep] {name}: {rec['valid']} ({rec['seconds']} s)", flush=True)
    records = list(done.values())
    if not records:
        return {"runs": [], "skipped": skipped}
    best = max(records, key=lambda r: _value(r["valid"], sweep.select, r["config"]["target"]))
    chosen = {**best["config"], "name": "kg-default"}
    (root / "best.yaml").write_text(f"# Chosen by {sweep.name} on validation ({sweep.select}); run {best['run']}.\n"
                                    + yaml.safe_dump(chosen, sort_keys=False))
    (root / "results.md").write_text(table(records, sweep.select, best["run"], skipped))
    (root / "best.json").write_text(json.dumps({"run": best["run"], "select": sweep.select, "skipped": skipped}))
    return {"runs": records, "best": best["run"], "skipped": skipped, "output": str(root), "sweep": asdict(sweep)}


def table(records: list[dict], select: str, best: str, skipped: list[str]) -> str:
    cols = ("crslab/model", "new-items/model", "fused")
    lines = [f"Validation only; selection: {select}; chosen: **{best}**.", "",
             "| run | target | epochs (best) | crslab model R@1/10/50 | new-items model R@1/10/50 | fused (own protocol) R@1/10/50 | s |",
             "|---|---|---|---|---|---|---|"]
    for r in records:
        cells = ["/".join(f"{r['valid'].get(c, {}).get(f'recall@{k}', float('nan')):.3f}" for k in (1, 10, 50))
                 for c in cols]
        lines.append(f"| {'**' + r['run'] + '**' if r['run'] == best else r['run']} | {r['config']['target']} | "
                     f"{r['epochs']} ({r['best_epoch']}) | " + " | ".join(cells) + f" | {r['seconds']} |")
    if skipped:
        lines += ["", f"Not run (budget): {', '.join(skipped)}"]
    return "\n".join(lines) + "\n"
