"""Train the KG recommender: `crs train rec --config configs/rec/default.yaml`
(or `accelerate launch -m crs.training.train_rec --config ...` on several GPUs).

Resumable: a checkpoint is written every `checkpoint_every` steps and at each epoch end; rerunning
the same command continues from it. Early stopping on the validation split (never the test split).
Then the score fusion (copy + co-mention, crs/recommenders/fusion.py) is fitted on validation and saved as
fusion.json; rerunning a finished config only refits it. `fusion: false` in the YAML skips it.
The best model is kept in a hidden staging sibling (`.<name>.partial`) while training runs and is
published to the output folder in one rename only when complete (crs/pretrained.py), so an app
started meanwhile never loads a half-trained model.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from crs.config_utils import load_yaml
from crs.paths import cache_dir
from crs.pretrained import staging_path, swap_in
from crs.recommenders.kg import GraphInputs, make_batch
from crs.recommenders.kg_model import KGRecConfig, KGRecModel
from crs.training.checkpoint import load_checkpoint, save_checkpoint, seed_everything

TRAIN_DEFAULTS = {"epochs": 30, "batch_size": 128, "lr": 1e-3, "weight_decay": 0.0, "patience": 4,
                  "select_metric": "recall@50", "checkpoint_every": 20, "mixed_precision": "no"}


def load_rec_config(path: str | Path) -> dict:
    """Read a YAML config and fill defaults; unknown train keys are an error, not silently ignored."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"config not found: {path}")
    cfg = load_yaml(path)
    train = {**TRAIN_DEFAULTS, **(cfg.get("train") or {})}
    unknown = set(train) - set(TRAIN_DEFAULTS)
    if unknown:
        raise ValueError(f"{path}: unknown train settings {sorted(unknown)}")
    if cfg.get("target", "crslab") not in ("crslab", "kecrs"):
        raise ValueError(f"{path}: target must be crslab or kecrs")
    return {"name": cfg.get("name", path.stem), "target": cfg.get("target", "crslab"), "seed": int(cfg.get("seed", 42)),
            "model": cfg.get("model") or {}, "train": train, "fusion": bool(cfg.get("fusion", True))}


def build_samples(split: str, target: str, catalog, limit: int | None = None, progress: bool = True):
    """(contexts, targets) with one row per target movie; validation uses the matching protocol."""
    from crs.data.redial import load_redial
    from crs.recommenders.kg_features import link_turns
    from crs.recommenders.samples import rec_samples

    dialogues = load_redial(split)[:limit] if limit else load_redial(split)
    links = link_turns(dialogues, f"redial-{split}", progress)
    if split == "train":
        protocol = "crslab" if target == "crslab" else "kecrs-train"
    else:
        protocol = "crslab" if target == "crslab" else "new-items"
    samples = rec_samples(dialogues, catalog, protocol, links)
    return samples, protocol


def context_text_embeddings(samples, name: str, progress: bool) -> np.ndarray:
    from crs.embeddings import cached_embeddings
    from crs.recommenders.kg import MAX_TEXT_CHARS

    return cached_embeddings(f"ctx-{name}", [s.context.text[-MAX_TEXT_CHARS:] or " " for s in samples], progress)


@torch.no_grad()
def model_scores(model, graph, samples, text, config, batch_size: int = 256) -> np.ndarray:
    """Scores [n_samples, n_items] of the model alone (eval mode), in sample order."""
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(samples), batch_size):
        chunk = samples[start:start + batch_size]
        emb = text[start:start + batch_size] if text is not None else None
        out.append(model(make_batch([s.context for s in chunk], config, graph, emb), graph.as_dict()).float().cpu().numpy())
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, config.n_items), dtype=np.float32)


def validate(model, graph, samples, text, config, protocol: str) -> dict:
    from crs.recommenders.samples import ranking_metrics

    return ranking_metrics(model_scores(model, graph, samples, text, config), samples, protocol)


