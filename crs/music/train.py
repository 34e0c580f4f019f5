"""Train the turn-2 fusion scorer on sessions synthesised as the product meets them (training clips only).

    crs music train [--config configs/music/default.yaml] [--force]

Clips are split by clip (seeded): train / valid / test. Training queries, their previous
pieces and the candidates all come from training clips; model selection uses the valid clips
(pool: train + valid); the test clips are never seen and are what `crs eval music` reports.

A training session (crs.music.feedback.make_sessions): the previous piece is a random clip or
the product's turn-1 pick for a synthetic video profile drawn independently of the target; the
feedback is the lexicon synthesis or (``human_share``) phrases of the target's own aspect list.
Each step is a softmax over the batch's targets plus ``negatives`` random training clips.

Validation has two sets of the same kind on the valid clips: lexicon feedback and aspect-phrase
feedback. The epoch with the best mean Recall@10 is kept; then the product's turn-2 method is
chosen on the same validation: the trained fusion, or text only (MiniLM cosine of the feedback
with the negation filter) when that is better. The choice is saved with the scorer.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import torch

from crs.music.catalogue import MusicCatalogue
from crs.music.config import MusicConfig, load_music_config
from crs.music.feedback import Turn2Example, make_sessions, split_clips, split_feedback
from crs.music.scorer import FusionScorer, Queries, build_queries, catalogue_to_torch, queries_to_torch
from crs.pretrained import publish_folder

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


def embed_feedback(name: str, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectors of the whole feedback, of its asking clauses and of its declining clauses (zero when none)."""
    parts = [split_feedback(t) for t in texts]
    allv = embed_texts(name, list(texts) + [a for a, _ in parts] + [d for _, d in parts])
    n = len(texts)
    return allv[:n], allv[n:2 * n], allv[2 * n:]


def queries_from_texts(feedback: list[str], name: str, video_emb: np.ndarray, prev: list[int],
                       energy: list[float], valence: list[float]) -> Queries:
    fb, asked, declined = embed_feedback(f"music-feedback-{name}", feedback)
    return build_queries(feedback, fb, video_emb, prev, energy, valence, asked, declined)


def examples_to_queries(examples: list[Turn2Example], name: str) -> Queries:
    vid = embed_texts(f"music-video-{name}", [e.video_text for e in examples])
    q = queries_from_texts([e.feedback for e in examples], name, vid, [e.prev for e in examples],
                           [e.video_energy for e in examples], [e.video_valence for e in examples])
    q.extra["target"] = np.array([e.target for e in examples], dtype=np.int64)
    return q


