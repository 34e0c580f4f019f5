"""Train the satisfaction estimator: one CV fold (for evaluation) or a final model (`crs train sat`).

`crs train sat --config configs/sat/default.yaml` trains on every dialogue of the configured
domains and saves the model with ``save_pretrained`` to ``$CRS_HOME/sat/<name>`` (the rollouts
load it from there). The HiGRU (configs/sat/higru-attn.yaml) picks its epoch on a held-out 10 %;
``kind: linear`` configs (the default, simulator/sat_linear.py) fit on every dialogue, their
hyper-parameters having been chosen on validation folds by eval/sat_variants.py.
"""

from __future__ import annotations

import argparse
import copy
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from crs.config_utils import StrictConfig
from simulator.sat_model import SatConfig, SatModel, pad_batch

SAT_KEYS = ("sat5", "sat3", "action")


@dataclass
class TrainConfig(StrictConfig):
    epochs: int = 10
    batch_size: int = 48
    lr: float = 2e-3
    weight_decay: float = 1e-4
    class_weights: bool = True  # inverse-frequency weights for the satisfaction classes (UAR counts every class)
    class_weight_power: float = 1.0  # weights ** power: 1 = inverse frequency, 0.5 = its square root (kinder to kappa)
    loss_sat5: float = 1.0
    loss_sat3: float = 0.5
    loss_action: float = 0.5
    loss_overall: float = 0.2
    seed: int = 0
    threads: int = 1  # torch CPU threads; the machine is shared


def _class_weights(dialogues, key: str, n: int, power: float = 1.0) -> torch.Tensor:
    y = np.concatenate([getattr(d, key) for d in dialogues])
    y = y[y >= 0]
    counts = np.bincount(y, minlength=n).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / (n * np.maximum(counts, 1)), 0.0)
    return torch.tensor(w ** power, dtype=torch.float32)


