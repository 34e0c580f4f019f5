"""Context features + a linear head: the satisfaction estimator for small data.

Each rated user turn ``t`` is described by the dialogue *before* it (Sun et al.'s setting, and
their code's: the model judges the system's reply, not the user's answer to it), from frozen
utterance embeddings:

* ``sys``: mean embedding of the most recent block of system turns (the reply being judged);
* ``user``: the most recent user turn; ``user2`` / ``sys2``: the user turn and system block
  before those (the last two exchanges, both speakers);
* ``ctx``: mean of every earlier turn;
* ``pos``: dialogue position (first turn, previous turn is the user's, log turn counts);
* ``mood``: how satisfied the user sounded so far: a first-stage ridge model reads each earlier
  user utterance and predicts that turn's own rating; the block holds the last, the one before,
  the mean and the minimum of those predictions (3 where there are none);
* ``current``: the rated user turn itself. It is *not* either protocol (the user's answer
  reveals the rating); it exists only for the labelled "reads the user turn" comparison.

The head is a ridge regression on the annotators' *mean* rating (a less noisy target than the
majority class); its score is the "expected rating" the rollouts report. The classes 2 / 3 / 4
come from two thresholds chosen to maximise Cohen's kappa on out-of-fold scores of the training
dialogues (inner folds), never on held-out data: ``head: mean`` cuts the mean score itself;
``head: shares`` adds two ridge regressions on the share of annotators who rated below 3 and
above 3, and cuts those (a turn half the raters call poor is a 2 even when the mean is near 3). Everything is stored
as tensors (config.json + model.safetensors) and loads without sklearn.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from crs.config_utils import StrictConfig
from crs.pretrained import load_pretrained_files, save_pretrained_files

BLOCKS = ("sys", "user", "sys2", "user2", "ctx", "pos", "mood", "fit", "current")
WIDTH = {"pos": 5, "mood": 4, "fit": 5}
USER, SYSTEM = 0, 1
NEUTRAL = 3.0
HEADS = ("mean", "shares")


@dataclass
class LinearSatConfig(StrictConfig):
    """Which context blocks feed the ridge head, and its regularisation."""

    kind: str = "linear"
    blocks: tuple[str, ...] = ("sys", "user", "ctx", "pos", "mood")
    emb_dim: int = 384
    alpha: float = 30000.0  # ridge strength of the head (standardised features)
    mood_alpha: float = 3000.0  # ridge strength of the first-stage user-utterance model
    inner_folds: int = 5  # out-of-fold scores for the thresholds and the mood block
    encoder: str = "all-MiniLM-L6-v2"
    head: str = "mean"  # classes from cut points on: the mean score ("mean") or the low/high shares ("shares")

    def __post_init__(self):
        self.blocks = tuple(self.blocks)
        bad = sorted(set(self.blocks) - set(BLOCKS))
        if bad or not self.blocks:
            raise ValueError(f"blocks must be a non-empty subset of {BLOCKS}, got {list(self.blocks)}")
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.kind != "linear":
            raise ValueError(f"LinearSatConfig.kind must be 'linear', got {self.kind!r}")
        if self.alpha <= 0 or self.mood_alpha <= 0 or self.emb_dim <= 0 or self.inner_folds < 2:
            raise ValueError("alpha, mood_alpha and emb_dim must be positive, inner_folds >= 2")

    @property
    def reads_user_turn(self) -> bool:
        return "current" in self.blocks

    @property
    def n_features(self) -> int:
        return sum(WIDTH.get(b, self.emb_dim) for b in self.blocks)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["blocks"] = list(self.blocks)
        return d


def block_slices(blocks: tuple[str, ...], emb_dim: int) -> dict[str, slice]:
    """Column range of each block in a design matrix built with ``blocks``."""
    out, start = {}, 0
    for b in blocks:
        width = WIDTH.get(b, emb_dim)
        out[b], start = slice(start, start + width), start + width
    return out


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(a @ b) / (na * nb) if na and nb else 0.0


def _fit(sys_blocks: list, users: list, ctx: np.ndarray) -> np.ndarray:
    """How the judged reply relates to what came before: its cosine with the user's last turn and the
    one before (does it answer them?), with the whole dialogue, with the previous system reply (does
    it repeat itself?), and the user's last two turns with each other (is the user asking again?).
    A linear head on concatenated embeddings cannot form these products itself."""
    zero = np.zeros(0, np.float32)
    sys1, sys2 = (sys_blocks + [zero, zero])[:2]
    u1, u2 = (users + [zero, zero])[:2]
    pairs = ((sys1, u1), (sys1, u2), (sys1, ctx), (sys1, sys2), (u1, u2))
    return np.array([_cos(a, b) if a.size and b.size else 0.0 for a, b in pairs], np.float32)


def context_features(emb: np.ndarray, roles: np.ndarray, blocks: tuple[str, ...],
                     user_score: np.ndarray | None = None) -> np.ndarray:
    """Row ``t`` = features of the dialogue before turn ``t`` (plus turn ``t`` if 'current'): [n, F].
    ``user_score`` (the first-stage rating of every turn) is needed for the 'mood' block."""
    emb = np.asarray(emb, dtype=np.float32)
    roles = np.asarray(roles)
    n, dim = emb.shape
    if roles.shape != (n,):
        raise ValueError(f"roles must have one entry per turn ({n}), got shape {roles.shape}")
    if "mood" in blocks and (user_score is None or len(user_score) != n):
        raise ValueError("the 'mood' block needs one first-stage score per turn")
    zero = np.zeros(dim, np.float32)
    csum = np.vstack([np.zeros((1, dim), np.float32), np.cumsum(emb, axis=0)])
    rows, heard, heard_sum = [], [], 0.0  # heard: first-stage scores of the user turns so far
    for t in range(n):
        # Walk back over turns < t: the latest system block, latest user turn, then the ones before.
        sys_blocks, users, i = [], [], t - 1
        while i >= 0 and (len(sys_blocks) < 2 or len(users) < 2):
            if roles[i] == SYSTEM:
                j = i
                while j - 1 >= 0 and roles[j - 1] == SYSTEM:
                    j -= 1
                sys_blocks.append((csum[i + 1] - csum[j]) / (i + 1 - j))
                i = j - 1
            else:
                users.append(emb[i])
                i -= 1
        n_user = int((roles[:t] == USER).sum())
        mood = (np.array([heard[-1], heard[-2] if len(heard) > 1 else NEUTRAL, heard_sum / len(heard), min(heard)],
                         np.float32) if heard else np.full(4, NEUTRAL, np.float32))
        parts = {
            "sys": sys_blocks[0] if sys_blocks else zero,
            "sys2": sys_blocks[1] if len(sys_blocks) > 1 else zero,
            "user": users[0] if users else zero,
            "user2": users[1] if len(users) > 1 else zero,
            "ctx": csum[t] / t if t else zero,
            "pos": np.array([t == 0, t > 0 and roles[t - 1] == USER, np.log1p(t), np.log1p(n_user),
                             np.log1p(t - n_user)], np.float32),
            "mood": mood,
            "fit": _fit(sys_blocks, users, csum[t] / t if t else zero),
            "current": emb[t],
        }
        rows.append(np.concatenate([parts[b] for b in blocks]))
        if roles[t] == USER and user_score is not None:
            heard.append(float(user_score[t]))
            heard_sum += heard[-1]
    return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), np.float32)


def ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Weights and bias of a ridge regression on standardised ``x``, folded back to raw ``x``."""
    return RidgeParts([x], [y]).solve(alpha)


