"""`crs eval sat --domain D --protocol {sun,clean}`: 10-fold CV of the satisfaction estimator.

Both protocols split by dialogue (10 folds; fold i tests on part i, validates on part i+1,
trains on the rest) and predict a user turn's satisfaction from the dialogue *before* that
turn, as Sun et al. (SIGIR 2021) did. They differ in how the epoch is chosen:

* ``sun``: reproduces the published selection for a like-for-like comparison: for every
  metric separately, its best epoch on the *test* fold (optimistic; it is how the published
  numbers were obtained). The validation-selected numbers of the same runs are reported too.
* ``clean``: one epoch per fold, chosen on the validation fold only (UAR + kappa); the test
  fold is scored once.

Metrics (eval/metrics.py): UAR, Cohen's kappa, Spearman's rho (scipy, tie-aware; a constant
prediction gets 0, not .75), dissatisfaction F1 (ratings < 3 as the positive class, the full
denominator), macro-F1 and accuracy on 5 classes; UAR / kappa / macro-F1 on 3 classes;
user-action accuracy where the domain has actions. Means over the 10 folds. Baselines per
fold: the training fold's majority class, and the constant rating 3.
"""

from __future__ import annotations

import time

import numpy as np

from eval.metrics import accuracy, cohen_kappa, dissatisfaction_f1, macro_f1, spearman, uar
from simulator.sat_model import SatConfig
from simulator.sat_train import TrainConfig, predictions, selection_score, train_model
from simulator.uss_data import ACTION_DOMAIN, DOMAINS, cv_folds, load_dataset

PROTOCOLS = ("sun", "clean")

# Sun et al. (SIGIR 2021), Table 3: UAR / kappa / rho / F1 (see shared/docs/ANCHORS.md).
PUBLISHED = {
    "ReDial": {"HiGRU+ATTN": (.261, .097, .441, .118), "HiGRU": (.257, .084, .324, .083), "BERT": (.257, .122, .390, .125)},
    "SGD": {"HiGRU+ATTN": (.262, .082, .475, .058), "HiGRU": (.293, .118, .451, .086), "BERT": (.261, .094, .477, .048)},
    "MWOZ": {"HiGRU+ATTN": (.224, .142, .842, .197), "HiGRU": (.225, .143, .886, .238), "BERT": (.256, .133, .823, .224)},
    "CCPE": {"HiGRU+ATTN": (.223, .109, .869, .214), "HiGRU": (.237, .167, .881, .274), "BERT": (.232, .147, .891, .245)},
}
PUBLISHED_ACTION = {"ReDial": (.622, .614), "SGD": (.643, .661), "MWOZ": (.518, .519), "CCPE": (.672, .674)}  # HiGRU, BERT

SAT_METRICS = ("uar", "kappa", "rho", "f1_dissat", "macro_f1", "accuracy")


def sat_metrics(true5: np.ndarray, pred5: np.ndarray) -> dict[str, float]:
    """5-class metrics on labels 0..4 (rating - 1), plus 3-class ones derived from the same predictions."""
    if true5.size == 0:
        return {}
    t3, p3 = _to3(true5), _to3(pred5)
    return {
        "uar": uar(true5, pred5), "kappa": cohen_kappa(true5, pred5), "rho": spearman(true5, pred5).rho,
        "f1_dissat": dissatisfaction_f1(true5 + 1, pred5 + 1), "macro_f1": macro_f1(true5, pred5, labels=range(5)),
        "accuracy": accuracy(true5, pred5),
        "uar3": uar(t3, p3), "kappa3": cohen_kappa(t3, p3), "macro_f1_3": macro_f1(t3, p3, labels=range(3)),
    }


def _to3(y5: np.ndarray) -> np.ndarray:
    return np.where(y5 < 2, 0, np.where(y5 == 2, 1, 2))