def fit_and_save_fusion(output: Path, graph, samples, text, protocol: str, catalog, progress: bool):
    """Fit the score fusion (crs/recommenders/fusion.py) of the best model saved in `output` on validation."""
    from crs.training.fit_fusion import fit_fusion

    model = KGRecModel.from_pretrained(output).to(graph.device)
    fusion = fit_fusion(model_scores(model, graph, samples, text, model.config), samples, protocol, catalog, progress)
    fusion.save_pretrained(output)
    print(f"fusion fitted on valid: copy {fusion.copy_weight} (decay {fusion.copy_decay}), co-mention "
          f"{fusion.cooc_weight}; valid {fusion.valid['model']} -> {fusion.valid['fused']}")
    return fusion


def train(cfg: dict, output: Path, limit: int | None = None, max_steps: int | None = None, progress: bool = True) -> dict:
    """Train with early stopping; returns the best validation metrics. The best model is saved to `output`."""
    from accelerate import Accelerator

    from crs.data.movies import cached_catalog
    from crs.data.tmdkg import cached_tmdkg

    tc = cfg["train"]
    acc = Accelerator(mixed_precision=tc["mixed_precision"])
    seed_everything(cfg["seed"])
    catalog = cached_catalog()
    kg = cached_tmdkg()
    mcfg = KGRecConfig.from_dict({**cfg["model"], "n_entities": kg.n_entities, "n_relations": len(kg.relations),
                                  "n_items": len(catalog)})
    train_s, _ = build_samples("train", cfg["target"], catalog, limit, progress and acc.is_main_process)
    valid_s, vprot = build_samples("valid", cfg["target"], catalog, limit, progress and acc.is_main_process)
    rows = [(i, t) for i, s in enumerate(train_s) for t in s.targets]
    train_text = context_text_embeddings(train_s, f"train-{limit}", progress) if mcfg.use_text else None
    valid_text = context_text_embeddings(valid_s, f"valid-{limit}", progress) if mcfg.use_text else None
    graph = GraphInputs(catalog, mcfg, acc.device)
    model = KGRecModel(mcfg).to(acc.device)
    opt = torch.optim.AdamW(model.parameters(), lr=tc["lr"], weight_decay=tc["weight_decay"])
    ckpt_dir = output.with_name(output.name + ".checkpoint")
    progress_state = load_checkpoint(ckpt_dir, model, opt) or {"epoch": 0, "step": 0, "global_step": 0,
                                                              "best": -1.0, "bad_epochs": 0, "history": []}
    acc.print(f"training {cfg['name']} on {acc.num_processes} process(es), device {acc.device}: "
              f"{len(rows)} training rows, {len(valid_s)} validation turns")
    if progress_state["global_step"]:
        acc.print(f"resuming from {ckpt_dir}: epoch {progress_state['epoch']}, step {progress_state['step']}")
    stage = prepare_staging(output, resuming=bool(progress_state["global_step"]), main=acc.is_main_process)
    model, opt = acc.prepare(model, opt)
    raw = acc.unwrap_model(model)
    n_batches = math.ceil(len(rows) / tc["batch_size"])
    p = progress_state
    t0, run_losses = time.time(), []  # run_losses: every step of this invocation (tests, logs)
    for epoch in range(p["epoch"], tc["epochs"]):
        if p["bad_epochs"] >= tc["patience"]:
            break
        # The permutation depends only on (seed, epoch): a resumed run sees the same batches.
        perm = np.random.default_rng(cfg["seed"] + epoch).permutation(len(rows))
        batches = [perm[b * tc["batch_size"]:(b + 1) * tc["batch_size"]] for b in range(n_batches)]
        # Every process must run the same number of steps (DDP all-reduces each one): drop the remainder.
        batches = batches[:len(batches) - len(batches) % acc.num_processes][acc.process_index::acc.num_processes]
        bar = tqdm(total=len(batches), initial=p["step"], desc=f"epoch {epoch + 1}/{tc['epochs']}",
                   disable=not (progress and acc.is_main_process))
        losses = []
        for b in range(p["step"], len(batches)):
            idx = batches[b]
            ctx = [train_s[rows[i][0]].context for i in idx]
            emb = train_text[[rows[i][0] for i in idx]] if train_text is not None else None
            target = torch.as_tensor([rows[i][1] for i in idx], device=acc.device)
            with acc.autocast():
                loss = torch.nn.functional.cross_entropy(model(make_batch(ctx, mcfg, graph, emb), graph.as_dict()), target)
            opt.zero_grad()
            acc.backward(loss)
            opt.step()
            losses.append(loss.item())
            run_losses.append(losses[-1])
            p["step"], p["global_step"] = b + 1, p["global_step"] + 1
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
            if p["global_step"] % tc["checkpoint_every"] == 0 and acc.is_main_process:
                save_checkpoint(ckpt_dir, raw, opt, p)
            if max_steps and p["global_step"] >= max_steps:
                bar.close()
                if acc.is_main_process:
                    save_checkpoint(ckpt_dir, raw, opt, p)
                return {"stopped_at_step": p["global_step"], "losses": run_losses}
        bar.close()
        metrics = validate(raw, graph, valid_s, valid_text, mcfg, vprot)
        score = metrics[tc["select_metric"]]
        p["history"].append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)) if losses else None,
                             **{f"valid_{k}": v for k, v in metrics.items()}, "seconds": round(time.time() - t0, 1)})
        acc.print(json.dumps(p["history"][-1]))
        if score > p["best"]:
            p["best"], p["bad_epochs"] = score, 0
            if acc.is_main_process:
                raw.save_pretrained(stage)
                (stage / "training.json").write_text(json.dumps({"config": cfg, "history": p["history"]}, indent=2))
        else:
            p["bad_epochs"] += 1
        p["epoch"], p["step"] = epoch + 1, 0
        if acc.is_main_process:
            save_checkpoint(ckpt_dir, raw, opt, p)
    result = {"best_valid": p["best"], "history": p["history"]}
    if acc.is_main_process and (stage / "training.json").exists():
        (stage / "training.json").write_text(json.dumps({"config": cfg, "history": p["history"],
                                                         "best_valid": p["best"]}, indent=2))
        if cfg["fusion"]:
            result["fusion"] = asdict(fit_and_save_fusion(stage, graph, valid_s, valid_text, vprot, catalog, progress))
        swap_in(stage, output)
        acc.print(f"published {output}")
    return result