class RidgeParts:
    """Ridge regressions on a standardised design split into parts: the Gram matrix is computed
    once, and the fit without part k subtracts that part's share (inner folds at the cost of one
    fit). Standardisation uses all parts' statistics (all of them training data)."""

    def __init__(self, xs: list[np.ndarray], ys: list[np.ndarray]):
        x = np.vstack(xs).astype(np.float64)
        self.mean, scale = x.mean(0), x.std(0)
        self.scale = np.where(scale > 1e-6, scale, 1.0)
        self.zs = [(xi - self.mean) / self.scale for xi in xs]
        self.ys = [np.asarray(yi, np.float64) for yi in ys]
        self.grams = [z.T @ z for z in self.zs]
        self.sums = [(z.sum(0), z.T @ y, y.sum(), len(y)) for z, y in zip(self.zs, self.ys)]

    def solve(self, alpha: float, without: int | None = None) -> tuple[np.ndarray, float]:
        keep = [k for k in range(len(self.zs)) if k != without]
        gram = sum(self.grams[k] for k in keep)
        zsum = sum(self.sums[k][0] for k in keep)
        zy = sum(self.sums[k][1] for k in keep)
        ysum, n = sum(self.sums[k][2] for k in keep), sum(self.sums[k][3] for k in keep)
        zm, ym = zsum / n, ysum / n
        cov = gram - n * np.outer(zm, zm)  # centre on the kept rows
        w = np.linalg.solve(cov + alpha * np.eye(len(zm)), zy - n * zm * ym)
        b = ym - zm @ w
        w = w / self.scale
        return w.astype(np.float32), float(b - self.mean @ w)


