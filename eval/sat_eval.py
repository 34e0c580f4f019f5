"""`crs eval sat --domain D --protocol {sun,clean}`: 10-fold CV of the satisfaction estimator.

Both protocols split by dialogue (10 folds; fold i tests on part i, validates on part i+1,
trains on the rest) and predict a user turn's satisfaction from the dialogue *before* that
turn, as Sun et al. (SIGIR 2021) did. They differ in how the epoch is chosen:

* ``sun``: reproduces the published selection for a like-for-like comparison: for every
  metric separately, its best epoch on the *test* folds (optimistic; it is how the published
  numbers were obtained). The validation-selected numbers of the same runs are reported too.
* ``clean``: one epoch per fold, chosen on the validation fold only (UAR + kappa); the test
  fold is scored once.

Metrics (crs/metrics.py): UAR, Cohen's kappa, Spearman's rho (scipy, tie-aware; a constant
prediction gets 0, not .75), dissatisfaction F1 (ratings < 3 as the positive class, the full
denominator), macro-F1 and accuracy on 5 classes; UAR / kappa / macro-F1 on 3 classes;
user-action accuracy where the domain has actions. All computed on the pooled test predictions
of the 10 folds (every dialogue is tested exactly once, so all five classes are present and a
constant prediction gets UAR .200, as in Sun et al.'s table); the means of per-fold metrics
are in fold_mean.json. Baselines per fold: the training fold's majority class, and the
constant rating 3.
"""

from __future__ import annotations

import time

import numpy as np

from crs.metrics import accuracy, cohen_kappa, dissatisfaction_f1, macro_f1, spearman, uar
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


def baseline_predictions(train, test_pred: dict) -> dict[str, dict]:
    """Predictions of the training fold's majority class and of the constant rating 3 on the test labels."""
    def majority(k):
        y = np.concatenate([getattr(d, k) for d in train])
        y = y[y >= 0]
        return int(np.bincount(y).argmax()) if y.size else 0

    consts = {"majority": (majority("sat5"), majority("sat3")), "constant 3": (2, 1)}
    out = {}
    for name, (c5, c3) in consts.items():
        p = {k: {"true": v["true"], "pred": np.full_like(v["true"], c)} for k, v, c in
             (("sat5", test_pred["sat5"], c5), ("sat3", test_pred["sat3"], c3), ("overall", test_pred["overall"], majority_overall(train)))}
        p["action"] = {"true": test_pred["action"]["true"], "pred": np.full_like(test_pred["action"]["true"], majority("action"))}
        out[name] = p
    if not test_pred["sat5"]["true"].size:  # ReDial-action: only the action baseline means anything
        out = {"majority": out["majority"]}
    return out


def majority_overall(train) -> int:
    y = np.array([d.overall5 for d in train])
    y = y[y >= 0]
    return int(np.bincount(y).argmax()) if y.size else 0


def _lists(p: dict) -> dict:
    return {k: v["pred"].tolist() for k, v in p.items()}


def _arrays(true: dict, pred: dict) -> dict:
    return {k: {"true": np.asarray(true[k], dtype=int), "pred": np.asarray(pred[k], dtype=int)} for k in true}


def _pool(parts: list[dict]) -> dict:
    return {k: {kk: np.concatenate([p[k][kk] for p in parts]) for kk in ("true", "pred")} for k in parts[0]}