def prepare_staging(output: Path, resuming: bool, main: bool = True) -> Path:
    """The folder the best model is saved in until training ends. A fresh run starts it empty; a resumed
    run keeps it (or, when an earlier run already published, starts from a copy of the published folder)."""
    import shutil

    stage = staging_path(output)
    if not main:
        return stage
    if not resuming:
        shutil.rmtree(stage, ignore_errors=True)
    if not stage.exists():
        if resuming and output.is_dir():
            shutil.copytree(output, stage)  # a copy: the fusion refit writes files in place
        else:
            stage.mkdir(parents=True)
    return stage


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="crs train rec", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help="YAML config, e.g. configs/rec/default.yaml")
    ap.add_argument("--sweep", help="a sweep instead (configs/rec/sweep/*.yaml, crs/training/sweep_rec.py)")
    ap.add_argument("--budget-s", type=float, help="sweep: start no new run after this many seconds")
    ap.add_argument("--output", help="where the best model is saved (default $CRS_HOME/rec/<name>)")
    ap.add_argument("--limit", type=int, help="only the first N dialogues of each split (smoke runs)")
    ap.add_argument("--max-steps", type=int, help="stop after N optimiser steps (smoke runs, tests)")
    args = ap.parse_args(argv)
    if bool(args.config) == bool(args.sweep):
        ap.error("give exactly one of --config and --sweep")
    if args.sweep:
        from crs.training.sweep_rec import run_sweep

        res = run_sweep(args.sweep, args.output, args.limit, args.budget_s, args.max_steps)
        print(json.dumps({k: v for k, v in res.items() if k != "runs"}, indent=2))
        return 0
    cfg = load_rec_config(args.config)
    output = Path(args.output) if args.output else cache_dir("rec") / cfg["name"]
    res = train(cfg, output, args.limit, args.max_steps)
    if int(os.environ.get("RANK", 0)):  # several processes: only the first reports
        return 0
    print(json.dumps({k: v for k, v in res.items() if k != "losses"}, indent=2))
    print(f"model saved to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