def kappa_thresholds(score: np.ndarray, y5: np.ndarray) -> tuple[float, float]:
    """Cut points (low, high) on ``score`` for the classes 2 / 3 / 4 (labels 1 / 2 / 3) that
    maximise Cohen's kappa against ``y5`` (0..4), searched over quantiles of ``score``."""
    lows = np.quantile(score, [0.0, .01, .02, .03, .05, .07, .1, .15, .2])
    highs = np.quantile(score, [.8, .85, .88, .9, .92, .94, .96, .97, .98, .99, 1.0])
    best, cut = -np.inf, (float(lows[0]) - 1, float(highs[-1]) + 1)
    for a in lows:
        for b in highs:
            k = _kappa(y5, np.where(score < a, 1, np.where(score > b, 3, 2)))
            if k > best:
                best, cut = k, (float(a), float(b))
    return cut


def share_thresholds(low: np.ndarray, high: np.ndarray, y5: np.ndarray) -> tuple[float, float]:
    """Cut points (a, b) for the shares head: class 2 (label 1) where the predicted low share
    exceeds a, else 4 (label 3) where the high share exceeds b, else 3; maximise kappa vs ``y5``."""
    qa = np.quantile(low, [1.0, .99, .98, .97, .95, .93, .9, .85, .8])
    qb = np.quantile(high, [.8, .85, .88, .9, .92, .94, .96, .97, .98, .99, 1.0])
    best, cut = -np.inf, (float(qa[0]) + 1, float(qb[-1]) + 1)
    for a in qa:
        for b in qb:
            k = _kappa(y5, np.where(low > a, 1, np.where(high > b, 3, 2)))
            if k > best:
                best, cut = k, (float(a), float(b))
    return cut


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Unweighted Cohen's kappa on labels 0..4 (kept here: product code does not import eval/)."""
    conf = np.zeros((5, 5))
    np.add.at(conf, (a, b), 1)
    n = conf.sum()
    po, pe = np.trace(conf) / n, (conf.sum(0) @ conf.sum(1)) / n ** 2
    return 0.0 if pe >= 1 else float((po - pe) / (1 - pe))


def _rated(d) -> np.ndarray:
    return np.flatnonzero((d.sat5 >= 0) & np.isfinite(d.mean_rating))


