"""The video-to-music config (configs/music/*.yaml): video reading, the fusion scorer, the LLM."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from crs.music.scorer import FusionConfig
from crs.music.video import VideoConfig
from crs.paths import REPO_ROOT, cache_dir

CONFIG_DIR = REPO_ROOT / "configs" / "music"


@dataclass
class MusicConfig:
    name: str = "default"  # trained scorer folder: $CRS_HOME/music/fusion-v2-<name>/
    llm: str = "smollm2"
    turn1_attribute_weight: float = 0.3
    # weight of the picture's label-text vector at turn 1 (0: off); chosen on the validation
    # classes of the picture proxy in `crs eval music` (docs/music.md)
    turn1_image_weight: float = 2.0
    explain_max_new_tokens: int = 60
    eval_explanations: int = 40
    eval_videos: int = 8  # synthetic videos whose turn-1 picks are previous pieces in the new protocol
    eval_picture: bool = True  # run the turn-1 picture ablation in `crs eval music`
    video: VideoConfig = field(default_factory=VideoConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)

    @property
    def scorer_dir(self) -> Path:
        # v2 (trained on sessions as served): a scorer of the old protocol in fusion-<name>/ is not reused
        return cache_dir("music") / f"fusion-v2-{self.name}"

    @classmethod
    def from_dict(cls, data: dict) -> "MusicConfig":
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown music config keys {unknown}; valid keys: {', '.join(sorted(known))}")
        video = data.pop("video", None) or {}
        vknown = {f.name for f in fields(VideoConfig)}
        if set(video) - vknown:
            raise ValueError(f"unknown video config keys {sorted(set(video) - vknown)}")
        fusion = FusionConfig.from_dict(data.pop("fusion", None) or {})
        return cls(**data, video=VideoConfig(**video), fusion=fusion)


def load_config(path: str | Path | None = None) -> MusicConfig:
    """Read a YAML config: a path, or a name in configs/music/ ("default", "tiny")."""
    import yaml

    if path is None:
        path = "default"
    p = Path(path)
    if not p.suffix and not p.exists():
        p = CONFIG_DIR / f"{path}.yaml"
    if not p.exists():
        raise FileNotFoundError(f"music config not found: {p} (see configs/music/)")
    return MusicConfig.from_dict(yaml.safe_load(p.read_text(encoding="utf-8")) or {})
