"""Choose the satisfaction estimator's variant on validation folds only (USS, 10-fold CV).

`python -m eval.sat_variants --domain ReDial [--grid configs/sat/grid.yaml] [--out DIR]`

The folds are `simulator.uss_data.cv_folds` (fold i tests on part i, validates on part i+1,
trains on the other eight), the same as `crs eval sat`. Every variant (context blocks and ridge
strength of the linear head in `simulator/sat_linear.py`) is fitted on each fold's training
part and scored on its validation part. Two selections, neither of which reads a test part:

* **nested** (the headline): for each fold separately, the variant with the best kappa on that
  fold's validation part; that fold's test part is scored once with it.
* **global**: the variant with the best kappa pooled over the ten validation parts (what
  `crs train sat` then trains). Each dialogue is a validation example of one fold and a test
  example of another, so this is reported beside the nested number, not instead of it.

Test predictions of the variants that are not selected are never printed or written.
Fits are cached per (fold, variant) in ``OUT/fits/``, so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from pathlib import Path

import numpy as np

from crs.metrics import cohen_kappa
from eval.sat_eval import sat_metrics
from simulator.sat_linear import LinearSatConfig, LinearSatModel
from simulator.uss_data import cv_folds, load_dataset

DEFAULT_GRID = {
    "blocks": [["sys", "pos"], ["sys", "user", "pos"], ["sys", "user", "ctx", "pos"],
               ["sys", "user", "sys2", "user2", "ctx", "pos"], ["mood", "pos"], ["sys", "mood", "pos"],
               ["sys", "user", "ctx", "mood", "pos"], ["sys", "user", "sys2", "user2", "ctx", "mood", "pos"]],
    "alpha": [3000.0, 10000.0, 30000.0, 100000.0],
}


def variants(grid: dict) -> list[dict]:
    """Every combination of the grid's values, as LinearSatConfig kwargs."""
    keys = sorted(grid)
    return [dict(zip(keys, vals)) for vals in itertools.product(*(grid[k] for k in keys))]


def variant_name(v: dict) -> str:
    def fmt(x):
        return f"{x:g}" if isinstance(x, (int, float)) else str(x)

    return "+".join(v["blocks"]) + "".join(f" {k}={fmt(v[k])}" for k in sorted(v) if k not in ("blocks", "emb_dim"))


def _cache_key(fold: int, v: dict, seed: int) -> str:
    # The default head ("mean") is left out, so fits cached before the field existed stay valid.
    kept = {k: x for k, x in v.items() if not (k == "head" and x == "mean")}
    return json.dumps({"fold": fold, **kept, "seed": seed}, sort_keys=True)


def _fit_fold(ds, fold, tr, va, te, v: dict, cache: Path, seed: int) -> dict:
    """Validation and test predictions of one variant on one fold (cached as JSON)."""
    key = _cache_key(fold, v, seed)
    path = cache / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    if path.exists():
        return json.loads(path.read_text())
    model = LinearSatModel.fit([ds.dialogues[i] for i in tr], LinearSatConfig(**v), seed=seed)
    rec = {"key": key}
    for part, idx in (("valid", va), ("test", te)):
        score, pred, y = model.predict([ds.dialogues[i] for i in idx])
        rec[part] = {"true": y.tolist(), "pred": pred.tolist(), "score": np.round(score, 4).tolist()}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rec))
    tmp.replace(path)
    return rec


def run(domain: str = "ReDial", grid: dict | None = None, out: str | Path = "runs/sat-variants",
        folds: int = 10, seed: int = 0, log=print) -> dict:
    """Fit every variant on every fold; return the validation table and both selections' test metrics."""
    out = Path(out)
    cache = out / "fits"
    cache.mkdir(parents=True, exist_ok=True)
    ds = load_dataset(domain, "majority", progress=True)
    vs = variants(grid or DEFAULT_GRID)
    splits = cv_folds(len(ds.dialogues), folds, seed=seed)
    recs: dict[int, list[dict]] = {}
    t0 = time.time()
    for f, (tr, va, te) in enumerate(splits):
        recs[f] = []
        for v in vs:
            recs[f].append(_fit_fold(ds, f, tr, va, te, v, cache, seed))
        log(f"fold {f + 1}/{folds}: {len(vs)} variants fitted ({time.time() - t0:.0f}s)")

    def pooled(part: str, pick) -> dict:
        """Metrics on the pooled predictions of one variant per fold (``pick(fold) -> index``)."""
        y = np.concatenate([recs[f][pick(f)][part]["true"] for f in recs])
        p = np.concatenate([recs[f][pick(f)][part]["pred"] for f in recs])
        return sat_metrics(y, p)

    table = []
    for j, v in enumerate(vs):
        m = pooled("valid", lambda f, j=j: j)
        table.append({"variant": variant_name(v), **v, "valid_kappa": m["kappa"], "valid_uar": m["uar"],
                      "valid_rho": m["rho"]})
    best_global = int(np.argmax([r["valid_kappa"] for r in table]))
    per_fold = {f: int(np.argmax([cohen_kappa(r["valid"]["true"], r["valid"]["pred"]) for r in recs[f]]))
                for f in recs}
    result = {
        "domain": domain, "folds": folds, "seed": seed, "n_variants": len(vs), "table": table,
        "global": {"variant": vs[best_global], "name": variant_name(vs[best_global]),
                   "test": pooled("test", lambda f: best_global)},
        "nested": {"per_fold": {f: variant_name(vs[j]) for f, j in per_fold.items()},
                   "test": pooled("test", lambda f: per_fold[f])},
    }
    (out / "results.json").write_text(json.dumps(result, indent=1, default=float))
    _write_md(out / "results.md", result)
    return result


def _write_md(path: Path, r: dict) -> None:
    rows = sorted(r["table"], key=lambda x: -x["valid_kappa"])
    lines = [f"# Satisfaction estimator variants, USS {r['domain']} ({r['folds']}-fold CV, seed {r['seed']})", "",
             "Validation parts only (each fold's model trained on its eight training parts):", "",
             "| variant | valid kappa | valid UAR | valid rho |", "|---|---|---|---|"]
    lines += [f"| {x['variant']} | {x['valid_kappa']:.3f} | {x['valid_uar']:.3f} | {x['valid_rho']:.3f} |" for x in rows]
    for sel in ("nested", "global"):
        m = r[sel]["test"]
        lines += ["", f"**{sel} selection, test folds**: UAR {m['uar']:.3f}, kappa {m['kappa']:.3f}, "
                      f"rho {m['rho']:.3f}, F1 dissat {m['f1_dissat']:.3f}"]
    lines += ["", f"global choice: {r['global']['name']}", "",
              "nested choices: " + "; ".join(f"fold {int(f) + 1}: {n}" for f, n in r["nested"]["per_fold"].items())]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.sat_variants", description=__doc__.split("\n\n")[0])
    ap.add_argument("--domain", default="ReDial")
    ap.add_argument("--grid", help="YAML with a list of values per LinearSatConfig field (blocks, alpha, ...)")
    ap.add_argument("--out", default="runs/sat-variants")
    ap.add_argument("--folds", type=int, default=10)
    args = ap.parse_args(argv)
    import torch
    import yaml

    torch.set_num_threads(1)
    grid = yaml.safe_load(Path(args.grid).read_text()) if args.grid else None
    run(args.domain, grid, args.out, args.folds)
    print(Path(args.out, "results.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