def _mean(rows: list[dict]) -> dict[str, float]:
    keys = [k for k in rows[0] if all(k in r for r in rows)]
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def _cv_runs(ds, model_kwargs: dict, train_cfg: TrainConfig, folds: int, log=print) -> list[dict]:
    """Train every fold once; keep the test labels, the validation-selected model's test predictions,
    every epoch's test predictions (only the sun protocol reads those) and the baselines' predictions.
    Cached in $CRS_HOME/sat/cv keyed by all inputs."""
    import hashlib
    import json
    from dataclasses import asdict

    from crs.paths import cache_dir

    cfg = SatConfig(n_actions=len(ds.actions), actions=tuple(ds.actions), **model_kwargs)
    train_key = asdict(train_cfg)
    if train_key.get("class_weight_power") == 1.0:  # added later; the default keeps cache keys stable
        train_key.pop("class_weight_power")
    key = json.dumps({"domain": ds.domain, "n": len(ds.dialogues), "agg": ds.aggregation, "model": cfg.to_dict(),
                      "train": train_key, "folds": folds, "v": 2}, sort_keys=True)
    path = cache_dir("sat", "cv") / f"{ds.domain}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    if path.exists():
        return json.loads(path.read_text())["folds"]
    runs = []
    for f, (tr, va, te) in enumerate(cv_folds(len(ds.dialogues), folds, seed=train_cfg.seed)):
        train, valid, test = ([ds.dialogues[i] for i in idx] for idx in (tr, va, te))
        t0 = time.time()
        per_epoch: list[dict] = []

        def record(e, m, per_epoch=per_epoch, test=test):  # this fold's lists, bound now
            per_epoch.append(_lists(predictions(m, test)))

        model, best, _ = train_model(train, valid, cfg, train_cfg, selection_score, on_epoch=record, log=None)
        p = predictions(model, test)
        runs.append({"best_epoch": best + 1, "true": {k: v["true"].tolist() for k, v in p.items()},
                     "selected": _lists(p), "per_epoch": per_epoch,
                     "baselines": {n: _lists(bp) for n, bp in baseline_predictions(train, p).items()}})
        if log:
            log(f"fold {f + 1}/{folds}: epoch {best + 1} (chosen on validation), "
                + ", ".join(f"{k} {v:.3f}" for k, v in fold_metrics(p).items()) + f" ({time.time() - t0:.0f}s)")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": json.loads(key), "folds": runs}))
    tmp.replace(path)
    return runs


def _linear_cv_runs(ds, model_kwargs: dict, train_cfg: TrainConfig, folds: int, log=print) -> list[dict]:
    """The linear head (simulator/sat_linear.py) with the config's fixed hyper-parameters: fit on
    each fold's training part, score its test part once. It has no epochs, so both protocols give
    the same numbers; its hyper-parameters are chosen on validation folds by eval/sat_variants.py."""
    from simulator.sat_linear import LinearSatConfig, LinearSatModel

    cfg = LinearSatConfig.from_dict(model_kwargs)
    if cfg.reads_user_turn:
        raise ValueError("both protocols predict from the context before the user turn; "
                         "the 'current' block reads the rated turn itself")
    runs = []
    for f, (tr, _va, te) in enumerate(cv_folds(len(ds.dialogues), folds, seed=train_cfg.seed)):
        t0 = time.time()
        model = LinearSatModel.fit([ds.dialogues[i] for i in tr], cfg, seed=train_cfg.seed)
        test = [ds.dialogues[i] for i in te]
        _score, pred5, y = model.predict(test)
        p = {"sat5": {"true": y, "pred": pred5}, "sat3": {"true": _to3(y), "pred": _to3(pred5)},
             "action": {"true": np.zeros(0, int), "pred": np.zeros(0, int)},
             "overall": {"true": np.zeros(0, int), "pred": np.zeros(0, int)}}
        train = [ds.dialogues[i] for i in tr]
        runs.append({"best_epoch": 1, "true": {k: v["true"].tolist() for k, v in p.items()},
                     "selected": _lists(p), "per_epoch": [_lists(p)],
                     "baselines": {n: _lists(bp) for n, bp in baseline_predictions(train, p).items()}})
        if log:
            log(f"fold {f + 1}/{folds}: " + ", ".join(f"{k} {v:.3f}" for k, v in fold_metrics(p).items())
                + f" ({time.time() - t0:.0f}s)")
    return runs


SELECTED = "model (epoch chosen on the validation fold)"
LINEAR = "model (context + ridge; hyper-parameters chosen on validation folds, eval/sat_variants.py)"
SUN_SELECTED = "model (each metric at its best epoch on the test folds, as Sun et al.)"


