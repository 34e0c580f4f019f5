"""Turn-1 matching and the trained turn-2 fusion scorer (video + previous piece + feedback text).

Turn 1 (not trained): cosine between the video's text profile and each caption, plus agreement
between the attributes that suit the video (energy, valence, mood tags) and the clip's.

Turn 2: :class:`FusionScorer` scores every catalogue item from hand-made, interpretable features
(feedback, video and previous-piece similarities; wanted / unwanted tag matches; energy fit and
direction) and a learned projection of the three query vectors into caption space. Weights are
separate for queries with and without feedback text (text dropout trains the second set).
It round-trips like a PEFT adapter: ``save_pretrained(dir)`` writes ``config.json`` and
``model.safetensors``; ``FusionScorer.from_pretrained(dir)`` reads them back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn

from crs.config_utils import StrictConfig
from crs.music.attributes import TAG_INDEX, energy_direction, parse_text
from crs.music.catalogue import MusicCatalogue, tag_matrix
from crs.pretrained import load_pretrained_files, save_pretrained_files

FEATURES = ("feedback_sim", "video_sim", "prev_sim", "fused_sim", "wanted_tags", "unwanted_tags", "energy_fit",
            "valence_fit", "energy_direction", "prev_tags", "video_tags", "asked_sim", "declined_sim",
            "asked_aspect_sim")
# Hand-set starting weights; the three feedback-part features start at 0 (the untrained scorer is unchanged).
INIT_WEIGHTS = (1.0, 0.5, 0.5, 0.0, 1.0, -1.0, 0.5, 0.25, 0.5, 0.5, 0.25, 0.0, 0.0, 0.0)
SCORER_VERSION = 2  # v2: trained on sessions as served (random / turn-1 previous piece), feedback parts
HARD_NEGATION_PENALTY = 1e4


@dataclass
class ScorerConfig(StrictConfig):
    """Fusion scorer shape and training settings (configs/music/*.yaml, ``fusion:`` block)."""

    dim: int = 384  # text-vector size (all-MiniLM-L6-v2)
    proj_rank: int = 64  # rank of the learned query projection (0: hand features only)
    hard_negation: bool = True  # items with an unwanted tag ("no vocals", "not jazz") go to the bottom
    seed: int = 13
    split_seed: int = 13  # the clip split (train / valid / test held out)
    per_target: int = 3  # synthesised turn-2 queries per training clip
    text_dropout: float = 0.2  # share of training queries with the feedback text removed
    video_noise: float = 0.15  # noise on the stand-in video's energy / valence
    epochs: int = 12
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    catalogue_limit: int | None = None  # only the first N clips (tests)
    negatives: int = 1024  # random training clips scored with each batch's targets (sampled softmax)
    human_share: float = 0.0  # share of training feedback taken from the target's own aspect phrases
    n_videos: int = 64  # synthetic video profiles whose turn-1 picks are previous pieces in training
    features_off: tuple[str, ...] = ()  # hand features held at 0 (ablations, chosen on validation)

    def __post_init__(self):
        if not 0 <= self.text_dropout < 1:
            raise ValueError(f"text_dropout must be in [0, 1), got {self.text_dropout}")
        if self.proj_rank < 0 or self.dim <= 0 or self.epochs < 0 or self.per_target < 1:
            raise ValueError("proj_rank >= 0, dim > 0, epochs >= 0 and per_target >= 1 are required")
        self.features_off = tuple(self.features_off or ())
        bad = sorted(set(self.features_off) - set(FEATURES))
        if bad:
            raise ValueError(f"unknown features in features_off: {bad}")


@dataclass
class Queries:
    """A batch of turn-2 queries as arrays (see :func:`build_queries`)."""

    feedback: np.ndarray  # [B, dim], zero rows where there is no text
    asked: np.ndarray  # [B, dim] the clauses that ask for something (crs.music.feedback.split_feedback)
    declined: np.ndarray  # [B, dim] the clauses that turn something down (zero when none)
    video: np.ndarray  # [B, dim]
    prev: np.ndarray  # [B] catalogue index of the previous piece
    has_text: np.ndarray  # [B] 0/1
    wanted: np.ndarray  # [B, T]
    unwanted: np.ndarray  # [B, T]
    video_tags: np.ndarray  # [B, T]
    energy: np.ndarray  # [B] video energy
    valence: np.ndarray  # [B]
    direction: np.ndarray  # [B] -1 / 0 / +1 from the feedback
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.prev)

    def slice(self, idx) -> Queries:
        return Queries(**{f.name: getattr(self, f.name)[idx] for f in fields(self) if f.name != "extra"})


def build_queries(feedback_texts: list[str], feedback_emb: np.ndarray, video_emb: np.ndarray, prev: list[int],
                  energy: list[float], valence: list[float], asked_emb: np.ndarray | None = None,
                  declined_emb: np.ndarray | None = None) -> Queries:
    """Parse feedback (wanted / unwanted tags, energy direction) and stack everything into arrays.
    ``asked_emb`` / ``declined_emb``: vectors of the asking and declining clauses (default: the whole
    sentence and none); :func:`crs.music.train.embed_feedback` makes all three."""
    from crs.music.video import music_tags_for

    parsed = [parse_text(t) if t.strip() else (set(), set()) for t in feedback_texts]
    has_text = np.array([1.0 if t.strip() else 0.0 for t in feedback_texts], dtype=np.float32)
    fb = np.asarray(feedback_emb, dtype=np.float32) * has_text[:, None]
    asked = fb if asked_emb is None else np.asarray(asked_emb, dtype=np.float32) * has_text[:, None]
    declined = np.zeros_like(fb) if declined_emb is None else np.asarray(declined_emb, dtype=np.float32)
    return Queries(
        feedback=fb, asked=asked, declined=declined, video=np.asarray(video_emb, dtype=np.float32),
        prev=np.asarray(prev, dtype=np.int64),
        has_text=has_text, wanted=tag_matrix([p for p, _ in parsed]), unwanted=tag_matrix([n for _, n in parsed]),
        video_tags=tag_matrix([music_tags_for(e, v) for e, v in zip(energy, valence)]),
        energy=np.asarray(energy, dtype=np.float32), valence=np.asarray(valence, dtype=np.float32),
        direction=np.array([energy_direction(p, n) for p, n in parsed], dtype=np.float32))


class FusionScorer(nn.Module):
    """Scores [B, n] for a batch of queries against the whole catalogue."""

    def __init__(self, config: ScorerConfig | None = None):
        super().__init__()
        self.config = config or ScorerConfig()
        k = len(FEATURES)
        init = torch.tensor(INIT_WEIGHTS)
        self.register_buffer("on", torch.tensor([0.0 if f in self.config.features_off else 1.0 for f in FEATURES]))
        self.method = "fusion"  # or "text": the product's turn 2 falls back to text only (chosen on validation)
        self.w_text = nn.Parameter(init.clone())
        self.w_notext = nn.Parameter(init.clone() * torch.tensor([0.0] + [1.0] * (k - 1)))
        self.scale = nn.Parameter(torch.tensor(10.0))
        d, r = self.config.dim, self.config.proj_rank
        self.down = nn.Linear(3 * d, r, bias=False) if r else None
        self.up = nn.Linear(r, d, bias=False) if r else None
        self.mix = nn.Parameter(torch.tensor([1.0, 0.5, 0.5]))  # feedback, video, previous piece
        if r:
            nn.init.normal_(self.down.weight, std=0.02)
            nn.init.zeros_(self.up.weight)

    # ------------------------------------------------------------------ scoring
    def features(self, q: dict[str, torch.Tensor], cat: dict[str, torch.Tensor]) -> torch.Tensor:
        """[B, n, len(FEATURES)] feature tensor. The previous piece's vector, tags and energy come from
        ``q["prev_emb"]`` etc. when given (training scores a sample of clips), else from ``cat``."""
        C = cat["emb"]
        prev_emb = q["prev_emb"] if "prev_emb" in q else C[q["prev"]]
        prev_tags = q["prev_tags"] if "prev_tags" in q else cat["tags"][q["prev"]]
        prev_energy = q["prev_energy"] if "prev_energy" in q else cat["energy"][q["prev"]]
        A = cat.get("aspect_emb", C)
        fused = self.mix[0] * q["feedback"] + self.mix[1] * q["video"] + self.mix[2] * prev_emb
        if self.down is not None:
            fused = fused + self.up(self.down(torch.cat([q["feedback"], q["video"], prev_emb], -1)))
        fused = nn.functional.normalize(fused, dim=-1)
        tags = cat["tags"]

        def frac(m):  # share of the query's tags that each item has
            return (m @ tags.T) / m.sum(-1, keepdim=True).clamp(min=1.0)

        ce, cv = cat["energy"][None, :], cat["valence"][None, :]
        feats = [q["feedback"] @ C.T, q["video"] @ C.T, prev_emb @ C.T, fused @ C.T, frac(q["wanted"]),
                 (q["unwanted"] @ tags.T).clamp(max=1.0), -(q["energy"][:, None] - ce).abs(),
                 -(q["valence"][:, None] - cv).abs(), q["direction"][:, None] * (ce - prev_energy[:, None]),
                 frac(prev_tags), frac(q["video_tags"]), q["asked"] @ C.T, q["declined"] @ C.T, q["asked"] @ A.T]
        return torch.stack(feats, -1) * self.on

    def forward(self, q: dict[str, torch.Tensor], cat: dict[str, torch.Tensor]) -> torch.Tensor:
        f = self.features(q, cat)
        w = q["has_text"][:, None] * self.w_text + (1 - q["has_text"][:, None]) * self.w_notext
        return self.scale * (f * w[:, None, :]).sum(-1)

    @torch.no_grad()
    def score(self, queries: Queries, cat_t: dict[str, torch.Tensor], batch_size: int = 256,
              method: str | None = None) -> np.ndarray:
        """Scores [B, n] (previous piece and, with hard negation, unwanted items pushed to the bottom).
        ``method``: "fusion" (the trained weights) or "text" (MiniLM cosine of the feedback, the fallback);
        default: the one chosen on validation (``self.method``). Queries without text always use fusion."""
        self.eval()
        method = method or self.method
        out = []
        for s in range(0, len(queries), batch_size):
            qb = queries_to_torch(queries.slice(slice(s, s + batch_size)))
            sc = self(qb, cat_t)
            if method == "text":
                text = qb["has_text"][:, None] > 0
                sc = torch.where(text, qb["feedback"] @ cat_t["emb"].T, sc)
            if self.config.hard_negation:
                sc = sc - HARD_NEGATION_PENALTY * ((qb["unwanted"] @ cat_t["tags"].T) > 0).float()
            sc[torch.arange(len(sc)), qb["prev"]] = -float("inf")
            out.append(sc.numpy())
        return np.concatenate(out) if out else np.zeros((0, len(cat_t["emb"])), dtype=np.float32)

    # ------------------------------------------------------------------ persistence
    def save_pretrained(self, path: str | Path, extra: dict | None = None) -> Path:
        """Write config.json (+ training record) and model.safetensors into ``path``."""
        record = {"config": asdict(self.config), "features": list(FEATURES), "version": SCORER_VERSION,
                  "turn2_method": self.method, **(extra or {})}
        return save_pretrained_files(self, path, record)

    @classmethod
    def from_pretrained(cls, path: str | Path) -> FusionScorer:
        record, state = load_pretrained_files(path, hint="no music scorer there (run `crs music train`)")
        if record.get("version") != SCORER_VERSION:
            raise FileNotFoundError(f"the music scorer in {path} is an older version (retrain: `crs music train --force`)")
        model = cls(ScorerConfig.from_dict(record["config"]))
        model.load_state_dict(state)
        model.record = record
        model.method = record.get("turn2_method", "fusion")
        return model.eval()

    def weights_table(self) -> list[dict]:
        """The learned weight of each hand feature, with and without feedback text (for the docs)."""
        return [{"feature": n, "with text": float(a), "video only": float(b)}
                for n, a, b in zip(FEATURES, self.w_text.detach(), self.w_notext.detach())]


def catalogue_to_torch(cat: MusicCatalogue, idx: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    sel = slice(None) if idx is None else idx
    aspects = cat.aspect_embeddings if cat.aspect_embeddings is not None else cat.embeddings
    return {"emb": torch.from_numpy(np.ascontiguousarray(cat.embeddings[sel])),
            "aspect_emb": torch.from_numpy(np.ascontiguousarray(aspects[sel])),
            "tags": torch.from_numpy(np.ascontiguousarray(cat.tags[sel])),
            "energy": torch.from_numpy(np.ascontiguousarray(cat.energy[sel])),
            "valence": torch.from_numpy(np.ascontiguousarray(cat.valence[sel]))}


def queries_to_torch(q: Queries) -> dict[str, torch.Tensor]:
    return {f.name: torch.from_numpy(np.ascontiguousarray(getattr(q, f.name))) for f in fields(q) if f.name != "extra"}


# ---------------------------------------------------------------------------------------- turn 1
def turn1_scores(profile_emb: np.ndarray, energy: float, valence: float, suggested: set[str], cat: MusicCatalogue,
                 attribute_weight: float = 0.3, image_vec: np.ndarray | None = None,
                 image_weight: float = 0.0) -> np.ndarray:
    """Description similarity plus attribute agreement (energy, valence and suggested mood/tempo tags),
    plus ``image_weight`` times the similarity to the picture's label-text vector (crs.music.vision)."""
    sim = cat.embeddings @ profile_emb
    if image_vec is not None and image_weight:
        sim = sim + image_weight * (cat.embeddings @ image_vec)
    idx = [TAG_INDEX[t] for t in suggested if t in TAG_INDEX]
    tag_fit = cat.tags[:, idx].mean(1) if idx else np.zeros(len(cat), dtype=np.float32)
    fit = 1.0 - 0.5 * (np.abs(cat.energy - energy) + np.abs(cat.valence - valence))
    return sim + attribute_weight * (0.5 * fit + 0.5 * tag_fit)


def text_only_scores(feedback_emb: np.ndarray, cat: MusicCatalogue, prev: np.ndarray) -> np.ndarray:
    """The baseline: MiniLM cosine between the feedback text and each caption (previous piece excluded)."""
    s = feedback_emb @ cat.embeddings.T
    s[np.arange(len(s)), prev] = -np.inf
    return s