def fold_metrics(p: dict) -> dict[str, float]:
    """All metrics for one set of predictions (from simulator.sat_train.predictions)."""
    m = sat_metrics(p["sat5"]["true"], p["sat5"]["pred"])
    if p["action"]["true"].size:
        m["action_acc"] = accuracy(p["action"]["true"], p["action"]["pred"])
    if p["overall"]["true"].size:
        m["overall_uar"] = uar(p["overall"]["true"], p["overall"]["pred"])
    return m


def baseline_metrics(train, test) -> dict[str, dict[str, float]]:
    """Majority class of the training fold and the constant rating 3, scored on the test fold."""
    def labels(ds, k):
        y = np.concatenate([getattr(d, k) for d in ds])
        return y[y >= 0]

    out = {}
    y5, ya = labels(train, "sat5"), labels(train, "action")
    t5, ta = labels(test, "sat5"), labels(test, "action")
    consts = {}
    if y5.size:
        consts = {"majority": int(np.bincount(y5).argmax()), "constant 3": 2}
    for name, c in consts.items():
        m = sat_metrics(t5, np.full_like(t5, c))
        if ta.size and ya.size:
            m["action_acc"] = accuracy(ta, np.full_like(ta, np.bincount(ya).argmax()))
        out[name] = m
    if not y5.size and ya.size:
        out["majority"] = {"action_acc": accuracy(ta, np.full_like(ta, np.bincount(ya).argmax()))}
    return out


def _mean(rows: list[dict]) -> dict[str, float]:
    keys = [k for k in rows[0] if all(k in r for r in rows)]
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def _cv_runs(ds, model_kwargs: dict, train_cfg: TrainConfig, folds: int, log=print) -> list[dict]:
    """Train every fold once; keep the validation-selected test metrics *and* each epoch's test
    metrics (only the sun protocol reads the latter). Cached in $CRS_HOME/sat/cv keyed by all inputs."""
    import hashlib
    import json
    from dataclasses import asdict

    from crs.paths import cache_dir

    cfg = SatConfig(n_actions=len(ds.actions), actions=tuple(ds.actions), **model_kwargs)
    train_key = asdict(train_cfg)
    if train_key.get("class_weight_power") == 1.0:  # added later; the default keeps earlier cache keys valid
        train_key.pop("class_weight_power")
    key = json.dumps({"domain": ds.domain, "n": len(ds.dialogues), "agg": ds.aggregation, "model": cfg.to_dict(),
                      "train": train_key, "folds": folds, "v": 1}, sort_keys=True)
    path = cache_dir("sat", "cv") / f"{ds.domain}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    if path.exists():
        return json.loads(path.read_text())["folds"]
    runs = []
    for f, (tr, va, te) in enumerate(cv_folds(len(ds.dialogues), folds, seed=train_cfg.seed)):
        train, valid, test = ([ds.dialogues[i] for i in idx] for idx in (tr, va, te))
        t0 = time.time()
        per_epoch: list[dict] = []
        record = lambda e, m: per_epoch.append(fold_metrics(predictions(m, test)))  # noqa: E731
        model, best, _ = train_model(train, valid, cfg, train_cfg, selection_score, on_epoch=record, log=None)
        selected = fold_metrics(predictions(model, test))
        runs.append({"best_epoch": best + 1, "selected": selected, "per_epoch_test": per_epoch,
                     "baselines": baseline_metrics(train, test)})
        if log:
            log(f"fold {f + 1}/{folds}: epoch {best + 1} (chosen on validation), "
                + ", ".join(f"{k} {v:.3f}" for k, v in selected.items()) + f" ({time.time() - t0:.0f}s)")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": json.loads(key), "folds": runs}))
    tmp.replace(path)
    return runs


SELECTED = "model (epoch chosen on the validation fold)"
SUN_SELECTED = "model (each metric at its best epoch on the test fold, as Sun et al.)"


