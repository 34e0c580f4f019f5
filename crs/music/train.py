"""Train the turn-2 fusion scorer on feedback synthesised from MusicCaps aspects (training clips only).

    crs music train [--config configs/music/default.yaml] [--force]

Clips are split by clip (seeded): train / valid / test. Training queries, their previous
pieces and the candidate pool all come from training clips; model selection uses the valid
clips (pool: train + valid); the test clips are never seen and are what `crs eval music` reports.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import torch

from crs.music.catalogue import MusicCatalogue
from crs.music.config import MusicConfig, load_config
from crs.music.feedback import Turn2Example, make_examples, split_clips
from crs.music.scorer import FusionScorer, Queries, build_queries, catalogue_to_torch, queries_to_torch

log = logging.getLogger(__name__)


def embed_texts(name: str, texts: list[str]) -> np.ndarray:
    """Embeddings for a list of (repetitive) texts: unique ones encoded once, cached by content."""
    from crs.embeddings import cached_embeddings

    uniq = sorted(set(t for t in texts if t))
    if not uniq:
        return np.zeros((len(texts), 384), dtype=np.float32)
    emb = cached_embeddings(name, uniq, progress=False)
    pos = {t: i for i, t in enumerate(uniq)}
    out = np.zeros((len(texts), emb.shape[1]), dtype=np.float32)
    for i, t in enumerate(texts):
        if t:
            out[i] = emb[pos[t]]
    return out


def examples_to_queries(examples: list[Turn2Example], name: str) -> Queries:
    fb = embed_texts(f"music-feedback-{name}", [e.feedback for e in examples])
    vid = embed_texts(f"music-video-{name}", [e.video_text for e in examples])
    q = build_queries([e.feedback for e in examples], fb, vid, [e.prev for e in examples],
                      [e.video_energy for e in examples], [e.video_valence for e in examples])
    q.extra["target"] = np.array([e.target for e in examples], dtype=np.int64)
    return q


def ranks_of(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based pessimistic ranks (ties count against the target), as in eval.metrics."""
    t = scores[np.arange(len(targets)), targets][:, None]
    return (scores > t).sum(1) + (scores == t).sum(1)


def train_fusion(config: MusicConfig, cat: MusicCatalogue, progress: bool = True) -> tuple[FusionScorer, dict]:
    """Train on synthesised queries over training clips; return the best model (valid Recall@10) and a record."""
    fc = config.fusion
    torch.manual_seed(fc.seed)
    split = split_clips(len(cat), fc.split_seed)
    train_idx = np.array(split["train"])
    t0 = time.perf_counter()
    train_ex = make_examples(cat, split["train"], pool=split["train"], seed=fc.seed, per_target=fc.per_target,
                             text_dropout=fc.text_dropout, video_noise=fc.video_noise)
    valid_pool = sorted(split["train"] + split["valid"])
    valid_ex = make_examples(cat, split["valid"], pool=valid_pool, seed=fc.seed + 1, per_target=1,
                             video_noise=fc.video_noise)
    qtrain = examples_to_queries(train_ex, f"train-{config.name}")
    qvalid = examples_to_queries(valid_ex, f"valid-{config.name}")
    # Training sees only training clips: local indices into the training pool.
    local = {int(g): i for i, g in enumerate(train_idx)}
    qtrain.prev = np.array([local[int(p)] for p in qtrain.prev])
    y = torch.tensor([local[int(t)] for t in qtrain.extra["target"]])
    cat_train = catalogue_to_torch(cat, train_idx)
    vpool = np.array(valid_pool)
    vlocal = {int(g): i for i, g in enumerate(vpool)}
    qvalid.prev = np.array([vlocal[int(p)] for p in qvalid.prev])
    vy = np.array([vlocal[int(t)] for t in qvalid.extra["target"]])
    cat_valid = catalogue_to_torch(cat, vpool)

    model = FusionScorer(fc)
    opt = torch.optim.AdamW(model.parameters(), lr=fc.lr, weight_decay=fc.weight_decay)
    gen = torch.Generator().manual_seed(fc.seed)
    best, best_state, history = -1.0, None, []
    for epoch in range(fc.epochs + 1):
        if epoch:  # epoch 0 only measures the hand-set initial weights
            model.train()
            order = torch.randperm(len(qtrain), generator=gen).numpy()
            total = 0.0
            for s in range(0, len(order), fc.batch_size):
                idx = order[s:s + fc.batch_size]
                qb = queries_to_torch(qtrain.slice(idx))
                logits = model(qb, cat_train)
                logits[torch.arange(len(idx)), qb["prev"]] = -1e9  # the previous piece is never the answer
                loss = torch.nn.functional.cross_entropy(logits, y[idx])
                if not torch.isfinite(loss):  # stop at the first bad batch rather than save a broken scorer
                    raise FloatingPointError(f"music scorer training: non-finite loss at epoch {epoch}, batch {s}")
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            train_loss = round(total / len(order), 4)
        else:
            train_loss = None  # epoch 0 trains nothing: there is no training loss (it was logged as nan)
        r = ranks_of(model.score(qvalid, cat_valid), vy)
        rec10 = float((r <= 10).mean())
        history.append({"epoch": epoch, "train_loss": train_loss, "valid_recall@10": round(rec10, 4),
                        "valid_median_rank": float(np.median(r))})
        if progress:
            shown = "— (initial weights)" if train_loss is None else f"{train_loss:.4f}"
            print(f"epoch {epoch}: train loss {shown}  valid R@10 {rec10:.4f}  median rank {np.median(r):.0f}",
                  flush=True)
        if rec10 > best:
            best, best_state = rec10, {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    record = {"split_sizes": {k: len(v) for k, v in split.items()}, "train_queries": len(train_ex),
              "valid_queries": len(valid_ex), "best_valid_recall@10": best, "history": history,
              "train_seconds": round(time.perf_counter() - t0, 1), "catalogue_size": len(cat)}
    return model.eval(), record


def load_or_train(config: MusicConfig, cat: MusicCatalogue, force: bool = False, progress: bool = True) -> FusionScorer:
    """The trained scorer from $CRS_HOME/music/fusion-<name>/, training (about a minute) when absent."""
    path = config.scorer_dir
    if not force and (path / "model.safetensors").exists():
        return FusionScorer.from_pretrained(path)
    if progress:
        print(f"training the fusion scorer ({config.name}) on synthesised feedback; saved to {path}", flush=True)
    model, record = train_fusion(config, cat, progress=progress)
    model.save_pretrained(path, extra=record)
    model.record = {"config": {}, **record}
    return model


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="crs music train", description=__doc__.split("\n")[0])
    p.add_argument("--config", default="default", help="configs/music/<name>.yaml or a path")
    p.add_argument("--force", action="store_true", help="retrain even when a trained scorer exists")
    args = p.parse_args(argv)
    from crs.music.catalogue import load_catalogue

    config = load_config(args.config)
    cat = load_catalogue(limit=config.fusion.catalogue_limit)
    model = load_or_train(config, cat, force=args.force)
    print(f"fusion scorer: {config.scorer_dir}")
    for row in model.weights_table():
        print(f"  {row['feature']:<17} with text {row['with text']:+.3f}   video only {row['video only']:+.3f}")
    return 0
