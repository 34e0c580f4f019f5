"""The two-turn flow: video -> a piece with a reason; feedback -> a refined piece.

    engine = MusicEngine.load("default")          # catalogue, trained scorer, LLM (built once)
    session = MusicSession(engine)
    first = session.start("clip.mp4")              # turn 1: video profile <-> catalogue
    better = session.refine("more upbeat, no vocals")   # turn 2: trained fusion scorer

``MusicState`` holds everything per user (the app keeps one per browser session); the engine
is shared and read-only.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import numpy as np

from crs.music.catalogue import MusicCatalogue, MusicItem
from crs.music.config import MusicConfig, load_music_config
from crs.music.explain import MusicReason, explain_pick
from crs.music.feedback import split_feedback
from crs.music.scorer import FusionScorer, build_queries, catalogue_to_torch, turn1_scores
from crs.music.video import VideoProfile, analyze_video

log = logging.getLogger(__name__)
_SHARED: dict[tuple, MusicEngine] = {}
_SHARED_LOCK = threading.Lock()


@dataclass
class Pick:
    """One suggested piece: the item, the reason, and the runners-up."""

    item: MusicItem
    reason: MusicReason
    turn: int
    feedback: str = ""
    alternatives: list[MusicItem] = field(default_factory=list)

    def markdown(self) -> str:
        it = self.item
        alts = "".join(f"\n  - [{a.title}]({a.url})" for a in self.alternatives)
        return (f"**{it.title}** ([listen]({it.url}))\n\n*{it.caption}*\n\n**Why:** {self.reason.text}\n\n"
                f"Aspects: {', '.join(it.aspects[:10])}" + (f"\n\nAlso close:{alts}" if alts else ""))

    def to_dict(self) -> dict:
        return {"turn": self.turn, "feedback": self.feedback, **self.item.to_dict(), "reason": self.reason.text,
                "reason_source": self.reason.source, "alternatives": [a.id for a in self.alternatives]}


@dataclass
class MusicState:
    profile: VideoProfile | None = None
    profile_emb: np.ndarray | None = None
    picks: list[Pick] = field(default_factory=list)

    @property
    def shown(self) -> set[str]:
        return {p.item.id for p in self.picks}


class MusicEngine:
    """Catalogue + trained fusion scorer + LLM; stateless across users."""

    def __init__(self, config: MusicConfig, catalogue: MusicCatalogue, scorer: FusionScorer, llm=None):
        self.config = config
        self.catalogue = catalogue
        self.scorer = scorer
        self.llm = llm
        self._cat_t = catalogue_to_torch(catalogue)

    @classmethod
    def load(cls, config: str | MusicConfig | None = None, llm: str | None = None, user_dir: str | None = None,
             progress: bool = True) -> MusicEngine:
        """Build from a config (name or object): embeddings and scorer come from the cache (built once)."""
        from crs.music.catalogue import load_catalogue
        from crs.music.train import load_or_train

        cfg = config if isinstance(config, MusicConfig) else load_music_config(config)
        cat = load_catalogue(limit=cfg.fusion.catalogue_limit, progress=progress)
        scorer = load_or_train(cfg, cat, progress=progress)
        if user_dir:  # the user's files join the pool after training (the scorer is item-agnostic)
            cat = load_catalogue(limit=cfg.fusion.catalogue_limit, user_dir=user_dir, progress=progress)
        backend = None
        name = llm or cfg.llm
        if name and name != "none":
            from crs.llm import load_backend

            backend = load_backend(name)
        return cls(cfg, cat, scorer, backend)

    @classmethod
    def shared(cls, config: str = "default", llm: str | None = None, user_dir: str | None = None) -> MusicEngine:
        """One engine per (config name, LLM, audio folder) in this process; engines hold no per-user state."""
        key = (str(config), llm, str(user_dir) if user_dir else None)
        with _SHARED_LOCK:
            if key not in _SHARED:
                _SHARED[key] = cls.load(config, llm=llm, user_dir=user_dir)
            return _SHARED[key]

    # ------------------------------------------------------------------ steps
    def analyze(self, path: str) -> VideoProfile:
        return analyze_video(path, self.config.video)

    def _pick(self, scores: np.ndarray, state: MusicState, turn: int, feedback: str) -> Pick:
        scores = scores.astype(np.float64).copy()
        for sid in state.shown:  # never suggest the same piece twice
            scores[self.catalogue.index[sid]] = -np.inf
        order = np.argsort(-scores, kind="stable")[:6]
        item = self.catalogue.items[int(order[0])]
        reason = explain_pick(item, state.profile.summary(), feedback, self.llm, self.config.explain_max_new_tokens)
        return Pick(item, reason, turn, feedback, [self.catalogue.items[int(i)] for i in order[1:]])

    def start(self, state: MusicState, video_path: str) -> Pick:
        """Turn 1: analyse the video and match its profile to the catalogue (raises VideoError on bad input)."""
        from crs.embeddings import encode

        profile = self.analyze(video_path)
        state.profile, state.picks = profile, []
        state.profile_emb = encode([profile.text])[0]
        pick = self._pick(self.turn1(profile, state.profile_emb), state, 1, "")
        state.picks.append(pick)
        return pick

    def turn1(self, profile: VideoProfile, profile_emb: np.ndarray, image_weight: float | None = None) -> np.ndarray:
        """Turn-1 scores over the catalogue for an analysed video (``image_weight`` overrides the config's)."""
        w = self.config.turn1_image_weight if image_weight is None else image_weight
        image_vec = None
        if w and profile.feature is not None:
            from crs.music.vision import image_text_vector

            image_vec = image_text_vector(profile.feature)
        return turn1_scores(profile_emb, profile.energy, profile.valence, profile.suggested_tags, self.catalogue,
                            self.config.turn1_attribute_weight, image_vec, w)

    def refine(self, state: MusicState, feedback: str) -> Pick:
        """Turn 2 (and later): fuse the video, the last pick and the feedback with the trained scorer
        (or text only with the negation filter, when that was better on validation: ``scorer.method``)."""
        from crs.embeddings import encode

        if state.profile is None or not state.picks:
            raise ValueError("Give a video first: there is no suggestion to refine yet.")
        feedback = (feedback or "").strip()[:500]
        asked, declined = split_feedback(feedback)
        dim = self.catalogue.embeddings.shape[1]
        texts = [feedback, asked, declined]
        vecs = encode([t for t in texts if t]) if feedback else np.zeros((0, dim), np.float32)
        it = iter(vecs)
        fb, ask, dec = (next(it)[None, :] if t else np.zeros((1, dim), np.float32) for t in texts)
        prev = self.catalogue.index[state.picks[-1].item.id]
        q = build_queries([feedback], fb, state.profile_emb[None, :], [prev], [state.profile.energy],
                          [state.profile.valence], ask, dec)
        scores = self.scorer.score(q, self._cat_t)[0]
        pick = self._pick(scores, state, len(state.picks) + 1, feedback)
        state.picks.append(pick)
        return pick


class MusicSession:
    """One user's conversation with an engine (the CLI's view of MusicState)."""

    def __init__(self, engine: MusicEngine):
        self.engine = engine
        self.state = MusicState()

    def start(self, video_path: str) -> Pick:
        return self.engine.start(self.state, video_path)

    def refine(self, feedback: str) -> Pick:
        return self.engine.refine(self.state, feedback)