def cross_validate(domain: str, protocol: str, model_kwargs: dict | None = None, train_cfg: TrainConfig | None = None,
                   folds: int = 10, aggregation: str = "majority", limit: int | None = None, log=print) -> dict:
    """Run (or read cached) CV; returns {"rows": {system: mean metrics over folds}, "per_fold", "epochs", ...}.

    ``clean`` rows: the validation-selected model and the baselines. ``sun`` adds, first, the
    published selection (per-metric best epoch on the test fold) computed from the same runs."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    ds = load_dataset(domain, aggregation, limit=limit, progress=True)
    train_cfg = train_cfg or TrainConfig()
    kwargs = {"predict_before_user_turn": True, **(model_kwargs or {})}
    if not kwargs["predict_before_user_turn"]:
        raise ValueError("both protocols predict from the context before the user turn")
    runs = _cv_runs(ds, kwargs, train_cfg, folds, log)
    per_fold = []
    for run in runs:
        row = {}
        if protocol == "sun":
            row[SUN_SELECTED] = {k: max(e[k] for e in run["per_epoch_test"]) for k in run["per_epoch_test"][0]}
        row[SELECTED] = run["selected"]
        row.update(run["baselines"])
        per_fold.append(row)
    rows = {s: _mean([r[s] for r in per_fold]) for s in per_fold[0]}
    return {"rows": rows, "per_fold": per_fold, "epochs": [r["best_epoch"] for r in runs], "n_dialogues": len(ds.dialogues),
            "n_user_turns": int(sum((d.sat5 >= 0).sum() for d in ds.dialogues)),
            "n_action_turns": int(sum((d.action >= 0).sum() for d in ds.dialogues)), "actions": ds.actions}


def evaluate_sat(domain: str, protocol: str, out: str | None = None, config: str | None = None,
                 folds: int = 10, limit: int | None = None) -> dict:
    """Cross-validate, then write results.json / results.md (with the published numbers beside)."""
    from dataclasses import asdict

    from eval.report import write_results
    from eval.rundir import make_run_dir, run_metadata
    from simulator.sat_train import load_config

    if domain not in (*DOMAINS, ACTION_DOMAIN):
        raise ValueError(f"domain must be one of {DOMAINS + (ACTION_DOMAIN,)}, got {domain!r}")
    cfg = load_config(config or "configs/sat/default.yaml")
    run_dir = make_run_dir(out, name=f"sat-{domain}-{protocol}")
    t0 = time.time()
    res = cross_validate(domain, protocol, cfg["model"], cfg["train"], folds, cfg["aggregation"], limit)
    table = [{"system": name, **{k: v for k, v in m.items()}} for name, m in res["rows"].items()]
    for model, (u, k, r, f1) in PUBLISHED.get(domain, {}).items():
        table.append({"system": f"{model} (Sun et al. 2021, as published)", "uar": u, "kappa": k, "rho": r, "f1_dissat": f1})
    if domain in PUBLISHED_ACTION:
        table.append({"system": "HiGRU / BERT action accuracy (Sun et al. 2021)",
                      "action_acc": PUBLISHED_ACTION[domain][0]})
    elif domain == ACTION_DOMAIN:
        table.append({"system": "HiGRU action accuracy on ReDial (Sun et al. 2021)", "action_acc": .622})
    metrics = {"domain": domain, "protocol": protocol, "folds": folds, "n_dialogues": res["n_dialogues"],
               "n_user_turns": res["n_user_turns"], "n_action_turns": res["n_action_turns"],
               "selected_epochs": res["epochs"], "seconds": round(time.time() - t0, 1)}
    meta = run_metadata(cfg["train"].seed, {"domain": domain, "protocol": protocol, "aggregation": cfg["aggregation"],
                                            "model": cfg["model"], "train": asdict(cfg["train"]), "limit": limit})
    meta["protocol_note"] = (__doc__ or "").split("Metrics")[0].strip().replace("\n", " ")
    write_results(run_dir, metrics, meta, f"USS satisfaction: {domain}, protocol {protocol}", table, digits=3)
    (run_dir / "per_fold.json").write_text(__import__("json").dumps(res["per_fold"], indent=1))
    return {"run_dir": str(run_dir), **metrics, "rows": res["rows"]}