def ranks_of(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based pessimistic ranks (ties count against the target), as in crs.metrics."""
    t = scores[np.arange(len(targets)), targets][:, None]
    return (scores > t).sum(1) + (scores == t).sum(1)


def _local(q: Queries, pool: np.ndarray) -> tuple[Queries, np.ndarray]:
    """Previous pieces and targets as indices into ``pool``."""
    local = {int(g): i for i, g in enumerate(pool)}
    q.prev = np.array([local[int(p)] for p in q.prev], dtype=np.int64)
    return q, np.array([local[int(t)] for t in q.extra["target"]], dtype=np.int64)


def _recall10(model: FusionScorer, sets: dict, cat_valid: dict, method: str) -> dict[str, float]:
    return {name: float((ranks_of(model.score(q, cat_valid, method=method), y) <= 10).mean())
            for name, (q, y) in sets.items()}


def train_fusion(config: MusicConfig, cat: MusicCatalogue, progress: bool = True) -> tuple[FusionScorer, dict]:
    """Train on synthesised sessions over training clips; keep the best epoch (mean valid Recall@10),
    then choose fusion or the text-only fallback on validation; return the model and a record."""
    fc = config.fusion
    torch.manual_seed(fc.seed)
    split = split_clips(len(cat), fc.split_seed)
    train_idx = np.array(split["train"])
    t0 = time.perf_counter()
    train_ex = make_sessions(cat, split["train"], pool=split["train"], seed=fc.seed, per_target=fc.per_target,
                             text_dropout=fc.text_dropout, n_videos=fc.n_videos, human_share=fc.human_share)
    valid_pool = np.array(sorted(split["train"] + split["valid"]))
    valid = {}
    for k, (label, share) in enumerate((("lexicon", 0.0), ("aspect phrases", 1.0))):
        ex = make_sessions(cat, split["valid"], pool=valid_pool.tolist(), seed=fc.seed + 1 + k, per_target=1,
                           n_videos=fc.n_videos, human_share=share)
        valid[label] = _local(examples_to_queries(ex, f"valid{k}-{config.name}"), valid_pool)
    qtrain, y = _local(examples_to_queries(train_ex, f"train-{config.name}"), train_idx)
    y = torch.from_numpy(y)
    cat_train = catalogue_to_torch(cat, train_idx)
    cat_valid = catalogue_to_torch(cat, valid_pool)
    if progress:
        print(f"{len(qtrain)} training sessions, {sum(len(q) for q, _ in valid.values())} validation; "
              f"{time.perf_counter() - t0:.0f}s to build", flush=True)

    model = FusionScorer(fc)
    opt = torch.optim.AdamW(model.parameters(), lr=fc.lr, weight_decay=fc.weight_decay)
    gen = torch.Generator().manual_seed(fc.seed)
    n_train = len(train_idx)
    best, best_state, history = -1.0, None, []
    for epoch in range(fc.epochs + 1):
        train_loss = None  # epoch 0 trains nothing: it measures the hand-set initial weights
        if epoch:
            model.train()
            order = torch.randperm(len(qtrain), generator=gen).numpy()
            total = 0.0
            for s in range(0, len(order), fc.batch_size):
                idx = order[s:s + fc.batch_size]
                qb = queries_to_torch(qtrain.slice(idx))
                qb.update(prev_emb=cat_train["emb"][qb["prev"]], prev_tags=cat_train["tags"][qb["prev"]],
                          prev_energy=cat_train["energy"][qb["prev"]])
                tgt = y[idx]
                cand = torch.unique(torch.cat([tgt, torch.randint(0, n_train, (min(fc.negatives, n_train),),
                                                                  generator=gen)]))
                logits = model(qb, {k: v[cand] for k, v in cat_train.items()})
                logits = logits.masked_fill(cand[None, :] == qb["prev"][:, None], -1e4)  # never the answer
                loss = torch.nn.functional.cross_entropy(logits, torch.searchsorted(cand, tgt))
                if not torch.isfinite(loss):  # stop at the first bad batch rather than save a broken scorer
                    raise FloatingPointError(f"music scorer training: non-finite loss at epoch {epoch}, batch {s}")
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                opt.step()
                total += float(loss.detach()) * len(idx)
            train_loss = round(total / len(order), 4)
        rec = _recall10(model, valid, cat_valid, "fusion")
        mean = float(np.mean(list(rec.values())))
        history.append({"epoch": epoch, "train_loss": train_loss, "valid_recall@10": round(mean, 4),
                        **{f"valid_recall@10 {k}": round(v, 4) for k, v in rec.items()}})
        if progress:
            shown = "— (initial weights)" if train_loss is None else f"{train_loss:.4f}"
            print(f"epoch {epoch}: train loss {shown}  valid R@10 {mean:.4f} "
                  + " ".join(f"({k} {v:.3f})" for k, v in rec.items()), flush=True)
        if mean > best:
            best, best_state = mean, {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    text = _recall10(model, valid, cat_valid, "text")
    fused = _recall10(model, valid, cat_valid, "fusion")
    model.method = "fusion" if np.mean(list(fused.values())) >= np.mean(list(text.values())) else "text"
    if progress:
        print(f"validation R@10, fusion {fused} vs text only {text}: turn 2 uses {model.method}", flush=True)
    record = {"split_sizes": {k: len(v) for k, v in split.items()}, "train_queries": len(train_ex),
              "valid_queries": {k: len(q) for k, (q, _) in valid.items()}, "best_valid_recall@10": best,
              "valid_fusion_recall@10": fused, "valid_text_only_recall@10": text, "history": history,
              "train_seconds": round(time.perf_counter() - t0, 1), "catalogue_size": len(cat)}
    return model, record


def load_or_train(config: MusicConfig, cat: MusicCatalogue, force: bool = False, progress: bool = True) -> FusionScorer:
    """The trained scorer from $CRS_HOME/music/fusion-v2-<name>/, training it when absent."""
    path = config.scorer_dir
    if not force and (path / "model.safetensors").exists():
        return FusionScorer.from_pretrained(path)
    if progress:
        print(f"training the fusion scorer ({config.name}) on synthesised sessions; saved to {path}", flush=True)
    model, record = train_fusion(config, cat, progress=progress)
    with publish_folder(path) as folder:  # published in one rename, only when complete
        model.save_pretrained(folder, extra=record)
    return FusionScorer.from_pretrained(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="crs music train", description=__doc__.split("\n")[0])
    p.add_argument("--config", default="default", help="configs/music/<name>.yaml or a path")
    p.add_argument("--force", action="store_true", help="retrain even when a trained scorer exists")
    args = p.parse_args(argv)
    from crs.music.catalogue import load_catalogue

    config = load_music_config(args.config)
    cat = load_catalogue(limit=config.fusion.catalogue_limit)
    model = load_or_train(config, cat, force=args.force)
    print(f"fusion scorer: {config.scorer_dir} (turn 2 uses {model.method}, chosen on validation)")
    for row in model.weights_table():
        print(f"  {row['feature']:<17} with text {row['with text']:+.3f}   video only {row['video only']:+.3f}")
    return 0
