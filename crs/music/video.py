"""Video analysis: decode with PyAV, sample frames, measure colour / brightness / motion / cuts, label scenes.

``analyze_video(path)`` returns a :class:`VideoProfile`: numbers (brightness, saturation, warmth,
motion, cut rate, energy, valence), ImageNet labels from EfficientNet-Lite0, and a text profile
that the music retrieval embeds. Bad input raises :class:`VideoError` with a message meant for
the user; nothing is written anywhere.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from crs.config_utils import StrictConfig

VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v")


class VideoError(ValueError):
    """The input is not a usable video; the message says why, in words for the user."""


@dataclass
class VideoConfig(StrictConfig):
    """How a video is read and analysed."""

    max_mb: float = 200.0  # larger files are refused before decoding
    analysis_fps: float = 4.0  # frames per second sampled for colour, motion and cuts
    max_samples: int = 240  # at most this many sampled frames (long videos are sampled sparser)
    max_seconds: float = 600.0  # only the first 10 minutes are read
    cnn_frames: int = 8  # frames given to EfficientNet-Lite0
    use_cnn: bool = True  # False: colour and motion only (no image model)
    cut_threshold: float = 0.25  # grey-histogram L1 distance (0..1) that counts as a cut

    def __post_init__(self):
        if self.max_mb <= 0 or self.analysis_fps <= 0 or self.max_samples < 2 or self.cnn_frames < 0:
            raise ValueError("max_mb and analysis_fps must be > 0, max_samples >= 2, cnn_frames >= 0")


@dataclass
class VideoProfile:
    """What the video looks like, as numbers and as text."""

    path: str
    duration_s: float
    n_samples: int
    brightness: float  # mean value (HSV V), 0..1
    saturation: float  # mean HSV saturation, 0..1
    warmth: float  # share of warm minus cool hues among coloured pixels, -1..1
    motion: float  # mean absolute grey-level change between sampled frames, 0..1
    cut_rate: float  # cuts per minute
    energy: float  # 0..1
    valence: float  # 0..1
    labels: list[tuple[str, float]] = field(default_factory=list)
    feature: np.ndarray | None = field(default=None, repr=False)
    text: str = ""
    suggested_tags: set[str] = field(default_factory=set)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("feature")
        d["suggested_tags"] = sorted(self.suggested_tags)
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}

    def summary(self) -> str:
        """A short visual description for the reason ("a bright, fast-moving video of a beach")."""
        return describe_visuals(self)


# ---------------------------------------------------------------------------------------- decoding
def check_file(path: str | os.PathLike, config: VideoConfig) -> Path:
    """Refuse missing, empty and oversized files before decoding."""
    p = Path(path)
    if not p.exists():
        raise VideoError(f"No such file: {p}")
    if not p.is_file():
        raise VideoError(f"Not a file: {p}")
    size = p.stat().st_size
    if size == 0:
        raise VideoError(f"The file {p.name} is empty (0 bytes): please upload a video.")
    if size > config.max_mb * 1024 * 1024:
        raise VideoError(f"The file {p.name} is {size / 1024 / 1024:.1f} MB; the limit is {config.max_mb:g} MB "
                         "(video.max_mb in configs/music/). Please upload a shorter or smaller video.")
    return p


def sample_frames(path: str | os.PathLike, config: VideoConfig | None = None) -> tuple[np.ndarray, float]:
    """Decode the video and return RGB uint8 frames [n, 224, 224, 3] sampled at ``analysis_fps``, and the duration."""
    import av

    config = config or VideoConfig()
    p = check_file(path, config)
    try:
        container = av.open(str(p), mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise VideoError(f"Could not read {p.name} as a video: it is not a video file or it is corrupted ({e}).") from None
    try:
        if not container.streams.video:
            kind = "audio only" if container.streams.audio else "no video track"
            raise VideoError(f"{p.name} has no video track ({kind}); please give a video file (mp4, webm or mov).")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = float(container.duration / 1e6) if container.duration else 0.0
        if not duration and stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        fps = config.analysis_fps
        if duration > 0:
            fps = min(fps, config.max_samples / min(duration, config.max_seconds))
        frames, last_t, next_t, n = [], 0.0, 0.0, 0
        rate = float(stream.average_rate) if stream.average_rate else 25.0
        try:
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else n / rate
                n += 1
                last_t = t
                if t > config.max_seconds:
                    break
                if t + 1e-6 >= next_t and len(frames) < config.max_samples:
                    frames.append(frame.to_ndarray(format="rgb24", width=224, height=224))
                    next_t = t + 1.0 / fps
        except av.FFmpegError:
            if not frames:
                raise VideoError(f"{p.name} could not be decoded: the video data is corrupted.") from None
            # A file cut off mid-stream: analyse the frames that did decode.
    except (av.FFmpegError, OSError) as e:
        raise VideoError(f"Could not decode {p.name}: {e}") from None
    finally:
        container.close()
    if not frames:
        raise VideoError(f"{p.name} contains no video frames (zero-length or corrupted video).")
    duration = duration or (last_t + 1.0 / rate)
    return np.stack(frames), float(duration)


# ---------------------------------------------------------------------------------------- measures
def colour_stats(frames: np.ndarray) -> tuple[float, float, float]:
    """Mean brightness (V), saturation (S) and warmth (warm minus cool coloured pixels) over frames."""
    small = frames[:, ::4, ::4, :].astype(np.float32) / 255.0
    mx, mn = small.max(-1), small.min(-1)
    # Saturation of near-black pixels is noise: count colour only where there is light.
    sat = np.where(mx > 0.15, (mx - mn) / np.maximum(mx, 1e-6), 0.0)
    r, g, b = small[..., 0], small[..., 1], small[..., 2]
    delta = np.maximum(mx - mn, 1e-6)
    hue = np.where(mx == r, ((g - b) / delta) % 6, np.where(mx == g, (b - r) / delta + 2, (r - g) / delta + 4)) * 60
    coloured = sat > 0.2
    warm = coloured & ((hue < 70) | (hue >= 300))
    cool = coloured & (hue >= 160) & (hue < 280)
    n_col = max(int(coloured.sum()), 1)
    warmth = (int(warm.sum()) - int(cool.sum())) / n_col if coloured.any() else 0.0
    return float(mx.mean()), float(sat.mean()), float(warmth)


def motion_and_cuts(frames: np.ndarray, duration: float, cut_threshold: float) -> tuple[float, float]:
    """Mean absolute grey change between consecutive samples (0..1), and cuts per minute."""
    if len(frames) < 2:
        return 0.0, 0.0
    grey = frames[:, ::4, ::4, :].astype(np.float32).mean(-1) / 255.0
    diffs = np.abs(np.diff(grey, axis=0)).mean(axis=(1, 2))
    hists = np.stack([np.histogram(g, bins=32, range=(0, 1))[0] / g.size for g in grey])
    hdist = 0.5 * np.abs(np.diff(hists, axis=0)).sum(-1)
    jump = (diffs > 0.12) & (diffs > 2.5 * np.median(diffs))  # a sudden change, not steady motion
    cuts = int(((hdist > cut_threshold) | jump).sum())
    minutes = max(duration, 1.0) / 60.0
    return float(diffs.mean()), float(cuts / minutes)


def visual_energy_valence(brightness: float, saturation: float, warmth: float, motion: float, cut_rate: float) -> tuple[float, float]:
    """Hand-set mapping from what is seen to musical energy and valence (0..1); documented in docs/music.md."""
    energy = 0.1 + 3.0 * min(motion, 0.25) + min(cut_rate, 40.0) / 100.0 + 0.15 * saturation + 0.1 * brightness
    valence = 0.15 + 0.55 * brightness + 0.3 * saturation * min(1.0, brightness / 0.5) + 0.1 * warmth
    return float(np.clip(energy, 0, 1)), float(np.clip(valence, 0, 1))


def music_tags_for(energy: float, valence: float) -> set[str]:
    """Attribute tags that suit a video of this energy and valence (turn-1 attribute agreement)."""
    tags = set()
    if energy >= 0.6:
        tags |= {"mood:energetic", "tempo:fast"}
    elif energy <= 0.35:
        tags |= {"mood:calm", "tempo:slow"}
    else:
        tags |= {"tempo:medium"}
    if valence >= 0.6:
        tags |= {"mood:happy"} if energy > 0.35 else {"mood:romantic"}
    elif valence <= 0.4:
        tags |= {"mood:dark", "mood:aggressive"} if energy >= 0.6 else {"mood:sad"}
    return tags


def describe_visuals(p: VideoProfile) -> str:
    light = "bright" if p.brightness > 0.6 else "dark" if p.brightness < 0.3 else "dimly lit" if p.brightness < 0.45 else "evenly lit"
    colour = "colourful" if p.saturation > 0.45 else "muted" if p.saturation > 0.15 else "nearly grey"
    tone = ", warm-toned" if p.warmth > 0.3 else ", cool-toned" if p.warmth < -0.3 else ""
    pace = ("still" if p.motion < 0.01 else "slow-moving" if p.motion < 0.04 else "moving" if p.motion < 0.1
            else "fast-moving")
    cuts = "with frequent cuts" if p.cut_rate >= 12 else "with a few cuts" if p.cut_rate >= 3 else "in one continuous shot"
    shows = [name for name, prob in p.labels[:3] if prob >= 0.05]
    scene = f" showing {', '.join(shows)}" if shows else ""
    article = "an" if light[0] in "aeiou" else "a"
    return f"{article} {light}, {colour}{tone}, {pace} video {cuts}{scene}"


def profile_text(p: VideoProfile) -> str:
    """The text the catalogue is matched against: what is seen plus the music mood that would fit."""
    from crs.music.attributes import tag_label

    mood = ", ".join(tag_label(t) for t in sorted(p.suggested_tags))
    return f"Music for {describe_visuals(p)}. The music should feel {mood}."


def analyze_video(path: str | os.PathLike, config: VideoConfig | None = None) -> VideoProfile:
    """Decode, measure and describe a video. Raises :class:`VideoError` on bad input."""
    config = config or VideoConfig()
    frames, duration = sample_frames(path, config)
    brightness, saturation, warmth = colour_stats(frames)
    motion, cut_rate = motion_and_cuts(frames, duration, config.cut_threshold)
    energy, valence = visual_energy_valence(brightness, saturation, warmth, motion, cut_rate)
    labels, feature = [], None
    if config.use_cnn and config.cnn_frames:
        from crs.music.vision import classify_frames

        pick = np.linspace(0, len(frames) - 1, num=min(config.cnn_frames, len(frames))).round().astype(int)
        feature, labels = classify_frames(frames[pick])
    prof = VideoProfile(str(path), duration, len(frames), brightness, saturation, warmth, motion, cut_rate,
                        energy, valence, labels, feature)
    prof.suggested_tags = music_tags_for(energy, valence)
    prof.text = profile_text(prof)
    return prof
