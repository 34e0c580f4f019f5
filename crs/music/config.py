"""The video-to-music config (configs/music/*.yaml): video reading, the fusion scorer, the LLM."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crs.config_utils import StrictConfig
from crs.music.scorer import ScorerConfig
from crs.music.video import VideoConfig
from crs.paths import REPO_ROOT, cache_dir

CONFIG_DIR = REPO_ROOT / "configs" / "music"


@dataclass
class MusicConfig(StrictConfig):
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
    fusion: ScorerConfig = field(default_factory=ScorerConfig)

    @property
    def scorer_dir(self) -> Path:
        # v2 (trained on sessions as served): a scorer of the old protocol in fusion-<name>/ is not reused
        return cache_dir("music") / f"fusion-v2-{self.name}"



def load_music_config(path: str | Path | None = None) -> MusicConfig:
    """Read a YAML config: a path, or a name in configs/music/ ("default", "tiny")."""
    if path is None:
        path = "default"
    p = Path(path)
    if not p.suffix and not p.exists():
        p = CONFIG_DIR / f"{path}.yaml"
    if not p.exists():
        raise FileNotFoundError(f"music config not found: {p} (see configs/music/)")
    return MusicConfig.from_yaml(p)