def _fit_stage1(dialogues, alpha: float) -> tuple[np.ndarray, float]:
    """User utterance -> that turn's own mean rating (the 'mood' reader)."""
    x = np.vstack([d.emb[_rated(d)] for d in dialogues])
    y = np.concatenate([d.mean_rating[_rated(d)] for d in dialogues])
    return ridge(x, y, alpha)


def _folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    return np.array_split(np.random.default_rng(seed).permutation(n), k)


class LinearSatModel(nn.Module):
    """Ridge head on context features; score = expected rating, thresholds = class."""

    def __init__(self, config: LinearSatConfig):
        super().__init__()
        self.config = config
        self.head = nn.Linear(config.n_features, 1)
        self.mood = nn.Linear(config.emb_dim, 1)  # first stage: utterance -> its own rating
        if config.head == "shares":
            self.shares = nn.Linear(config.n_features, 2)  # share of raters below 3 / above 3
        self.register_buffer("thresholds", torch.tensor([-1e9, 1e9]))

    # ------------------------------------------------------------------ features
    def user_scores(self, emb: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.mood(torch.as_tensor(np.asarray(emb, np.float32)))[:, 0].numpy()

    def features(self, emb: np.ndarray, roles: np.ndarray) -> np.ndarray:
        us = self.user_scores(emb) if "mood" in self.config.blocks else None
        return context_features(emb, roles, self.config.blocks, us)

    @torch.no_grad()
    def score(self, x: np.ndarray) -> np.ndarray:
        return self.head(torch.as_tensor(x))[:, 0].numpy()

    def classes(self, x: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Class 0..4 (only 1..3 occur) of feature rows ``x`` with mean scores ``s``."""
        lo, hi = self.thresholds.tolist()
        if self.config.head == "mean":
            return np.where(s < lo, 1, np.where(s > hi, 3, 2))
        with torch.no_grad():
            sh = self.shares(torch.as_tensor(x)).numpy()
        return np.where(sh[:, 0] > lo, 1, np.where(sh[:, 1] > hi, 3, 2))

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(cls, dialogues, config: LinearSatConfig, seed: int = 0) -> LinearSatModel:
        """Fit on the rated user turns of ``dialogues`` (EncodedDialogue records with mean_rating).

        The mood block of a training dialogue is read by a first-stage model that did not see that
        dialogue (cross-fitted over ``inner_folds``), so the head learns how far to trust it on new
        text; the thresholds come from out-of-fold head scores, also over the training dialogues."""
        dialogues = [d for d in dialogues if _rated(d).size]
        if len(dialogues) < config.inner_folds:
            raise ValueError(f"need at least {config.inner_folds} dialogues with rated user turns")
        parts = _folds(len(dialogues), config.inner_folds, seed)
        use_mood = "mood" in config.blocks
        stage1 = _fit_stage1(dialogues, config.mood_alpha) if use_mood else None

        shares = config.head == "shares"
        if shares and any(d.low_share is None or d.high_share is None for d in dialogues):
            raise ValueError("head 'shares' needs each dialogue's low_share / high_share (simulator.uss_data)")

        def design(idx, w1):
            xs, ys, ms, ls, hs = [], [], [], [], []
            for i in idx:
                d = dialogues[i]
                r = _rated(d)
                us = d.emb @ w1[0] + w1[1] if w1 is not None else None
                xs.append(context_features(d.emb, d.roles, config.blocks, us)[r])
                ys.append(d.sat5[r])
                ms.append(d.mean_rating[r])
                if shares:
                    ls.append(d.low_share[r]), hs.append(d.high_share[r])
            return (np.vstack(xs), np.concatenate(ys), np.concatenate(ms),
                    np.concatenate(ls) if shares else None, np.concatenate(hs) if shares else None)

        # Cross-fitted design: each inner part's mood scores come from a stage 1 fitted without it.
        rows = []  # (x, y, mean, low share, high share) per inner part
        for k, part in enumerate(parts):
            rest = [dialogues[i] for j, p in enumerate(parts) if j != k for i in p]
            w1 = _fit_stage1(rest, config.mood_alpha) if use_mood else None
            rows.append(design(part, w1))
        blocks_x, y_all = [r[0] for r in rows], np.concatenate([r[1] for r in rows])

        def oof_and_full(target: int):
            """Out-of-fold scores over the inner parts, and the fit on all of them."""
            solver = RidgeParts(blocks_x, [r[target] for r in rows])
            oof = []
            for k in range(len(parts)):
                wk, bk = solver.solve(config.alpha, without=k)
                oof.append(blocks_x[k] @ wk + bk)
            return np.concatenate(oof), solver.solve(config.alpha)

        oof, (w, b) = oof_and_full(2)
        if shares:
            (oof_lo, fit_lo), (oof_hi, fit_hi) = oof_and_full(3), oof_and_full(4)
            cut = share_thresholds(oof_lo, oof_hi, y_all)
        else:
            cut = kappa_thresholds(oof, y_all)

        model = cls(config)
        with torch.no_grad():
            model.head.weight.copy_(torch.as_tensor(w)[None])
            model.head.bias.fill_(b)
            if stage1 is not None:
                model.mood.weight.copy_(torch.as_tensor(stage1[0])[None])
                model.mood.bias.fill_(stage1[1])
            model.thresholds.copy_(torch.tensor(cut))
            if shares:
                model.shares.weight.copy_(torch.as_tensor(np.stack([fit_lo[0], fit_hi[0]])))
                model.shares.bias.copy_(torch.tensor([fit_lo[1], fit_hi[1]]))
        return model.eval()

    # ------------------------------------------------------------------ prediction
    def predict(self, dialogues) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(score, predicted class 0..4, true class 0..4) over the rated user turns of ``dialogues``."""
        ss, ps, ys = [], [], []
        for d in dialogues:
            r = np.flatnonzero(d.sat5 >= 0)
            if r.size:
                x = self.features(d.emb, d.roles)[r]
                ss.append(self.score(x))
                ps.append(self.classes(x, ss[-1]))
                ys.append(d.sat5[r])
        if not ss:
            raise ValueError("no rated user turns to score")
        return np.concatenate(ss), np.concatenate(ps), np.concatenate(ys)

    def predict_dialogue(self, emb: np.ndarray, roles: np.ndarray) -> dict:
        """Same interface as SatModel. ``expected``: the regression score per turn (an expected
        rating on 1-5); ``p5``: one-hot of the thresholded class (the head is not probabilistic);
        ``overall_expected``: the score after the whole dialogue (there is no separate head)."""
        emb = np.asarray(emb, dtype=np.float32)
        roles = np.asarray(roles)
        # One extra position after the last turn scores the dialogue as a whole.
        ext_emb = np.vstack([emb, np.zeros((1, emb.shape[1]), np.float32)])
        x = self.features(ext_emb, np.append(roles, USER))
        s = self.score(x)
        p5 = np.eye(5)[self.classes(x[:-1], s[:-1])]
        s = np.clip(s, 1.0, 5.0)  # a regression score can leave the rating scale on odd input
        return {"p5": p5, "expected": s[:-1], "overall_expected": float(s[-1])}

    # ------------------------------------------------------------------ persistence
    def save_pretrained(self, path: str | Path, extra: dict | None = None) -> Path:
        payload = {**self.config.to_dict(), **({"_meta": extra} if extra else {})}
        return save_pretrained_files(self, path, payload, "config.json", "model.safetensors")

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu") -> LinearSatModel:
        data, state = load_pretrained_files(path, "config.json", "model.safetensors", device,
                                            "no satisfaction model there (run `crs train sat`)")
        data.pop("_meta", None)
        model = cls(LinearSatConfig.from_dict(data))
        model.load_state_dict(state)
        return model.eval()