def _length_batches(dialogues, batch_size: int, rng) -> list[np.ndarray]:
    """Shuffled batches of dialogues of similar length (less padding for the GRU to step through)."""
    order = rng.permutation(len(dialogues))
    chunk = batch_size * 8  # sort within shuffled chunks: similar lengths, still random batches
    batches = []
    for i in range(0, len(order), chunk):
        part = sorted(order[i:i + chunk], key=lambda j: len(dialogues[j].roles))
        batches += [np.array(part[k:k + batch_size]) for k in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def predictions(model: SatModel, dialogues, batch_size: int = 64) -> dict[str, dict[str, np.ndarray]]:
    """Gold and predicted labels over all labelled positions: {head: {"true", "pred"}}."""
    model.eval()
    out = {k: {"true": [], "pred": []} for k in (*SAT_KEYS, "overall")}
    with torch.no_grad():
        for i in range(0, len(dialogues), batch_size):
            b = pad_batch(dialogues[i:i + batch_size])
            logits = model(b["emb"], b["roles"], b["lengths"])
            for k in SAT_KEYS:
                if k not in logits:
                    continue
                mask = b[k] >= 0
                out[k]["true"].append(b[k][mask].numpy())
                out[k]["pred"].append(logits[k].argmax(-1)[mask].numpy())
            mask = b["overall"] >= 0
            out["overall"]["true"].append(b["overall"][mask].numpy())
            out["overall"]["pred"].append(logits["overall"].argmax(-1)[mask].numpy())
    return {k: {kk: np.concatenate(vv) if vv else np.zeros(0, dtype=int) for kk, vv in v.items()}
            for k, v in out.items()}


def train_model(train, valid, model_cfg: SatConfig, cfg: TrainConfig, score_fn, on_epoch=None,
                log=print) -> tuple[SatModel, int, list[float]]:
    """Train on ``train``; after each epoch ``score_fn(model, valid)`` (higher is better) picks the
    epoch. ``on_epoch(epoch, model)`` runs after every epoch (e.g. to record per-epoch outputs).
    Returns the best model (by validation), its epoch and the validation scores."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    model = SatModel(model_cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    def weights(key: str, n: int):
        return _class_weights(train, key, n, cfg.class_weight_power) if cfg.class_weights else None

    losses = {
        "sat5": nn.CrossEntropyLoss(weight=weights("sat5", 5), ignore_index=-1),
        "sat3": nn.CrossEntropyLoss(weight=weights("sat3", 3), ignore_index=-1),
        "action": nn.CrossEntropyLoss(ignore_index=-1),
        "overall": nn.CrossEntropyLoss(ignore_index=-1),
    }
    weights = {"sat5": cfg.loss_sat5, "sat3": cfg.loss_sat3, "action": cfg.loss_action, "overall": cfg.loss_overall}
    best, best_epoch, best_state, scores = -np.inf, -1, None, []
    for epoch in range(cfg.epochs):
        model.train()
        total, t0 = 0.0, time.time()
        for idx in _length_batches(train, cfg.batch_size, rng):
            b = pad_batch([train[j] for j in idx])
            out = model(b["emb"], b["roles"], b["lengths"])
            loss = torch.zeros(())
            for k, w in weights.items():
                if k in out and w > 0 and (b[k] >= 0).any():
                    logits = out[k]
                    loss = loss + w * losses[k](logits.reshape(-1, logits.shape[-1]), b[k].reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.item()
        score = float(score_fn(model, valid))
        scores.append(score)
        if score > best:
            best, best_epoch, best_state = score, epoch, copy.deepcopy(model.state_dict())
        if on_epoch is not None:
            on_epoch(epoch, model)
        if log:
            log(f"  epoch {epoch + 1}/{cfg.epochs} loss {total:.2f} valid {score:.4f} ({time.time() - t0:.1f}s)")
    model.load_state_dict(best_state)
    return model.eval(), best_epoch, scores


def selection_score(model: SatModel, valid) -> float:
    """Validation score that picks the epoch: UAR + Cohen's kappa of the 5-class head, or action
    accuracy when the data has no satisfaction labels (ReDial-action)."""
    from crs.metrics import accuracy, cohen_kappa, uar

    p = predictions(model, valid)
    if p["sat5"]["true"].size:
        return uar(p["sat5"]["true"], p["sat5"]["pred"]) + cohen_kappa(p["sat5"]["true"], p["sat5"]["pred"])
    return accuracy(p["action"]["true"], p["action"]["pred"])


# --------------------------------------------------------------------------- `crs train sat`


def load_sat_config(path: str | Path) -> dict:
    """Read a configs/sat/*.yaml file into {name, domains, aggregation, model: SatConfig kwargs, train: TrainConfig}."""
    from crs.config_utils import load_yaml

    cfg = load_yaml(path)  # `base: other.yaml` inherits, key by key
    unknown = sorted(set(cfg) - {"name", "domains", "aggregation", "model", "train"})
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}")
    return {"name": cfg.get("name", "default"), "domains": list(cfg.get("domains", ["ReDial"])),
            "aggregation": cfg.get("aggregation", "majority"), "model": dict(cfg.get("model") or {}),
            "train": TrainConfig.from_dict(dict(cfg.get("train") or {}))}


def default_model_dir(name: str = "default") -> Path:
    from crs.paths import cache_dir

    return cache_dir("sat") / name


def train_final(config_path: str | Path, out: str | Path | None = None, limit: int | None = None) -> Path:
    """Train on all dialogues of the configured domains (10 % held out to pick the epoch) and save."""
    from simulator.uss_data import load_dataset

    cfg = load_sat_config(config_path)
    dialogues = []
    for domain in cfg["domains"]:
        ds = load_dataset(domain, cfg["aggregation"], limit=limit, progress=True)
        dialogues += ds.dialogues
    rng = np.random.default_rng(cfg["train"].seed)
    order = rng.permutation(len(dialogues))
    n_val = max(1, len(dialogues) // 10)
    valid = [dialogues[i] for i in order[:n_val]]
    train = [dialogues[i] for i in order[n_val:]]
    if cfg["model"].get("kind") == "linear":
        return _train_final_linear(cfg, dialogues, out)
    model_cfg = SatConfig.from_dict(cfg["model"])
    model, epoch, scores = train_model(train, valid, model_cfg, cfg["train"], selection_score)
    path = Path(out) if out else default_model_dir(cfg["name"])
    model.save_pretrained(path, extra={"domains": cfg["domains"], "aggregation": cfg["aggregation"],
                                       "train": asdict(cfg["train"]), "best_epoch": epoch + 1,
                                       "valid_uar_plus_kappa": scores[epoch], "n_train": len(train),
                                       "n_valid": len(valid)})
    print(f"saved {path} (epoch {epoch + 1}, validation UAR+kappa {scores[epoch]:.4f})")
    return path


def _train_final_linear(cfg: dict, dialogues, out) -> Path:
    """The linear head needs no epoch choice (its hyper-parameters were chosen by
    eval/sat_variants.py on validation folds): fit on every dialogue and save."""
    from simulator.sat_linear import LinearSatConfig, LinearSatModel

    t0 = time.time()
    model = LinearSatModel.fit(dialogues, LinearSatConfig.from_dict(cfg["model"]), seed=cfg["train"].seed)
    path = Path(out) if out else default_model_dir(cfg["name"])
    n_turns = int(sum((d.sat5 >= 0).sum() for d in dialogues))
    model.save_pretrained(path, extra={"domains": cfg["domains"], "aggregation": cfg["aggregation"],
                                       "seed": cfg["train"].seed, "n_dialogues": len(dialogues),
                                       "n_rated_turns": n_turns})
    print(f"saved {path} (ridge head on {n_turns} rated turns of {len(dialogues)} dialogues, "
          f"{time.time() - t0:.0f}s)")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="crs train sat", description="Train the USS satisfaction estimator and save it.")
    ap.add_argument("--config", default="configs/sat/default.yaml", help="YAML config (configs/sat/*.yaml)")
    ap.add_argument("--out", help="model folder (default $CRS_HOME/sat/<name>)")
    ap.add_argument("--limit", type=int, help="only the first N dialogues per domain (smoke runs)")
    args = ap.parse_args(argv)
    train_final(args.config, args.out, args.limit)
    return 0