def cross_validate(domain: str, protocol: str, model_kwargs: dict | None = None, train_cfg: TrainConfig | None = None,
                   folds: int = 10, aggregation: str = "majority", limit: int | None = None, log=print) -> dict:
    """Run (or read cached) CV. Returns {"rows": {system: metrics on the pooled test predictions of all
    folds}, "fold_mean_rows": {system: mean of per-fold metrics}, "epochs", ...}.

    Pooled metrics score every dialogue once (each is in exactly one test fold), so all five rating
    classes are present and a constant prediction gets UAR .200, as in Sun et al.'s table.
    ``clean`` rows: the validation-selected model and the baselines. ``sun`` adds, first, the
    published selection, from the same runs: for each metric, the epoch whose pooled test
    predictions score best on it."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    ds = load_dataset(domain, aggregation, limit=limit, progress=True)
    train_cfg = train_cfg or TrainConfig()
    if (model_kwargs or {}).get("kind") == "linear":
        runs = _linear_cv_runs(ds, model_kwargs, train_cfg, folds, log)
    else:
        kwargs = {"predict_before_user_turn": True, **(model_kwargs or {})}
        if not kwargs["predict_before_user_turn"]:
            raise ValueError("both protocols predict from the context before the user turn")
        runs = _cv_runs(ds, kwargs, train_cfg, folds, log)
    systems: dict[str, list[dict]] = {}
    if protocol == "sun":
        n_epochs = min(len(r["per_epoch"]) for r in runs)
        per_epoch = [fold_metrics(_pool([_arrays(r["true"], r["per_epoch"][e]) for r in runs])) for e in range(n_epochs)]
        sun_row = {k: max(m[k] for m in per_epoch) for k in per_epoch[0]}
        sun_fold_mean = _mean([{k: max(m[k] for m in ms) for k in ms[0]} for ms in
                               ([fold_metrics(_arrays(r["true"], ep)) for ep in r["per_epoch"]] for r in runs)])
    linear = (model_kwargs or {}).get("kind") == "linear"
    systems[LINEAR if linear else SELECTED] = [_arrays(r["true"], r["selected"]) for r in runs]
    for name in runs[0]["baselines"]:
        systems[name] = [_arrays(r["true"], r["baselines"][name]) for r in runs]
    rows = {name: fold_metrics(_pool(parts)) for name, parts in systems.items()}
    fold_mean = {name: _mean([fold_metrics(p) for p in parts]) for name, parts in systems.items()}
    if protocol == "sun":
        rows = {SUN_SELECTED: sun_row, **rows}
        fold_mean = {SUN_SELECTED: sun_fold_mean, **fold_mean}
    return {"rows": rows, "fold_mean_rows": fold_mean, "epochs": [r["best_epoch"] for r in runs],
            "n_dialogues": len(ds.dialogues), "n_user_turns": int(sum((d.sat5 >= 0).sum() for d in ds.dialogues)),
            "n_action_turns": int(sum((d.action >= 0).sum() for d in ds.dialogues)), "actions": ds.actions}


def evaluate_sat(domain: str, protocol: str, out: str | None = None, config: str | None = None,
                 folds: int = 10, limit: int | None = None) -> dict:
    """Cross-validate, then write results.json / results.md (with the published numbers beside)."""
    from dataclasses import asdict

    from eval.report import write_results
    from eval.rundir import make_run_dir, run_metadata
    from simulator.sat_train import load_sat_config

    if domain not in (*DOMAINS, ACTION_DOMAIN):
        raise ValueError(f"domain must be one of {DOMAINS + (ACTION_DOMAIN,)}, got {domain!r}")
    cfg = load_sat_config(config or "configs/sat/default.yaml")
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
    (run_dir / "fold_mean.json").write_text(__import__("json").dumps(res["fold_mean_rows"], indent=1))
    return {"run_dir": str(run_dir), **metrics, "rows": res["rows"]}
